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
	if c.running {
		c.running = false
	} else if err := c.start(); err != nil {
		return err
	}
	// The spec: a failing poststart hook is logged, and the lifecycle continues.
	if h, err := c.hooks(); err != nil {
		c.log.Warn(err.Error())
	} else if h != nil {
		if err := runHooks("poststart", h.Poststart, c.ociState(Running)); err != nil {
			c.log.Warn(err.Error())
		}
	}
	return nil
}

// start releases a created container's init.
func (c *Container) start() error {
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
	return c.releaseInit()
}

// releaseInit opens the exec fifo for reading, which unblocks init's open for writing. init
// writes one byte, runs the startContainer hooks and execs the container's process; the fifo
// closes with that execve (close-on-exec). If init fails instead, it writes its error into
// the fifo before it exits. So: one byte, then end of file, means the process runs.
func (c *Container) releaseInit() error {
	// Pin init with a pidfd and check it is still ours before opening the fifo: the open
	// releases init, and a short-lived process may be gone right after.
	pidfd, err := unix.PidfdOpen(c.state.Pid, 0)
	if err != nil {
		return fmt.Errorf("open pidfd of init %d: %w", c.state.Pid, err)
	}
	defer unix.Close(pidfd)
	if !c.state.alive() {
		return statusError("cannot start a container that has stopped")
	}
	path := filepath.Join(c.dir, fifoName)
	// Non-blocking, so that opening cannot hang on an init that died; the pidfd tells us that.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	out, err := readFifo(fd, pidfd)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	switch {
	case len(out) == 0:
		return errors.New("container init exited before it was started")
	case len(out) > 1:
		return fmt.Errorf("unable to start container process: %s", out[1:])
	}
	return nil
}

// readFifo reads the exec fifo until its writer is gone, or until init exits before it ever
// opened the fifo.
func readFifo(fd, pidfd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	connected := false
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, fmt.Errorf("wait for container init: %w", err)
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0 {
			connected = true
			n, err := unix.Read(fd, buf)
			if n > 0 {
				out = append(out, buf[:n]...)
				continue
			}
			if err == nil || !errors.Is(err, unix.EAGAIN) {
				return out, nil // end of file: init exec'd or exited
			}
		}
		if !connected && fds[1].Revents&unix.POLLIN != 0 {
			return out, nil // init exited without opening the fifo
		}
	}
}
