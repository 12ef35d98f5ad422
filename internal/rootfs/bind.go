package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// bindMount binds the host path src onto dest. The bind is made detached
// (open_tree), given its flags while nobody can see it (mount_setattr), then
// attached by descriptor (move_mount): no step looks dest up by path again, so
// a rootfs that swaps a directory for a symlink during create cannot make a
// read-only bind end up writable, nor move the bind elsewhere (CVE-2021-30465).
func bindMount(c *Config, src, dest string, opts MountOptions) error {
	mnt, err := detachedBind(src, dest, opts)
	if err != nil {
		return err
	}
	defer mnt.Close()
	return attachMount(c, mnt, src, dest, opts)
}

// bindMountOn binds src like bindMount, onto dst: a mount point the caller made and opened
// itself (dest only names it in errors).
func bindMountOn(src, dest string, dst *os.File, opts MountOptions) error {
	mnt, err := detachedBind(src, dest, opts)
	if err != nil {
		return err
	}
	defer mnt.Close()
	return attachMountOn(mnt, src, dest, dst, opts)
}

// detachedBind makes a detached bind of src (recursive with MS_REC).
func detachedBind(src, dest string, opts MountOptions) (*os.File, error) {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	if opts.Flags&unix.MS_REC != 0 {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, uint(flags))
	if err != nil {
		return nil, mountError(src, "bind", dest, fmt.Errorf("open_tree: %w", err))
	}
	return os.NewFile(uintptr(fd), src), nil
}

// attachMount gives a detached bind (from bindMount, or idmapped by the
// parent) its flags and attaches it on dest, both ends by descriptor.
func attachMount(c *Config, mnt *os.File, src, dest string, opts MountOptions) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(mnt.Fd()), &st); err != nil {
		return mountError(src, "bind", dest, fmt.Errorf("stat detached mount: %w", err))
	}
	dst, err := mountpoint(c.Rootfs, dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return mountError(src, "bind", dest, err)
	}
	defer dst.Close()
	return attachMountOn(mnt, src, dest, dst, opts)
}

// attachMountOn gives the detached bind mnt its flags and attaches it on the
// open mount point dst.
func attachMountOn(mnt *os.File, src, dest string, dst *os.File, opts MountOptions) error {
	fd := int(mnt.Fd())
	// The options' flags apply to the top mount, as a bind remount would; the
	// r* attributes to the whole tree.
	attr := bindAttrs(opts, deferReadonly("bind", dest))
	if attr.Attr_set|attr.Attr_clr != 0 {
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
			return mountError(src, "bind", dest, fmt.Errorf("mount_setattr: %w", err))
		}
	}
	if opts.RecAttrSet|opts.RecAttrClr != 0 {
		rec := &unix.MountAttr{Attr_set: opts.RecAttrSet, Attr_clr: opts.RecAttrClr}
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, rec); err != nil {
			return mountError(src, "bind", dest, fmt.Errorf("mount_setattr recursive: %w", err))
		}
	}
	err := unix.MoveMount(fd, "", int(dst.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return mountError(src, "bind", dest, fmt.Errorf("move_mount: %w", err))
	}
	// Attached now: fd names the mount itself, so propagation goes through it.
	for _, p := range opts.Propagation {
		flags := unix.AT_EMPTY_PATH
		if p&unix.MS_REC != 0 {
			flags |= unix.AT_RECURSIVE
		}
		prop := &unix.MountAttr{Propagation: uint64(p &^ unix.MS_REC)}
		if err := unix.MountSetattr(fd, "", uint(flags), prop); err != nil {
			return fmt.Errorf("set propagation of %s: %w", dest, err)
		}
	}
	return nil
}

// bindAttrs converts a bind's MS_* options to mount attributes. Bits the
// options do not mention stay as the source has them, which keeps flags the
// kernel locks in a user namespace without asking (a bind remount had to read
// them back and repeat them).
func bindAttrs(opts MountOptions, deferRO bool) *unix.MountAttr {
	attr := &unix.MountAttr{}
	bits := []struct {
		ms   uintptr
		attr uint64
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY}, {unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME}, {unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
	for _, b := range bits {
		if b.ms == unix.MS_RDONLY && deferRO {
			continue
		}
		if opts.Flags&b.ms != 0 {
			attr.Attr_set |= b.attr
		} else if opts.ClearedFlags&b.ms != 0 {
			attr.Attr_clr |= b.attr
		}
	}
	// The atime modes are one field: setting one clears the others.
	switch {
	case opts.Flags&unix.MS_NOATIME != 0:
		attr.Attr_set |= unix.MOUNT_ATTR_NOATIME
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
	case opts.Flags&unix.MS_STRICTATIME != 0:
		attr.Attr_set |= unix.MOUNT_ATTR_STRICTATIME
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
	case opts.Flags&unix.MS_RELATIME != 0:
		attr.Attr_set |= unix.MOUNT_ATTR_RELATIME
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
	}
	return attr
}

// checkMountRoot makes sure f is the root of a mount: what a fresh mount
// reopened by path must be.
func checkMountRoot(f *os.File) error {
	var stx unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &stx); err != nil {
		return fmt.Errorf("statx %s: %w", f.Name(), err)
	}
	if stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		return fmt.Errorf("%s is no longer the mount just made: the rootfs changed under runo", f.Name())
	}
	return nil
}
