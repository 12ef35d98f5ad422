// Package selfexe opens the running runo binary for re-execution in a way that a container
// cannot turn into a write to the host's binary (CVE-2019-5736).
//
// The attack: a process in the container opens /proc/<pid>/exe of runo's init (or of an exec'd
// runo) and, once no process runs the binary any more, reopens that file for writing and
// replaces runo on the host. runc answered with a copy of the binary per container (a sealed
// memfd); runo instead executes itself through a detached, read-only bind mount of its own
// binary (open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_RDONLY)). /proc/<pid>/exe then
// leads to a file on a read-only mount that exists nowhere in any mount namespace: reopening it
// for writing fails with EROFS. Two system calls, no copy, nothing left on the host.
//
// Where the kernel or the caller's privileges refuse the mount (rootless, or a kernel older
// than 5.12), Open falls back to a sealed memfd copy, which is slower but as safe.
package selfexe

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Open returns a file of the running binary to execveat(2) with AT_EMPTY_PATH.
func Open() (*os.File, error) {
	f, err := openReadonlyMount()
	if err == nil {
		return f, nil
	}
	f, err2 := sealedCopy()
	if err2 != nil {
		return nil, fmt.Errorf("protect runo binary: read-only mount: %w; sealed copy: %w", err, err2)
	}
	return f, nil
}

func openReadonlyMount() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree /proc/self/exe: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the clone of /proc/self/exe read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "/proc/self/exe (read-only mount)"), nil
}

// sealedCopy copies the binary into a memfd sealed against every change.
func sealedCopy() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("runo", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	dst := os.NewFile(uintptr(fd), "runo (sealed copy)")
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return nil, fmt.Errorf("copy /proc/self/exe: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, fmt.Errorf("seal copy of /proc/self/exe: %w", err)
	}
	return dst, nil
}
