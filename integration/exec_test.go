package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runningContainer starts a detached container that sleeps, in the namespaces of b.spec.
func (b *bundle) runningContainer() {
	b.e.t.Helper()
	b.spec.Process.Args = []string{"sleep", "1000"}
	b.save()
	b.e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
}

// execFacts runs `probe facts` through exec with flags and decodes its output.
func (b *bundle) execFacts(flags ...string) probeFacts {
	b.e.t.Helper()
	args := append(append([]string{"exec"}, flags...), b.id, "/bin/probe", "facts")
	r := b.e.mustRuno(args...)
	var f probeFacts
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil {
		b.e.t.Fatalf("decode probe facts: %v in %q", err, r.stdout)
	}
	return f
}

// TestExec checks that an exec'd process shares the container's namespaces and cgroup, and
// takes the container's process as its template.
func TestExec(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Hostname = "exectest"
	b.spec.Process.Env = append(b.spec.Process.Env, "FROM_CONFIG=yes")
	b.runningContainer()
	init := e.state(b.id).Pid

	f := b.execFacts("--env", "FROM_FLAG=1", "--cwd", "/tmp")
	if f.Hostname != "exectest" {
		t.Errorf("hostname = %q, want the container's %q", f.Hostname, "exectest")
	}
	for _, kind := range []string{"pid", "net", "ipc", "uts", "mnt"} {
		want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", init, kind))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Namespaces[kind]; got != want {
			t.Errorf("%s namespace = %q, want the container's %q", kind, got, want)
		}
	}
	if f.Pid == 1 {
		t.Errorf("exec'd process is pid 1, want a new pid beside the container's init")
	}
	if f.Cwd != "/tmp" {
		t.Errorf("cwd = %q, want /tmp", f.Cwd)
	}
	env := strings.Join(f.Env, " ")
	for _, want := range []string{"FROM_CONFIG=yes", "FROM_FLAG=1"} {
		if !strings.Contains(env, want) {
			t.Errorf("env = %v, want it to contain %s", f.Env, want)
		}
	}
}

// TestExecExitStatus checks exit codes, signals and runc's error for a missing executable.
func TestExecExitStatus(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	if r := e.runo("exec", b.id, "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec exit 7: %v, want code 7", r)
	}
	if r := e.runo("exec", b.id, "sh", "-c", "kill -KILL $$"); r.code != 137 {
		t.Errorf("exec killed by SIGKILL: %v, want code 137", r)
	}
	r := e.runo("exec", b.id, "nosuch")
	if r.code == 0 || !strings.Contains(r.stderr, "nosuch") || !strings.Contains(r.stderr, "executable file not found in $PATH") {
		t.Errorf("exec nosuch: %v, want runc's not-found error", r)
	}
}

// TestExecUserAndCaps checks --user, --additional-gids, --cap and --no-new-privs.
func TestExecUserAndCaps(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	f := b.execFacts("--user", "1000:2000", "--additional-gids", "3000", "--no-new-privs")
	if f.UID != 1000 || f.GID != 2000 {
		t.Errorf("uid, gid = %d, %d, want 1000, 2000", f.UID, f.GID)
	}
	if len(f.Groups) != 1 || f.Groups[0] != 3000 {
		t.Errorf("groups = %v, want [3000]", f.Groups)
	}
	if f.NoNewPrivs != 1 {
		t.Errorf("no_new_privs = %d, want 1", f.NoNewPrivs)
	}
	root := b.execFacts("--cap", "CAP_SYS_ADMIN")
	// CAP_SYS_ADMIN is bit 21: the default spec's effective set plus it.
	eff, err := strconv.ParseUint(root.Caps["CapEff"], 16, 64)
	if err != nil {
		t.Fatalf("CapEff %q: %v", root.Caps["CapEff"], err)
	}
	if eff&(1<<21) == 0 {
		t.Errorf("CapEff = %#x, want CAP_SYS_ADMIN added by --cap", eff)
	}
}

