package fs2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/devices"
)

// Manager is one container's v2 cgroup.
type Manager struct {
	dir string
	// root is the hierarchy root that Apply enables controllers from; "" finds the cgroup2
	// mount of dir. Tests set it to a directory they own.
	root string
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

// Create implements cgroups.Manager: it creates the cgroup as Apply does.
func (m *Manager) Create() (*cgroups.Entrance, error) {
	if err := m.Apply(-1); err != nil {
		return nil, err
	}
	return cgroups.OpenEntrance(map[string]string{"": m.dir})
}

// Apply implements cgroups.Manager: it creates the cgroup with every controller its ancestors
// can delegate, and moves pid into it. A pid of -1 only creates the cgroup.
func (m *Manager) Apply(pid int) error {
	root := m.root
	if root == "" {
		var err error
		if root, err = hierarchyRoot(m.dir); err != nil {
			return err
		}
	}
	if err := createPath(root, m.dir); err != nil {
		return err
	}
	if pid == -1 {
		return nil
	}
	if err := cgroups.AddPid(m.dir, pid); err != nil {
		return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
	}
	return nil
}

// Set implements cgroups.Manager, writing the controllers in runc's order. The device rules
// are applied as given when there are any: callers compose them with devices.ContainerRules.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	return set(m.dir, r)
}

func set(dir string, r *specs.LinuxResources) error {
	if err := setPids(dir, r.Pids); err != nil {
		return err
	}
	if err := setMemory(dir, r.Memory); err != nil {
		return err
	}
	if err := setIO(dir, r.BlockIO); err != nil {
		return err
	}
	if err := setCPU(dir, r.CPU); err != nil {
		return err
	}
	if len(r.Devices) > 0 {
		if err := devices.Apply(dir, r.Devices); err != nil {
			return err
		}
	}
	if err := setCpuset(dir, r.CPU); err != nil {
		return err
	}
	if err := setHugetlb(dir, r.HugepageLimits); err != nil {
		return err
	}
	if err := setRdma(dir, r.Rdma); err != nil {
		return err
	}
	return setUnified(dir, r.Unified)
}

// Freeze implements cgroups.Manager; it returns once the kernel reports the cgroup frozen.
func (m *Manager) Freeze() error { return freeze(m.dir, true) }

// Thaw implements cgroups.Manager.
func (m *Manager) Thaw() error { return freeze(m.dir, false) }

// Frozen implements cgroups.Manager.
func (m *Manager) Frozen() (bool, error) { return frozen(m.dir) }

// Pids implements cgroups.Manager.
func (m *Manager) Pids() ([]int, error) { return cgroups.ReadPids(m.dir) }

// Stats implements cgroups.Manager. A controller whose files are missing (not enabled, or a
// kernel without them) leaves its stats empty, as in runc; other failures are joined into the
// error, and the stats read so far are returned with it.
func (m *Manager) Stats() (*cgroups.Stats, error) { return stats(m.dir) }

func stats(dir string) (*cgroups.Stats, error) {
	st := &cgroups.Stats{Hugetlb: map[string]cgroups.Hugetlb{}}
	var errs []error
	keep := func(err error) {
		if err != nil && !isNotExist(err) {
			errs = append(errs, err)
		}
	}
	keep(statPids(dir, st))
	keep(statMemory(dir, st))
	psi, err := statPSI(dir, "memory.pressure")
	keep(err)
	st.Memory.PSI = psi
	keep(statIO(dir, st))
	keep(statCPU(dir, st))
	psi, err = statPSI(dir, "cpu.pressure")
	keep(err)
	st.CPU.PSI = psi
	keep(statCpuset(dir, st))
	keep(statHugetlb(dir, st))
	if len(errs) > 0 {
		return st, fmt.Errorf("cgroup v2 stats of %s: %w", dir, errors.Join(errs...))
	}
	return st, nil
}

// Destroy implements cgroups.Manager. Child cgroups (a container may create its own under its
// cgroup namespace) are removed first, deepest first.
func (m *Manager) Destroy() error { return removeTree(m.dir) }

func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return cgroups.RemoveDir(dir)
}

// KillAll sends SIGKILL to every process of the cgroup and its children at once through
// cgroup.kill (Linux ≥ 5.14), which no fork can escape. It returns cgroups.ErrNotSupported on
// older kernels, where callers fall back to freezing and signalling each process.
func (m *Manager) KillAll() error {
	err := writeFile(m.dir, "cgroup.kill", "1")
	if isNotExist(err) {
		if _, statErr := os.Stat(m.dir); statErr == nil {
			return fmt.Errorf("kill cgroup %s: %w", m.dir, cgroups.ErrNotSupported)
		}
	}
	return err
}

// OOMKillCount returns the number of processes of the cgroup that the OOM killer killed.
func (m *Manager) OOMKillCount() (uint64, error) {
	n, err := oomKills(m.dir)
	if err != nil {
		return 0, fmt.Errorf("oom kill count of %s: %w", m.dir, err)
	}
	return n, nil
}

// OOMEvents returns a channel with one value per OOM kill in the cgroup from now on. The
// channel is closed when stop is closed, when the cgroup has no process left, or when it is
// removed.
func (m *Manager) OOMEvents(stop <-chan struct{}) (<-chan struct{}, error) {
	return watchOOM(m.dir, stop)
}
