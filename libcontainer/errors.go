package libcontainer

import (
	"errors"
	"syscall"
)

var (
	// ErrNotExist is returned for a container id that has no state under the root.
	ErrNotExist = errors.New("container does not exist")
	// ErrExist is returned when creating a container whose id is taken.
	ErrExist = errors.New("container with id exists")
	// ErrNotRunning is returned when an operation needs a created or running container.
	ErrNotRunning = errors.New("container not running")
	// ErrWrongStatus is returned when a container is in the wrong state for an operation.
	ErrWrongStatus = errors.New("container is in the wrong state")
)

// InitError is an error raised inside the container's init process. It keeps the errno so that
// the caller can still test it with errors.Is.
type InitError struct {
	Message string
	Errno   syscall.Errno
}

func (e *InitError) Error() string { return e.Message }

func (e *InitError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// statusError says why a container's status forbids an operation, in runc's words, and
// matches ErrWrongStatus.
type statusError string

func (e statusError) Error() string        { return string(e) }
func (e statusError) Is(target error) bool { return target == ErrWrongStatus }
