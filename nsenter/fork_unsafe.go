package nsenter

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
)

// The runtime's fork hooks, as syscall.forkAndExecInChild uses them. The runtime pushes these
// symbols to package syscall by linkname and keeps them for outside users (gVisor among them).

//go:linkname runtime_BeforeFork syscall.runtime_BeforeFork
func runtime_BeforeFork()

//go:linkname runtime_AfterFork syscall.runtime_AfterFork
func runtime_AfterFork()

//go:linkname runtime_AfterForkInChild syscall.runtime_AfterForkInChild
func runtime_AfterForkInChild()

// cloneArgs is struct clone_args of clone3(2).
type cloneArgs struct {
	flags      uint64
	pidFD      uint64
	childTID   uint64
	parentTID  uint64
	exitSignal uint64
	stack      uint64
	stackSize  uint64
	tls        uint64
	setTID     uint64
	setTIDSize uint64
	cgroup     uint64
}

// childArgs is everything the child uses. It is filled in before the fork: the child cannot
// allocate.
type childArgs struct {
	clone3       *cloneArgs       // non-nil: the first fork is clone3 (into a cgroup)
	cloneFlags   uintptr          // namespaces the first fork creates
	tasksFDs     []int            // cgroup v1 tasks files the child writes self ("0") to, first
	self         []byte           // "0"
	joinFDs      []int            // namespace files, in join order (the user namespace last)
	joinFlags    []uintptr        // CLONE_NEW* of each joinFDs entry
	joinUser     bool             // the last join is a user namespace
	newUser      bool             // unshare a user namespace and wait for its maps
	hold         bool             // wait for the parent's Config.Hold before the fds
	stack        []byte           // the child's own stack (childStack), or nil
	setGID       bool             // setresgid(0, 0, 0) and setgroups(0) after the user step
	setUID       bool             // setresuid(0, 0, 0) after the user step
	unshareFlags uintptr          // namespaces unshared after the user step
	newTime      bool             // unshare a time namespace and write its offsets
	timePath     *byte            // "/proc/self/timens_offsets"
	timeOffsets  []byte           // what to write there; empty writes nothing
	fork2        bool             // fork the process that execs (CLONE_PARENT)
	files        []int            // fd i of the new program is files[i]; -1 leaves it closed
	nextFD       int              // above every fd the child is given or holds
	binFD        int              // the binary, O_PATH; -1 with prog
	prog         *sysprog.Program // run instead of executing the binary
	early        *sysprog.Program // run before the joins
	argv, envv   []*byte          // nil-terminated
	empty        *byte            // "" for execveat(AT_EMPTY_PATH)
	errW         int              // write end of the message pipe
	ackR, ackW   int              // the ack pipe; the child reads, the parent writes
}

// forkChild forks the child and, in the parent, returns its pid. The child runs childMain and
// never returns.
//
// After the fork the child is a copy of one thread of a Go process whose other threads are
// gone, some perhaps holding runtime locks. So from runtime_BeforeFork on the child may only
// call RawSyscall/RawSyscall6 (assembly, no stack check) and nosplit functions: no
// allocation, no stack growth (BeforeFork poisons the stack guard), no write barriers (it
// stores only integers), no race instrumentation. Where the child never waits for the parent,
// the first clone is a vfork (vforkFlags): the child runs on the caller's stack, in its
// memory, while the calling thread is suspended until the child execs or exits; it writes
// only its locals and args.files, which the caller no longer reads. The grandchild of fork2
// is then a vfork child of the child in turn. A child that waits for the parent (Config.Hold)
// shares the caller's memory too where it can (childStack): it runs on a stack of its own
// while the caller goes on. Otherwise each has its own copy of memory.
//
//go:noinline
//go:norace
//go:nocheckptr
func forkChild(a *childArgs) (pid uintptr, err1 syscall.Errno) {
	runtime_BeforeFork()
	switch {
	case a.stack != nil:
		pid, err1 = rawClone3OnStack(a.clone3, unsafe.Sizeof(*a.clone3), a)
	case a.clone3 != nil:
		pid, err1 = rawVforkSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(a.clone3)), unsafe.Sizeof(*a.clone3), 0)
	case runtime.GOARCH == "s390x":
		pid, err1 = rawVforkSyscall(syscall.SYS_CLONE, 0, a.cloneFlags|uintptr(syscall.SIGCHLD), 0)
	default:
		pid, err1 = rawVforkSyscall(syscall.SYS_CLONE, a.cloneFlags|uintptr(syscall.SIGCHLD), 0, 0)
	}
	if err1 != 0 || pid != 0 {
		runtime_AfterFork()
		return pid, err1
	}
	childMain(a)
	return 0, 0 // not reached: childMain execs or exits
}

