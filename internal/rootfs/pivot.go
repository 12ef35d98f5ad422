package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// Enter makes the rootfs the container's "/". Finalize then applies what must
// be done from inside; between the two, the container's /proc is still
// writable (runc writes linux.sysctl there).
//
// Preconditions: the calling goroutine is locked to its OS thread; Prepare
// succeeded on c.
func Enter(c *Config) error {
	if c.Outside == nil {
		return enter(c)
	}
	if c.NoPivot {
		return fmt.Errorf("enter rootfs %s: no-pivot needs the container's first process", c.Rootfs)
	}
	f, err := sysfile.Open("/proc/thread-self/fd", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("enter rootfs: %w", err)
	}
	if err := enter(c); err != nil {
		f.Close()
		return err
	}
	c.hostFDs = f
	return nil
}

// Release closes what Enter kept open for Finalize, when Finalize will not run.
func (c *Config) Release() {
	if c.hostFDs != nil {
		c.hostFDs.Close()
		c.hostFDs = nil
	}
}

func enter(c *Config) error {
	root := filepath.Clean(c.Rootfs)
	// Both pivot_root(".", ".") and MS_MOVE onto "/" act on the cwd.
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("chdir %s: %w", root, err)
	}
	var err error
	if c.NoPivot {
		err = msMoveRoot(root)
	} else {
		err = pivotRoot(root)
	}
	if err != nil {
		return err
	}
	// linux.rootfsPropagation is for the container's "/", which exists only now: what
	// Prepare set on the old root does not carry over to the rootfs bind (runc does the same).
	if c.Propagation != "" {
		if err := mount("", "/", "", propagationFlags[c.Propagation], ""); err != nil {
			return fmt.Errorf("set rootfs propagation %s: %w", c.Propagation, err)
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// Finalize applies, after Enter: read-only mounts deferred by Prepare,
// linux.readonlyPaths, linux.maskedPaths, root.readonly. It leaves the cwd
// at "/".
//
// Preconditions: the calling goroutine is locked to its OS thread; Enter
// succeeded on c.
func Finalize(c *Config) error {
	if c.hostFDs != nil {
		// Handles are named relative to the cwd from here on (fdTarget).
		defer c.Release()
		if err := unix.Fchdir(int(c.hostFDs.Fd())); err != nil {
			return fmt.Errorf("chdir to %s: %w", c.hostFDs.Name(), err)
		}
	}
	if err := finalizeReadonly(c); err != nil {
		return err
	}
	// runc's order: read-only paths first, then masks, so a path listed in
	// both ends up masked.
	for _, p := range c.ReadonlyPaths {
		if err := readonlyPath(c, p); err != nil {
			return err
		}
	}
	if err := maskPaths(c, c.MaskedPaths); err != nil {
		return err
	}
	if c.Readonly {
		if err := setRootReadonly(); err != nil {
			return err
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// pivotRoot swaps the root with pivot_root(".", "."), which stacks the old
// root on top of the new one at "/" and spares us a temporary directory in
// the (maybe read-only) rootfs; the old root is then lazily unmounted.
//
// Preconditions: the cwd is the new root.
func pivotRoot(rootfs string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open old root: %w", err)
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open new root %s: %w", rootfs, err)
	}
	defer unix.Close(newRoot)
	if err := unix.Fchdir(newRoot); err != nil {
		return fmt.Errorf("chdir %s: %w", rootfs, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	// The kernel gives no promise about the cwd after pivot_root: go to the
	// old root explicitly, it is what we unmount.
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("chdir old root: %w", err)
	}
	// rslave, not rprivate: the unmount must not propagate to the host, yet
	// the host may still unmount things below (runc: devicemapper races).
	if err := mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return mountError("", "", "old root", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// msMoveRoot moves the rootfs onto "/" and chroots (--no-pivot, for
// initramfs roots where pivot_root is impossible).
//
// Preconditions: the cwd is the new root.
func msMoveRoot(rootfs string) error {
	if err := hideHostProcSys(rootfs); err != nil {
		return err
	}
	if err := mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return mountError(rootfs, "move", "/", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", rootfs, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// hideHostProcSys unmounts (or covers) the host's full proc and sysfs
// mounts. After chroot they stay in the mount namespace, and the kernel's
// check that a new proc or sysfs mount reveals nothing hidden looks at every
// mount of the namespace: an unmasked host /proc would let the container
// mount a fresh, unmasked procfs.
func hideHostProcSys(rootfs string) error {
	mi, err := readMountInfo()
	if err != nil {
		return err
	}
	for _, m := range mi {
		if m.Root != "/" || (m.FSType != "proc" && m.FSType != "sysfs") {
			continue
		}
		if m.Mountpoint == rootfs || strings.HasPrefix(m.Mountpoint, rootfs+"/") {
			continue
		}
		if err := mount("", m.Mountpoint, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // already gone with a parent
			}
			return mountError("", "", m.Mountpoint, err)
		}
		err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH)
		if err == nil {
			continue
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("unmount %s: %w", m.Mountpoint, err)
		}
		// Locked in a user namespace: cover it instead.
		if err := mount("tmpfs", m.Mountpoint, "tmpfs", 0, ""); err != nil {
			return mountError("tmpfs", "tmpfs", m.Mountpoint, err)
		}
	}
	return nil
}

// finalizeReadonly makes read-only the mounts that Prepare kept writable to
// fill them (see deferReadonly).
func finalizeReadonly(c *Config) error {
	for _, m := range c.Mounts {
		opts, err := ParseMountOptions(m.Options)
		if err != nil || opts.Flags&unix.MS_RDONLY == 0 {
			continue
		}
		typ := m.Type
		if opts.isBind() {
			typ = "bind"
		}
		if !deferReadonly(typ, m.Destination) {
			continue
		}
		f, err := openInRoot("/", m.Destination)
		if err != nil {
			return fmt.Errorf("remount %s read-only: %w", m.Destination, err)
		}
		flags := opts.Flags &^ (unix.MS_REC | unix.MS_REMOUNT)
		err = remountBind(c.enteredFDPath(f), flags|unix.MS_RDONLY, opts.ClearedFlags)
		f.Close()
		if err != nil {
			return fmt.Errorf("remount %s read-only: %w", m.Destination, err)
		}
	}
	return nil
}

// setRootReadonly remounts "/" read-only. Unlike runc's first attempt it
// keeps nosuid/nodev/noexec and the atime mode of the rootfs mount: making the
// root read-only must not make it more permissive.
func setRootReadonly() error {
	var st unix.Statfs_t
	if err := unix.Statfs("/", &st); err != nil {
		return fmt.Errorf("statfs /: %w", err)
	}
	keep := statfsToMountFlags(st.Flags) & (lockFlags | atimeFlags)
	if err := remountBind("/", keep|unix.MS_RDONLY, 0); err != nil {
		return fmt.Errorf("remount / read-only: %w", err)
	}
	return nil
}
