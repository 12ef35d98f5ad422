// Package sysfile reads and writes small files (state, cgroup and proc files) with plain system
// calls. os.Open and os.OpenFile offer every file they open to Go's network poller, which on
// Linux costs four more system calls per open for a regular or kernel file, a directory or an
// O_PATH handle, which the poller then refuses, and starts the poller in a process that would
// not need it; runo opens dozens of such files per container.
package sysfile

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Read returns the contents of path. Errors are *fs.PathError, as os.ReadFile's.
func Read(path string) ([]byte, error) {
	fd, err := open(path, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// Open opens path with flag (close-on-exec added) as os.OpenFile does, without the poller: an
// *os.File made by os.NewFile from a blocking descriptor is never registered with it. Errors
// are *fs.PathError.
func Open(path string, flag int, perm uint32) (*os.File, error) {
	fd, err := open(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Write opens path for writing with flag added (O_TRUNC, O_CREATE...) and writes data in one
// call: kernel files such as cgroup files parse each write as a whole. Errors are
// *fs.PathError.
func Write(path string, data []byte, flag int, perm uint32) error {
	fd, err := open(path, unix.O_WRONLY|flag, perm)
	if err != nil {
		return err
	}
	n, err := writeRetry(fd, data)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		return &fs.PathError{Op: "close", Path: path, Err: cerr}
	}
	if err == nil && n < len(data) {
		err = unix.EIO // a short write to a kernel file would leave half a value
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

func open(path string, flag int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, perm)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

func writeRetry(fd int, data []byte) (int, error) {
	for {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n, err
	}
}
