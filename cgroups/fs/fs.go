// Package fs is the cgroup v1 driver: one directory per mounted hierarchy. On a hybrid host
// (v1 controllers plus a cgroup2 mount) the container also gets a directory in the cgroup2
// hierarchy, so that tools reading it find the container there.
package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// Manager is one container's v1 cgroup.
type Manager struct {
	dirs map[string]string // controller set (as in /proc/self/cgroup) -> directory; "" for cgroup2
}

var _ cgroups.Manager = (*Manager)(nil)

// New resolves the container's directories; nothing is created until Apply.
func New(o cgroups.Options) (*Manager, error) {
	dirs, err := cgroups.ResolvePaths(o.Path, o.ID)
	if err != nil {
		return nil, err
	}
	return &Manager{dirs: dirs}, nil
}

// Load rebuilds a Manager from its saved state.
func Load(s cgroups.Saved) *Manager { return &Manager{dirs: s.Paths} }

// Saved implements cgroups.Manager.
func (m *Manager) Saved() cgroups.Saved { return cgroups.Saved{Driver: "fs", Paths: m.dirs} }

// Apply creates the directories and moves pid into each.
func (m *Manager) Apply(pid int) error {
	for key, dir := range m.dirs {
		if err := mkdir(key, dir); err != nil {
			return err
		}
		if err := cgroups.AddPid(dir, pid); err != nil {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

func mkdir(key, dir string) error {
	if hasController(key, "cpuset") {
		return mkdirCpuset(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup: %w", err)
	}
	return nil
}

// hasController reports whether a controller set such as "cpu,cpuacct" holds name.
func hasController(key, name string) bool {
	for _, c := range strings.Split(key, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// mkdirCpuset creates a v1 cpuset directory and its missing parents. A new v1 cpuset group
// starts with no cpus and no memory nodes, and refuses processes until it has some: each new
// level inherits its parent's, as runc does.
func mkdirCpuset(dir string) error {
	if cpus, err := cgroups.ReadFile(dir, "cpuset.cpus"); err == nil && cpus != "" {
		return nil // exists and has cpus: the hierarchy's root always does
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return fmt.Errorf("create cgroup %s: no cpuset hierarchy above it", dir)
	}
	if err := mkdirCpuset(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup: %w", err)
	}
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		if cur, err := cgroups.ReadFile(dir, file); err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		} else if strings.TrimSpace(cur) != "" {
			continue
		}
		val, err := cgroups.ReadFile(parent, file)
		if err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		if err := cgroups.WriteFile(dir, file, val); err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
	}
	return nil
}

// Set implements cgroups.Manager.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	return nil // resources are written by the controllers of issue 3
}

// Freeze implements cgroups.Manager.
func (m *Manager) Freeze() error { return m.setFreezer("FROZEN") }

// Thaw implements cgroups.Manager.
func (m *Manager) Thaw() error { return m.setFreezer("THAWED") }

func (m *Manager) setFreezer(state string) error {
	dir, ok := m.dirs["freezer"]
	if !ok {
		return fmt.Errorf("freezer: %w", cgroups.ErrNotSupported)
	}
	return cgroups.WriteFile(dir, "freezer.state", state)
}

// Frozen implements cgroups.Manager.
func (m *Manager) Frozen() (bool, error) {
	dir, ok := m.dirs["freezer"]
	if !ok {
		return false, nil
	}
	state, err := cgroups.ReadFile(dir, "freezer.state")
	if err != nil {
		return false, err
	}
	return state == "FROZEN", nil
}

// Pids implements cgroups.Manager.
func (m *Manager) Pids() ([]int, error) {
	for _, key := range []string{"pids", "freezer", ""} {
		if d, ok := m.dirs[key]; ok {
			return cgroups.ReadPids(d)
		}
	}
	for _, d := range m.dirs {
		return cgroups.ReadPids(d)
	}
	return nil, cgroups.ErrNoHierarchy
}

// Stats implements cgroups.Manager.
func (m *Manager) Stats() (*cgroups.Stats, error) {
	return &cgroups.Stats{}, nil
}

// Destroy implements cgroups.Manager.
func (m *Manager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs {
		if err := cgroups.RemoveDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
