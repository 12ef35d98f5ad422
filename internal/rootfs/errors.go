package rootfs

import "errors"

var (
	// ErrRelativeRootfs: Config.Rootfs must be an absolute path.
	ErrRelativeRootfs = errors.New("rootfs path is not absolute")
	// ErrInvalidPropagation: linux.rootfsPropagation is not a known mode.
	ErrInvalidPropagation = errors.New("invalid rootfs propagation")
	// ErrNotDevNull: the container's /dev/null, used to mask paths, is not
	// the null device (an image could make it a link to a file to clobber).
	ErrNotDevNull = errors.New("/dev/null is not the null device")
	// ErrProcMount: a mount would cover /proc with something else than a
	// procfs, or a file inside /proc outside the lxcfs allow-list.
	ErrProcMount = errors.New("mount over /proc not allowed")
	// ErrUnsafeConsole: /dev/console is neither a regular file nor a
	// character device, or is reached through a symlink.
	ErrUnsafeConsole = errors.New("unsafe /dev/console")
)
