package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupMount is where the cgroup hierarchies are mounted: one directory per v1 controller on a
// v1 or hybrid host, the v2 hierarchy itself on a unified host.
const cgroupMount = "/sys/fs/cgroup"

// cgroupParentName is the bench-owned cgroup parent below which every container gets its own.
func cgroupParentName(tag string) string {
	return "runo-bench-" + tag
}

// removeCgroupParents removes runo-bench-<tag> from every hierarchy under /sys/fs/cgroup (and
// from /sys/fs/cgroup itself, for a v2 host). A runtime normally removes its container's leaf on
// delete; what a failed run left behind is removed here, after killing the processes still in it:
// they are in the bench's own cgroup, so they are the bench's containers.
func removeCgroupParents(tag string) []error {
	bases := []string{cgroupMount}
	entries, err := os.ReadDir(cgroupMount)
	if err != nil {
		return []error{fmt.Errorf("list cgroup hierarchies in %s: %w", cgroupMount, err)}
	}
	for _, e := range entries {
		// Skip symlinks such as cpu -> cpu,cpuacct (the target is listed on its own), and the
		// tmpfs that covers unified inside the bench's namespace: it vanishes with it.
		dir := filepath.Join(cgroupMount, e.Name())
		if e.IsDir() && e.Type()&fs.ModeSymlink == 0 && isCgroupFS(dir) {
			bases = append(bases, dir)
		}
	}
	var errs []error
	for _, base := range bases {
		dir := filepath.Join(base, cgroupParentName(tag))
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := removeCgroupTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func isCgroupFS(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP_SUPER_MAGIC || st.Type == unix.CGROUP2_SUPER_MAGIC
}

// removeCgroupTree removes dir and its child cgroups, deepest first. A cgroup directory cannot be
// removed with its control files (rmdir only), and not while it holds a process.
func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		killCgroupProcs(dir)
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killCgroupProcs sends SIGKILL to every process listed in dir/cgroup.procs.
func killCgroupProcs(dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(raw)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
}
