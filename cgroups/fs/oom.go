package fs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// OOMEvents reports the memory cgroup's out-of-memory events: one value per event, until stop
// is closed or the cgroup is removed, when the channel is closed.
//
// cgroup v1 notifies through an eventfd registered with cgroup.event_control against
// memory.oom_control. The kernel also signals the eventfd when the cgroup goes away, which
// is told apart from an OOM by cgroup.event_control being gone.
func (m *Manager) OOMEvents(stop <-chan struct{}) (<-chan struct{}, error) {
	dir := m.dir("memory")
	if dir == "" {
		return nil, fmt.Errorf("oom events: memory controller: %w", cgroups.ErrNotSupported)
	}
	oomControl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, fmt.Errorf("oom events: %w", err)
	}
	// Non-blocking, so that os.File puts it in Go's poller and Close wakes a pending Read.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		oomControl.Close()
		return nil, fmt.Errorf("oom events: %w", os.NewSyscallError("eventfd", err))
	}
	// The registration names the fds by number: oomControl.Fd() would switch the file to
	// blocking mode, so take the number through SyscallConn.
	ocfd, err := rawFd(oomControl)
	if err != nil {
		unix.Close(efd)
		oomControl.Close()
		return nil, fmt.Errorf("oom events: %w", err)
	}
	events := os.NewFile(uintptr(efd), "eventfd")
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(ocfd)
	if err := cgroups.WriteFile(dir, "cgroup.event_control", reg); err != nil {
		events.Close()
		oomControl.Close()
		return nil, fmt.Errorf("oom events: %w", err)
	}
	ch := make(chan struct{})
	done := make(chan struct{})
	go func() { // closing the eventfd is how a stop wakes the reader
		select {
		case <-stop:
		case <-done:
		}
		events.Close()
	}()
	go func() {
		defer close(ch)
		defer oomControl.Close()
		defer close(done)
		watchOOM(events, filepath.Join(dir, "cgroup.event_control"), ch, stop)
	}()
	return ch, nil
}

func rawFd(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd int
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return 0, err
	}
	return fd, nil
}

// watchOOM reads the eventfd's counter, which adds up the events since the last read, and
// sends that many values.
func watchOOM(events *os.File, eventControl string, ch chan<- struct{}, stop <-chan struct{}) {
	buf := make([]byte, 8)
	for {
		if _, err := events.Read(buf); err != nil {
			return // closed by stop, or the eventfd failed: either way no more events
		}
		if _, err := os.Lstat(eventControl); errors.Is(err, os.ErrNotExist) {
			return // the cgroup was removed
		}
		for n := binary.NativeEndian.Uint64(buf); n > 0; n-- {
			select {
			case ch <- struct{}{}:
			case <-stop:
				return
			}
		}
	}
}

// OOMKillCount returns how many processes the OOM killer killed in the memory cgroup.
func (m *Manager) OOMKillCount() (uint64, error) {
	dir := m.dir("memory")
	if dir == "" {
		return 0, fmt.Errorf("oom kill count: memory controller: %w", cgroups.ErrNotSupported)
	}
	return oomKillCount(dir)
}
