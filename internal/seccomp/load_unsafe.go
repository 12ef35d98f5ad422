package seccomp

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
)

// flagTsync has no constant in runtime-spec.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// Load installs prog with seccomp(SECCOMP_SET_MODE_FILTER). When prog can
// return SECCOMP_RET_USER_NOTIF (a rule used SCMP_ACT_NOTIFY) it asks for a
// listener and returns its fd, close-on-exec; otherwise notifyFD is -1.
//
// Preconditions: the calling goroutine is locked to its OS thread, and that
// thread is the one that will execve the container's process (the filter binds
// this thread only: Go's other threads die at execve, which is why
// SECCOMP_FILTER_FLAG_TSYNC is accepted and ignored, as runc does). The thread
// has no_new_privs set, or CAP_SYS_ADMIN in its user namespace.
func Load(prog []unix.SockFilter, flags []specs.LinuxSeccompFlag) (notifyFD int, err error) {
	fprog, f, err := prepare(prog, flags)
	if err != nil {
		return -1, err
	}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, f, uintptr(unsafe.Pointer(fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, loadError(f, errno)
	}
	if f&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		return -1, nil
	}
	return int(r), nil
}

// AddLoad adds to p the step that installs prog, as Load does, for a program that runs
// before the container's process is executed (see package sysprog). A filter with a notify
// action needs its listener passed on, which a program cannot do: use Load for it.
func AddLoad(p *sysprog.Program, prog []unix.SockFilter, flags []specs.LinuxSeccompFlag) error {
	fprog, f, err := prepare(prog, flags)
	if err != nil {
		return err
	}
	if f&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		return fmt.Errorf("load seccomp filter: a filter with notify actions is loaded by Load")
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_SECCOMP,
		Args: [6]uintptr{unix.SECCOMP_SET_MODE_FILTER, f, p.Ptr(fprog, unsafe.Pointer(fprog))},
		Err:  func(errno syscall.Errno) error { return loadError(f, errno) },
	})
	p.Ptr(prog, unsafe.Pointer(&prog[0])) // fprog points into it
	return nil
}

// prepare checks prog and turns flags into seccomp(2)'s.
func prepare(prog []unix.SockFilter, flags []specs.LinuxSeccompFlag) (*unix.SockFprog, uintptr, error) {
	if err := verify(prog); err != nil {
		return nil, 0, fmt.Errorf("load seccomp filter: %w", err)
	}
	var f uintptr
	for _, fl := range flags {
		switch fl {
		case flagTsync:
		case specs.LinuxSeccompFlagLog:
			f |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			f |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case specs.LinuxSeccompFlagWaitKillableRecv:
			f |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		default:
			return nil, 0, fmt.Errorf("load seccomp filter: %w: unknown flag %q", ErrInvalidProfile, fl)
		}
	}
	if usesNotify(prog) {
		f |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	return &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}, f, nil
}

func loadError(flags uintptr, errno syscall.Errno) error {
	return fmt.Errorf("load seccomp filter (flags %#x): %w", flags, os.NewSyscallError("seccomp", errno))
}

// usesNotify reports whether any return of prog is SECCOMP_RET_USER_NOTIF.
func usesNotify(prog []unix.SockFilter) bool {
	for _, in := range prog {
		if in.Code == unix.BPF_RET|unix.BPF_K && in.K&unix.SECCOMP_RET_ACTION_FULL == unix.SECCOMP_RET_USER_NOTIF {
			return true
		}
	}
	return false
}
