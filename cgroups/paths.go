package cgroups

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ResolvePaths maps a cgroupsPath to a directory in each mounted hierarchy. An absolute path is
// taken from the root of each hierarchy; a relative one from the cgroup of the calling runtime,
// as runc does; an empty one defaults to /runo/<id>. Nothing is created.
func ResolvePaths(cgroupsPath, id string) (map[string]string, error) {
	hs, own, err := mountedHierarchies()
	if err != nil {
		return nil, err
	}
	return resolve(cgroupsPath, id, hs, own)
}

// resolve maps a cgroupsPath to a directory in each hierarchy; own holds the runtime's cgroups.
func resolve(cgroupsPath, id string, hs map[string]hierarchy, own map[string]string) (map[string]string, error) {
	if cgroupsPath == "" {
		cgroupsPath = "/runo/" + id
	}
	if strings.Contains(cgroupsPath, ":") {
		return nil, fmt.Errorf("cgroupsPath %q: slice:prefix:name paths need the systemd cgroup driver", cgroupsPath)
	}
	for _, elem := range strings.Split(cgroupsPath, "/") {
		if elem == ".." {
			return nil, fmt.Errorf("cgroupsPath %q: must not contain ..", cgroupsPath)
		}
	}
	clean := filepath.Clean(cgroupsPath)
	dirs := map[string]string{}
	for key, h := range hs {
		p := clean
		if !filepath.IsAbs(p) {
			p = filepath.Join(own[key], p)
		}
		dir := h.dir(p)
		if dir == "" {
			return nil, fmt.Errorf("cgroupsPath %q: outside the mounted %q hierarchy", cgroupsPath, key)
		}
		dirs[key] = dir
	}
	if len(dirs) == 0 {
		return nil, ErrNoHierarchy
	}
	return dirs, nil
}
