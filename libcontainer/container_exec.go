package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/manager"
	"github.com/runo-project/runo/nsenter"
)

// ExecOptions describe a process to add to a running container.
type ExecOptions struct {
	Process *specs.Process
	// Console receives the pty master when Process.Terminal is set (--console-socket).
	Console *os.File
	// PreserveFDs passes the caller's fds 3 .. 3+PreserveFDs-1 to the process.
	PreserveFDs           int
	Stdin, Stdout, Stderr *os.File
	// IgnorePaused allows exec into a paused container; the process stays frozen until resume.
	IgnorePaused bool
	// SubCgroup places the process in a sub-cgroup of the container's (--cgroup), created if
	// missing.
	SubCgroup string
	// ProtectedBinary says that the calling process runs from a copy of its binary that no
	// process can write (internal/selfexe): then a container that may hold a host ptracer
	// (MayHoldHostPtracer) can get its process without runo init too. `runo exec`
	// re-executes itself so.
	ProtectedBinary bool
	// BeforeRun, if set, is called when the process is about to run: its init has started,
	// in the container, and waits to be told to go on. A foreground exec waits there for its
	// signal subscription, which then overlaps with init's start.
	BeforeRun func()
}

// DefaultProcess returns the container's own process, the template `exec` starts from.
func (c *Container) DefaultProcess() (*specs.Process, error) {
	d, err := c.execDetails()
	if err != nil {
		return nil, err
	}
	if d.Process == nil {
		return &specs.Process{Cwd: "/"}, nil
	}
	p := *d.Process
	p.Args = nil
	p.Terminal = false
	p.ConsoleSize = nil
	return &p, nil
}

// Exec starts a process in the container's namespaces and cgroup and returns it, running. The
// process is a child of the caller.
func (c *Container) Exec(o ExecOptions) (*os.Process, error) {
	status := c.Status()
	switch status {
	case Created, Running:
	case Paused:
		if !o.IgnorePaused {
			return nil, statusError("cannot exec in a paused container (use --ignore-paused to override)")
		}
	default:
		return nil, statusError("cannot exec in a stopped container")
	}
	proc := o.Process
	if proc == nil || len(proc.Args) == 0 {
		return nil, errors.New("process.args: must not be empty")
	}
	if proc.Terminal && o.Console == nil {
		return nil, errors.New("process.terminal is true but no console socket was given")
	}
	d, err := c.execDetails()
	if err != nil {
		return nil, err
	}
	cg, err := c.execCgroup(o.SubCgroup)
	if err != nil {
		return nil, err
	}
	var entrance *cgroups.Entrance
	if cg != nil {
		if entrance, err = cg.Create(); err != nil {
			return nil, err
		}
	}
	if entrance != nil {
		defer entrance.Close()
	}
	if hostPtracer(proc, d.Namespaces) {
		if err := c.markPtracer(); err != nil {
			return nil, err
		}
	}
	if o.BeforeRun != nil {
		o.BeforeRun = sync.OnceFunc(o.BeforeRun) // a direct start that falls back has called it
	}
	// A frozen cgroup (exec --ignore-paused) would freeze the direct path's child as it
	// enters, and runo would wait for its execve deaf to all but SIGKILL: a paused container's
	// process starts through init, which waits for the resume and can be interrupted. (A pause
	// between here and the fork makes exec wait so until the resume.)
	if status != Paused && (cg == nil || entrance != nil) && execDirectly(proc, d, o.ProtectedBinary) {
		p, err := c.execDirect(o, d, entrance)
		if !errors.Is(err, errNotDirect) {
			return p, err
		}
	}
	p, sync, err := c.startExecInit(o, d.Namespaces, entrance)
	if err != nil {
		return nil, err
	}
	defer sync.Close()
	fail := func(err error) (*os.Process, error) {
		p.Kill()
		p.Wait()
		return nil, err
	}
	if !c.state.alive() { // the pid we joined by may have been reused meanwhile
		return fail(statusError("cannot exec in a stopped container"))
	}
	if err := setInitialAffinity(p.Pid, proc); err != nil {
		return fail(err)
	}
	if cg != nil && entrance == nil {
		if err := cg.Apply(p.Pid); err != nil {
			return fail(err)
		}
	}
	s := newSyncConn(sync)
	cfg := &initConfig{
		Spec:        &specs.Spec{Process: proc, Linux: &specs.Linux{}},
		PreserveFDs: o.PreserveFDs,
		State:       c.ociState(Running),
		Exec:        true,
		Seccomp:     d.SeccompFilter,
	}
	if o.BeforeRun != nil {
		o.BeforeRun()
	}
	if err := s.sendConfig(cfg); err != nil {
		return fail(err)
	}
	if err := c.awaitInit(s, "", d.SeccompFilter); err != nil {
		return fail(fmt.Errorf("unable to start container process: %w", err))
	}
	return p, nil
}

// execCgroup returns the cgroup to put an exec'd process in: the container's, or a sub-cgroup.
func (c *Container) execCgroup(sub string) (cgroups.Manager, error) {
	if c.state.Cgroup == nil {
		return nil, nil
	}
	s, err := c.state.Cgroup.get()
	if err != nil {
		return nil, err
	}
	saved := *s
	if sub != "" {
		if filepath.IsAbs(sub) || strings.HasPrefix(filepath.Clean(sub), "..") {
			return nil, fmt.Errorf("--cgroup %q: must be a relative path inside the container's cgroup", sub)
		}
		paths := make(map[string]string, len(saved.Paths))
		for k, dir := range saved.Paths {
			paths[k] = filepath.Join(dir, sub)
		}
		saved.Paths = paths
	}
	return manager.Load(saved)
}

// startExecInit starts `runo init` in every namespace of the container's init.
func (c *Container) startExecInit(o ExecOptions, namespaces []specs.LinuxNamespace, cg *cgroups.Entrance) (*os.Process, *os.File, error) {
	files := newInitFiles(o.PreserveFDs)
	if o.Console != nil {
		files.add(envConsoleFD, o.Console)
	}
	joins, nsFiles, err := c.openNamespaces(namespaces)
	defer closeFiles(nsFiles)
	if err != nil {
		return nil, nil, err
	}
	return startRunoInit(files, cg, nsenter.Config{
		Stdin:      o.Stdin,
		Stdout:     o.Stdout,
		Stderr:     o.Stderr,
		Namespaces: joins,
	})
}
