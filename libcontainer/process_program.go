package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/capabilities"
	"github.com/runo-project/runo/internal/cpuset"
	"github.com/runo-project/runo/internal/seccomp"
	"github.com/runo-project/runo/internal/sysprog"
	"github.com/runo-project/runo/specconv"
)

// The last steps of a container's process, from "in the container" to its execve, are system
// call programs (package sysprog), built here once for both ways a process starts: `runo init`
// runs them on its locked main thread; `runo exec` has nsenter's raw child run them, without
// a second Go program in between. Each step's error keeps the words init has always used.

// Scheduling policies and flags of sched_setattr(2), by the spec's names.
var (
	schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
		specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
		specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
	}
	schedFlags = map[specs.LinuxSchedulerFlag]uint64{
		specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02,
		specs.SchedFlagDLOverrun: 0x04, specs.SchedFlagKeepPolicy: 0x08,
		specs.SchedFlagKeepParams: 0x10, specs.SchedFlagUtilClampMin: 0x20,
		specs.SchedFlagUtilClampMax: 0x40,
	}
	ioPriorityClasses = map[specs.IOPriorityClass]int{
		specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
	}
)

// addRlimits adds the steps that set the process's rlimits (prlimit64 on itself).
func addRlimits(p *sysprog.Program, rlimits []specs.POSIXRlimit) {
	for _, r := range rlimits {
		res, _ := specconv.RlimitResource(r.Type) // validated by specconv
		lim := &unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRLIMIT64,
			Args: [6]uintptr{0, uintptr(res), p.Ptr(lim, unsafe.Pointer(lim))},
			Err: func(errno syscall.Errno) error {
				return fmt.Errorf("set rlimit %s soft %d hard %d: %w", r.Type, r.Soft, r.Hard, errno)
			},
		})
	}
}

// addOOMScoreAdj adds the steps that set the process's OOM score adjustment through procfs:
// path, relative to dir, is the process's own oom_score_adj in a procfs of runo's pid
// namespace ("/proc/self/oom_score_adj" for a program that runs in runo's own mount namespace,
// nsenter's Config.Early).
func addOOMScoreAdj(p *sysprog.Program, dir uintptr, path string, adj int) error {
	const file = "/proc/self/oom_score_adj"
	pathPtr, err := p.String(path)
	if err != nil {
		return err
	}
	value := []byte(strconv.Itoa(adj))
	fail := func(op string) func(syscall.Errno) error {
		return func(errno syscall.Errno) error {
			return fmt.Errorf("set oom_score_adj %d: %s %s: %w", adj, op, file, errno)
		}
	}
	open := p.Add(sysprog.Step{
		Trap: unix.SYS_OPENAT,
		Args: [6]uintptr{dir, pathPtr, unix.O_WRONLY | unix.O_CLOEXEC},
		Err:  fail("open"),
	})
	p.Add(sysprog.Step{
		Trap: unix.SYS_WRITE, From: open + 1, FromArg: 0,
		Args: [6]uintptr{0, p.Ptr(value, unsafe.Pointer(&value[0])), uintptr(len(value))},
		Err:  fail("write"),
	})
	p.Add(sysprog.Step{Trap: unix.SYS_CLOSE, From: open + 1, FromArg: 0, Err: fail("close")})
	return nil
}

// ptmx is the pty multiplexer in the container, and the name runc sends with the master.
const ptmx = "/dev/ptmx"

