package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/runo-project/runo/internal/sysfile"
)

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	key        string // controllers as /proc/self/cgroup lists them: "memory", "cpu,cpuacct", "name=systemd", "" for cgroup2
	mountpoint string
	root       string // the hierarchy path that is mounted at mountpoint
	index      int    // position in mountinfo
}

// dir returns the directory of the hierarchy path p, or "" when p lies outside the mounted part.
func (h hierarchy) dir(p string) string {
	rel, err := filepath.Rel(h.root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.Join(h.mountpoint, rel)
}

// parseMountinfo returns the cgroup mounts of a mountinfo file, keyed by their controller sets.
func parseMountinfo(r io.Reader) (map[string]hierarchy, error) {
	found := map[string]hierarchy{}
	covered := map[string]int{} // mount point -> index of the last mount on it
	index := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(tail) < 3 {
			continue
		}
		h := hierarchy{root: unescape(fields[3]), mountpoint: unescape(fields[4]), index: index}
		covered[h.mountpoint] = index
		index++
		switch tail[0] {
		case "cgroup2":
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(tail[2], ",") {
				if knownV1Option(o) {
					continue
				}
				ctrls = append(ctrls, o)
			}
			h.key = strings.Join(ctrls, ",")
		default:
			continue
		}
		if _, dup := found[h.key]; !dup { // the first mount of a hierarchy is the canonical one
			found[h.key] = h
		}
	}
	// A hierarchy whose mount point was mounted over later is out of reach.
	for key, h := range found {
		if covered[h.mountpoint] != h.index {
			delete(found, key)
		}
	}
	return found, sc.Err()
}

func knownV1Option(o string) bool {
	switch {
	case o == "rw", o == "ro", o == "clone_children", o == "noprefix", o == "xattr",
		o == "cpuset_v2_mode", o == "favordynmods", strings.HasPrefix(o, "release_agent="):
		return true
	}
	return false
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and backslash.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseProcCgroup returns the cgroup paths of /proc/<pid>/cgroup keyed by controller set.
func parseProcCgroup(r io.Reader) (map[string]string, error) {
	paths := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		paths[parts[1]] = parts[2]
	}
	return paths, sc.Err()
}

// mountedHierarchies pairs the host's cgroup mounts with the cgroups of the calling process.
func mountedHierarchies() (map[string]hierarchy, map[string]string, error) {
	mi, err := sysfile.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, nil, err
	}
	hs, err := parseMountinfo(bytes.NewReader(mi))
	if err != nil {
		return nil, nil, fmt.Errorf("parse /proc/self/mountinfo: %w", err)
	}
	pc, err := sysfile.Read("/proc/self/cgroup")
	if err != nil {
		return nil, nil, err
	}
	own, err := parseProcCgroup(bytes.NewReader(pc))
	if err != nil {
		return nil, nil, fmt.Errorf("parse /proc/self/cgroup: %w", err)
	}
	// Keep only hierarchies this process is a member of: the others (a cgroup2 mount on a
	// host whose /proc/self/cgroup has no 0:: line, say) cannot hold the container either.
	for key := range hs {
		if _, ok := own[key]; !ok {
			delete(hs, key)
		}
	}
	return hs, own, nil
}
