package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupMountFlags are runc's flags for the tmpfs that holds the v1
// hierarchies and for fresh cgroup mounts.
const cgroupMountFlags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV

// hostCgroupRoot is where the host's cgroup filesystems are mounted.
const hostCgroupRoot = "/sys/fs/cgroup"

// mountCgroup handles a mount of type "cgroup": the container sees its own
// cgroups only, never the host's whole tree.
func mountCgroup(c *Config, m *specs.Mount, opts MountOptions) error {
	var st unix.Statfs_t
	if err := unix.Statfs(hostCgroupRoot, &st); err != nil {
		return mountError(m.Source, m.Type, m.Destination, fmt.Errorf("statfs %s: %w", hostCgroupRoot, err))
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return mountCgroup2(c, m, opts)
	}
	return mountCgroup1(c, m, opts)
}

// mountCgroup2 mounts cgroup2 when the container has a cgroup namespace
// (the kernel then roots it at the container's cgroup), else binds the
// container's own cgroup directory.
func mountCgroup2(c *Config, m *specs.Mount, opts MountOptions) error {
	if c.newCgroupNS() {
		err := plainMount(c, m.Source, "cgroup2", m.Destination, opts)
		// A user namespace that does not own the cgroup namespace may not
		// mount cgroup2 (EPERM); fall back to a bind like runc.
		if err == nil || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY)) {
			return err
		}
	}
	cgs, err := readProcCgroup()
	if err != nil {
		return mountError(m.Source, m.Type, m.Destination, err)
	}
	src := hostCgroupRoot
	for _, e := range cgs {
		if len(e.Controllers) == 0 {
			src = path.Join(hostCgroupRoot, e.Path)
		}
	}
	if c.Outside != nil {
		if dir, ok := c.Outside.CgroupDirs[""]; ok {
			src = dir
		}
	}
	opts.Flags |= unix.MS_BIND
	return bindMount(c, src, m.Destination, opts)
}

// newCgroupNS says whether cgroup mounts are fresh ones, rooted by the
// container's cgroup namespace, which only its own processes are in.
func (c *Config) newCgroupNS() bool { return c.NewCgroupNS && c.Outside == nil }

// v1Hierarchy is one cgroup v1 hierarchy the init is a member of.
type v1Hierarchy struct {
	name        string   // directory under the cgroup mount: base of the host mount point
	controllers []string // as in /proc/self/cgroup, e.g. cpu,cpuacct or name=systemd
	source      string   // host path of the init's cgroup in this hierarchy
}

// mountCgroup1 builds runc's v1 layout: a tmpfs at the destination with one
// directory per hierarchy (a bind of the container's own cgroup, or a fresh
// cgroup mount in a cgroup namespace), and links for co-mounted controllers
// (cpu -> cpu,cpuacct).
//
// The directories and links are made through a handle on the tmpfs, which
// runo has just mounted and nothing else can write: resolving each of them
// safely from the rootfs again would cost more than the mounts themselves.
func mountCgroup1(c *Config, m *specs.Mount, opts MountOptions) error {
	mi, err := readMountInfo()
	if err != nil {
		return mountError(m.Source, m.Type, m.Destination, err)
	}
	cgs, err := readProcCgroup()
	if err != nil {
		return mountError(m.Source, m.Type, m.Destination, err)
	}
	hs, err := v1Hierarchies(mi, cgs)
	if err != nil {
		return mountError(m.Source, m.Type, m.Destination, err)
	}
	if c.Outside != nil {
		for i, h := range hs {
			if dir, ok := c.Outside.CgroupDirs[strings.Join(h.controllers, ",")]; ok {
				hs[i].source = dir
			}
		}
	}
	tmpfs := MountOptions{Flags: cgroupMountFlags, Propagation: opts.Propagation, Data: "mode=755"}
	if err := plainMount(c, "tmpfs", "tmpfs", m.Destination, tmpfs); err != nil {
		return err
	}
	dir, err := openTmpfs(c.Rootfs, m.Destination)
	if err != nil {
		return mountError("tmpfs", "tmpfs", m.Destination, err)
	}
	defer dir.Close()
	for _, h := range hs {
		if err := mountHierarchy(c, dir, h, path.Join(m.Destination, h.name), opts); err != nil {
			return err
		}
	}
	if err := linkCoMounted(dir, m.Destination, hs); err != nil {
		return err
	}
	if opts.Flags&unix.MS_RDONLY == 0 {
		return nil
	}
	if err := remountBind(fdPath(dir), cgroupMountFlags|unix.MS_RDONLY, 0); err != nil {
		return fmt.Errorf("remount %s read-only: %w", m.Destination, err)
	}
	return nil
}