// addConsole adds the steps that make a pty from the container's /dev/ptmx, send its master
// over the console socket (fd socket) as runc does (the payload is the master's name, the fd
// travels as SCM_RIGHTS), and make its slave the process's controlling terminal and stdio. The
// slave is opened through the master (TIOCGPTPEER), not by a path the container could
// redirect. It returns where the pty's number will be once the steps ran.
func addConsole(p *sysprog.Program, socket int, size *specs.Box) (*uint32, error) {
	path, err := p.String(ptmx)
	if err != nil {
		return nil, err
	}
	fail := func(what string) func(syscall.Errno) error {
		return func(errno syscall.Errno) error { return fmt.Errorf("%s: %w", what, errno) }
	}
	// The control message carries one fd, the master's, written there when it is opened.
	rights := unix.UnixRights(0)
	masterFD := (*int32)(unsafe.Pointer(&rights[unix.CmsgLen(0)]))
	master := p.Add(sysprog.Step{
		Trap:  unix.SYS_OPENAT,
		Args:  [6]uintptr{atFDCWD, path, unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC},
		Store: masterFD,
		Err:   fail("open " + ptmx),
	})
	onMaster := func(req uintptr, arg uintptr, what string) int {
		return p.Add(sysprog.Step{Trap: unix.SYS_IOCTL, Args: [6]uintptr{0, req, arg}, From: master + 1, Err: fail(what)})
	}
	unlock := new(int32)
	onMaster(unix.TIOCSPTLCK, p.Ptr(unlock, unsafe.Pointer(unlock)), "unlock pty")
	number := new(uint32)
	onMaster(unix.TIOCGPTN, p.Ptr(number, unsafe.Pointer(number)), "get pty number")
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		onMaster(unix.TIOCSWINSZ, p.Ptr(ws, unsafe.Pointer(ws)), "set console size")
	}
	name := []byte(ptmx)
	iov := &unix.Iovec{Base: &name[0]}
	iov.SetLen(len(name))
	msg := &unix.Msghdr{Iov: iov, Control: &rights[0]}
	msg.SetIovlen(1)
	msg.SetControllen(len(rights))
	p.Ptr(name, unsafe.Pointer(&name[0]))
	p.Ptr(iov, unsafe.Pointer(iov))
	p.Ptr(rights, unsafe.Pointer(&rights[0]))
	p.Add(sysprog.Step{
		Trap: unix.SYS_SENDMSG,
		Args: [6]uintptr{uintptr(socket), p.Ptr(msg, unsafe.Pointer(msg)), 0},
		Err:  fail("send pty master over console socket"),
	})
	slave := onMaster(unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, "open pty slave")
	for fd := 0; fd < 3; fd++ {
		p.Add(sysprog.Step{
			Trap: unix.SYS_DUP3, Args: [6]uintptr{0, uintptr(fd), 0}, From: slave + 1,
			Err: fail("dup pty onto fd " + strconv.Itoa(fd)),
		})
	}
	// Init may wait for `runo start` long after: it must hold neither end.
	p.Add(sysprog.Step{Trap: unix.SYS_CLOSE, From: slave + 1, Err: fail("close pty slave")})
	p.Add(sysprog.Step{Trap: unix.SYS_CLOSE, From: master + 1, Err: fail("close pty master")})
	p.Add(sysprog.Step{Trap: unix.SYS_SETSID, Err: fail("setsid")})
	p.Add(sysprog.Step{Trap: unix.SYS_IOCTL, Args: [6]uintptr{0, unix.TIOCSCTTY, 0}, Err: fail("set controlling terminal")})
	return number, nil
}

// atFDCWD is AT_FDCWD (-100) as a system call argument.
const atFDCWD = ^uintptr(99)

// addCwd adds the steps that enter the working directory and check it is inside the
// container's root: CVE-2024-21626, a cwd that resolves through a stray fd lands outside it,
// which getcwd reports by prefixing the path with "(unreachable)".
func addCwd(p *sysprog.Program, cwd string) error {
	path, err := p.String(cwd)
	if err != nil {
		return fmt.Errorf("process.cwd %q: %w", cwd, err)
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_CHDIR,
		Args: [6]uintptr{path},
		Err: func(errno syscall.Errno) error {
			return fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", cwd, errno)
		},
	})
	buf := make([]byte, unix.PathMax)
	p.Add(sysprog.Step{
		Trap:  unix.SYS_GETCWD,
		Args:  [6]uintptr{p.Ptr(buf, unsafe.Pointer(&buf[0])), uintptr(len(buf))},
		Check: &buf[0],
		Want:  '/',
		Err: func(errno syscall.Errno) error {
			if errno == 0 {
				return fmt.Errorf("cwd %q set in config.json is outside the container's root filesystem", cwd)
			}
			return fmt.Errorf("check cwd %q: %w", cwd, errno)
		},
	})
	return nil
}

// addCloseFrom adds the step that marks every fd from first up close-on-exec, so that nothing
// of runo's reaches the process (close_range, Linux 5.11).
func addCloseFrom(p *sysprog.Program, first int) {
	p.Add(sysprog.Step{
		Trap: unix.SYS_CLOSE_RANGE,
		Args: [6]uintptr{uintptr(first), uintptr(^uint32(0)), unix.CLOSE_RANGE_CLOEXEC},
		Err: func(errno syscall.Errno) error {
			return fmt.Errorf("mark fds from %d close-on-exec: %w", first, errno)
		},
	})
}

