package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execLogged runs `runo --debug exec FLAGS ID true` and returns whether the process started
// without runo init (the debug log says so), failing the test if exec fails. With unprotected,
// runo believes it already re-executed itself, from its own binary: it then neither
// re-executes nor counts as protected (internal/selfexe checks the file). The marker holds the
// pid of the re-executed runo, so a shell sets it to its own and execs runo.
func (b *bundle) execLogged(unprotected bool, flags ...string) bool {
	b.e.t.Helper()
	log := filepath.Join(b.e.dir, "exec-"+b.id+".log")
	os.Remove(log)
	args := append(append([]string{"--root", b.e.root, "--debug", "--log", log, "exec"}, flags...), b.id, "true")
	r := b.e.start(func(cmd *exec.Cmd) {
		if unprotected {
			cmd.Path = "/bin/sh"
			cmd.Args = append([]string{"sh", "-c", `_RUNO_PROTECTED_EXE=$$ exec "$0" "$@"`, runoBinary}, args...)
		}
	}, args...).wait()
	if r.code != 0 {
		b.e.t.Fatalf("runo %s: %v", strings.Join(args, " "), r)
	}
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		b.e.t.Fatal(err)
	}
	return strings.Contains(string(data), "without runo init")
}

// TestExecWithoutInit checks when exec starts its process without runo init. Where a process
// of the container may hold CAP_SYS_PTRACE in the host's user namespace, it could open
// /proc/<pid>/exe of the child that joins the container, a copy of runo until its execve
// (CVE-2019-5736): runo exec then re-executes itself from a protected copy of its binary first,
// and where it cannot, the process starts through runo init, which runs from one.
func TestExecWithoutInit(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	if !b.execLogged(false) {
		t.Errorf("exec true into a default container went through runo init")
	}
	if !b.execLogged(false, "--tty") {
		t.Errorf("exec --tty went through runo init")
	}
	// A process given CAP_SYS_PTRACE is recorded; every later exec runs protected.
	if !b.execLogged(false, "--cap", "CAP_SYS_PTRACE") {
		t.Errorf("exec --cap CAP_SYS_PTRACE went through runo init")
	}
	if _, err := os.Stat(filepath.Join(e.root, b.id, "ptracer")); err != nil {
		t.Errorf("exec --cap CAP_SYS_PTRACE left no record: %v", err)
	}
	if !b.execLogged(false) {
		t.Errorf("protected exec after a CAP_SYS_PTRACE process went through runo init")
	}
	if b.execLogged(true) {
		t.Errorf("unprotected exec after a CAP_SYS_PTRACE process started without runo init")
	}

	// The container's own bounding set holds CAP_SYS_PTRACE.
	p := e.newBundle()
	p.spec.Process.Capabilities.Bounding = append(p.spec.Process.Capabilities.Bounding, "CAP_SYS_PTRACE")
	p.runningContainer()
	if !p.execLogged(false) {
		t.Errorf("protected exec into a container with CAP_SYS_PTRACE went through runo init")
	}
	if p.execLogged(true) {
		t.Errorf("unprotected exec into a container with CAP_SYS_PTRACE started without runo init")
	}

	// In a user namespace CAP_SYS_PTRACE reaches nothing of the host's.
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	u := e.newBundle()
	u.spec.Process.Capabilities.Bounding = append(u.spec.Process.Capabilities.Bounding, "CAP_SYS_PTRACE")
	u.spec.Linux.Namespaces = append(u.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	u.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	u.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	u.spec.Root.Readonly = true
	u.runningContainer()
	if !u.execLogged(true) {
		t.Errorf("exec into a user-namespaced container went through runo init")
	}
}

// runsProtected reports whether process pid runs from a file on a read-only mount or a sealed
// memfd (internal/selfexe), as seen through /proc/<pid>/exe.
func runsProtected(t *testing.T, pid int) bool {
	t.Helper()
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /proc/%d/exe: %v", pid, err)
	}
	defer unix.Close(fd)
	if seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0); err == nil && seals&unix.F_SEAL_WRITE != 0 {
		return true
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		t.Fatal(err)
	}
	return fs.Flags&unix.ST_RDONLY != 0
}

