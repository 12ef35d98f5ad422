package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config is what the init needs to build the container's filesystem view.
type Config struct {
	// Rootfs is the absolute host path of the root filesystem (root.path
	// resolved against the bundle).
	Rootfs string
	// Readonly is root.readonly.
	Readonly bool
	// Propagation is linux.rootfsPropagation: "", shared, slave, private,
	// unbindable or their r* forms. Empty means rslave.
	Propagation string
	// Mounts are config.json's mounts, in order.
	Mounts []specs.Mount
	// MountFiles, by index of Mounts, are detached mounts made by the
	// runtime's parent (OpenIDMapped) to attach instead of binding the
	// source; nil entries, or a short slice, mean mount as usual. Prepare
	// neither closes them nor keeps them.
	MountFiles []*os.File
	// Devices are linux.devices, created in addition to the default devices.
	Devices []specs.LinuxDevice
	// MaskedPaths and ReadonlyPaths are linux.maskedPaths and
	// linux.readonlyPaths, container paths.
	MaskedPaths   []string
	ReadonlyPaths []string
	// NoPivot is --no-pivot: MS_MOVE + chroot instead of pivot_root.
	NoPivot bool
	// MountLabel is linux.mountLabel: the SELinux context of the file systems
	// runo mounts (not of binds, which keep their source's labels). Ignored
	// on a host without SELinux, as runc does.
	MountLabel string
	// InUserNS: mknod is refused in a user namespace, so devices are
	// bind-mounted from the host instead.
	InUserNS bool
	// NewCgroupNS: the container has its own cgroup namespace, so cgroup
	// mounts get a fresh cgroup filesystem rather than binds.
	NewCgroupNS bool
	// Console: the container gets a terminal. Prepare then creates
	// /dev/console as the bind target of MountConsole, because Enter may
	// make / or /dev read-only before MountConsole runs.
	Console bool
	// Outside, when set, says that the caller builds the rootfs before the
	// container's first process exists: a thread of the runtime in the
	// container's new mount, network, ipc and uts namespaces, but neither in
	// its pid namespace nor in its cgroups. Console, NoPivot and a new cgroup
	// namespace are not supported then (NewCgroupNS is ignored).
	Outside *Outside

	// hostFDs is the caller's /proc/thread-self/fd, opened by Enter for an
	// Outside caller: after the pivot the container's procfs has no
	// /proc/self for it, so Finalize names its handles from there.
	hostFDs *os.File
}

// Outside is what a caller outside the container's pid namespace and
// cgroups tells Prepare about them.
type Outside struct {
	// PidNS is the path of the container's pid namespace: procfs mounts get
	// it as their pidns option (Linux 6.18), else they would show the
	// caller's.
	PidNS string
	// CgroupDirs are the container's cgroup directories on the host, keyed
	// by hierarchy as in /proc/self/cgroup ("" the cgroup2 one, "cpu,cpuacct"
	// a v1 one): cgroup mounts bind those instead of the caller's own.
	CgroupDirs map[string]string
}

// lockFlags are the per-mount flags the kernel locks on mounts inherited by
// a less privileged (user) namespace: a remount must keep them.
const lockFlags = unix.MS_RDONLY | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID

// atimeFlags are locked as a group too: an unprivileged remount must keep the
// source's atime mode unless it asks for one.
const atimeFlags = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME | unix.MS_NODIRATIME

// Prepare builds the rootfs while the init still sees the host's paths: root
// propagation, the rootfs bind, each mount in order, then /dev.
//
// Preconditions: the calling goroutine is locked to its OS thread, which is
// in the container's new mount namespace; the cwd is the bundle directory
// (relative bind sources are resolved against it, as runc does).
func Prepare(c *Config) error {
	if !filepath.IsAbs(c.Rootfs) {
		return fmt.Errorf("rootfs %s: %w", c.Rootfs, ErrRelativeRootfs)
	}
	// Resolve the host's symlinks once: mountinfo shows resolved paths, and
	// the rootfs is compared with them (no-pivot) and used as a prefix.
	// Enter reuses the resolved path through c.
	root, err := filepath.EvalSymlinks(c.Rootfs)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	c.Rootfs = root
	if err := prepareRoot(c); err != nil {
		return err
	}
	for i := range c.Mounts {
		var detached *os.File
		if i < len(c.MountFiles) {
			detached = c.MountFiles[i]
		}
		if err := mountEntry(c, &c.Mounts[i], detached); err != nil {
			return err
		}
	}
	if !devBoundFromHost(c.Mounts) {
		if err := setupDev(c); err != nil {
			return err
		}
	}
	return nil
}

