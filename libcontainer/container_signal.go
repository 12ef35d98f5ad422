package libcontainer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// Signal sends sig to the container's init, or with all to every process in its cgroup.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	if all {
		return c.signalAll(sig)
	}
	if st := c.Status(); st == Stopped {
		return ErrNotRunning
	}
	if err := unix.Kill(c.state.Pid, sig); err != nil {
		return fmt.Errorf("signal init %d: %w", c.state.Pid, err)
	}
	return nil
}

// signalAll signals every process of the container's cgroup. The cgroup is frozen meanwhile, so
// that no process can fork a child that escapes the signal (as runc's kill --all). It also
// reaches processes left behind by an init that exited, so it works on a stopped container.
func (c *Container) signalAll(sig unix.Signal) error {
	cg := c.cgroup()
	if cg == nil {
		return c.Signal(sig, false)
	}
	if sig == unix.SIGKILL {
		type killer interface{ KillAll() error }
		if k, ok := cg.(killer); ok && k.KillAll() == nil {
			return nil // cgroup.kill: the kernel kills the whole group at once
		}
	}
	wasFrozen, _ := cg.Frozen()
	if !wasFrozen {
		if err := cg.Freeze(); err != nil && !errors.Is(err, cgroups.ErrNotSupported) {
			return err
		}
		defer cg.Thaw()
	}
	pids, err := cg.Pids()
	if err != nil {
		return err
	}
	if len(pids) == 0 && c.Status() == Stopped {
		return ErrNotRunning
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signal %d: %w", pid, err)
		}
	}
	return nil
}
