package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// Every path taken from config.json is resolved inside the rootfs with
// symlinks evaluated as if the rootfs were "/" (securejoin), and mounts are
// made through an O_PATH handle ("/proc/self/fd/N") rather than by path, so a
// symlink swapped in by the image between the check and the mount(2) cannot
// redirect the mount onto the host (CVE-2021-30465).

// resolveInRoot returns the host path of unsafePath inside root without
// leaving root, even through ".." or absolute symlinks.
func resolveInRoot(root, unsafePath string) (string, error) {
	p, err := securejoin.SecureJoin(root, unsafePath)
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", unsafePath, root, err)
	}
	return p, nil
}

// openRoot opens root as an O_PATH directory handle.
func openRoot(root string) (*os.File, error) {
	f, err := sysfile.Open(root, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs: %w", err)
	}
	return f, nil
}

// openInRoot opens unsafePath inside root as an O_PATH handle, resolved
// inside root. Opened after a mount, the handle names the new mount's root.
func openInRoot(root, unsafePath string) (*os.File, error) {
	f, err := pathrs.OpenInRoot(root, unsafePath)
	if err != nil {
		return nil, fmt.Errorf("open %s in %s: %w", unsafePath, root, err)
	}
	return f, nil
}

// mkdirInRoot creates unsafePath and its parents inside root (mode 0755) and
// returns an O_PATH handle of the directory.
func mkdirInRoot(root, unsafePath string) (*os.File, error) {
	rootDir, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer rootDir.Close()
	f, err := pathrs.MkdirAllHandle(rootDir, unsafePath, 0o755)
	if err != nil {
		return nil, fmt.Errorf("mkdir %s in %s: %w", unsafePath, root, err)
	}
	return f, nil
}

// openExistingDir opens unsafePath inside root as an O_PATH directory handle
// with one openat2(RESOLVE_IN_ROOT), the kernel's own resolution inside root:
// most mount points are directories the image has, or directories whose
// parent it has (/dev/pts in a fresh /dev), which are made in the parent's
// handle. It returns nil for anything else (a longer missing path, not a
// directory, a symlink, no openat2, a racing rename), which mountpoint leaves
// to the full walk.
func openExistingDir(root, unsafePath string) *os.File {
	rootDir, err := openRoot(root)
	if err != nil {
		return nil
	}
	defer rootDir.Close()
	how := &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(int(rootDir.Fd()), unsafePath, how)
	if err == nil {
		return os.NewFile(uintptr(fd), filepath.Join(root, unsafePath))
	}
	clean := filepath.Clean("/" + unsafePath)
	if !errors.Is(err, unix.ENOENT) || clean == "/" {
		return nil
	}
	parentFD, err := unix.Openat2(int(rootDir.Fd()), filepath.Dir(clean), how)
	if err != nil {
		return nil
	}
	parent := os.NewFile(uintptr(parentFD), filepath.Join(root, filepath.Dir(clean)))
	defer parent.Close()
	// One component, made and opened without following a symlink: nothing to resolve.
	dir, err := mkdirAt(parent, filepath.Base(clean))
	if err != nil {
		return nil
	}
	return dir
}

// createFileAt creates an empty regular file name in the directory dir unless
// something already exists there. O_NOFOLLOW: a dangling symlink must not make
// us create its target.
func createFileAt(dir *os.File, name string, mode uint32) error {
	fd, err := unix.Openat(int(dir.Fd()), name,
		unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, mode)
	if err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil
		}
		return fmt.Errorf("create %s: %w", name, err)
	}
	unix.Close(fd)
	return nil
}

// mountpoint creates the mount point for unsafePath inside root, a directory
// or (isDir false) an empty file, and returns an O_PATH handle of it.
func mountpoint(root, unsafePath string, isDir bool) (*os.File, error) {
	if isDir {
		if f := openExistingDir(root, unsafePath); f != nil {
			return f, nil
		}
	}
	// Resolve first, as runc does: a dangling symlink of the image (say
	// /var/run -> /run with no /run) then yields the directories to create,
	// and the parent and base name of a file are those of the final path.
	full, err := resolveInRoot(root, unsafePath)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, full)
	if err != nil {
		return nil, fmt.Errorf("resolve %s in %s: %w", unsafePath, root, err)
	}
	if isDir {
		return mkdirInRoot(root, rel)
	}
	if full == filepath.Clean(root) {
		return nil, fmt.Errorf("mount a file over the rootfs %s: %w", root, unix.ENOTDIR)
	}
	parent, err := mkdirInRoot(root, filepath.Dir(rel))
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	// An O_PATH handle cannot be used with openat(O_CREAT); reopen it.
	dir, err := pathrs.Reopen(parent, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Dir(full), err)
	}
	defer dir.Close()
	if err := createFileAt(dir, filepath.Base(full), 0o644); err != nil {
		return nil, fmt.Errorf("create mount point %s: %w", full, err)
	}
	return openInRoot(root, rel)
}

// fdPath is the magic link through which a syscall taking a path reaches the
// file an O_PATH handle refers to, without resolving anything again.
func fdPath(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}