// openTmpfs opens the tmpfs mounted at unsafePath in root, checking that it is
// one: the handle must lead into the mount just made, not into the image.
func openTmpfs(root, unsafePath string) (*os.File, error) {
	f, err := openInRoot(root, unsafePath)
	if err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		f.Close()
		return nil, fmt.Errorf("%s in %s is not the tmpfs just mounted there", unsafePath, root)
	}
	return f, nil
}

// mountHierarchy puts one v1 hierarchy at dest, the directory h.name of the
// tmpfs dir. The mount point is made in dir by descriptor, not looked up from
// the rootfs: the tmpfs was mounted a moment ago and nothing else has seen it.
func mountHierarchy(c *Config, dir *os.File, h v1Hierarchy, dest string, opts MountOptions) error {
	dst, err := mkdirAt(dir, h.name)
	if err != nil {
		return mountError("cgroup", "cgroup", dest, err)
	}
	defer dst.Close()
	if !c.newCgroupNS() {
		b := opts
		b.Flags |= unix.MS_BIND | unix.MS_REC
		b.Propagation = nil
		return bindMountOn(h.source, dest, dst, b)
	}
	flags := uintptr(cgroupMountFlags) | opts.Flags&unix.MS_RDONLY
	data := strings.Join(h.controllers, ",")
	if err := mount("cgroup", fdPath(dst), "cgroup", flags, data); err != nil {
		return mountError("cgroup", "cgroup", dest, err)
	}
	return nil
}

// mkdirAt makes the directory name (one component) in dir unless it exists,
// and opens it without following a symlink.
func mkdirAt(dir *os.File, name string) (*os.File, error) {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return nil, fmt.Errorf("mkdir %q: not a single path component", name)
	}
	if err := unix.Mkdirat(int(dir.Fd()), name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("mkdir %s: %w", name, err)
	}
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// linkCoMounted links each controller of a co-mounted hierarchy to its
// directory in the tmpfs dir (mounted at dest), as runc does.
func linkCoMounted(dir *os.File, dest string, hs []v1Hierarchy) error {
	for _, h := range hs {
		if !strings.Contains(h.name, ",") {
			continue
		}
		for _, ctrl := range strings.Split(h.name, ",") {
			err := unix.Symlinkat(h.name, int(dir.Fd()), ctrl)
			if err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("symlink %s to %s: %w", path.Join(dest, ctrl), h.name, err)
			}
		}
	}
	return nil
}

// v1Hierarchies matches the v1 lines of /proc/self/cgroup with the cgroup
// mounts of mountinfo: the mount whose super options hold the line's
// controllers is that hierarchy.
func v1Hierarchies(mi []mountInfo, cgs []cgroupEntry) ([]v1Hierarchy, error) {
	var out []v1Hierarchy
	for _, e := range cgs {
		if len(e.Controllers) == 0 {
			continue // the v2 line
		}
		i := slices.IndexFunc(mi, func(m mountInfo) bool {
			return m.FSType == "cgroup" && containsAll(m.SuperOpts, e.Controllers)
		})
		if i < 0 {
			continue // a hierarchy not mounted here: nothing to bind
		}
		rel, ok := relInside(mi[i].Root, e.Path)
		if !ok {
			return nil, fmt.Errorf("cgroup %s is outside the mount of %s (root %s)",
				e.Path, mi[i].Mountpoint, mi[i].Root)
		}
		out = append(out, v1Hierarchy{
			name:        filepath.Base(mi[i].Mountpoint),
			controllers: e.Controllers,
			source:      path.Join(mi[i].Mountpoint, rel),
		})
	}
	return out, nil
}

// relInside returns p relative to root when p is root or below it.
func relInside(root, p string) (string, bool) {
	root, p = path.Clean(root), path.Clean(p)
	if root == "/" {
		return p, true
	}
	if p == root {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, root+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
