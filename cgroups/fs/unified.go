package fs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/runo-project/runo/cgroups"
)

// setUnified writes linux.resources.unified, which names cgroup v2 files. On a hybrid host the
// container has a cgroup2 directory (dir) too, and a key whose file exists there is written
// to it; on a pure v1 host, or for a file the cgroup2 directory lacks (its controller is bound
// to a v1 hierarchy), the key is refused, since cgroup v1 has no equivalent.
//
// runc's fs driver refuses unified outright on v1 and hybrid hosts; writing the keys the
// cgroup2 hierarchy can take lets a hybrid host use the controllers it binds to cgroup2.
func setUnified(dir string, unified map[string]string) error {
	keys := make([]string, 0, len(unified))
	for k := range unified {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsRune(k, '/') || k == "." || k == ".." {
			return fmt.Errorf("linux.resources.unified[%q]: not a cgroup file name", k)
		}
		if dir == "" {
			return fmt.Errorf("linux.resources.unified[%q]: this host has no cgroup2 hierarchy (cgroup v1): %w", k, cgroups.ErrNotSupported)
		}
		if !exists(dir, k) {
			return fmt.Errorf("linux.resources.unified[%q]: no such file in the cgroup2 directory %s (is its controller bound to cgroup v1?): %w", k, dir, cgroups.ErrNotSupported)
		}
		if err := cgroups.WriteFile(dir, k, unified[k]); err != nil {
			return fmt.Errorf("linux.resources.unified[%q]: %w", k, err)
		}
	}
	return nil
}
