package nsenter

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
)

// Config describes the process to start and the namespaces it must be in when it runs Path.
type Config struct {
	// Path is the binary to run. It is opened by the caller's process, in the caller's mount
	// namespace, and executed through that descriptor, so it need not exist in a joined mount
	// namespace.
	Path string
	// Binary, when set, is an open file of the binary to run instead of Path (which then only
	// names it in errors): the caller may have opened it somewhere safer than a path can reach.
	Binary *os.File
	// Program, when set, is run instead of executing Path, after the namespace steps and with
	// the fds in place: the child makes its system calls (sysprog.Program.Prepare'd), the last
	// of which should be an execve in the namespaces entered. Path, Binary, Args and Env are
	// then unused but for naming Path in errors.
	Program *sysprog.Program
	// Early, when set, is a prepared program the child runs right after entering the cgroups,
	// still in the caller's namespaces: what needs the caller's /proc, say.
	Early *sysprog.Program
	Args  []string // Args[0] included; empty means {Path}, as in os/exec
	Env   []string // nil means os.Environ(), as in os/exec
	// Stdin, Stdout and Stderr become fds 0, 1 and 2; nil means /dev/null, as in os/exec.
	Stdin      *os.File
	Stdout     *os.File
	Stderr     *os.File
	ExtraFiles []*os.File // become fds 3, 4, ... in the child; a nil entry leaves that fd closed

	// Namespaces as in linux.namespaces: an empty Path asks for a new namespace, a Path joins
	// one. A new time namespace is not made here: the child makes it with UnshareTime.
	Namespaces  []specs.LinuxNamespace
	UIDMappings []specs.LinuxIDMapping // for a new user namespace
	GIDMappings []specs.LinuxIDMapping // for a new user namespace
	// DenySetgroups writes "deny" to the new user namespace's setgroups file before its gid
	// map. The kernel requires it when an unprivileged (rootless) caller maps gids; setgroups
	// then stays denied in the namespace and its descendants.
	DenySetgroups bool

	// TimeOffsets are the offsets of a new time namespace (linux.timeOffsets).
	TimeOffsets map[string]specs.LinuxTimeOffset

	// Cgroup, if set, is an open directory of a cgroup v2 group that the child is created in
	// (clone3 with CLONE_INTO_CGROUP). A new cgroup namespace is then rooted at that group;
	// without it a new cgroup namespace is rooted at the caller's own cgroup, whatever the
	// caller does with the child's pid afterwards. A kernel without CLONE_INTO_CGROUP (before
	// 5.7) makes Start fail with ErrNoCloneIntoCgroup.
	Cgroup *os.File
	// Hold, when set, is called with the child's pid (in the caller's pid namespace) once the
	// child has entered its cgroups, run Early and made its namespaces, and before it puts its
	// fds in place and runs Program or executes Path: the child waits meanwhile, and goes on
	// when Hold returns nil. An error of Hold is Start's, the child exiting. Hold runs on the
	// goroutine that called Start, which the child does not suspend as a vfork child would:
	// it shares the caller's memory on a stack of its own (amd64; where the kernel lets it
	// share memory at all, see plan.mayShareMemory), or has a copy of it. A joined pid
	// namespace, which needs a second fork, is refused (ErrHoldFork).
	Hold func(pid int) error

	// CgroupTasks are cgroup v1 "tasks" files, open for writing. The child writes "0" to each
	// before anything else, moving itself into those cgroups. A single-threaded process that
	// moves itself spares the kernel's global threadgroup lock, which moving another process
	// (a pid written to cgroup.procs) takes for writing, waiting for an RCU grace period:
	// several milliseconds per container start.
	CgroupTasks []*os.File
}

// Start starts the process described by c and returns it. The process is a child of the
// caller: the caller waits for it with (*os.Process).Wait.
//
// Start forks a single-threaded child with a raw clone (fork_unsafe.go; the protocol is drawn
// in protocol.go); that child joins and creates the namespaces and executes Path. When the child must itself
// be in a pid namespace that it can only enter for its children, it forks once more with
// CLONE_PARENT: the process returned is then that grandchild, still a child of the caller,
// and Start has already reaped the process in between. The caller need not be a subreaper.
//
// Unlike os/exec, the child does not restore the RLIMIT_NOFILE soft limit that the Go runtime
// raised at start-up (the original is private to package syscall): it inherits the caller's.
func Start(c *Config) (*os.Process, error) {
	// os.FindProcess below probes once per process whether pidfds work, with a clone of its
	// own that it waits for; made after the child has exec'd, that wait competes with the
	// child's start for the CPUs. Made now, it overlaps with the fork.
	go probePidfd()
	p, err := newPlan(c.Namespaces)
	if err != nil {
		return nil, err
	}
	s, err := prepare(c, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	child, errno := forkChild(&s.args)
	s.afterFork()
	if errno != 0 {
		if s.args.clone3 != nil && (errno == unix.ENOSYS || errno == unix.E2BIG) {
			return nil, fmt.Errorf("clone child for %s: %w (%w)", c.Path, ErrNoCloneIntoCgroup, errno)
		}
		return nil, fmt.Errorf("clone child for %s: %w", c.Path, errno)
	}
	pid, err := s.serve(int(child), c)
	if err != nil {
		return nil, err
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("find started process %d: %w", pid, err)
	}
	return proc, nil
}

// probePidfd makes os.FindProcess's one-time pidfd probe.
func probePidfd() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
}

