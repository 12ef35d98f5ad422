package systemd

import (
	"fmt"
	"path"
	"strings"
)

// defaultSlice holds the units of a cgroupsPath that names no slice, as in runc for root.
const defaultSlice = "system.slice"

// defaultPrefix is the prefix of the unit of a container whose cgroupsPath is empty.
const defaultPrefix = "runo"

// unitSpec is a parsed cgroupsPath: the unit to create and the slice it goes in.
type unitSpec struct {
	slice string // the parent slice, "system.slice" by default
	unit  string // "prefix-name.scope", or the name itself when it is a slice
	path  string // the unit's cgroup, relative to the root of every hierarchy
}

// isSlice reports whether the unit is a slice rather than a scope. A slice cannot hold a
// process given at creation (systemd takes PIDs only for scopes), and names its parent
// through Wants= rather than Slice=.
func isSlice(unit string) bool { return strings.HasSuffix(unit, ".slice") }

// parseCgroupsPath parses linux.cgroupsPath for the systemd driver. An empty path means
// "system.slice:runo:<id>". A name ending in ".slice" makes a slice unit of that name; any
// other name a scope "prefix-name.scope" ("name.scope" with no prefix).
func parseCgroupsPath(cgroupsPath, id string) (unitSpec, error) {
	if cgroupsPath == "" {
		cgroupsPath = defaultSlice + ":" + defaultPrefix + ":" + id
	}
	parts := strings.Split(cgroupsPath, ":")
	if len(parts) != 3 {
		return unitSpec{}, fmt.Errorf("linux.cgroupsPath %q: the systemd cgroup driver expects the form \"slice:prefix:name\" (e.g. \"system.slice:runo:abc\")", cgroupsPath)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = defaultSlice
	}
	if name == "" {
		return unitSpec{}, fmt.Errorf("linux.cgroupsPath %q: the name (after the second colon) is empty", cgroupsPath)
	}
	for _, p := range []struct{ what, v string }{{"slice", slice}, {"prefix", prefix}, {"name", name}} {
		if err := checkUnitChars(p.v); err != nil {
			return unitSpec{}, fmt.Errorf("linux.cgroupsPath %q: %s: %w", cgroupsPath, p.what, err)
		}
	}
	parentPath, err := expandSlice(slice)
	if err != nil {
		return unitSpec{}, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	u := unitSpec{slice: slice}
	switch {
	case isSlice(name):
		// systemd places a slice by its name alone ("a-b.slice" under "a.slice"), whatever the
		// slice it Wants, so its cgroup comes from its own name.
		u.unit = name
		if u.path, err = expandSlice(name); err != nil {
			return unitSpec{}, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
		}
	case prefix == "":
		u.unit = name + ".scope"
		u.path = path.Join(parentPath, u.unit)
	default:
		u.unit = prefix + "-" + name + ".scope"
		u.path = path.Join(parentPath, u.unit)
	}
	return u, nil
}

// checkUnitChars refuses what systemd refuses in a unit name, so that the error comes before
// anything is started and names the cgroupsPath. It also keeps "/" out of the cgroup path
// computed from the name.
func checkUnitChars(s string) error {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune(":-_.\\@", c):
		default:
			return fmt.Errorf("%q: character %q is not allowed in a systemd unit name", s, c)
		}
	}
	return nil
}

// expandSlice returns the cgroup path of a slice unit: systemd nests slices by the dashes of
// their names, so "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice, and "-.slice" is the root.
func expandSlice(slice string) (string, error) {
	const suffix = ".slice"
	name, ok := strings.CutSuffix(slice, suffix)
	if !ok || name == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("invalid slice name %q: want a name such as \"system.slice\" or \"a-b.slice\"", slice)
	}
	if name == "-" {
		return "/", nil
	}
	var b strings.Builder
	prefix := ""
	for _, part := range strings.Split(name, "-") {
		// "a--b.slice", "-a.slice" and "a-.slice" name no parent systemd would accept.
		if part == "" {
			return "", fmt.Errorf("invalid slice name %q: empty component between dashes", slice)
		}
		b.WriteString("/" + prefix + part + suffix)
		prefix += part + "-"
	}
	return b.String(), nil
}
