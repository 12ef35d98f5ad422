package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// defaultDevices are the runtime-spec's "Default Devices": every container
// gets them unless linux.devices names the same path.
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// devLinks are the spec's "/dev symbolic links" (link name, target).
var devLinks = [][2]string{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

// setupDev fills /dev of a rootfs whose /dev is not bound from the host:
// device nodes, the standard links, ptmx and the console placeholder.
func setupDev(c *Config) error {
	// Modes are given exactly by the config; the init's umask must not
	// trim them.
	old := unix.Umask(0)
	defer unix.Umask(old)
	parents := &deviceDirs{root: c.Rootfs, open: map[string]*os.File{}}
	defer parents.close()
	for _, d := range allDevices(c.Devices) {
		// /dev/ptmx must be the devpts instance's ptmx, linked below.
		if path.Clean(d.Path) == "/dev/ptmx" {
			continue
		}
		if err := createDevice(parents, d, c.InUserNS); err != nil {
			return err
		}
	}
	dev, err := mkdirInRoot(c.Rootfs, "/dev")
	if err != nil {
		return err
	}
	defer dev.Close()
	return devFiles(dev, c.Console)
}

// devFiles makes the links, ptmx and (for a terminal) /dev/console in the
// /dev directory handle dev.
func devFiles(dev *os.File, console bool) error {
	links := devLinks
	// runc links /dev/core only where the kernel has /proc/kcore
	// (CONFIG_PROC_KCORE).
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links[:len(links):len(links)], [2]string{"core", "/proc/kcore"})
	}
	fd := int(dev.Fd())
	for _, l := range links {
		if err := unix.Symlinkat(l[1], fd, l[0]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s to %s: %w", l[0], l[1], err)
		}
	}
	// The container's devpts is mounted with ptmxmode; /dev/ptmx must lead
	// to it and not to the host's ptmx.
	if err := unix.Unlinkat(fd, "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := unix.Symlinkat("pts/ptmx", fd, "ptmx"); err != nil {
		return fmt.Errorf("symlink /dev/ptmx to pts/ptmx: %w", err)
	}
	if !console {
		return nil
	}
	d, err := sysfile.Open(fdPath(dev), unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer d.Close()
	return createFileAt(d, "console", 0o666)
}

// allDevices is linux.devices plus the defaults it does not override.
func allDevices(devs []specs.LinuxDevice) []specs.LinuxDevice {
	out := append([]specs.LinuxDevice(nil), devs...)
	for _, d := range defaultDevices {
		overridden := false
		for _, u := range devs {
			overridden = overridden || path.Clean(u.Path) == d.Path
		}
		if !overridden {
			out = append(out, d)
		}
	}
	return out
}

// deviceMode returns the st_mode (type and permissions) of a device node.
func deviceMode(d specs.LinuxDevice) (uint32, error) {
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	switch d.Type {
	case "c", "u":
		return unix.S_IFCHR | perm, nil
	case "b":
		return unix.S_IFBLK | perm, nil
	case "p":
		return unix.S_IFIFO | perm, nil
	}
	return 0, fmt.Errorf("device %s: type %q: %w", d.Path, d.Type, unix.EINVAL)
}

// deviceDirs are the directories that device nodes are made in, each created
// and opened once: the default devices all live in /dev, and making a
// directory safely in the rootfs costs more than the mknod.
type deviceDirs struct {
	root string
	open map[string]*os.File // relative path in root -> directory, O_RDONLY
}

// get returns the directory rel (relative to the root), creating it.
func (p *deviceDirs) get(rel string) (*os.File, error) {
	if f, ok := p.open[rel]; ok {
		return f, nil
	}
	h, err := mkdirInRoot(p.root, rel)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	// mknodat needs a directory opened for reading, not an O_PATH handle.
	fd, err := unix.Openat(int(h.Fd()), ".", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Join(p.root, rel), err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(p.root, rel))
	p.open[rel] = f
	return f, nil
}

func (p *deviceDirs) close() {
	for _, f := range p.open {
		f.Close()
	}
}

// createDevice makes the node d.Path inside the rootfs of parents: mknod, or
// a bind of the host's node where mknod is not allowed (user namespace).
func createDevice(parents *deviceDirs, d specs.LinuxDevice, bind bool) error {
	root := parents.root
	mode, err := deviceMode(d)
	if err != nil {
		return err
	}
	full, err := resolveInRoot(root, d.Path)
	if err != nil {
		return err
	}
	if full == root {
		return fmt.Errorf("device %s: mknod over the rootfs: %w", d.Path, unix.EEXIST)
	}
	rel, _ := filepath.Rel(root, full)
	if bind {
		return bindDevice(root, d, rel)
	}
	parent, err := parents.get(filepath.Dir(rel))
	if err != nil {
		return err
	}
	name := filepath.Base(full)
	err = unix.Mknodat(int(parent.Fd()), name, mode, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
	switch {
	case errors.Is(err, unix.EEXIST):
		return nil // the image or a mount already provides it
	case errors.Is(err, unix.EPERM):
		return bindDevice(root, d, rel)
	case err != nil:
		return fmt.Errorf("mknod %s: %w", d.Path, err)
	}
	// The node was just created by us and is no symlink: *at on the
	// directory handle reaches it without resolving d.Path again.
	if err := unix.Fchmodat(int(parent.Fd()), name, mode&0o7777, 0); err != nil {
		return fmt.Errorf("chmod %s: %w", d.Path, err)
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Fchownat(int(parent.Fd()), name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown %s: %w", d.Path, err)
	}
	return nil
}

// bindDevice binds the host's node d.Path onto an empty file at rel.
func bindDevice(root string, d specs.LinuxDevice, rel string) error {
	dst, err := mountpoint(root, rel, false)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.Path, err)
	}
	defer dst.Close()
	if err := mount(d.Path, fdPath(dst), "", unix.MS_BIND, ""); err != nil {
		return mountError(d.Path, "bind", d.Path, err)
	}
	return nil
}