// addProcessAttrs adds the steps that set what the spec asks of the process besides its user
// and capabilities: personality, scheduler, I/O priority and the final CPU affinity. They are
// per thread (or per process), survive execve, and need privileges the process may not keep,
// so they come first.
func addProcessAttrs(p *sysprog.Program, pers *specs.LinuxPersonality, proc *specs.Process) error {
	if pers != nil {
		if err := addPersonality(p, pers); err != nil {
			return err
		}
	}
	if s := proc.Scheduler; s != nil {
		if err := addScheduler(p, s); err != nil {
			return err
		}
	}
	if io := proc.IOPriority; io != nil {
		class, ok := ioPriorityClasses[io.Class]
		if !ok {
			return fmt.Errorf("process.ioPriority.class: unknown class %q", io.Class)
		}
		const whoProcess = 1
		p.Add(sysprog.Step{
			Trap: unix.SYS_IOPRIO_SET,
			Args: [6]uintptr{whoProcess, 0, uintptr(class<<13 | io.Priority)},
			Err: func(errno syscall.Errno) error {
				return fmt.Errorf("set I/O priority %s %d: %w", io.Class, io.Priority, errno)
			},
		})
	}
	if aff := proc.ExecCPUAffinity; aff != nil && aff.Final != "" {
		if err := addAffinity(p, aff.Final, "process.execCPUAffinity.final"); err != nil {
			return err
		}
	}
	return nil
}

func addPersonality(p *sysprog.Program, pers *specs.LinuxPersonality) error {
	var domain uintptr
	switch pers.Domain {
	case specs.PerLinux:
		domain = 0x0000
	case specs.PerLinux32:
		domain = 0x0008
	default:
		return fmt.Errorf("linux.personality.domain: unknown domain %q", pers.Domain)
	}
	if len(pers.Flags) > 0 {
		return fmt.Errorf("linux.personality.flags: %v: no flags are supported", pers.Flags)
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_PERSONALITY,
		Args: [6]uintptr{domain},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("set personality %s: %w", pers.Domain, errno) },
	})
	return nil
}

func addScheduler(p *sysprog.Program, s *specs.Scheduler) error {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return fmt.Errorf("process.scheduler.policy: unknown policy %q", s.Policy)
	}
	attr := &unix.SchedAttr{
		Size: unix.SizeofSchedAttr, Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
	}
	for _, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return fmt.Errorf("process.scheduler.flags: unknown flag %q", f)
		}
		attr.Flags |= v
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_SCHED_SETATTR,
		Args: [6]uintptr{0, p.Ptr(attr, unsafe.Pointer(attr)), 0},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("set scheduler %s: %w", s.Policy, errno) },
	})
	return nil
}

// addAffinity adds the step that pins the process to the CPUs of list; field names it.
func addAffinity(p *sysprog.Program, list, field string) error {
	set, err := cpuset.Parse(list)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_SCHED_SETAFFINITY,
		Args: [6]uintptr{0, unsafe.Sizeof(set), p.Ptr(&set, unsafe.Pointer(&set))},
		Err: func(errno syscall.Errno) error {
			return fmt.Errorf("%s: set cpu affinity %s: %w", field, list, errno)
		},
	})
	return nil
}

// addProcessEnd adds the steps from the process's attributes to its execve of path with env:
// the end of every container process's start, init's and exec's alike. filter is
// linux.seccomp compiled, or nil.
func addProcessEnd(p *sysprog.Program, pers *specs.LinuxPersonality, proc *specs.Process, filter []unix.SockFilter, flags []specs.LinuxSeccompFlag, path execPath, env []string) error {
	if err := addProcessAttrs(p, pers, proc); err != nil {
		return err
	}
	if err := addCredentials(p, proc, filter, flags); err != nil {
		return err
	}
	return addExec(p, path, proc.Args, env)
}

// addCredentials adds the steps that make the process's privileges: the seccomp filter
// (compiled, or nil), the bounding set, user and groups, capabilities and no_new_privs, in the
// order the kernel allows them.
//
// A notify filter is not loaded here: init loads it earlier, to pass its listener on.
func addCredentials(p *sysprog.Program, proc *specs.Process, filter []unix.SockFilter, flags []specs.LinuxSeccompFlag) error {
	var caps capabilities.Sets
	lastCap := 0
	if proc.Capabilities != nil {
		var err error
		if lastCap, err = capabilities.LastCap(); err != nil {
			return err
		}
		caps, _ = capabilities.Parse(proc.Capabilities, lastCap)
		caps = capabilities.Available(caps, lastCap)
	}
	if !proc.NoNewPrivileges && filter != nil {
		// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while the
		// process still has it. The profile then also sees the few calls that drop
		// privileges below.
		if err := seccomp.AddLoad(p, filter, flags); err != nil {
			return err
		}
	}
	if proc.Capabilities != nil {
		capabilities.AddDropBounding(p, caps, lastCap)
	}
	addUser(p, proc.User, proc.Capabilities != nil)
	if proc.Capabilities != nil {
		capabilities.AddApply(p, caps)
	}
	if proc.NoNewPrivileges {
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRCTL,
			Args: [6]uintptr{unix.PR_SET_NO_NEW_PRIVS, 1},
			Err:  func(errno syscall.Errno) error { return fmt.Errorf("set no_new_privs: %w", errno) },
		})
		// As late as possible: the filter is for the container's program, not for runo.
		if filter != nil {
			if err := seccomp.AddLoad(p, filter, flags); err != nil {
				return err
			}
		}
	}
	return nil
}