// start holds what the parent opened for one Start and the arguments of the raw child.
type start struct {
	args   childArgs
	joins  []specs.LinuxNamespace // in the order of args.joinFDs
	keep   []*os.File             // the caller's files: kept alive until the fork is done
	owned  []int                  // fds Start opened: closed when it returns
	errR   int                    // parent's end of the message pipe
	ackW   int                    // parent's end of the ack pipe
	forked bool
}

// prepare opens and formats everything the child needs: after the fork the child may not
// allocate, so argv, envp, descriptors and paths must exist before it.
func prepare(c *Config, p plan) (*start, error) {
	s := &start{joins: p.joins, errR: -1, ackW: -1}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	a := &s.args
	a.cloneFlags = p.cloneFlags
	a.hold = c.Hold != nil
	if a.hold && p.fork2 {
		return nil, fmt.Errorf("start %s: %w", c.Path, ErrHoldFork)
	}
	switch {
	case p.mayShareMemory() && !a.hold:
		a.cloneFlags |= vforkFlags
	case p.mayShareMemory() && childStackSupported:
		// The child waits while the caller runs Hold: it cannot borrow the caller's stack, but
		// it can share its memory on a stack of its own. Copying the memory would cost the
		// page tables and every page either side writes until the child's execve.
		stack, err := unix.Mmap(-1, 0, childStackSize, unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_STACK)
		if err != nil {
			return nil, fmt.Errorf("map stack for child: %w", err)
		}
		a.stack = stack
		a.cloneFlags |= unix.CLONE_VM
	}
	a.newUser = p.newUser
	a.unshareFlags = p.unshareFlags
	a.fork2 = p.fork2
	if p.newTime {
		offsets, err := formatTimeOffsets(c.TimeOffsets)
		if err != nil {
			return nil, err
		}
		a.newTime, a.timeOffsets = true, offsets
		if a.timePath, err = syscall.BytePtrFromString("/proc/self/timens_offsets"); err != nil {
			return nil, err
		}
	}
	a.joinUser = len(p.joins) > 0 && p.joins[len(p.joins)-1].Type == specs.UserNamespace
	if p.enterUser {
		// A process keeps its capabilities across execve only as root of its user namespace;
		// a new namespace without a map for 0 stays unmapped, as os/exec leaves it.
		a.setGID = !p.newUser || mapsRoot(c.GIDMappings)
		a.setUID = !p.newUser || mapsRoot(c.UIDMappings)
	}

	a.early = c.Early
	if c.Program != nil {
		a.prog, a.binFD = c.Program, -1
	} else if err := s.binary(c); err != nil {
		return nil, err
	}
	for _, ns := range p.joins {
		fd, err := s.open(ns.Path, unix.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("open %s namespace %s: %w", ns.Type, ns.Path, err)
		}
		a.joinFDs = append(a.joinFDs, fd)
		a.joinFlags = append(a.joinFlags, kinds[ns.Type].flag)
	}
	if err := s.files(c); err != nil {
		return nil, err
	}
	for _, f := range c.CgroupTasks {
		s.keep = append(s.keep, f)
		a.tasksFDs = append(a.tasksFDs, int(f.Fd()))
	}
	a.self = []byte("0")
	if c.Cgroup != nil {
		s.keep = append(s.keep, c.Cgroup)
		a.clone3 = &cloneArgs{
			flags:      uint64(a.cloneFlags) | unix.CLONE_INTO_CGROUP,
			exitSignal: uint64(unix.SIGCHLD),
			cgroup:     uint64(c.Cgroup.Fd()),
		}
	}
	if a.stack != nil {
		if a.clone3 == nil {
			a.clone3 = &cloneArgs{flags: uint64(a.cloneFlags), exitSignal: uint64(unix.SIGCHLD)}
		}
		a.clone3.stack = uint64(uintptr(unsafe.Pointer(&a.stack[0])))
		a.clone3.stackSize = uint64(len(a.stack))
	}

	var msg, ack [2]int
	if err := unix.Pipe2(msg[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("make message pipe: %w", err)
	}
	s.owned = append(s.owned, msg[0], msg[1])
	if err := unix.Pipe2(ack[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("make ack pipe: %w", err)
	}
	s.owned = append(s.owned, ack[0], ack[1])
	s.errR, a.errW = msg[0], msg[1]
	a.ackR, a.ackW, s.ackW = ack[0], ack[1], ack[1]

	// The child moves its own descriptors above every fd it is given, so that putting the
	// given ones in place cannot overwrite them.
	a.nextFD = max(len(a.files), a.binFD, a.errW, a.ackR) + 1
	for _, fd := range a.files {
		a.nextFD = max(a.nextFD, fd+1)
	}
	ok = true
	return s, nil
}

// binary opens the binary to execute and formats its argv and envp.
func (s *start) binary(c *Config) error {
	a := &s.args
	args := c.Args
	if len(args) == 0 {
		args = []string{c.Path}
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	var err error
	if a.argv, err = syscall.SlicePtrFromStrings(args); err != nil {
		return fmt.Errorf("arguments of %s: %w", c.Path, err)
	}
	if a.envv, err = syscall.SlicePtrFromStrings(env); err != nil {
		return fmt.Errorf("environment of %s: %w", c.Path, err)
	}
	a.argv = append(a.argv, nil)
	a.envv = append(a.envv, nil)
	a.empty = new(byte)
	if c.Binary != nil {
		s.keep = append(s.keep, c.Binary)
		a.binFD = int(c.Binary.Fd())
	} else if a.binFD, err = s.open(c.Path, unix.O_PATH); err != nil {
		// O_PATH: execveat needs no read permission, only execute, as execve by name would.
		return fmt.Errorf("open %s: %w", c.Path, err)
	}
	return nil
}

// files lays out the child's fds 0, 1, 2, 3, ... as os/exec does.
func (s *start) files(c *Config) error {
	std := []struct {
		f    *os.File
		flag int
	}{{c.Stdin, unix.O_RDONLY}, {c.Stdout, unix.O_WRONLY}, {c.Stderr, unix.O_WRONLY}}
	for _, e := range std {
		if e.f == nil {
			fd, err := s.open(os.DevNull, e.flag)
			if err != nil {
				return fmt.Errorf("open %s: %w", os.DevNull, err)
			}
			s.args.files = append(s.args.files, fd)
			continue
		}
		s.keep = append(s.keep, e.f)
		s.args.files = append(s.args.files, int(e.f.Fd()))
	}
	for _, f := range c.ExtraFiles {
		if f == nil {
			s.args.files = append(s.args.files, -1)
			continue
		}
		s.keep = append(s.keep, f)
		s.args.files = append(s.args.files, int(f.Fd()))
	}
	return nil
}

// open opens path close-on-exec and records the fd for close.
func (s *start) open(path string, flag int) (int, error) {
	for {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, err
		}
		s.owned = append(s.owned, fd)
		return fd, nil
	}
}

// afterFork closes the child's ends of the pipes in the parent, so that the message pipe reads
// EOF once every child has exec'd or exited.
func (s *start) afterFork() {
	// The fds were handed to the child by number: their files must not be collected (and
	// closed by a finalizer) before the fork.
	runtime.KeepAlive(s.keep)
	s.closeFD(s.args.errW)
	s.closeFD(s.args.ackR)
	s.forked = true
}

func (s *start) closeFD(fd int) {
	for i, o := range s.owned {
		if o == fd {
			unix.Close(fd)
			s.owned[i] = -1
		}
	}
}

// childStackSize is the size of the stack of a child that shares the caller's memory while the
// caller goes on (Config.Hold): childMain's frames and the system call programs', a few KiB.
const childStackSize = 64 << 10

func (s *start) close() {
	// The child is past its execve or gone once Start returns: the stack is free. (The message
	// pipe reads EOF only when its end closes: at execve after the new memory is in place, or at
	// exit after the old one is released; a child killed for a broken protocol is reaped.)
	if s.args.stack != nil {
		unix.Munmap(s.args.stack)
		s.args.stack = nil
	}
	for _, fd := range s.owned {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	s.owned = nil
}

func mapsRoot(m []specs.LinuxIDMapping) bool {
	for _, e := range m {
		if e.ContainerID == 0 && e.Size > 0 {
			return true
		}
	}
	return false
}

// formatIDMap renders id mappings as /proc/<pid>/uid_map wants them: one line per range, all in
// one write (the kernel accepts a map only once).
func formatIDMap(m []specs.LinuxIDMapping) []byte {
	var b strings.Builder
	for _, e := range m {
		b.WriteString(strconv.FormatUint(uint64(e.ContainerID), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(e.HostID), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(e.Size), 10))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// writeIDMaps writes the maps of the user namespace that process pid has just made. The
// parent writes them because only a process in the parent user namespace may map ids other
// than its own. setgroups is left as inherited ("allow" unless an ancestor denied it) unless
// c.DenySetgroups.
func writeIDMaps(pid int, c *Config) error {
	files := []struct {
		file string
		data []byte
	}{{"gid_map", formatIDMap(c.GIDMappings)}, {"uid_map", formatIDMap(c.UIDMappings)}}
	if c.DenySetgroups {
		files = append(files[:0:0], struct {
			file string
			data []byte
		}{"setgroups", []byte("deny")}, files[0], files[1])
	}
	for _, f := range files {
		if len(f.data) == 0 {
			continue
		}
		path := "/proc/" + strconv.Itoa(pid) + "/" + f.file
		if err := os.WriteFile(path, f.data, 0); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
