package integration

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPreserveFds checks create --preserve-fds 2: runo's fds 3 and 4 (a pipe and a file)
// are the container process's fds 3 and 4, and it has no others.
func TestPreserveFds(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "echo to-pipe >&3; echo to-file >&4; ls /proc/self/fd >&4")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	path := filepath.Join(e.dir, "fd4")
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	create := e.startRuno(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{pw, file} },
		"--root", e.root, "create", "--preserve-fds", "2", "--bundle", b.dir, b.id)
	if r := create.wait(); r.code != 0 {
		t.Fatalf("runo create --preserve-fds 2: %v", r)
	}
	// The container holds the only write ends left: the pipe reaches EOF when it exits.
	pw.Close()
	file.Close()
	e.state(b.id)
	e.mustRuno("start", b.id)

	pr.SetReadDeadline(time.Now().Add(waitTimeout))
	got, err := io.ReadAll(pr)
	if err != nil {
		t.Errorf("read the pipe passed as fd 3: %v (read so far: %q)", err, got)
	}
	if want := "to-pipe\n"; string(got) != want {
		t.Errorf("container wrote %q to fd 3, want %q", got, want)
	}
	e.waitStatus(b.id, "stopped")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 2)
	if got, want := lines[0], "to-file"; got != want {
		t.Errorf("container wrote %q to fd 4, want %q", got, want)
	}
	// fd 5 is the directory ls reads.
	if got, want := strings.Fields(lines[len(lines)-1]), "0 1 2 3 4 5"; strings.Join(got, " ") != want {
		t.Errorf("container's fds = %q, want %q", got, want)
	}
	e.mustRuno("delete", b.id)
}

// TestNoPreserveFds checks that without --preserve-fds the container gets none of runo's
// fds above 2, even when runo has some.
func TestNoPreserveFds(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("ls", "/proc/self/fd")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	r := e.startRuno(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{pw, pr} },
		"--root", e.root, "run", "--bundle", b.dir, b.id).wait()
	if r.code != 0 {
		t.Fatalf("runo run: %v", r)
	}
	// fd 3 is the directory ls reads.
	if got, want := strings.Fields(r.stdout), "0 1 2 3"; strings.Join(got, " ") != want {
		t.Errorf("container's fds = %q, want %q", got, want)
	}
}

// TestNoPivot checks run --no-pivot: the container runs with its rootfs as /.
func TestNoPivot(t *testing.T) {
	e := newEnv(t)
	f := e.newBundle().runFactsWith("--no-pivot")
	for _, point := range []string{"/", "/proc", "/dev"} {
		if _, _, ok := f.mount(point); !ok {
			t.Errorf("no mount at %s in the container's mountinfo: %+v", point, f.Mounts)
		}
	}
	if got, want := f.Pid, 1; got != want {
		t.Errorf("probe pid = %d, want %d", got, want)
	}

	b := e.newBundle("cat", "/marker")
	if err := os.WriteFile(filepath.Join(b.rootfs(), "marker"), []byte("in the rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.mustRuno("run", "--no-pivot", "--bundle", b.dir, b.id)
	if got, want := r.stdout, "in the rootfs\n"; got != want {
		t.Errorf("/marker in the container = %q, want %q", got, want)
	}
}

// TestNewKeyring checks the session keyring: a new one by default, runo's own with
// --no-new-keyring.
func TestNewKeyring(t *testing.T) {
	// Without a session keyring of its own, a process sees its user session keyring.
	host, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Skipf("requires keyrings: %v", err)
	}
	t.Run("default", func(t *testing.T) {
		e := newEnv(t)
		f := e.newBundle().runFacts()
		if f.Keyring == 0 || f.Keyring == host {
			t.Errorf("container's session keyring = %d, host's is %d; want a new one", f.Keyring, host)
		}
	})
	t.Run("no-new-keyring", func(t *testing.T) {
		e := newEnv(t)
		f := e.newBundle().runFactsWith("--no-new-keyring")
		if got, want := f.Keyring, host; got != want {
			t.Errorf("container's session keyring = %d, want the caller's %d", got, want)
		}
	})
}