// TestCVE2019_5736Exec checks that a runo whose child enters a pid namespace where a process
// may hold CAP_SYS_PTRACE in the host's user namespace runs from a protected copy of its
// binary: exec into a container with CAP_SYS_PTRACE, and run of a container that joins another
// one's pid namespace. Elsewhere it runs from its own binary (no second start).
func TestCVE2019_5736Exec(t *testing.T) {
	e := newEnv(t)
	// running starts runo with args, whose process runs `touch /out/NAME; sleep 2` in a
	// container that binds out on /out, and returns it once the process runs.
	running := func(out, name string, args ...string) *runoProc {
		run := e.startRuno(nil, append(append([]string{"--root", e.root}, args...), "sh", "-c", "touch /out/"+name+"; sleep 2")...)
		waitFile(t, filepath.Join(out, name))
		return run
	}
	stop := func(run *runoProc) {
		run.cmd.Process.Signal(syscall.SIGTERM)
		run.wait()
	}
	p := e.newBundle()
	pout := p.bind("/out", false)
	p.spec.Process.Capabilities.Bounding = append(p.spec.Process.Capabilities.Bounding, "CAP_SYS_PTRACE")
	p.runningContainer()
	run := running(pout, "ptrace", "exec", p.id)
	if !runsProtected(t, run.cmd.Process.Pid) {
		t.Errorf("runo exec into a container with CAP_SYS_PTRACE runs from its own binary")
	}
	stop(run)

	d := e.newBundle()
	dout := d.bind("/out", false)
	d.runningContainer()
	run = running(dout, "default", "exec", d.id)
	if runsProtected(t, run.cmd.Process.Pid) {
		t.Errorf("runo exec into a default container re-executed itself")
	}
	stop(run)

	j := e.newBundle()
	jout := j.bind("/out", false)
	for i, ns := range j.spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			j.spec.Linux.Namespaces[i].Path = "/proc/" + strconv.Itoa(e.state(d.id).Pid) + "/ns/pid"
		}
	}
	j.spec.Process.Args = []string{"sh", "-c", "touch /out/joined; sleep 2"}
	j.save()
	run = e.startRuno(nil, "--root", e.root, "run", "--bundle", j.dir, j.id)
	waitFile(t, filepath.Join(jout, "joined"))
	if !runsProtected(t, run.cmd.Process.Pid) {
		t.Errorf("runo run of a container that joins a pid namespace runs from its own binary")
	}
	stop(run)
}

// TestCVE2024_21626Exec pins the leaked-fd escape for exec: an fd runo inherited and was not
// told to pass (--preserve-fds) does not reach the process, and a --cwd that resolves through
// one of runo's fds outside the rootfs is refused.
func TestCVE2024_21626Exec(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	host, err := os.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	r := e.start(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{host} },
		"--root", e.root, "exec", b.id, "ls", "/proc/self/fd").wait()
	// 0, 1, 2 and ls's own directory fd.
	if got := strings.Fields(r.stdout); r.code != 0 || len(got) != 4 {
		t.Errorf("fds of the exec'd process = %v (%v), want only 0 1 2 and ls's own", got, r)
	}
	for fd := 3; fd < 16; fd++ {
		r := e.start(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{host} },
			"--root", e.root, "exec", "--cwd", "/proc/self/fd/"+strconv.Itoa(fd), b.id, "pwd").wait()
		if r.code == 0 && (!strings.HasPrefix(r.stdout, "/") || strings.Contains(r.stdout, "unreachable")) {
			t.Errorf("--cwd /proc/self/fd/%d: the process ran in %q, outside its rootfs", fd, r.stdout)
		}
	}
}

// TestExecOOMScoreAdj checks process.oomScoreAdj of an exec'd process started without runo
// init: its child sets it through runo's /proc before joining the container.
func TestExecOOMScoreAdj(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	adj := 321
	proc := specs.Process{
		Args:        []string{"cat", "/proc/self/oom_score_adj"},
		Env:         []string{"PATH=/bin"},
		Cwd:         "/",
		OOMScoreAdj: &adj,
		// Without a capabilities object the process would keep all of runo's: a host ptracer.
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
	}
	data, _ := json.Marshal(proc)
	path := filepath.Join(e.dir, "process.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(e.dir, "exec.log")
	r := e.mustRuno("--debug", "--log", log, "exec", "--process", path, b.id)
	if got := strings.TrimSpace(r.stdout); got != "321" {
		t.Errorf("exec'd process's oom_score_adj = %q, want 321", got)
	}
	if data, _ := os.ReadFile(log); !strings.Contains(string(data), "without runo init") {
		t.Errorf("exec with oomScoreAdj went through runo init; log %q", data)
	}
}

// TestExecPreserveFds checks exec --preserve-fds 1: runo's fd 3 (a file) is the process's fd
// 3, its fd 4 (not preserved) is not passed on, and the process has no other fd.
func TestExecPreserveFds(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	path := filepath.Join(e.dir, "fd3")
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	host, err := os.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	r := e.start(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{file, host} },
		"--root", e.root, "exec", "--preserve-fds", "1", b.id,
		"sh", "-c", "echo to-file >&3; ls /proc/self/fd").wait()
	if r.code != 0 {
		t.Fatalf("runo exec --preserve-fds 1: %v", r)
	}
	// fd 4 is the directory ls reads.
	if got, want := strings.Join(strings.Fields(r.stdout), " "), "0 1 2 3 4"; got != want {
		t.Errorf("exec'd process's fds = %q, want %q", got, want)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "to-file\n" {
		t.Errorf("process wrote %q (%v) to fd 3, want to-file", data, err)
	}
}

// TestExecIgnorePaused checks exec --ignore-paused into a paused container: the process
// starts once the container is resumed, and `runo resume` is not kept waiting by the exec.
func TestExecIgnorePaused(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	out := b.bind("/out", false)
	b.runningContainer()
	e.mustRuno("pause", b.id)
	run := e.startRuno(nil, "--root", e.root, "exec", "--ignore-paused", "--detach", b.id, "touch", "/out/ran")
	// Give exec the time to reach the frozen cgroup; without it the test still checks that
	// the exec runs, only not the wait.
	time.Sleep(300 * time.Millisecond)
	e.mustRuno("resume", b.id)
	if r := run.wait(); r.code != 0 {
		t.Fatalf("exec --ignore-paused: %v", r)
	}
	waitFile(t, filepath.Join(out, "ran"))
}
