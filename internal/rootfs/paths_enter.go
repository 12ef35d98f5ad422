package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// After Enter's pivot, "/proc/self/fd/N" works only if the container mounted
// a procfs at /proc. Without one, the plain path is used: racy, but the only
// way left, and such containers have no /proc paths to mask anyway. A caller
// outside the container's pid namespace names f in its own fd directory,
// which Finalize made its cwd (Config.hostFDs).
func fdTarget(c *Config, f *os.File, p string) string {
	if c.hostFDs != nil {
		return c.enteredFDPath(f)
	}
	return procFDTarget(f, p)
}

// enteredFDPath is fdPath after Enter: relative to the caller's own fd
// directory for a caller outside the container's pid namespace (see fdTarget).
func (c *Config) enteredFDPath(f *os.File) string {
	if c.hostFDs != nil {
		return strconv.Itoa(int(f.Fd()))
	}
	return fdPath(f)
}

// procFDTarget names f through the container's /proc/self/fd, or by the
// plain path p where the container has no procfs (see fdTarget).
func procFDTarget(f *os.File, p string) string {
	fp := fdPath(f)
	if _, err := os.Lstat(fp); err != nil {
		return p
	}
	return fp
}

// readonlyPath binds p onto itself read-only, keeping nosuid, nodev and
// noexec of the mount it comes from (runc's readonlyPath). A missing path is
// skipped: the spec lists paths that only some kernels have.
func readonlyPath(c *Config, p string) error {
	f, err := sysfile.Open(p, unix.O_PATH, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("readonly path: %w", err)
	}
	t := fdTarget(c, f, p)
	err = mount(t, t, "", unix.MS_BIND|unix.MS_REC, "")
	f.Close()
	if err != nil {
		return mountError(p, "bind", p, err)
	}
	// Reopen: the old handle names the directory under the new bind.
	g, err := sysfile.Open(p, unix.O_PATH, 0)
	if err != nil {
		return fmt.Errorf("readonly path: %w", err)
	}
	defer g.Close()
	t = fdTarget(c, g, p)
	var st unix.Statfs_t
	if err := unix.Statfs(t, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	keep := statfsToMountFlags(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := remountBind(t, keep|unix.MS_RDONLY, 0); err != nil {
		return fmt.Errorf("remount %s read-only: %w", p, err)
	}
	return nil
}

// maskPaths hides each path: /dev/null bound over a file, an empty
// read-only tmpfs over a directory. Missing paths are skipped.
func maskPaths(c *Config, paths []string) error {
	var devNull *os.File
	defer func() {
		if devNull != nil {
			devNull.Close()
		}
	}()
	for _, p := range paths {
		f, err := sysfile.Open(p, unix.O_PATH, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("masked path: %w", err)
		}
		err = maskOne(c, f, p, &devNull)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func maskOne(c *Config, f *os.File, p string, devNull **os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("masked path: %w", err)
	}
	t := fdTarget(c, f, p)
	if st.IsDir() {
		if err := mount("tmpfs", t, "tmpfs", unix.MS_RDONLY, ""); err != nil {
			return mountError("tmpfs", "tmpfs", p, err)
		}
		return nil
	}
	if *devNull == nil {
		if *devNull, err = openDevNull(); err != nil {
			return err
		}
	}
	src := fdTarget(c, *devNull, "/dev/null")
	if err := mount(src, t, "", unix.MS_BIND, ""); err != nil {
		return mountError("/dev/null", "bind", p, err)
	}
	return nil
}

// openDevNull opens the container's /dev/null and checks that it is the null
// device: the image controls /dev when it is not ours, and binding a
// "/dev/null" that links to a host-writable file over a masked path would
// unmask it (CVE-2025-31133).
func openDevNull() (*os.File, error) {
	f, err := sysfile.Open("/dev/null", unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/null: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		f.Close()
		return nil, ErrNotDevNull
	}
	return f, nil
}
