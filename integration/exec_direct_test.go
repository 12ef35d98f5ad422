package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execLogged runs `runo --debug exec FLAGS ID true` and returns whether the process started
// without runo init (the debug log says so), failing the test if exec fails.
func (b *bundle) execLogged(flags ...string) bool {
	b.e.t.Helper()
	log := filepath.Join(b.e.dir, "exec-"+b.id+".log")
	os.Remove(log)
	b.e.mustRuno(append(append([]string{"--debug", "--log", log, "exec"}, flags...), b.id, "true")...)
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		b.e.t.Fatal(err)
	}
	return strings.Contains(string(data), "without runo init")
}

// TestExecWithoutInit checks when exec starts its process without runo init: not where a
// process of the container may hold CAP_SYS_PTRACE in the host's user namespace (it could
// open /proc/<pid>/exe of the child, runo's binary, before the execve: CVE-2019-5736).
func TestExecWithoutInit(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	if !b.execLogged() {
		t.Errorf("exec true into a default container went through runo init")
	}
	if !b.execLogged("--tty") {
		t.Errorf("exec --tty went through runo init")
	}
	// A process given CAP_SYS_PTRACE is recorded, and every later exec goes through init.
	if b.execLogged("--cap", "CAP_SYS_PTRACE") {
		t.Errorf("exec --cap CAP_SYS_PTRACE started without runo init")
	}
	if _, err := os.Stat(filepath.Join(e.root, b.id, "ptracer")); err != nil {
		t.Errorf("exec --cap CAP_SYS_PTRACE left no record: %v", err)
	}
	if b.execLogged() {
		t.Errorf("exec after a CAP_SYS_PTRACE process started without runo init")
	}

	// The container's own bounding set holds CAP_SYS_PTRACE.
	p := e.newBundle()
	p.spec.Process.Capabilities.Bounding = append(p.spec.Process.Capabilities.Bounding, "CAP_SYS_PTRACE")
	p.runningContainer()
	if p.execLogged() {
		t.Errorf("exec into a container with CAP_SYS_PTRACE started without runo init")
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
	if !u.execLogged() {
		t.Errorf("exec into a user-namespaced container went through runo init")
	}
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
