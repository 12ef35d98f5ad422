package seccomp

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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
	if err := verify(prog); err != nil {
		return -1, fmt.Errorf("load seccomp filter: %w", err)
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
			return -1, fmt.Errorf("load seccomp filter: %w: unknown flag %q", ErrInvalidProfile, fl)
		}
	}
	notify := usesNotify(prog)
	if notify {
		f |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, f, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, fmt.Errorf("load seccomp filter (flags %#x): %w", f, os.NewSyscallError("seccomp", errno))
	}
	if !notify {
		return -1, nil
	}
	return int(r), nil
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
