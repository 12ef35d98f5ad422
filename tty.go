package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ptyRelay is the console side of a foreground `run` with a terminal: it receives the pty master
// from the container's init over a socketpair (the same protocol as --console-socket) and
// copies between the master and runo's own stdio.
type ptyRelay struct {
	sock    *os.File // our end of the socketpair
	master  *os.File
	restore *unix.Termios // stdin's settings before raw mode, when stdin is a terminal
	copied  chan struct{} // closed when the container's output has been copied out
}

// newPtyRelay returns the relay and the socket end to hand to the container's init.
func newPtyRelay() (*ptyRelay, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("create console socket: %w", err)
	}
	r := &ptyRelay{sock: os.NewFile(uintptr(fds[0]), "console"), copied: make(chan struct{})}
	return r, os.NewFile(uintptr(fds[1]), "console-init"), nil
}

// receive reads the pty master that init sent.
func (r *ptyRelay) receive() error {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(r.sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return fmt.Errorf("receive pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return fmt.Errorf("receive pty master: no control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return fmt.Errorf("receive pty master: no fd")
	}
	r.master = os.NewFile(uintptr(fds[0]), "pty-master")
	return nil
}

// attach puts stdin in raw mode when it is a terminal and starts copying.
func (r *ptyRelay) attach() error {
	if t, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		saved := *t
		r.restore = &saved
		raw := *t
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		if err := unix.IoctlSetTermios(0, unix.TCSETS, &raw); err != nil {
			return fmt.Errorf("set terminal raw: %w", err)
		}
		r.resize()
	}
	go io.Copy(r.master, os.Stdin)
	go func() {
		io.Copy(os.Stdout, r.master) // ends with EIO once the last slave fd is closed
		close(r.copied)
	}()
	return nil
}

// resize copies runo's terminal size to the container's pty.
func (r *ptyRelay) resize() {
	if ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(r.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// drain waits a little for the container's last output after its init exited.
func (r *ptyRelay) drain() {
	select {
	case <-r.copied:
	case <-time.After(time.Second):
	}
}

// Close restores the terminal and closes the relay's files.
func (r *ptyRelay) Close() {
	if r.restore != nil {
		unix.IoctlSetTermios(0, unix.TCSETS, r.restore)
	}
	if r.master != nil {
		r.master.Close()
	}
	r.sock.Close()
}
