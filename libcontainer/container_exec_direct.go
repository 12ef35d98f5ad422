package libcontainer

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/internal/sysfile"
	"github.com/runo-project/runo/internal/sysprog"
	"github.com/runo-project/runo/nsenter"
)

// An exec'd process can start without `runo init`: nsenter's raw child joins the container
// and runs the program init would run (process_program.go), whose execve is the process's.
// That saves a Go program's start per exec. Until its execve that child is a copy of runo, and
// its /proc/<pid>/exe is runo's binary (CVE-2019-5736: init executes from a protected copy). It
// is made non-dumpable, which leaves it open only to CAP_SYS_PTRACE in the host's user
// namespace: hostPtracer says which processes may have that. A container that may hold one
// gets init, unless the caller itself runs from a protected copy (ExecOptions.ProtectedBinary).

// ptracerFile, in the container's directory, records that a process that may hold
// CAP_SYS_PTRACE in the host's user namespace was exec'd into the container. execLockFile,
// beside it, orders that record and the direct execs (lockExec).
const (
	ptracerFile  = "ptracer"
	execLockFile = "exec.lock"
)

// lockExec takes the container's exec lock (LOCK_EX or LOCK_SH), made on first use. A direct
// exec holds it shared until its process runs, and so does its child, whose copy of the fd
// lasts until its execve: a file of its own, not the directory that runo pause, resume and
// delete lock, so that a child frozen on its way (a cgroup frozen by something else than runo)
// keeps no other command waiting.
func lockExec(dir string, how int) (*os.File, error) {
	return flock(filepath.Join(dir, execLockFile), unix.O_RDONLY|unix.O_CREAT, how)
}

// errNotDirect says that the process must start through init after all.
var errNotDirect = errors.New("exec through init")

// hostPtracer says whether proc, in a container with namespaces ns, or a process runo did not
// start that shares the container's pid namespace, may ever hold CAP_SYS_PTRACE in the host's
// user namespace: a joined pid namespace holds processes runo knows nothing of; otherwise it
// takes no new user namespace and the capability in proc's bounding set (no capabilities set
// at all keeps runo's, all of them). The bounding set only shrinks, and every child inherits
// it.
func hostPtracer(proc *specs.Process, ns []specs.LinuxNamespace) bool {
	for _, n := range ns {
		if n.Type == specs.PIDNamespace && n.Path != "" {
			return true
		}
	}
	for _, n := range ns {
		if n.Type == specs.UserNamespace && n.Path == "" {
			return false
		}
	}
	if proc == nil || proc.Capabilities == nil {
		return true
	}
	for _, name := range proc.Capabilities.Bounding {
		if strings.EqualFold(name, "CAP_SYS_PTRACE") {
			return true
		}
	}
	return false
}

