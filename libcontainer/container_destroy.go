package libcontainer

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Destroy removes a container: its processes (a created or, with force, a running one is killed
// first), its cgroup, its state; then it runs the poststop hooks.
func (c *Container) Destroy(force bool) error {
	lock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	switch st := c.Status(); st {
	case Stopped:
	case Created:
		// runc deletes a created container without --force: it never ran anything.
		if err := c.kill(); err != nil {
			return err
		}
	default:
		if !force {
			return statusError(fmt.Sprintf("cannot delete container %s that is not stopped: %s", c.id, st))
		}
		if st == Paused {
			// A frozen process dies of SIGKILL only once thawed.
			unix.Kill(c.state.Pid, unix.SIGKILL)
			c.cgroup().Thaw()
		}
		if err := c.kill(); err != nil {
			return err
		}
	}
	var errs []error
	if cg := c.cgroup(); cg != nil {
		// A cgroup with processes left after init died is either shared with another
		// container (a pod: keep it) or holds this container's own leftovers. The scan of the
		// other containers happens only then, so that delete does not grow with their number.
		pids, _ := cg.Pids()
		shared := len(pids) > 0 && c.sharesCgroup()
		if !shared && c.state.SharedPidNS {
			// Without a pid namespace of its own the container's processes outlive its init.
			for _, pid := range pids {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		if !shared {
			if err := cg.Destroy(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// The hooks are read before the state goes with the directory.
	h, hooksErr := c.hooks()
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove state: %w", err))
	}
	// The spec: a failing poststop hook is logged, and the lifecycle continues.
	if hooksErr != nil {
		c.log.Warn(hooksErr.Error())
	} else if h != nil {
		if err := runHooks("poststop", h.Poststop, c.ociState(Stopped)); err != nil {
			c.log.Warn(err.Error())
		}
	}
	return errors.Join(errs...)
}

// kill sends SIGKILL to init and waits until it is gone.
func (c *Container) kill() error {
	pidfd, err := unix.PidfdOpen(c.state.Pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open pidfd of init %d: %w", c.state.Pid, err)
	}
	defer unix.Close(pidfd)
	if !c.state.alive() { // pid reused: not ours to kill
		return nil
	}
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill init %d: %w", c.state.Pid, err)
	}
	if c.init != nil {
		c.init.Wait() // our own child: reap it
		return nil
	}
	// Someone else reaps init; the pidfd turns readable once it has exited.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait for init %d: %w", c.state.Pid, err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("init %d did not exit after SIGKILL", c.state.Pid)
}

// sharesCgroup reports whether another live container under the same root uses this
// container's cgroup (containers of a pod may share one): then the cgroup is theirs to keep.
func (c *Container) sharesCgroup() bool {
	others, err := List(filepath.Dir(c.dir), c.log)
	if err != nil {
		return false
	}
	for _, o := range others {
		if o.id == c.id || o.state.Cgroup == nil || o.Status() == Stopped {
			continue
		}
		theirs, err1 := o.state.Cgroup.get()
		ours, err2 := c.state.Cgroup.get()
		if err1 == nil && err2 == nil && maps.Equal(theirs.Paths, ours.Paths) {
			return true
		}
	}
	return false
}
