package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MountConsole binds the pty slave at slavePath onto /dev/console, creating
// it (an empty file, mode 0666) if missing. Call it after Enter. /dev and
// /dev/console are opened without following any symlink: the image owns
// them, and a link to, say, /proc/sys/kernel/core_pattern would otherwise
// put the pty over it (CVE-2025-52565).
//
// Preconditions: the calling goroutine is locked to its OS thread.
func MountConsole(slavePath string) error {
	dev, err := openNoSymlinks(unix.AT_FDCWD, "/dev", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer unix.Close(dev)
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(dev, &sfs); err != nil {
		return fmt.Errorf("statfs /dev: %w", err)
	}
	if sfs.Type == unix.PROC_SUPER_MAGIC || sfs.Type == unix.SYSFS_MAGIC {
		return fmt.Errorf("/dev is on procfs or sysfs: %w", ErrUnsafeConsole)
	}
	if err := createConsole(dev); err != nil {
		return err
	}
	fd, err := openNoSymlinks(dev, "console", unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("open /dev/console: %w", err)
	}
	f := os.NewFile(uintptr(fd), "/dev/console")
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat /dev/console: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFCHR {
		return fmt.Errorf("/dev/console has mode %#o: %w", st.Mode, ErrUnsafeConsole)
	}
	if err := mount(slavePath, procFDTarget(f, "/dev/console"), "", unix.MS_BIND, ""); err != nil {
		return mountError(slavePath, "bind", "/dev/console", err)
	}
	return nil
}

// createConsole creates dev/console as an empty 0666 file unless something
// is there already.
func createConsole(dev int) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	fd, err := unix.Openat(dev, "console", unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o666)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	unix.Close(fd)
	return nil
}

// openNoSymlinks opens p (relative to dirfd) refusing symlinks in any
// component (openat2 RESOLVE_NO_SYMLINKS). Kernels before 5.6 lack openat2:
// then only the last component is protected, by O_NOFOLLOW.
func openNoSymlinks(dirfd int, p string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(dirfd, p, &how)
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.ENOSYS):
			return unix.Openat(dirfd, p, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
		return fd, err
	}
}
