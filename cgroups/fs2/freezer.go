package fs2

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/runo-project/runo/cgroups"
)

// freezeTimeout bounds the wait for the kernel to report the cgroup frozen: a task stuck in an
// uninterruptible sleep (a hung NFS server) can keep it from freezing.
const freezeTimeout = 10 * time.Second

// freeze writes cgroup.freeze and, when freezing, waits until cgroup.events says "frozen 1",
// as runc does: the write only starts the freeze. A kernel before 5.2 has no cgroup.freeze:
// freezing is then not supported, and thawing has nothing to do.
func freeze(dir string, frozen bool) error {
	v := "0"
	if frozen {
		v = "1"
	}
	if err := writeFile(dir, "cgroup.freeze", v); err != nil {
		if isNotExist(err) {
			if !frozen {
				return nil
			}
			return fmt.Errorf("freeze %s: %w", dir, cgroups.ErrNotSupported)
		}
		return err
	}
	if !frozen {
		return nil
	}
	return waitFrozen(dir, freezeTimeout)
}

// waitFrozen polls cgroup.events for "frozen 1". Polling, as runc: an inotify wait would be
// faster to wake but is far more code for a path that usually returns on the first read.
func waitFrozen(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		ev, err := readKeyValues(dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("wait for %s to freeze: %w", dir, err)
		}
		if ev["frozen"] == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s to freeze: not frozen after %s", filepath.Base(dir), timeout)
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// frozen reports whether cgroup.freeze is set; without the file (Linux < 5.2) nothing is frozen.
func frozen(dir string) (bool, error) {
	v, err := readFile(dir, "cgroup.freeze")
	if isNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return v == "1", nil
}
