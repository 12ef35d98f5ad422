package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/rootfs"
)

// The parent tells init its file descriptors through the environment.
const (
	envSyncFD    = "_RUNO_SYNC_FD"
	envFifoFD    = "_RUNO_FIFO_FD"
	envConsoleFD = "_RUNO_CONSOLE_FD"
)

// initGoEnv keeps the Go runtime of init to one P: init does one thing at a time, and every
// thread it would start counts against the container's pids limit and memory.
const initGoEnv = "GOMAXPROCS=1"

// initConfig is the first message on the sync socket: what init needs to build the container.
// It travels in package wire's encoding (init_spec.go).
type initConfig struct {
	Spec         *specs.Spec
	Rootfs       string
	Bundle       string
	NoPivot      bool
	NoNewKeyring bool
	PreserveFDs  int
	State        *specs.State
	// Seccomp is linux.seccomp as the parent compiled it; the spec is sent without it.
	Seccomp *seccompFilter
	// Exec is set for a process that `runo exec` adds to a running container.
	Exec bool
	// KeepMemory is set when the start comes right after the create (CreateOptions.StartsNext).
	KeepMemory bool
}

// initProcess is the state of `runo init` while it builds the container.
type initProcess struct {
	cfg         *initConfig
	spec        *specs.Spec
	sync        *syncConn
	fifo        int // O_PATH fd of exec.fifo
	console     *os.File
	rootfs      *rootfs.Config    // Prepare resolves paths in it that Enter and Finalize use
	mountFiles  []*os.File        // detached idmapped mounts by mount index (idmap.go)
	proc        *procfs           // opened on first use, see procfs
	seccompProg []unix.SockFilter // the filter of linux.seccomp, loaded just before execve
	// execPath is the container's executable, looked up while the parent still listened, and
	// env the environment it gets.
	execPath string
	env      []string
	// outside is set when a thread of the parent builds the container (container_run_direct.go).
	outside *rootfs.Outside
}

// InitThread prepares the main thread of `runo init`, before anything else runs on it: main
// calls it from an init function. It locks the main goroutine to the main thread (see Init)
// and resets the thread's timer slack, which init started with raised for the Go runtime's
// monitor thread (initTimerSlack), to the default it was created with: runo's own, which
// becomes init's runoTimerSlack. The threads the main thread makes from now on, the
// container's process and its hooks inherit that one.
func InitThread() {
	unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0)
	runoTimerSlack = currentTimerSlack()
	runtime.LockOSThread()
}

// Init is the container's first process: it builds the container around itself and execs the
// container's process. It returns only on error, which it has already reported to the parent
// when the parent was still listening.
//
// Preconditions: called from main on the main goroutine, locked to the main thread since the
// program started, so that every namespace and credential change lands on the thread that
// calls execve.
func Init() error {
	syncFD, err := fdFromEnv(envSyncFD)
	if err != nil {
		return err
	}
	syncFile := os.NewFile(uintptr(syncFD), "sync")
	p := &initProcess{sync: newSyncConn(syncFile), fifo: -1}
	if fd, err := fdFromEnv(envConsoleFD); err == nil {
		p.console = os.NewFile(uintptr(fd), "console-socket")
	}
	if p.cfg, err = p.sync.recvConfig(); err != nil {
		return err
	}
	p.spec = p.cfg.Spec
	if p.cfg.Exec {
		return p.runExec()
	}
	if p.fifo, err = fdFromEnv(envFifoFD); err != nil {
		return err
	}
	if p.mountFiles, err = mountFilesFromEnv(len(p.spec.Mounts)); err != nil {
		return err
	}
	os.Clearenv()
	if err := p.create(); err != nil {
		p.sync.sendError(err)
		return err
	}
	syncFile.Close()
	if !p.cfg.KeepMemory {
		p.shedMemory()
	}
	fifo, err := p.waitForStart()
	if err != nil {
		if fifo >= 0 {
			// `runo start` reads this after the byte that released us.
			unix.Write(fifo, []byte(err.Error()))
		}
		return err
	}
	err = p.exec()
	unix.Write(fifo, []byte(err.Error()))
	return err
}

// runExec prepares a process that `runo exec` adds to a running container: it is already in
// the container's namespaces and cgroup, so only the process's own settings remain.
func (p *initProcess) runExec() error {
	os.Clearenv()
	// The sync socket is close-on-exec: the parent reads an error, or end of file once the
	// execve has succeeded.
	steps := []func() error{p.setupConsole, p.applyLimits, p.prepareExec, p.exec}
	for _, step := range steps {
		if err := step(); err != nil {
			p.sync.sendError(err)
			return err
		}
	}
	return nil
}

