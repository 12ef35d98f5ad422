package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const nobody = 65534

// asNobody runs the binary under test as the unprivileged user nobody, with its state root
// under XDG_RUNTIME_DIR as a rootless runc would have it.
func asNobody(t *testing.T, runtimeDir, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, runoBinary, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + runtimeDir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	// Files, not pipes: a detached container keeps runo's stdio open.
	stdout, err := os.CreateTemp("", "rootless-out-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr, err := os.CreateTemp("", "rootless-err-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	r := result{stdout: string(out), stderr: string(errOut)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("runo %v as nobody: %v", args, err)
	}
	return r
}

// TestRootless runs a container as an unprivileged user: `spec --rootless`, then run, exec,
// kill and delete, with the state under $XDG_RUNTIME_DIR/runo and no cgroup of its own.
func TestRootless(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	e := newEnv(t)
	dir := filepath.Join(e.dir, "rootless")
	runtimeDir := filepath.Join(e.dir, "xdg")
	for _, d := range []string{dir, runtimeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	populateRootfs(t, filepath.Join(dir, "rootfs"))
	if err := filepath.Walk(e.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(p, dir) || strings.HasPrefix(p, runtimeDir) {
			return os.Lchown(p, nobody, nobody)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	id := e.newID()
	t.Cleanup(func() { asNobody(t, runtimeDir, dir, "delete", "--force", id) })

	if r := asNobody(t, runtimeDir, dir, "spec", "--rootless"); r.code != 0 {
		t.Fatalf("spec --rootless: %v", r)
	}
	b := &bundle{e: e, id: id, dir: dir}
	b.load()
	b.spec.Process.Terminal = false
	b.spec.Process.Args = []string{"sleep", "1000"}
	b.save()
	if err := os.Lchown(filepath.Join(dir, "config.json"), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if r := asNobody(t, runtimeDir, dir, "run", "--detach", id); r.code != 0 {
		t.Fatalf("run --detach as nobody: %v", r)
	}
	if _, err := os.Stat(filepath.Join(runtimeDir, "runo", id, "state.json")); err != nil {
		t.Errorf("state not under $XDG_RUNTIME_DIR/runo: %v", err)
	}
	r := asNobody(t, runtimeDir, dir, "exec", id, "id", "-u")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("exec id -u as nobody: %v, want 0 (root in the container's user namespace)", r)
	}
	r = asNobody(t, runtimeDir, dir, "exec", id, "cat", "/proc/self/uid_map")
	if f := strings.Fields(r.stdout); len(f) != 3 || f[0] != "0" || f[1] != "65534" || f[2] != "1" {
		t.Errorf("uid_map = %q, want 0 65534 1", r.stdout)
	}
	if r := asNobody(t, runtimeDir, dir, "kill", id, "KILL"); r.code != 0 {
		t.Errorf("kill as nobody: %v", r)
	}
	if r := asNobody(t, runtimeDir, dir, "delete", "--force", id); r.code != 0 {
		t.Errorf("delete as nobody: %v", r)
	}
	if entries, _ := os.ReadDir(filepath.Join(runtimeDir, "runo")); len(entries) != 0 {
		t.Errorf("state left after delete: %v", entries)
	}
}
