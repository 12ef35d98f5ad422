package sysprog

import (
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestPrepareRefusesBadReferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		step Step
	}{
		{"itself", Step{Trap: unix.SYS_GETPID, From: 1}},
		{"later step", Step{Trap: unix.SYS_GETPID, From: 2}},
		{"argument 6", Step{Trap: unix.SYS_GETPID, From: 0 + 1, FromArg: 6}},
		{"negative", Step{Trap: unix.SYS_GETPID, From: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Program
			p.Add(tc.step)
			if err := p.Prepare(); err == nil {
				t.Errorf("Prepare() = nil, want an error")
			}
		})
	}
}

// TestRun runs programs on this thread: results passed on, an ignored errno, a failed Check,
// a failed call and the error its step makes of it.
func TestRun(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var p Program
	var stored int32
	dup := p.Add(Step{Trap: unix.SYS_FCNTL, Args: [6]uintptr{0, unix.F_DUPFD_CLOEXEC, 100}, Store: &stored})
	p.Add(Step{Trap: unix.SYS_CLOSE, From: dup + 1})
	p.Add(Step{Trap: unix.SYS_CLOSE, Args: [6]uintptr{^uintptr(0)}, Ignore: unix.EBADF})
	buf := make([]byte, unix.PathMax)
	p.Add(Step{Trap: unix.SYS_GETCWD, Args: [6]uintptr{p.Ptr(buf, unsafe.Pointer(&buf[0])), uintptr(len(buf))}})
	if err := p.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if int(stored) != int(p.results[dup]) {
		t.Errorf("stored result = %d, want the dup's %d", stored, p.results[dup])
	}
	if fd := int(p.results[dup]); fd < 100 {
		t.Errorf("dup result = %d, want >= 100", fd)
	} else if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("fd %d after the close step: %v, want EBADF", fd, err)
	}

	var q Program
	q.Add(Step{Trap: unix.SYS_GETPID})
	b := []byte{0}
	q.Add(Step{Trap: unix.SYS_GETPID, Check: &b[0], Want: 1, Err: func(errno syscall.Errno) error {
		return errors.New("check failed with errno " + errno.Error())
	}})
	if err := q.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := q.Run(); err == nil || !strings.Contains(err.Error(), "check failed") {
		t.Errorf("Run() with a failing check = %v", err)
	}

	var r Program
	r.Add(Step{Trap: unix.SYS_CLOSE, Args: [6]uintptr{^uintptr(0)}})
	if err := r.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(); !errors.Is(err, unix.EBADF) || !strings.Contains(err.Error(), "step 0") {
		t.Errorf("Run() with a failing close = %v, want EBADF naming step 0", err)
	}
}
