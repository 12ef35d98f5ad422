package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// unifiedMount is the cgroup2 mount of a hybrid host, hidden from every runtime under test.
const unifiedMount = cgroupMount + "/unified"

// coverUnified mounts an empty tmpfs over /sys/fs/cgroup/unified when it holds cgroup2 and
// /sys/fs/cgroup does not, and says what it did. crun 1.8 refuses such a hybrid host; covering
// the mount makes it plain cgroup v1 for runo, runc and crun alike. The tmpfs must be writable:
// crun still follows the "0::" line of /proc/self/cgroup into it and writes the pid into a
// cgroup.procs there, which on tmpfs is a plain file in the bench's private namespace.
// Preconditions: the process is in its own mount namespace with / propagation private, so the
// mount cannot reach the host.
func coverUnified() (string, error) {
	// Go already does this after unshare(CLONE_NEWNS); doing it again costs nothing and keeps
	// the precondition true should the re-exec ever change.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", fmt.Errorf("make / rprivate: %w", err)
	}
	var top unix.Statfs_t
	if err := unix.Statfs(cgroupMount, &top); err != nil {
		return "", fmt.Errorf("statfs %s: %w", cgroupMount, err)
	}
	if top.Type == unix.CGROUP2_SUPER_MAGIC {
		return "cgroup v2 host: nothing to hide, runtimes see the host's cgroups as they are", nil
	}
	var st unix.Statfs_t
	err := unix.Statfs(unifiedMount, &st)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Type != unix.CGROUP2_SUPER_MAGIC) {
		return "cgroup v1 host without a cgroup2 mount at " + unifiedMount + ": nothing to hide", nil
	}
	if err != nil {
		return "", fmt.Errorf("statfs %s: %w", unifiedMount, err)
	}
	if err := unix.Mount("none", unifiedMount, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=16m,mode=0755"); err != nil {
		return "", fmt.Errorf("cover %s with tmpfs: %w", unifiedMount, err)
	}
	return "every runtime runs in a private mount namespace with a tmpfs over " + unifiedMount +
		":\n  crun 1.8 refuses this cgroup v1/v2 hybrid host, so all three see plain cgroup v1 alike\n" +
		"  (crun still writes its pid to a cgroup.procs file in that tmpfs; a few microseconds)", nil
}

// mountWorkTmpfs mounts a tmpfs over the work directory, where the bundle and every runtime's
// --root go, and says so. runc, crun and runo keep their state under /run by default, a tmpfs;
// on a disk filesystem each container's few state files cost block allocation, journaling and,
// after thousands of containers, ext4's scan past recently deleted inodes (a fifth of runo
// create's CPU on this machine's /tmp after a session of tests). Preconditions as for
// coverUnified.
func mountWorkTmpfs(workDir string) (string, error) {
	if err := unix.Mount("runo-bench", workDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=256m,mode=0700"); err != nil {
		return "", fmt.Errorf("mount tmpfs on %s: %w", workDir, err)
	}
	return "the bundle and the runtimes' state roots are on a tmpfs (" + workDir + "), as /run is by default", nil
}

// isInner reports whether this process is the re-executed harness inside the mount namespace.
func isInner() bool {
	return os.Getenv(envWorkDir) != ""
}