// create runs the steps that happen before `runo create` returns, in order.
func (p *initProcess) create() error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"unshare cgroup namespace", p.unshareCgroupNS},
		{"set up network", p.setupNetwork},
		{"prepare rootfs", p.prepareRootfs},
		{"set hostname", p.setHostname},
		{"run hooks", p.syncHooks},
		{"enter rootfs", p.enterRootfs},
		{"apply sysctl", p.applySysctl},
		{"finalize rootfs", p.finalizeRootfs},
		{"set up console", p.setupConsole},
		{"apply process limits", p.applyLimits},
		{"join session keyring", p.joinKeyring},
		{"prepare process", p.prepareExec},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return err
		}
	}
	return p.sync.send(syncMsg{Type: msgReady})
}

func (p *initProcess) rootfsConfig() *rootfs.Config {
	l := p.spec.Linux
	return &rootfs.Config{
		Rootfs:        p.cfg.Rootfs,
		Readonly:      p.spec.Root.Readonly,
		Propagation:   l.RootfsPropagation,
		Mounts:        p.spec.Mounts,
		MountFiles:    p.mountFiles,
		Devices:       l.Devices,
		MaskedPaths:   l.MaskedPaths,
		ReadonlyPaths: l.ReadonlyPaths,
		NoPivot:       p.cfg.NoPivot,
		MountLabel:    l.MountLabel,
		InUserNS:      hasNamespace(p.spec, specs.UserNamespace),
		NewCgroupNS:   hasNewNamespace(p.spec, specs.CgroupNamespace),
		Console:       p.spec.Process.Terminal,
		Outside:       p.outside,
	}
}

// unshareCgroupNS makes the new cgroup namespace here rather than at clone: the parent has
// placed init in the container's cgroup by now, so the namespace is rooted at that cgroup.
func (p *initProcess) unshareCgroupNS() error {
	if !hasNewNamespace(p.spec, specs.CgroupNamespace) {
		return nil
	}
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("unshare cgroup namespace: %w", err)
	}
	return nil
}

func (p *initProcess) prepareRootfs() error {
	// Relative bind sources are relative to the bundle, as in runc.
	if err := os.Chdir(p.cfg.Bundle); err != nil {
		return fmt.Errorf("chdir to bundle: %w", err)
	}
	p.rootfs = p.rootfsConfig()
	err := rootfs.Prepare(p.rootfs)
	// Attached or not, the detached mounts are of no more use, and must not reach the
	// container's process.
	closeFiles(p.mountFiles)
	p.mountFiles, p.rootfs.MountFiles = nil, nil
	return err
}

func (p *initProcess) enterRootfs() error { return rootfs.Enter(p.rootfs) }

func (p *initProcess) finalizeRootfs() error { return rootfs.Finalize(p.rootfs) }

// syncHooks lets the parent run prestart and createRuntime hooks, if there are any, then runs
// createContainer hooks here, in the container's namespaces but before pivot_root.
func (p *initProcess) syncHooks() error {
	if hasParentHooks(p.spec.Hooks) {
		if err := p.sync.send(syncMsg{Type: msgHooks}); err != nil {
			return err
		}
		if err := p.sync.expect(msgHooksDone); err != nil {
			return err
		}
	}
	if h := p.spec.Hooks; h != nil {
		return runHooks("createContainer", h.CreateContainer, p.cfg.State)
	}
	return nil
}

func (p *initProcess) setHostname() error {
	if p.spec.Hostname != "" {
		if err := unix.Sethostname([]byte(p.spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", p.spec.Hostname, err)
		}
	}
	if p.spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(p.spec.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", p.spec.Domainname, err)
		}
	}
	return nil
}

// waitForStart blocks until `runo start` opens the exec fifo, acknowledges with one byte and
// runs the startContainer hooks. It returns the fifo's write end, which stays open until
// execve closes it: that end of file tells `runo start` the process is running.
func (p *initProcess) waitForStart() (int, error) {
	path := "/proc/self/fd/" + strconv.Itoa(p.fifo)
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open exec fifo: %w", err)
	}
	unix.Close(p.fifo)
	if _, err := unix.Write(fd, []byte{0}); err != nil {
		return fd, fmt.Errorf("write exec fifo: %w", err)
	}
	if h := p.spec.Hooks; h != nil {
		state := *p.cfg.State
		state.Status = specs.StateCreated
		return fd, runHooks("startContainer", h.StartContainer, &state)
	}
	return fd, nil
}

// procfs returns runo's own procfs handle, opening it on first use (after pivot_root, in the
// container's pid namespace).
func (p *initProcess) procfs() (*procfs, error) {
	if p.proc == nil {
		proc, err := openProcfs()
		if err != nil {
			return nil, err
		}
		p.proc = proc
	}
	return p.proc, nil
}

func fdFromEnv(name string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, errors.New("runo init: " + name + " is not set: init is started by runo create only")
	}
	fd, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("runo init: %s=%q: %w", name, v, err)
	}
	return fd, nil
}

func hasNewNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t && ns.Path == "" {
			return true
		}
	}
	return false
}
