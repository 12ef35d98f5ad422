package libcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/rootfs"
	"github.com/runo-project/runo/internal/seccomp"
	"github.com/runo-project/runo/internal/sysprog"
)

// setupNetwork brings up the loopback interface of a new network namespace, as runc does.
func (p *initProcess) setupNetwork() error {
	if !hasNewNamespace(p.spec, specs.NetworkNamespace) {
		return nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	return nil
}

// applySysctl writes linux.sysctl after pivot_root, through runo's own procfs, so that
// per-namespace keys land in the container's namespaces and nowhere else.
func (p *initProcess) applySysctl() error {
	if len(p.spec.Linux.Sysctl) == 0 {
		return nil
	}
	proc, err := p.procfs()
	if err != nil {
		return err
	}
	for key, value := range p.spec.Linux.Sysctl {
		if err := proc.write("sys/"+strings.ReplaceAll(key, ".", "/"), value); err != nil {
			return fmt.Errorf("set sysctl %s: %w", key, err)
		}
	}
	return nil
}

// setupConsole makes the pty of a process with a terminal (addConsole) and, for the
// container's init, makes its slave the container's /dev/console.
func (p *initProcess) setupConsole() error {
	if !p.spec.Process.Terminal {
		return nil
	}
	if p.console == nil {
		return errors.New("process.terminal is set but no console socket was passed")
	}
	defer p.console.Close()
	var console sysprog.Program
	number, err := addConsole(&console, int(p.console.Fd()), p.spec.Process.ConsoleSize)
	if err != nil {
		return err
	}
	if err := runProgram(&console); err != nil {
		return err
	}
	if p.cfg.Exec { // an exec'd process shares the container's /dev/console
		return nil
	}
	return rootfs.MountConsole("/dev/pts/" + strconv.FormatUint(uint64(*number), 10))
}

// applyLimits sets rlimits and the OOM score.
func (p *initProcess) applyLimits() error {
	var limits sysprog.Program
	addRlimits(&limits, p.spec.Process.Rlimits)
	if err := runProgram(&limits); err != nil {
		return err
	}
	if adj := p.spec.Process.OOMScoreAdj; adj != nil {
		proc, err := p.procfs()
		if err != nil {
			return err
		}
		if err := proc.write(proc.self()+"/oom_score_adj", strconv.Itoa(*adj)); err != nil {
			return fmt.Errorf("set oom_score_adj %d: %w", *adj, err)
		}
	}
	return nil
}

// joinKeyring gives the container a session keyring of its own, so that it cannot see the
// host's keys (runc does the same unless --no-new-keyring).
func (p *initProcess) joinKeyring() error {
	if p.cfg.NoNewKeyring {
		return nil
	}
	_, err := unix.KeyctlJoinSessionKeyring("_ses." + p.cfg.State.ID)
	if err != nil && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EACCES) {
		return fmt.Errorf("join session keyring: %w", err)
	}
	return nil
}

// prepareExec enters the working directory, makes the process's environment and looks up the
// executable while the parent still listens, so that `create` (not `start`) fails for a
// missing binary, with the wording of Go's exec.LookPath that runc has and podman matches.
func (p *initProcess) prepareExec() error {
	proc := p.spec.Process
	env, err := processEnv(proc.Env)
	if err != nil {
		return err
	}
	p.env = env
	var cwd sysprog.Program
	if err := addCwd(&cwd, proc.Cwd); err != nil {
		return err
	}
	if err := runProgram(&cwd); err != nil {
		return err
	}
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(root)
	if p.execPath, err = lookPath(root, proc.Cwd, proc.Args[0], env); err != nil {
		return err
	}
	return p.prepareSeccomp()
}

// prepareSeccomp takes the filter the parent compiled from linux.seccomp. With a notify
// action the listener must reach the agent, and only the parent can: the agent's socket is a
// host path. So that filter is loaded now, while the parent listens, and the listener fd
// travels to it; the rest of init's set-up runs under the filter.
func (p *initProcess) prepareSeccomp() error {
	f := p.cfg.Seccomp
	if f == nil {
		return nil
	}
	prog, err := f.filter()
	if err != nil {
		return err
	}
	if !f.Notify {
		p.seccompProg = prog
		return nil
	}
	fd, err := seccomp.Load(prog, f.Flags)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := p.sync.send(syncMsg{Type: msgSeccomp}); err != nil {
		return err
	}
	if err := p.sync.expect(msgSeccompReady); err != nil {
		return err
	}
	return p.sync.sendFD(fd)
}

// exec becomes the container's process: attributes, user, capabilities, no_new_privs, then
// execve, as one system call program (process_program.go).
func (p *initProcess) exec() error {
	proc := p.spec.Process
	// What reads or writes runo's procfs comes before any seccomp filter, which may not allow
	// openat2 (a profile older than the call answers ENOSYS for it). The LSM labels take
	// effect at execve, wherever they are set.
	if err := p.applyLSMLabels(); err != nil {
		return err
	}
	if err := p.closeFDs(3 + p.cfg.PreserveFDs); err != nil {
		return err
	}
	var flags []specs.LinuxSeccompFlag
	if p.cfg.Seccomp != nil {
		flags = p.cfg.Seccomp.Flags
	}
	var prog sysprog.Program
	if err := addProcessEnd(&prog, p.spec.Linux.Personality, proc, p.seccompProg, flags, execPath{Fixed: p.execPath}, p.env); err != nil {
		return err
	}
	return runProgram(&prog)
}

// runProgram prepares and runs a program on the calling thread.
//
// Preconditions: the calling goroutine is locked to the thread that will execve.
func runProgram(p *sysprog.Program) error {
	if err := p.Prepare(); err != nil {
		return err
	}
	return p.Run()
}

// closeFDs marks every fd from first up close-on-exec, so that nothing of runo's (the state
// dir, the bundle, sockets) reaches the container's process: at once with close_range (Linux
// 5.11), or else fd by fd from the list in runo's own procfs (a fake /proc/self/fd in the image
// must not hide an fd).
func (p *initProcess) closeFDs(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("mark fds from %d close-on-exec: %w", first, err)
	}
	proc, err := p.procfs()
	if err != nil {
		return err
	}
	names, err := proc.readDir(proc.self() + "/fd")
	if err != nil {
		return fmt.Errorf("list open fds: %w", err)
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < first || fd == proc.fd {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}
