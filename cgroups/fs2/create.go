package fs2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// hierarchyRoot returns the root of the cgroup2 mount that holds dir, which need not exist
// yet: the highest existing ancestor on a cgroup2 file system. Above a mount's root lies another
// file system (/sys/fs/cgroup sits on sysfs), also inside a cgroup namespace.
func hierarchyRoot(dir string) (string, error) {
	root := ""
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		switch {
		case err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC:
			root = p
		case err == nil && root != "":
			return root, nil
		case err != nil && !errors.Is(err, unix.ENOENT):
			return "", fmt.Errorf("find the cgroup2 mount of %s: statfs %s: %w", dir, p, err)
		}
		if p == "/" {
			break
		}
	}
	if root == "" {
		return "", fmt.Errorf("%s is not in a cgroup2 hierarchy", dir)
	}
	return root, nil
}

// createPath creates dir below root, enabling in each ancestor's cgroup.subtree_control, from
// root down, every controller that ancestor has (as runc's CreateCgroupPath), so that the
// container's cgroup gets every controller the hierarchy delegates. An ancestor that has
// processes of its own cannot enable domain controllers (the "no internal processes" rule;
// only the root is exempt): those writes fail and are ignored, and Set reports the missing
// files. Directories created here are removed again if a later step fails.
func createPath(root, dir string) (err error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroup %s is not below the hierarchy root %s", dir, root)
	}
	current := root
	elems := strings.Split(rel, string(filepath.Separator))
	for _, e := range elems {
		enableControllers(current)
		current = filepath.Join(current, e)
		if mkErr := os.Mkdir(current, 0o755); mkErr == nil {
			created := current
			defer func() {
				if err != nil {
					unix.Rmdir(created)
				}
			}()
		} else if !errors.Is(mkErr, os.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", current, unwrap(mkErr))
		}
		checkType(current)
	}
	return nil
}

// enableControllers writes +c for each controller of dir's cgroup.controllers to its
// cgroup.subtree_control: all at once, else one by one, ignoring refusals.
func enableControllers(dir string) {
	data, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return
	}
	ctrls := strings.Fields(data)
	if len(ctrls) == 0 {
		return
	}
	all := "+" + strings.Join(ctrls, " +")
	if writeFile(dir, "cgroup.subtree_control", all) == nil {
		return
	}
	for _, c := range ctrls {
		_ = writeFile(dir, "cgroup.subtree_control", "+"+c)
	}
}

// checkType puts a "domain invalid" cgroup (one created under a cgroup that already had
// processes) into threaded mode, as runc does when the container needs no domain controller:
// processes cannot join a domain invalid cgroup at all, while a threaded one runs them with the
// thread-aware controllers (cpu, cpuset, pids, perf_event). runc refuses up front when the
// resources need a domain controller (memory, io, hugetlb); here Apply runs before the resources
// are known, and Set then fails on the missing file that names the controller.
func checkType(dir string) {
	data, err := readFile(dir, "cgroup.type")
	if err == nil && strings.TrimSpace(data) == "domain invalid" {
		_ = writeFile(dir, "cgroup.type", "threaded")
	}
}