// TestExecProcessFile checks --process with a runtime-spec process JSON, and --detach with
// --pid-file.
func TestExecProcessFile(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	out := b.bind("/out", false)
	b.runningContainer()
	proc := specs.Process{
		Args: []string{"sh", "-c", "echo $GREETING > /out/greeting"},
		Env:  []string{"PATH=/bin", "GREETING=hello"},
		Cwd:  "/",
	}
	data, _ := json.Marshal(proc)
	path := filepath.Join(e.dir, "process.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustRuno("exec", "--process", path, b.id)
	if got := waitFile(t, filepath.Join(out, "greeting")); got != "hello\n" {
		t.Errorf("greeting = %q, want %q", got, "hello\n")
	}

	pidFile := filepath.Join(e.dir, "exec.pid")
	e.mustRuno("exec", "--detach", "--pid-file", pidFile, b.id, "sleep", "1000")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil {
		t.Fatalf("pid file holds %q", data)
	}
	e.track(pid)
	// The exec'd process is in the container's cgroup (seen from the host: the container has
	// its own cgroup namespace).
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatalf("detached exec'd process %d is not running: %v", pid, err)
	}
	if !strings.Contains(string(cg), e.cgParent+"/"+b.id) {
		t.Errorf("exec'd process's cgroups = %q, want the container's %s/%s", cg, e.cgParent, b.id)
	}
}

// TestExecStates checks runc's errors for exec into a paused or stopped container.
func TestExecStates(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	e.mustRuno("pause", b.id)
	if r := e.runo("exec", b.id, "true"); r.code == 0 || !strings.Contains(r.stderr, "paused") {
		t.Errorf("exec into a paused container: %v, want an error naming paused", r)
	}
	e.mustRuno("resume", b.id)
	e.mustRuno("kill", b.id, "KILL")
	e.waitStatus(b.id, "stopped")
	if r := e.runo("exec", b.id, "true"); r.code == 0 || !strings.Contains(r.stderr, "stopped") {
		t.Errorf("exec into a stopped container: %v, want an error naming stopped", r)
	}
}

// TestExecConcurrent runs many execs into one container at once.
func TestExecConcurrent(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	const n = 10
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.runo("exec", b.id, "sh", "-c", "echo "+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || strings.TrimSpace(r.stdout) != strconv.Itoa(i) {
			t.Errorf("exec #%d: %v, want %d", i, r, i)
		}
	}
}

// TestExecUserNamespace checks that exec joins the container's user namespace.
func TestExecUserNamespace(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.spec.Root.Readonly = true
	b.runningContainer()
	f := b.execFacts()
	if got := strings.Join(strings.Fields(f.UIDMap), " "); got != "0 100000 65536" {
		t.Errorf("exec'd process's uid_map = %q, want the container's 0 100000 65536", f.UIDMap)
	}
	if f.UID != 0 {
		t.Errorf("uid = %d, want 0 in the container's user namespace", f.UID)
	}
}

// TestExecTerminal checks exec --tty through a console socket.
func TestExecTerminal(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	r := e.runoIn(nil, "--root", e.root, "exec", "--tty", b.id, "sh", "-c", "tty; echo hello")
	if r.code != 0 || !strings.Contains(r.stdout, "/dev/pts/") || !strings.Contains(r.stdout, "hello") {
		t.Errorf("exec --tty: %v, want a pts name and hello", r)
	}
}

// TestExecForwardsSignal checks that a signal sent to a foreground exec reaches the exec'd
// process, and exec then exits with its status.
func TestExecForwardsSignal(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	sig := b.bind("/sig", false)
	b.runningContainer()
	run := e.startRuno(nil, "--root", e.root, "exec", b.id, "/bin/probe", "sleep", "/sig")
	waitFile(t, filepath.Join(sig, "ready"))
	if err := run.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if got, want := waitFile(t, filepath.Join(sig, "signal")), "SIGUSR1"; got != want {
		t.Errorf("signal the exec'd probe got = %q, want %q", got, want)
	}
	r := run.wait()
	if r.code != 0 || r.stdout != "SIGUSR1\n" {
		t.Errorf("exec after the probe exited 0 on SIGUSR1: %v, want exit 0 and its output", r)
	}
}
