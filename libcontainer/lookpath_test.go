package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLookPath looks up names in a directory tree taken as a container's root, from outside:
// absolute symlinks and ".." stay inside it, and the errors keep exec.LookPath's words.
func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"bin", "sbin", "work/tools", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range map[string]os.FileMode{"bin/sh": 0o755, "bin/data": 0o644, "work/tools/run": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	// An absolute link: from outside it would point at the host's /bin/sh.
	if err := os.Symlink("/bin/sh", filepath.Join(dir, "sbin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bin/data", filepath.Join(dir, "sbin/data")); err != nil {
		t.Fatal(err)
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(root)

	tests := []struct {
		name, cwd, file, path string
		want, wantErr         string
	}{
		{"in PATH", "/", "sh", "/usr/bin:/bin", "/bin/sh", ""},
		{"through an absolute symlink", "/", "data", "/sbin", "", `exec: "data": executable file not found in $PATH`},
		{"symlink to an executable", "/", "sh", "/sbin", "/sbin/sh", ""},
		{"not found", "/", "nosuch", "/bin", "", `exec: "nosuch": executable file not found in $PATH`},
		{"no PATH", "/", "sh", "", "", `exec: "sh": executable file not found in $PATH`},
		{"empty PATH entry", "/bin", "sh", ":", "", `exec: "sh": cannot run executable found relative to current directory`},
		{"empty name", "/", "", "/bin", "", `exec: "": executable file not found in $PATH`},
		{"absolute", "/home", "/bin/sh", "", "/bin/sh", ""},
		{"relative to cwd", "/work", "tools/run", "", "tools/run", ""},
		{"dot-dot stays inside", "/", "../../../../bin/sh", "", "../../../../bin/sh", ""},
		{"missing with a slash", "/", "./nosuch", "", "", `exec: "./nosuch": stat ./nosuch: no such file or directory`},
		{"directory", "/", "/bin", "", "", `exec: "/bin": is a directory`},
		{"not executable", "/", "/bin/data", "", "", `exec: "/bin/data": permission denied`},
		{"relative PATH entry", "/work", "run", "tools", "", `exec: "run": cannot run executable found relative to current directory`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookPath(root, tc.cwd, tc.file, []string{"HOME=/", "PATH=" + tc.path})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("lookPath(%q) = %q, %v, want error %q", tc.file, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("lookPath(%q) = %q, %v, want %q", tc.file, got, err, tc.want)
			}
		})
	}
}

func TestProcessEnv(t *testing.T) {
	got, err := processEnv([]string{"A=1", "B", "C=x=y", "A=2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=2", "B=", "C=x=y"}
	if len(got) != len(want) {
		t.Fatalf("processEnv = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("processEnv = %q, want %q", got, want)
		}
	}
	for _, bad := range []string{"=x", "A=b\x00c"} {
		if _, err := processEnv([]string{bad}); err == nil {
			t.Errorf("processEnv(%q) = nil error, want one", bad)
		}
	}
}
