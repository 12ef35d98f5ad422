package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// WriteFile writes value to dir/file, naming both in the error. cgroup files take one write
// each: the kernel parses the whole value at once. The file must exist: creating it would hide
// a missing controller (in cgroupfs, as "permission denied").
func WriteFile(dir, file, value string) error {
	path := filepath.Join(dir, file)
	if err := sysfile.Write(path, []byte(value), unix.O_TRUNC, 0); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, errors.Unwrap(err))
	}
	return nil
}

// ReadFile returns the contents of dir/file without the trailing newline.
func ReadFile(dir, file string) (string, error) {
	data, err := sysfile.Read(filepath.Join(dir, file))
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

// AddPid moves pid into the cgroup at dir.
func AddPid(dir string, pid int) error {
	return WriteFile(dir, "cgroup.procs", strconv.Itoa(pid))
}

// ReadPids lists the processes of the cgroup at dir.
func ReadPids(dir string) ([]int, error) {
	data, err := ReadFile(dir, "cgroup.procs")
	if err != nil {
		return nil, fmt.Errorf("list cgroup processes: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(data) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s/cgroup.procs: %w", dir, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// RemoveDir removes a cgroup directory. A cgroup whose processes were just killed stays busy
// for a moment, so removal is retried for up to a second.
func RemoveDir(dir string) error {
	delay := time.Millisecond
	for deadline := time.Now().Add(time.Second); ; delay *= 2 {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
	}
}

// IsUnified reports whether /sys/fs/cgroup is a cgroup v2 mount (a pure v2 host).
func IsUnified() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}
