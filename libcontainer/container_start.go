package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Start releases a created container's init to execute the container's process, then runs the
// poststart hooks.
func (c *Container) Start() error {
	lock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	switch st := c.Status(); st {
	case Created:
	case Stopped:
		return statusError("cannot start a container that has stopped")
	default:
		return statusError(fmt.Sprintf("cannot start an already %s container", st))
	}
	if err := c.releaseInit(); err != nil {
		return err
	}
	if h := c.state.Hooks; h != nil {
		// The spec: a failing poststart hook is logged, and the lifecycle continues.
		if err := runHooks("poststart", h.Poststart, c.ociState(Running)); err != nil {
			c.log.Warn(err.Error())
		}
	}
	return nil
}

// releaseInit opens the exec fifo and reads the byte init writes once its blocked open returns.
// The fifo is opened read-write so that opening never blocks; a pidfd tells us if init died
// instead of writing.
func (c *Container) releaseInit() error {
	path := filepath.Join(c.dir, fifoName)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	pidfd, err := unix.PidfdOpen(c.state.Pid, 0)
	if err != nil {
		return fmt.Errorf("open pidfd of init %d: %w", c.state.Pid, err)
	}
	defer unix.Close(pidfd)
	if !c.state.alive() { // the pid may have been reused between Status and PidfdOpen
		return statusError("cannot start a container that has stopped")
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for container init: %w", err)
		}
		break
	}
	if fds[0].Revents&unix.POLLIN == 0 {
		return errors.New("container init exited before it was started")
	}
	buf := make([]byte, 1)
	if _, err := unix.Read(fd, buf); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