// markPtracer records that a process about to be exec'd may be a host ptracer. It waits for
// every exec that started without init (each holds the exec lock shared) to be done, and any
// later one sees the mark.
func (c *Container) markPtracer() error {
	lock, err := lockExec(c.dir, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer lock.Close()
	f, err := sysfile.Open(filepath.Join(c.dir, ptracerFile), unix.O_WRONLY|unix.O_CREAT, 0o600)
	if err != nil {
		return fmt.Errorf("mark container %s: %w", c.id, err)
	}
	return f.Close()
}

// execDirectly says whether a process can start without `runo init`. What needs runo's
// private procfs in the container (LSM labels) or a seccomp listener passed on is left to init,
// as are kernels without close_range (5.11) and, unless the caller runs from a protected
// binary, containers that may hold a host ptracer (hostPtracer; markPtracer records exec'd
// ones, execDirect checks that record).
func execDirectly(proc *specs.Process, d *execDetails, protected bool) bool {
	return proc.ApparmorProfile == "" &&
		proc.SelinuxLabel == "" && (d.SeccompFilter == nil || !d.SeccompFilter.Notify) &&
		(protected || !hostPtracer(d.Process, d.Namespaces)) && haveCloseRange()
}

// MayHoldHostPtracer reports whether a process of the container, or proc once exec'd into it,
// may hold CAP_SYS_PTRACE in the host's user namespace: such a process could open
// /proc/<pid>/exe of a runo process that joins the container's pid namespace before it execs
// (see ExecOptions.ProtectedBinary).
func (c *Container) MayHoldHostPtracer(proc *specs.Process) (bool, error) {
	d, err := c.execDetails()
	if err != nil {
		return false, err
	}
	if hostPtracer(d.Process, d.Namespaces) || hostPtracer(proc, d.Namespaces) {
		return true, nil
	}
	err = unix.Faccessat(unix.AT_FDCWD, filepath.Join(c.dir, ptracerFile), unix.F_OK, 0)
	return err == nil, nil
}

// haveCloseRange reports whether the kernel has close_range(2): closing an fd that cannot be
// open succeeds where it exists.
func haveCloseRange() bool {
	return unix.CloseRange(math.MaxUint32, math.MaxUint32, 0) == nil
}

// execDirect starts the process with no `runo init` in between, or returns errNotDirect.
// The executable is looked up from here, inside the container's root.
func (c *Container) execDirect(o ExecOptions, d *execDetails, cg *cgroups.Entrance) (*os.Process, error) {
	proc := o.Process
	// Shared: other execs run alongside, markPtracer waits until this one's process runs.
	lock, err := lockExec(c.dir, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	err = unix.Faccessat(unix.AT_FDCWD, filepath.Join(c.dir, ptracerFile), unix.F_OK, 0)
	if err == nil && !o.ProtectedBinary {
		return nil, errNotDirect
	}
	// The namespaces are opened, then the container checked alive: the files are then those
	// of its init, not of a process that took the pid over meanwhile. Its root likewise.
	joins, files, err := c.openNamespaces(d.Namespaces)
	defer closeFiles(files)
	if err != nil {
		return nil, err
	}
	pid := strconv.Itoa(c.state.Pid)
	root, err := sysfile.Open("/proc/"+pid+"/root", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if !c.state.alive() {
		return nil, statusError("cannot exec in a stopped container")
	}
	prog, err := execProgram(o, d, int(root.Fd()))
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	passed := newInitFiles(o.PreserveFDs)
	if proc.Terminal {
		passed.add(envConsoleFD, o.Console) // fd 3+PreserveFDs, as execProgram expects
	}
	cfg := nsenter.Config{
		Path:       proc.Args[0],
		Program:    prog,
		Stdin:      o.Stdin,
		Stdout:     o.Stdout,
		Stderr:     o.Stderr,
		ExtraFiles: passed.extra,
		Namespaces: joins,
	}
	if cg != nil {
		cfg.CgroupTasks, cfg.Cgroup = cg.Tasks, cg.Dir
	}
	if adj := proc.OOMScoreAdj; adj != nil {
		// Written by the child, to itself, before it leaves runo's namespaces.
		cfg.Early = &sysprog.Program{}
		if err := addOOMScoreAdj(cfg.Early, atFDCWD, "/proc/self/oom_score_adj", *adj); err != nil {
			return nil, err
		}
		if err := cfg.Early.Prepare(); err != nil {
			return nil, err
		}
	}
	p, err := startNonDumpable(&cfg, o.BeforeRun)
	if errors.Is(err, nsenter.ErrNoCloneIntoCgroup) {
		// A kernel before 5.7: the process must be moved into the cgroup after its start,
		// which only init can wait for.
		return nil, errNotDirect
	}
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	c.log.Debug("exec: started " + proc.Args[0] + " without runo init")
	return p, nil
}

// startNonDumpable starts the raw child of cfg, calling before (if set) right before it. runo
// is non-dumpable while the child runs runo's code: it cannot be reached through /proc by the
// container's processes without CAP_SYS_PTRACE in the host's user namespace (CVE-2016-9962).
// Dumpability belongs to the memory, which a vfork child shares with the caller: the caller's
// is restored once the child has exec'd (a fresh memory, dumpable again) or failed.
func startNonDumpable(cfg *nsenter.Config, before func()) (*os.Process, error) {
	dumpable, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read runo's dumpable flag: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("set runo non-dumpable: %w", err)
	}
	defer unix.Prctl(unix.PR_SET_DUMPABLE, uintptr(dumpable), 0, 0, 0)
	if before != nil {
		before()
	}
	return withRunoTimerSlack(func() (*os.Process, error) { return nsenter.Start(cfg) })
}

// openNamespaces opens the namespaces of the container's init of the given types and returns
// them as namespaces to join by path (its /proc/self/fd link), with the files to close once the
// process has started.
func (c *Container) openNamespaces(namespaces []specs.LinuxNamespace) ([]specs.LinuxNamespace, []*os.File, error) {
	pid := strconv.Itoa(c.state.Pid)
	joins := make([]specs.LinuxNamespace, 0, len(namespaces))
	files := make([]*os.File, 0, len(namespaces))
	for _, ns := range namespaces {
		name, err := nsenter.ProcName(ns.Type)
		if err != nil {
			return nil, files, err
		}
		f, err := sysfile.Open("/proc/"+pid+"/ns/"+name, unix.O_RDONLY, 0)
		if err != nil {
			return nil, files, err
		}
		files = append(files, f)
		joins = append(joins, specs.LinuxNamespace{Type: ns.Type, Path: "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))})
	}
	return joins, files, nil
}

// execProgram builds the system call program of an exec'd process, looking its executable up
// in root, the container's root directory.
func execProgram(o ExecOptions, d *execDetails, root int) (*sysprog.Program, error) {
	proc := o.Process
	env, err := processEnv(proc.Env)
	if err != nil {
		return nil, err
	}
	path, err := lookPath(root, proc.Cwd, proc.Args[0], env)
	if err != nil {
		return nil, err
	}
	return childProgram(proc, nil, d.SeccompFilter, o.PreserveFDs, false, execPath{Fixed: path}, env)
}

// childProgram builds the program nsenter's raw child runs for a process of the container, from
// its arrival in the container's cgroups and namespaces to its execve of path: exec'd ones and a
// container's first process started without init (startDirect), which first reads its path, if
// the parent sends it, and unshares the container's cgroup namespace when unshareCgroup is set,
// now that it is in its cgroups. With a terminal, the console socket is the fd after the
// preserved ones.
func childProgram(proc *specs.Process, pers *specs.LinuxPersonality, sc *seccompFilter, preserveFDs int, unshareCgroup bool, path execPath, env []string) (*sysprog.Program, error) {
	var filter []unix.SockFilter
	var flags []specs.LinuxSeccompFlag
	if sc != nil {
		var err error
		if filter, err = sc.filter(); err != nil {
			return nil, err
		}
		flags = sc.Flags
	}
	p := &sysprog.Program{}
	if path.From != nil {
		addReadPath(p, path.From)
	}
	if unshareCgroup {
		p.Add(sysprog.Step{
			Trap: unix.SYS_UNSHARE,
			Args: [6]uintptr{unix.CLONE_NEWCGROUP},
			Err: func(errno syscall.Errno) error {
				return fmt.Errorf("unshare cgroup namespace: %w", errno)
			},
		})
	}
	if aff := proc.ExecCPUAffinity; aff != nil && aff.Initial != "" {
		if err := addAffinity(p, aff.Initial, "process.execCPUAffinity.initial"); err != nil {
			return nil, err
		}
	}
	if proc.Terminal {
		if _, err := addConsole(p, 3+preserveFDs, proc.ConsoleSize); err != nil {
			return nil, err
		}
	}
	addRlimits(p, proc.Rlimits)
	if err := addCwd(p, proc.Cwd); err != nil {
		return nil, err
	}
	addCloseFrom(p, 3+preserveFDs)
	if err := addProcessEnd(p, pers, proc, filter, flags, path, env); err != nil {
		return nil, err
	}
	if err := p.Prepare(); err != nil {
		return nil, err
	}
	return p, nil
}
