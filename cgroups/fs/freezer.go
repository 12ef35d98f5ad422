package fs

import (
	"fmt"
	"time"

	"github.com/runo-project/runo/cgroups"
)

// freeze writes FROZEN and waits for the kernel to report it. A v1 freezer can stay in
// FREEZING while processes keep appearing in the cgroup (fork, exec into it); as runc does,
// runo retries the write, reads the state back, and now and then thaws and sleeps to let a
// burst of new processes settle. cgroup v2 has no such race.
func freeze(dir string) error {
	for i := 0; i < 1000; i++ {
		if i%50 == 49 {
			_ = cgroups.WriteFile(dir, "freezer.state", "THAWED") // best effort: the next write freezes again
			time.Sleep(10 * time.Millisecond)
		}
		if err := cgroups.WriteFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		if i%25 == 24 {
			time.Sleep(10 * time.Microsecond)
		}
		state, err := cgroups.ReadFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		switch state {
		case "FREEZING":
			continue
		case "FROZEN":
			return nil
		default:
			return fmt.Errorf("freeze %s: unexpected freezer state %q", dir, state)
		}
	}
	// Leave it thawed rather than half frozen.
	if err := cgroups.WriteFile(dir, "freezer.state", "THAWED"); err != nil {
		return fmt.Errorf("freeze %s: stuck in FREEZING, and thaw failed: %w", dir, err)
	}
	return fmt.Errorf("freeze %s: %w", dir, errStuckFreezing)
}
