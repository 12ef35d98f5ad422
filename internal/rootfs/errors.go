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
	// ErrIDMapNotBind: uidMappings, gidMappings, idmap or ridmap on a mount
	// that is not a bind mount.
	ErrIDMapNotBind = errors.New("idmapped mounts need a bind mount")
	// ErrIDMapIncomplete: an idmapped mount with uid mappings but no gid
	// mappings, or the reverse.
	ErrIDMapIncomplete = errors.New("idmapped mounts need both uidMappings and gidMappings")
	// ErrIDMapNoMappings: idmap or ridmap without mappings, in a container
	// without a user namespace to take them from.
	ErrIDMapNoMappings = errors.New("idmap without uidMappings and gidMappings needs the container's user namespace mappings")
	// ErrIDMapEmptyRange: an id mapping of size 0.
	ErrIDMapEmptyRange = errors.New("id mapping size must be positive")
)