// waitForParent writes a message of kind on errW and waits for the parent's ack on ackR: 0 to
// go on, or the errno the parent sends; EPIPE if the parent went away. It runs in the child
// (see forkChild).
//
//go:nosplit
//go:norace
//go:nocheckptr
func waitForParent(kind int32, errW, ackR int) syscall.Errno {
	var (
		msg = [4]int32{kind}
		ack int32
	)
	_, _, err := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(errW), uintptr(unsafe.Pointer(&msg[0])), msgSize)
	if err != 0 {
		return err
	}
	n, _, err := syscall.RawSyscall(syscall.SYS_READ, uintptr(ackR), uintptr(unsafe.Pointer(&ack)), unsafe.Sizeof(ack))
	switch {
	case err != 0:
		return err
	case n != unsafe.Sizeof(ack):
		return syscall.EPIPE
	}
	return syscall.Errno(ack)
}

// A child on a stack of its own runs while the caller does: it must not write what the caller
// reads. It writes its stack, args.files and its programs' results, which the caller no longer
// reads, and, in runtime_AfterForkInChild, the runtime's inForkedChild flag for a moment, which
// only a cgo runtime reads (in sigaction); runo is built without cgo.

// childMain is the child of forkChild, from the fork to its execve: it joins and creates
// namespaces, puts its fds in place and executes the binary or runs the program, or writes a
// msgError and exits. Every variable is declared before the first system call.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childMain(a *childArgs) {
	var (
		msg    [4]int32 // kind, step, index, value: one atomic write
		i      int
		retry  uint32 // joins the caller's credentials could not make (EPERM)
		step   int32
		index  int32
		fd     []int
		nextFD int
		binFD  int
		errW   int
		timeFD uintptr
		pid    uintptr
		err1   syscall.Errno
	)
	fd = a.files
	nextFD = a.nextFD
	binFD = a.binFD
	errW = a.errW
	index = -1

	// The child. Restore the signal mask and default handlers: no Go handler can run here.
	runtime_AfterForkInChild()
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(a.ackW), 0, 0) // EOF if the parent dies

	// Enter the cgroups, still single-threaded and in the caller's namespaces.
	for i = 0; i < len(a.tasksFDs); i++ {
		_, _, err1 = syscall.RawSyscall(syscall.SYS_WRITE, uintptr(a.tasksFDs[i]), uintptr(unsafe.Pointer(&a.self[0])), uintptr(len(a.self)))
		if err1 != 0 {
			step, index = stepCgroup, int32(i)
			goto childerror
		}
	}

	// The caller's steps for this process that need the caller's namespaces (its /proc).
	if a.early != nil {
		i, err1 = a.early.RunInChild()
		if i != a.early.Len() {
			step, index = stepEarly, int32(i)
			goto childerror
		}
	}

	// Join. Non-user namespaces first: once in another user namespace, the caller's
	// privileges over namespaces owned by its own are gone. A join refused with EPERM is
	// retried after the user namespace, for namespaces owned by it that an unprivileged
	// caller can only join from inside.
	for i = 0; i < len(a.joinFDs); i++ {
		if a.joinUser && i == len(a.joinFDs)-1 {
			break
		}
		_, _, err1 = syscall.RawSyscall(unix.SYS_SETNS, uintptr(a.joinFDs[i]), a.joinFlags[i], 0)
		if err1 == syscall.EPERM && a.joinUser {
			retry |= 1 << uint(i)
			continue
		}
		if err1 != 0 {
			step, index = stepJoin, int32(i)
			goto childerror
		}
	}
	if a.joinUser {
		i = len(a.joinFDs) - 1
		_, _, err1 = syscall.RawSyscall(unix.SYS_SETNS, uintptr(a.joinFDs[i]), a.joinFlags[i], 0)
		if err1 != 0 {
			step, index = stepJoin, int32(i)
			goto childerror
		}
		for i = 0; i < len(a.joinFDs)-1; i++ {
			if retry&(1<<uint(i)) == 0 {
				continue
			}
			_, _, err1 = syscall.RawSyscall(unix.SYS_SETNS, uintptr(a.joinFDs[i]), a.joinFlags[i], 0)
			if err1 != 0 {
				step, index = stepJoin, int32(i)
				goto childerror
			}
		}
	}

	// A new user namespace: make it, then wait while the parent writes its maps.
	if a.newUser {
		_, _, err1 = syscall.RawSyscall(syscall.SYS_UNSHARE, syscall.CLONE_NEWUSER, 0, 0)
		if err1 != 0 {
			step = stepUnshareUser
			goto childerror
		}
		err1 = waitForParent(msgMaps, errW, a.ackR)
		if err1 != 0 {
			step = stepMaps
			goto childerror
		}
	}

	// Become root of the user namespace: execve keeps capabilities only for its root, and
	// our uid 0 is a host id that the namespace need not map.
	if a.setGID {
		_, _, err1 = syscall.RawSyscall(unix.SYS_SETRESGID, 0, 0, 0)
		if err1 != 0 {
			step = stepRoot
			goto childerror
		}
		// Drop the host's supplementary groups; "deny" in an ancestor's setgroups forbids
		// it, and then the groups stay unmapped, which grants nothing.
		syscall.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0)
	}
	if a.setUID {
		_, _, err1 = syscall.RawSyscall(unix.SYS_SETRESUID, 0, 0, 0)
		if err1 != 0 {
			step = stepRoot
			goto childerror
		}
	}

	if a.unshareFlags != 0 {
		_, _, err1 = syscall.RawSyscall(syscall.SYS_UNSHARE, a.unshareFlags, 0, 0)
		if err1 != 0 {
			step = stepUnshare
			goto childerror
		}
	}

	// A new time namespace takes its offsets while no process is in it: unshare sets only the
	// namespace of our next children and of our execve, so write them now, before both.
	if a.newTime {
		_, _, err1 = syscall.RawSyscall(syscall.SYS_UNSHARE, unix.CLONE_NEWTIME, 0, 0)
		if err1 != 0 {
			step = stepTime
			goto childerror
		}
		if len(a.timeOffsets) > 0 {
			timeFD, _, err1 = syscall.RawSyscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(a.timePath)),
				uintptr(syscall.O_WRONLY|syscall.O_CLOEXEC), 0, 0, 0)
			if err1 != 0 {
				step = stepTime
				goto childerror
			}
			_, _, err1 = syscall.RawSyscall(syscall.SYS_WRITE, timeFD, uintptr(unsafe.Pointer(&a.timeOffsets[0])), uintptr(len(a.timeOffsets)))
			syscall.RawSyscall(syscall.SYS_CLOSE, timeFD, 0, 0)
			if err1 != 0 {
				step = stepTime
				goto childerror
			}
		}
	}

	// Wait while the parent's Config.Hold runs.
	if a.hold {
		err1 = waitForParent(msgHold, errW, a.ackR)
		if err1 != 0 {
			step = stepHold
			goto childerror
		}
	}

	// The pid namespace applies to children only: the process that execs is one more fork
	// down, made a child of our parent so that the caller can wait for it.
	if a.fork2 {
		if runtime.GOARCH == "s390x" {
			pid, err1 = rawVforkSyscall(syscall.SYS_CLONE, 0, a.cloneFlags&vforkFlags|syscall.CLONE_PARENT|uintptr(syscall.SIGCHLD), 0)
		} else {
			pid, err1 = rawVforkSyscall(syscall.SYS_CLONE, a.cloneFlags&vforkFlags|syscall.CLONE_PARENT|uintptr(syscall.SIGCHLD), 0, 0)
		}
		if err1 != 0 {
			step = stepFork
			goto childerror
		}
		if pid != 0 {
			// A vfork grandchild has run on this stack until its execve, and moved errW: use
			// the number this process has, from a.
			msg[0], msg[1], msg[2], msg[3] = msgPid, 0, 0, int32(pid)
			syscall.RawSyscall(syscall.SYS_WRITE, uintptr(a.errW), uintptr(unsafe.Pointer(&msg[0])), msgSize)
			for {
				syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
			}
		}
	}

	// Put the fds in place, as syscall.forkAndExecInChild1 does. First move our own two above
	// everything, then any given fd that pass 2 would overwrite before using it.
	step = stepFiles
	_, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(errW), uintptr(nextFD), syscall.O_CLOEXEC)
	if err1 != 0 {
		goto childerror
	}
	errW = nextFD
	nextFD++
	if binFD >= 0 {
		_, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(binFD), uintptr(nextFD), syscall.O_CLOEXEC)
		if err1 != 0 {
			goto childerror
		}
		binFD = nextFD
		nextFD++
	}
	for i = 0; i < len(fd); i++ {
		if fd[i] >= 0 && fd[i] < i {
			_, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(fd[i]), uintptr(nextFD), syscall.O_CLOEXEC)
			if err1 != 0 {
				goto childerror
			}
			fd[i] = nextFD
			nextFD++
		}
	}
	for i = 0; i < len(fd); i++ {
		if fd[i] == -1 {
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
			continue
		}
		if fd[i] == i {
			// dup3(i, i) is refused; clear close-on-exec instead.
			_, _, err1 = syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(i), syscall.F_SETFD, 0)
		} else {
			// The new fd is not close-on-exec.
			_, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(fd[i]), uintptr(i), 0)
		}
		if err1 != 0 {
			goto childerror
		}
	}

	// A program ends in its own execve, of a path in the namespaces just entered.
	if a.prog != nil {
		step = stepProgram
		i, err1 = a.prog.RunInChild()
		index = int32(i)
		goto childerror
	}

	// Execute through the fd opened in the caller's mount namespace: a joined mount
	// namespace need not hold the binary, nor /proc.
	step = stepExec
	_, _, err1 = syscall.RawSyscall6(unix.SYS_EXECVEAT, uintptr(binFD), uintptr(unsafe.Pointer(a.empty)),
		uintptr(unsafe.Pointer(&a.argv[0])), uintptr(unsafe.Pointer(&a.envv[0])), unix.AT_EMPTY_PATH, 0)

childerror:
	msg[0], msg[1], msg[2], msg[3] = msgError, step, index, int32(err1)
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(errW), uintptr(unsafe.Pointer(&msg[0])), msgSize)
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 253, 0, 0)
	}
}

// atFDCWD is AT_FDCWD (-100) as a system call argument.
const atFDCWD = ^uintptr(99)
