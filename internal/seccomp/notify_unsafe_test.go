package seccomp

import (
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompNotif and seccompNotifResp are struct seccomp_notif and
// seccomp_notif_resp from <linux/seccomp.h>.
type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	data  struct {
		nr   int32
		arch uint32
		ip   uint64
		args [maxArgs]uint64
	}
}

type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// notifyAnswer is what the listener makes getppid return.
const notifyAnswer = 4242

func childNotify() error {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	}
	fd, err := loadOnThisThread(s)
	if err != nil {
		return err
	}
	if fd < 0 {
		return fmt.Errorf("Load = fd %d, want a listener", fd)
	}
	// A goroutine started here runs on another thread, which the filter does
	// not bind, so it can answer.
	served := make(chan error, 1)
	go func() { served <- serveOne(fd) }()
	// Syscall, not RawSyscall: the scheduler must be free to run the listener
	// while this thread waits in the kernel.
	r, _, e := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	if err := <-served; err != nil {
		return err
	}
	if e != 0 || r != notifyAnswer {
		return fmt.Errorf("getppid = %d, %v, want %d from the listener", r, e, notifyAnswer)
	}
	return unix.Close(fd)
}

func serveOne(fd int) error {
	var req seccompNotif
	if err := ioctlRetry(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("SECCOMP_IOCTL_NOTIF_RECV: %w", err)
	}
	if req.data.nr != unix.SYS_GETPPID {
		return fmt.Errorf("notification for syscall %d, want getppid", req.data.nr)
	}
	resp := seccompNotifResp{id: req.id, val: notifyAnswer}
	if err := ioctlRetry(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); err != nil {
		return fmt.Errorf("SECCOMP_IOCTL_NOTIF_SEND: %w", err)
	}
	return nil
}

func ioctlRetry(fd int, req uint, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
		if e != unix.EINTR {
			if e != 0 {
				return e
			}
			return nil
		}
	}
}
