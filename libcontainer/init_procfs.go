package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// procfs is a handle on a procfs instance that the container's filesystem cannot redirect
// (CVE-2023-27561, CVE-2025-52881): every write runo makes to /proc (sysctl, oom_score_adj,
// LSM attributes) goes through it, with openat2 refusing symlinks and mount crossings.
type procfs struct {
	fd int
}

// openProcfs mounts a private, detached procfs (fsopen/fsmount: it exists in no mount
// namespace), or, where the kernel refuses that (a user namespace that does not own the pid
// namespace), opens the container's /proc after checking it is the root of a procfs.
func openProcfs() (*procfs, error) {
	if fd, err := privateProcfs(); err == nil {
		return &procfs{fd: fd}, nil
	}
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /proc: %w", err)
	}
	var fs unix.Statfs_t
	var st unix.Stat_t
	if err := unix.Fstatfs(fd, &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		unix.Close(fd)
		return nil, errors.New("/proc in the container is not a procfs")
	}
	if err := unix.Fstat(fd, &st); err != nil || st.Ino != 1 { // the root of a procfs is inode 1
		unix.Close(fd)
		return nil, errors.New("/proc in the container is not the root of a procfs")
	}
	return &procfs{fd: fd}, nil
}

func privateProcfs() (int, error) {
	fsfd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, err
	}
	return unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
}

// open opens rel, a path inside the procfs, refusing symlinks and mount crossings.
func (p *procfs) open(rel string, flags uint64) (int, error) {
	how := &unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	}
	fd, err := unix.Openat2(p.fd, rel, how)
	if err != nil {
		return -1, fmt.Errorf("open /proc/%s: %w", rel, err)
	}
	return fd, nil
}

// write writes value to rel, a path inside the procfs such as "sys/net/ipv4/ip_forward".
func (p *procfs) write(rel, value string) error {
	fd, err := p.open(rel, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(value)); err != nil {
		return fmt.Errorf("write /proc/%s: %w", rel, err)
	}
	return nil
}

// read returns the contents of rel, a file inside the procfs.
func (p *procfs) read(rel string) ([]byte, error) {
	fd, err := p.open(rel, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "/proc/"+rel)
	defer f.Close()
	return io.ReadAll(f)
}

// readDir lists the directory rel inside the procfs.
func (p *procfs) readDir(rel string) ([]string, error) {
	fd, err := p.open(rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(fd), "/proc/"+rel)
	defer dir.Close()
	return dir.Readdirnames(-1)
}

// self is the path of the calling process in this procfs; thread, of the calling thread.
func (p *procfs) self() string   { return strconv.Itoa(os.Getpid()) }
func (p *procfs) thread() string { return p.self() + "/task/" + strconv.Itoa(unix.Gettid()) }

func (p *procfs) close() { unix.Close(p.fd) }