// prepareRoot keeps our mounts from propagating to the host and makes the
// rootfs a mount point of its own, which pivot_root(2) requires.
func prepareRoot(c *Config) error {
	flags := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if c.Propagation != "" {
		p, ok := propagationFlags[c.Propagation]
		if !ok {
			return fmt.Errorf("rootfs propagation %q: %w", c.Propagation, ErrInvalidPropagation)
		}
		flags = p | unix.MS_REC
	}
	if err := mount("", "/", "", flags, ""); err != nil {
		return mountError("", "", "/", err)
	}
	if err := parentMountPrivate(c.Rootfs); err != nil {
		return err
	}
	if err := mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return mountError(c.Rootfs, "bind", c.Rootfs, err)
	}
	return nil
}

// parentMountPrivate makes the mount holding path private: pivot_root(2)
// fails with EINVAL when the new root's parent mount is shared, and a shared
// parent would also carry our rootfs bind to other namespaces.
func parentMountPrivate(path string) error {
	for {
		err := mount("", path, "", unix.MS_PRIVATE, "")
		if err == nil {
			return nil
		}
		// EINVAL: not a mount point; go up until we meet one.
		if !errors.Is(err, unix.EINVAL) || path == "/" {
			return mountError("", "", path, err)
		}
		path = filepath.Dir(path)
	}
}

// devBoundFromHost reports whether /dev is bind-mounted, in which case the
// devices, links and ptmx are the bind source's business (runc's
// needsSetupDev).
func devBoundFromHost(mounts []specs.Mount) bool {
	for _, m := range mounts {
		if filepath.Clean(m.Destination) != "/dev" {
			continue
		}
		if m.Type == "bind" {
			return true
		}
		if o, err := ParseMountOptions(m.Options); err == nil && o.isBind() {
			return true
		}
	}
	return false
}

// mountEntry mounts one config.json mount under the rootfs. A bind with a
// detached mount (idmapped by the parent) attaches that instead.
func mountEntry(c *Config, m *specs.Mount, detached *os.File) error {
	if !filepath.IsAbs(m.Destination) {
		// The spec says destinations SHOULD be absolute; runc resolves
		// relative ones against "/", and so do we.
		m.Destination = "/" + m.Destination
	}
	opts, err := ParseMountOptions(m.Options)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
	}
	typ := m.Type
	if opts.isBind() {
		typ = "bind"
	}
	if err := checkProcMount(c.Rootfs, m, typ); err != nil {
		return mountError(m.Source, typ, m.Destination, err)
	}
	switch typ {
	case "bind":
		if detached != nil {
			return attachMount(c, detached, m.Source, m.Destination, opts)
		}
		return bindMount(c, m.Source, m.Destination, opts)
	case "cgroup":
		return mountCgroup(c, m, opts)
	case "sysfs":
		err := plainMount(c, m.Source, typ, m.Destination, opts)
		// Without its own network namespace a user namespace may not mount
		// sysfs; runc falls back to the host's /sys.
		if errors.Is(err, unix.EPERM) && c.InUserNS {
			opts.Flags |= unix.MS_BIND | unix.MS_REC
			return bindMount(c, "/sys", m.Destination, opts)
		}
		return err
	default:
		// proc, tmpfs, devpts, mqueue, overlay and anything else go to
		// mount(2) as they are.
		return plainMount(c, m.Source, typ, m.Destination, opts)
	}
}

// plainMount mounts a filesystem of type typ on a directory dest.
func plainMount(c *Config, src, typ, dest string, opts MountOptions) error {
	dst, err := mountpoint(c.Rootfs, dest, true)
	if err != nil {
		return mountError(src, typ, dest, err)
	}
	defer dst.Close()
	flags := opts.Flags
	if deferReadonly(typ, dest) {
		flags &^= unix.MS_RDONLY
	}
	data := withMountLabel(opts.Data, c.MountLabel)
	if typ == "proc" && c.Outside != nil {
		data = joinOptions(data, "pidns="+c.Outside.PidNS)
	}
	if err := mount(src, fdPath(dst), typ, flags, data); err != nil {
		return mountError(src, typ, dest, err)
	}
	return afterMount(c, src, typ, dest, opts)
}

// withMountLabel adds the SELinux context option to a mount's data, when SELinux is enabled.
func withMountLabel(data, label string) string {
	if label == "" || !selinuxEnabled() {
		return data
	}
	return joinOptions(data, `context="`+label+`"`)
}

