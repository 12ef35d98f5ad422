package libcontainer

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMountFDsEnvRoundTrip(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	extra := []*os.File{nil, nil} // fds 3 and 4 are taken
	env := mountFDsEnv([]*os.File{nil, r, nil, w}, 5, &extra)
	if got, want := env, envMountFDs+"=1:5,3:6"; got != want {
		t.Errorf("mountFDsEnv() = %q, want %q", got, want)
	}
	if len(extra) != 4 || extra[2] != r || extra[3] != w {
		t.Errorf("mountFDsEnv() extra files = %v, want r and w appended", extra)
	}
	if got := mountFDsEnv(make([]*os.File, 3), 3, &extra); got != "" {
		t.Errorf("mountFDsEnv(no mounts) = %q, want \"\"", got)
	}
}

func TestMountFilesFromEnv(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dup := func(f *os.File) string {
		fd, err := dupFD(f)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	t.Setenv(envMountFDs, "0:"+dup(r)+",2:"+dup(w))
	files, err := mountFilesFromEnv(3)
	if err != nil {
		t.Fatalf("mountFilesFromEnv() error: %v", err)
	}
	if len(files) != 3 || files[0] == nil || files[1] != nil || files[2] == nil {
		t.Fatalf("mountFilesFromEnv() = %v, want files at 0 and 2", files)
	}
	closeFiles(files)

	// Entries are checked before any fd is taken, except those after a good one, which is a
	// real fd here: on error mountFilesFromEnv closes what it took.
	for _, bad := range []string{"x", "0", "0:", ":5", "3:5", "-1:5", "0:2", "0:" + dup(r) + ",1"} {
		t.Setenv(envMountFDs, bad)
		if files, err := mountFilesFromEnv(3); err == nil {
			t.Errorf("mountFilesFromEnv(%q) = %v, want an error", bad, files)
		}
	}
	t.Setenv(envMountFDs, "")
	if files, err := mountFilesFromEnv(3); files != nil || err != nil {
		t.Errorf("mountFilesFromEnv(unset) = %v, %v, want nil, nil", files, err)
	}
}

func dupFD(f *os.File) (string, error) {
	fd, err := unix.Dup(int(f.Fd()))
	return strconv.Itoa(fd), err
}
