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
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
)

// Open returns a file of the running binary to execveat(2) with AT_EMPTY_PATH.
func Open() (*os.File, error) {
	if Protected() {
		// Already a protected copy (Reexec), which open_tree cannot clone (a mount in no
		// namespace): execute the same file.
		fd, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open /proc/self/exe: %w", err)
		}
		return os.NewFile(uintptr(fd), "/proc/self/exe (protected)"), nil
	}
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

// protectedEnv marks a process that Reexec started, so that it does not re-execute again. Its
// value is the pid, which execve keeps: a child that inherits the environment (a hook that runs
// runo) is not marked.
const protectedEnv = "_RUNO_PROTECTED_EXE"

// reexecuted reports whether Reexec started this process.
func reexecuted() bool { return os.Getenv(protectedEnv) == strconv.Itoa(os.Getpid()) }

// Protected reports whether the running binary is a protected copy (a read-only mount or a
// sealed memfd, as Open makes), so that /proc/<pid>/exe of this process, or of a child that
// has not exec'd yet, leads nowhere writable. It trusts the marker Reexec sets only as far as
// the file bears it out.
func Protected() bool {
	if !reexecuted() {
		return false
	}
	fd, err := unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0); err == nil && seals&unix.F_SEAL_WRITE != 0 {
		return true
	}
	var fs unix.Statfs_t
	return unix.Fstatfs(fd, &fs) == nil && fs.Flags&unix.ST_RDONLY != 0
}

// Reexec executes the running binary again, from a protected copy (Open), with the same
// arguments and environment and a marker that Protected reads. It returns only on failure;
// a process that Reexec started does not re-execute (the marker), whatever Protected says.
func Reexec() error {
	if reexecuted() {
		return fmt.Errorf("re-execute runo from a protected copy: already re-executed, and %s is not protected", "/proc/self/exe")
	}
	f, err := Open()
	if err != nil {
		return err
	}
	defer f.Close()
	var p sysprog.Program
	empty, err := p.String("")
	if err != nil {
		return err
	}
	argv, err := p.Strings(os.Args)
	if err != nil {
		return fmt.Errorf("re-execute runo: arguments: %w", err)
	}
	envv, err := p.Strings(append(os.Environ(), protectedEnv+"="+strconv.Itoa(os.Getpid())))
	if err != nil {
		return fmt.Errorf("re-execute runo: environment: %w", err)
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_EXECVEAT,
		Args: [6]uintptr{f.Fd(), empty, argv, envv, unix.AT_EMPTY_PATH},
		Err: func(errno syscall.Errno) error {
			return fmt.Errorf("re-execute runo from a protected copy: %w", errno)
		},
	})
	if err := p.Prepare(); err != nil {
		return err
	}
	return p.Run()
}
