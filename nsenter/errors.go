package nsenter

import "errors"

var (
	// ErrUnknownNamespace is returned for a namespace type the kernel interface has no flag for.
	ErrUnknownNamespace = errors.New("unknown namespace type")
	// ErrDuplicateNamespace is returned when one namespace type is listed twice.
	ErrDuplicateNamespace = errors.New("namespace type listed more than once")
	// ErrUnknownClock is returned for a time offset that is neither "monotonic" nor "boottime".
	ErrUnknownClock = errors.New("unknown clock for time namespace offset")
	// ErrNotMainThread is returned by UnshareTime when called off the main thread: the kernel
	// keeps timens_offsets only at /proc/<tgid>, which describes the main thread.
	ErrNotMainThread = errors.New("not on the main thread")
	// ErrNoCloneIntoCgroup is returned by Start when Config.Cgroup is set and the kernel has
	// no clone3 with CLONE_INTO_CGROUP: the caller can start without it and move the process.
	ErrNoCloneIntoCgroup = errors.New("kernel cannot clone into a cgroup")
	// ErrHoldFork is returned by Start for a Config.Hold with namespaces that make the child
	// fork the process that execs (a joined pid namespace, a time namespace, a user namespace
	// with a pid namespace): Hold would hold the wrong process.
	ErrHoldFork = errors.New("hold is not supported with a second fork")
)
