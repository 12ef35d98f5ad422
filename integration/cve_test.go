package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCVE2019_5736 pins the runc binary-overwrite escape: a process in the container holds
// /proc/<init>/exe while runo's init runs, and once init has exec'd the container's program
// (no runo process runs in the container any more) tries to reopen that file for writing. It
// must fail: runo executes itself from a read-only mount.
func TestCVE2019_5736(t *testing.T) {
	e := newEnv(t)
	// A private copy of the binary: while any other process executes the shared one, the
	// reopen fails with ETXTBSY before the read-only mount is even consulted.
	private := filepath.Join(e.dir, "runo-private")
	copyFile(t, runoBinary, private)
	if err := os.Chmod(private, 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(shared string) { runoBinary = shared }(runoBinary)
	runoBinary = private
	b := e.newBundle("sleep", "1000")
	out := b.bind("/out", false)
	b.save()
	e.mustRuno("create", "--bundle", b.dir, b.id)
	// PID 1 in the container is runo's init, waiting for start.
	// CAP_SYS_PTRACE: /proc/1/exe of a more privileged process needs it; the attack assumes a
	// privileged container.
	e.mustRuno("exec", "--detach", "--cap", "CAP_SYS_PTRACE", b.id, "/bin/probe", "reopen-exe", "1", "/out")
	waitFile(t, filepath.Join(out, "ready"))
	e.mustRuno("start", b.id)
	e.waitStatus(b.id, "running")
	if err := os.WriteFile(filepath.Join(out, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	result := waitFile(t, filepath.Join(out, "result"))
	if result == "opened" {
		t.Fatalf("the container reopened runo's binary for writing")
	}
	if !strings.Contains(result, "read-only file system") {
		t.Errorf("reopen of runo's binary failed with %q, want EROFS (a read-only mount)", result)
	}
}

// TestCVE2024_21626 pins the leaked-fd escape: no runo fd reaches the container's process,
// and a process.cwd that would resolve through one outside the rootfs is refused.
func TestCVE2024_21626(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("ls", "/proc/self/fd")
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	// 0, 1, 2 and ls's own directory fd.
	if got := strings.Fields(r.stdout); len(got) != 4 {
		t.Errorf("fds in the container = %v, want only 0 1 2 and ls's own", got)
	}
	for fd := 3; fd < 12; fd++ {
		b := e.newBundle("pwd")
		b.spec.Process.Cwd = "/proc/self/fd/" + string(rune('0'+fd%10))
		if fd >= 10 {
			b.spec.Process.Cwd = "/proc/self/fd/1" + string(rune('0'+fd-10))
		}
		b.save()
		r := e.runo("run", "--bundle", b.dir, b.id)
		if r.code == 0 && !strings.HasPrefix(strings.TrimSpace(r.stdout), "/") {
			t.Errorf("cwd %s: container ran in %q, outside its rootfs", b.spec.Process.Cwd, r.stdout)
		}
		if r.code == 0 && strings.Contains(r.stdout, "unreachable") {
			t.Errorf("cwd %s: container ran in %q", b.spec.Process.Cwd, r.stdout)
		}
	}
}
