package fs2

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// setUnified writes linux.resources.unified as runc does: each key is a file of the
// container's cgroup, written line by line as given. A key with a "/" could reach outside the
// cgroup and is refused; a key naming no file gets an error that says which controller is
// missing. Keys are written in sorted order so that a failure is reproducible.
func setUnified(dir string, unified map[string]string) error {
	keys := make([]string, 0, len(unified))
	for k := range unified {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(k, "/") || k == "" || k == "." || k == ".." {
			return fmt.Errorf("unified resource %q must be a file name (no slashes)", k)
		}
		ctrl, _, ok := strings.Cut(k, ".")
		if !ok {
			return fmt.Errorf("unified resource %q must be in the form CONTROLLER.PARAMETER", k)
		}
		fi, err := os.Lstat(filepath.Join(dir, k))
		if err != nil {
			if isNotExist(err) && ctrl != "cgroup" && !controllerEnabled(dir, ctrl) {
				return fmt.Errorf("unified resource %q can't be set: controller %q not available", k, ctrl)
			}
			return fmt.Errorf("unable to set unified resource %q: %w", k, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("unable to set unified resource %q: not a cgroup file", k)
		}
		if err := writeLines(dir, k, unified[k]); err != nil {
			return fmt.Errorf("unable to set unified resource %q: %w", k, err)
		}
	}
	return nil
}

// controllerEnabled reports whether the cgroup at dir has ctrl in its cgroup.controllers.
func controllerEnabled(dir, ctrl string) bool {
	data, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(data) {
		if c == ctrl {
			return true
		}
	}
	return false
}