// joinOptions appends opt to a mount's comma-separated data.
func joinOptions(data, opt string) string {
	if data == "" {
		return opt
	}
	return data + "," + opt
}

func selinuxEnabled() bool {
	var st unix.Statfs_t
	const selinuxMagic = 0xf97cff8c
	return unix.Statfs("/sys/fs/selinux", &st) == nil && st.Type == selinuxMagic
}

// deferReadonly reports whether a read-only mount is mounted read-write and
// made read-only by Enter: /dev needs its devices and links first, and a
// tmpfs may get mount points or content from later mounts and hooks.
func deferReadonly(typ, dest string) bool {
	return typ == "tmpfs" || filepath.Clean(dest) == "/dev"
}

// afterMount applies to a fresh plain mount what mount(2) does not take with
// it: propagation and recursive attributes. The mount is reopened by path (the
// handle taken before it names the covered directory), and the reopened
// handle must be the root of a mount other than the one it was made on: a
// rootfs that swapped a directory for a symlink meanwhile is caught here.
// (Binds never come here: they are set up by descriptor, see bind.go.)
func afterMount(c *Config, src, typ, dest string, opts MountOptions) error {
	remountFlags := opts.Flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if deferReadonly(typ, dest) {
		remountFlags &^= unix.MS_RDONLY
	}
	needRemount := typ == "bind" && remountFlags != 0
	if !needRemount && len(opts.Propagation) == 0 && opts.RecAttrSet|opts.RecAttrClr == 0 {
		return nil
	}
	f, err := openInRoot(c.Rootfs, dest)
	if err != nil {
		return mountError(src, typ, dest, err)
	}
	defer f.Close()
	if err := checkMountRoot(f); err != nil {
		return mountError(src, typ, dest, err)
	}
	if needRemount {
		if err := remountBind(fdPath(f), remountFlags, opts.ClearedFlags); err != nil {
			return fmt.Errorf("remount %s (%s) on %s: %w", src, typ, dest, err)
		}
	}
	for _, p := range opts.Propagation {
		if err := mount("", fdPath(f), "", p, ""); err != nil {
			return fmt.Errorf("set propagation of %s: %w", dest, err)
		}
	}
	if opts.RecAttrSet|opts.RecAttrClr != 0 {
		attr := unix.MountAttr{Attr_set: opts.RecAttrSet, Attr_clr: opts.RecAttrClr}
		err := unix.MountSetattr(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr)
		if err != nil {
			return fmt.Errorf("mount_setattr %s: %w", dest, err)
		}
	}
	return nil
}

// remountBind remounts the bind mount at target with flags. In a user
// namespace the kernel refuses (EPERM) to drop flags locked on the source,
// so the remount is retried keeping them, as runc does; a flag the user
// explicitly cleared but which is locked is an error, not silently kept.
func remountBind(target string, flags, cleared uintptr) error {
	err := mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", target, err)
	}
	locked := statfsToMountFlags(st.Flags)
	if bad := locked & cleared & lockFlags; bad != 0 {
		return fmt.Errorf("cannot clear locked mount flags %#x: %w", bad, err)
	}
	if flags&atimeFlags == 0 {
		flags |= locked & atimeFlags
	}
	flags |= locked & lockFlags
	return mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
}

// stNoSymfollow is ST_NOSYMFOLLOW (statfs.h, Linux 5.10), missing from x/sys.
const stNoSymfollow = 0x2000

// statfsToMountFlags converts statfs(2) f_flags (ST_*) to MS_* flags; most
// share their values, relatime does not.
func statfsToMountFlags(st int64) uintptr {
	table := [...]struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_SYNCHRONOUS, unix.MS_SYNCHRONOUS},
		{unix.ST_MANDLOCK, unix.MS_MANDLOCK},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
		{stNoSymfollow, unix.MS_NOSYMFOLLOW},
	}
	var ms uintptr
	for _, e := range table {
		if st&e.st != 0 {
			ms |= e.ms
		}
	}
	return ms
}

// mount is mount(2), retried on EINTR (FUSE and NFS can interrupt it).
func mount(src, target, typ string, flags uintptr, data string) error {
	for {
		err := unix.Mount(src, target, typ, flags, data)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// mountError names the mount in an error, keeping the errno in the chain.
func mountError(src, typ, dest string, err error) error {
	return fmt.Errorf("mount %s (%s) on %s: %w", src, typ, dest, err)
}
