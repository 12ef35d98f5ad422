package fs2

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// oomKills returns the OOM kill count of memory.events: "oom_kill", or on kernels that lack it
// (before 4.13) the count of OOM events, "oom".
func oomKills(dir string) (uint64, error) {
	ev, err := readKeyValues(dir, "memory.events")
	if err != nil {
		return 0, err
	}
	if n, ok := ev["oom_kill"]; ok {
		return n, nil
	}
	return ev["oom"], nil
}

// watchOOM sends one value on the returned channel per OOM kill counted in dir's
// memory.events, from the moment of the call. It watches memory.events and cgroup.events with
// inotify and closes the channel when stop is closed, when the cgroup has no process left
// ("populated 0" in cgroup.events), or when the cgroup is removed.
func watchOOM(dir string, stop <-chan struct{}) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("oom events: inotify_init1: %w", err)
	}
	// A non-blocking fd in an *os.File goes through the runtime poller: Close wakes a Read.
	f := os.NewFile(uintptr(fd), "inotify")
	memWd, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "memory.events"), unix.IN_MODIFY)
	if err != nil {
		f.Close()
		if err == unix.ENOENT {
			return nil, fmt.Errorf("oom events for %s: no memory controller: %w", dir, cgroups.ErrNotSupported)
		}
		return nil, fmt.Errorf("oom events: watch %s/memory.events: %w", dir, err)
	}
	cgWd, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "cgroup.events"), unix.IN_MODIFY)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("oom events: watch %s/cgroup.events: %w", dir, err)
	}
	last, err := oomKills(dir)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("oom events: %w", err)
	}

	ch := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-stop:
		case <-done:
		}
		f.Close()
	}()
	go func() {
		defer close(ch)
		defer close(done)
		w := oomWatch{dir: dir, memWd: int32(memWd), cgWd: int32(cgWd), last: last, out: ch, stop: stop}
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil || !w.handle(buf[:n]) {
				return
			}
		}
	}()
	return ch, nil
}

type oomWatch struct {
	dir         string
	memWd, cgWd int32
	last        uint64
	out         chan<- struct{}
	stop        <-chan struct{}
}

// handle processes a buffer of inotify events and reports whether to keep watching.
func (w *oomWatch) handle(buf []byte) bool {
	for len(buf) >= unix.SizeofInotifyEvent {
		// struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[]; }
		wd := int32(binary.NativeEndian.Uint32(buf[0:4]))
		mask := binary.NativeEndian.Uint32(buf[4:8])
		nameLen := binary.NativeEndian.Uint32(buf[12:16])
		if uint64(nameLen) > uint64(len(buf)-unix.SizeofInotifyEvent) {
			return false
		}
		buf = buf[unix.SizeofInotifyEvent+int(nameLen):]
		if mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF) != 0 {
			return false // the cgroup is gone
		}
		switch wd {
		case w.memWd:
			if !w.send() {
				return false
			}
		case w.cgWd:
			ev, err := readKeyValues(w.dir, "cgroup.events")
			if err != nil || ev["populated"] == 0 {
				// The last process may have died of the OOM kill being counted now.
				w.send()
				return false
			}
		}
	}
	return true
}

// send sends one value per OOM kill counted since the last call and reports whether to keep
// watching.
func (w *oomWatch) send() bool {
	n, err := oomKills(w.dir)
	if err != nil {
		return false
	}
	for ; w.last < n; w.last++ {
		select {
		case w.out <- struct{}{}:
		case <-w.stop:
			return false
		}
	}
	return true
}