// addUser adds the steps that switch to the process's user. With keepCaps the permitted set
// survives the switch away from uid 0, so that the capability steps can set it afterwards.
// The raw calls change the calling thread only, the one that execs.
func addUser(p *sysprog.Program, u specs.User, keepCaps bool) {
	if keepCaps {
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRCTL,
			Args: [6]uintptr{unix.PR_SET_KEEPCAPS, 1},
			Err:  func(errno syscall.Errno) error { return fmt.Errorf("set keepcaps: %w", errno) },
		})
	}
	groups := sysprog.Step{Trap: sysSetgroups}
	if len(u.AdditionalGids) > 0 {
		gids := append([]uint32(nil), u.AdditionalGids...)
		groups.Args = [6]uintptr{uintptr(len(gids)), p.Ptr(gids, unsafe.Pointer(&gids[0]))}
	} else {
		// setgroups is refused in a user namespace whose setgroups file says deny; then
		// there are no groups to set anyway.
		groups.Ignore = unix.EPERM
	}
	groups.Err = func(errno syscall.Errno) error { return fmt.Errorf("setgroups %v: %w", u.AdditionalGids, errno) }
	p.Add(groups)
	p.Add(sysprog.Step{
		Trap: sysSetresgid,
		Args: [6]uintptr{uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("setgid %d: %w", u.GID, errno) },
	})
	p.Add(sysprog.Step{
		Trap: sysSetresuid,
		Args: [6]uintptr{uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("setuid %d: %w", u.UID, errno) },
	})
	if u.Umask != nil {
		p.Add(sysprog.Step{Trap: unix.SYS_UMASK, Args: [6]uintptr{uintptr(*u.Umask)}})
	}
	if keepCaps {
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRCTL,
			Args: [6]uintptr{unix.PR_SET_KEEPCAPS, 0},
			Err:  func(errno syscall.Errno) error { return fmt.Errorf("clear keepcaps: %w", errno) },
		})
	}
}

// addExec adds the execve of path with args and env.
func addExec(p *sysprog.Program, path execPath, args, env []string) error {
	name, err := path.addr(p)
	if err != nil {
		return err
	}
	argv, err := p.Strings(args)
	if err != nil {
		return fmt.Errorf("process.args: %w", err)
	}
	envv, err := p.Strings(env)
	if err != nil {
		return fmt.Errorf("process.env: %w", err)
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_EXECVE,
		Args: [6]uintptr{name, argv, envv},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("exec %s: %w", path.name(), errno) },
	})
	return nil
}

// execPath is the path a program executes: Fixed, or, with From set, one the program reads
// from an fd as its first step because the parent looks it up only after the program's child
// exists (startDirect).
type execPath struct {
	Fixed string
	From  *pathReader
}

// pathReader is where a program reads the path it executes: fd in the child, into buf,
// NUL-terminated (the read leaves buf's last byte). sent is what the parent wrote, for errors.
type pathReader struct {
	fd   int
	buf  []byte
	sent string
}

func (e execPath) name() string {
	if e.From != nil {
		return e.From.sent
	}
	return e.Fixed
}

// addr returns the path's address as a system call argument.
func (e execPath) addr(p *sysprog.Program) (uintptr, error) {
	if e.From == nil {
		name, err := p.String(e.Fixed)
		if err != nil {
			return 0, fmt.Errorf("exec %s: %w", e.Fixed, err)
		}
		return name, nil
	}
	return p.Ptr(e.From.buf, unsafe.Pointer(&e.From.buf[0])), nil
}

// addReadPath adds the step that reads the path r's parent sends.
func addReadPath(p *sysprog.Program, r *pathReader) {
	p.Add(sysprog.Step{
		Trap: unix.SYS_READ,
		Args: [6]uintptr{uintptr(r.fd), p.Ptr(r.buf, unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf) - 1)},
		Err: func(errno syscall.Errno) error {
			return fmt.Errorf("read the path of the executable: %w", errno)
		},
	})
}

// processEnv turns process.env into the environment the process gets, as setting each entry in
// order would: a later entry of a key replaces the earlier one in its place.
func processEnv(list []string) ([]string, error) {
	env := make([]string, 0, len(list))
	index := make(map[string]int, len(list))
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" || strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("set env %s: %w", k, os.NewSyscallError("setenv", unix.EINVAL))
		}
		if i, ok := index[k]; ok {
			env[i] = k + "=" + v
			continue
		}
		index[k] = len(env)
		env = append(env, k+"="+v)
	}
	return env, nil
}
