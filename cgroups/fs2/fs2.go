// Package fs2 is the cgroup v2 driver: one directory in the unified hierarchy.
package fs2

import (
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// Manager is one container's v2 cgroup.
type Manager struct {
	dir string
}

var _ cgroups.Manager = (*Manager)(nil)

// New resolves the container's directory; nothing is created until Apply.
func New(o cgroups.Options) (*Manager, error) {
	dirs, err := cgroups.ResolvePaths(o.Path, o.ID)
	if err != nil {
		return nil, err
	}
	dir, ok := dirs[""]
	if !ok {
		return nil, fmt.Errorf("cgroup v2: %w", cgroups.ErrNoHierarchy)
	}
	return &Manager{dir: dir}, nil
}

// Load rebuilds a Manager from its saved state.
func Load(s cgroups.Saved) *Manager { return &Manager{dir: s.Paths[""]} }

// Saved implements cgroups.Manager.
func (m *Manager) Saved() cgroups.Saved {
	return cgroups.Saved{Driver: "fs2", Paths: map[string]string{"": m.dir}}
}

// Apply implements cgroups.Manager.
func (m *Manager) Apply(pid int) error {
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup: %w", err)
	}
	if err := cgroups.AddPid(m.dir, pid); err != nil {
		return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
	}
	return nil
}

// Set implements cgroups.Manager.
func (m *Manager) Set(r *specs.LinuxResources) error {
	return nil // resources are written by the controllers of issue 3
}

// Freeze implements cgroups.Manager.
func (m *Manager) Freeze() error { return cgroups.WriteFile(m.dir, "cgroup.freeze", "1") }

// Thaw implements cgroups.Manager.
func (m *Manager) Thaw() error { return cgroups.WriteFile(m.dir, "cgroup.freeze", "0") }

// Frozen implements cgroups.Manager.
func (m *Manager) Frozen() (bool, error) {
	v, err := cgroups.ReadFile(m.dir, "cgroup.freeze")
	if err != nil {
		return false, err
	}
	return v == "1", nil
}

// Pids implements cgroups.Manager.
func (m *Manager) Pids() ([]int, error) { return cgroups.ReadPids(m.dir) }

// Stats implements cgroups.Manager.
func (m *Manager) Stats() (*cgroups.Stats, error) { return &cgroups.Stats{}, nil }

// Destroy implements cgroups.Manager.
func (m *Manager) Destroy() error { return cgroups.RemoveDir(m.dir) }
