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

// Create implements cgroups.Manager.
func (m *Manager) Create() (*cgroups.Entrance, error) {
	if err := m.mkdirs(); err != nil {
		return nil, err
	}
	return cgroups.OpenEntrance(m.dirs)
}

// Apply creates the directories and moves pid into each.
func (m *Manager) Apply(pid int) error {
	if err := m.mkdirs(); err != nil {
		return err
	}
	for _, dir := range m.dirs {
		if err := cgroups.AddPid(dir, pid); err != nil {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

func (m *Manager) mkdirs() error {
	for key, dir := range m.dirs {
		if err := mkdir(key, dir); err != nil {
			return err
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

// Set implements cgroups.Manager. Controllers are written in runc's order; a resource that
// asks something of a controller the host has not mounted is an error naming the resource.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	for _, c := range m.setters(r) {
		if !c.wanted {
			continue
		}
		dir := m.dir(c.ctrl)
		if dir == "" && c.ctrl != "" {
			return fmt.Errorf("set %s: the %s cgroup controller is not mounted: %w", c.field, c.ctrl, cgroups.ErrNotSupported)
		}
		if err := c.set(dir); err != nil {
			return fmt.Errorf("set %s: %w", c.field, err)
		}
	}
	return nil
}

// setter writes one part of the resources to one controller's directory.
type setter struct {
	field  string // the spec's name for the part, for errors
	ctrl   string // the v1 controller; "" when set finds its own directory
	wanted bool   // whether r asks anything of it
	set    func(dir string) error
}

func (m *Manager) setters(r *specs.LinuxResources) []setter {
	cpu := r.CPU
	if cpu == nil {
		cpu = &specs.LinuxCPU{}
	}
	net := r.Network
	if net == nil {
		net = &specs.LinuxNetwork{}
	}
	return []setter{
		{"linux.resources.cpu.cpus/mems", "cpuset", cpu.Cpus != "" || cpu.Mems != "",
			func(d string) error { return setCpuset(d, cpu.Cpus, cpu.Mems) }},
		{"linux.resources.devices", "devices", len(r.Devices) > 0,
			func(d string) error { return setDevices(d, r.Devices) }},
		{"linux.resources.memory", "memory", memoryWanted(r.Memory),
			func(d string) error { return setMemory(d, r.Memory) }},
		{"linux.resources.cpu", "cpu", cpuWanted(r.CPU),
			func(d string) error { return setCPU(d, r.CPU) }},
		{"linux.resources.pids", "pids", r.Pids != nil && r.Pids.Limit != nil,
			func(d string) error { return setPids(d, *r.Pids.Limit) }},
		{"linux.resources.blockIO", "blkio", blkioWanted(r.BlockIO),
			func(d string) error { return setBlkio(d, r.BlockIO) }},
		{"linux.resources.hugepageLimits", "", len(r.HugepageLimits) > 0,
			func(string) error { return m.setHugetlb(r.HugepageLimits) }},
		{"linux.resources.network.classID", "net_cls", net.ClassID != nil && *net.ClassID != 0,
			func(d string) error { return setNetCls(d, *net.ClassID) }},
		{"linux.resources.network.priorities", "net_prio", len(net.Priorities) > 0,
			func(d string) error { return setNetPrio(d, net.Priorities) }},
		{"linux.resources.rdma", "rdma", len(r.Rdma) > 0,
			func(d string) error { return setRdma(d, r.Rdma) }},
		{"linux.resources.unified", "", len(r.Unified) > 0,
			func(string) error { return setUnified(m.dirs[""], r.Unified) }},
	}
}

// setHugetlb writes huge page limits to the v1 hugetlb hierarchy or, on a hybrid host that
// binds hugetlb to cgroup2, to the container's cgroup2 directory.
func (m *Manager) setHugetlb(limits []specs.LinuxHugepageLimit) error {
	if dir := m.dir("hugetlb"); dir != "" {
		return setHugetlb(dir, limits)
	}
	sizes, err := hugePageSizes()
	if err != nil {
		return err
	}
	if dir := m.dirs[""]; hasHugetlbV2(dir, sizes) {
		return setHugetlbV2(dir, limits)
	}
	return fmt.Errorf("no cgroup hierarchy of the container has the hugetlb controller: %w", cgroups.ErrNotSupported)
}

// dir returns the container's directory in the v1 hierarchy that holds controller ("cpu" is
// found in a "cpu,cpuacct" hierarchy), or "" when no mounted hierarchy does.
func (m *Manager) dir(controller string) string {
	for key, d := range m.dirs {
		if key != "" && hasController(key, controller) {
			return d
		}
	}
	return ""
}

// exists reports whether dir has file. Optional files are probed before writing: a write to a
// missing one fails with EACCES on cgroupfs (cgroups.WriteFile opens with O_CREATE, which
// kernfs refuses), not ENOENT, and would create the file in a test's temporary directory.
func exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// Freeze implements cgroups.Manager.
func (m *Manager) Freeze() error {
	dir := m.dir("freezer")
	if dir == "" {
		return fmt.Errorf("freeze: freezer controller: %w", cgroups.ErrNotSupported)
	}
	return freeze(dir)
}

// Thaw implements cgroups.Manager.
func (m *Manager) Thaw() error {
	dir := m.dir("freezer")
	if dir == "" {
		return fmt.Errorf("thaw: freezer controller: %w", cgroups.ErrNotSupported)
	}
	return cgroups.WriteFile(dir, "freezer.state", "THAWED")
}

// Frozen implements cgroups.Manager.
func (m *Manager) Frozen() (bool, error) {
	dir := m.dir("freezer")
	if dir == "" {
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

// Stats implements cgroups.Manager: the counters of every mounted controller, as runc's
// `events --stats` reports them.
func (m *Manager) Stats() (*cgroups.Stats, error) {
	s := &cgroups.Stats{Hugetlb: map[string]cgroups.Hugetlb{}}
	s.Memory.Raw = map[string]uint64{}
	for _, c := range []struct {
		ctrl string
		get  func(dir string, s *cgroups.Stats) error
	}{
		{"cpuset", cpusetStats},
		{"memory", memoryStats},
		{"cpu", cpuStats},
		{"cpuacct", cpuacctStats},
		{"pids", pidsStats},
		{"blkio", blkioStats},
	} {
		if dir := m.dir(c.ctrl); dir != "" {
			if err := c.get(dir, s); err != nil {
				return nil, fmt.Errorf("%s stats: %w", c.ctrl, err)
			}
		}
	}
	if err := m.hugetlbStats(s); err != nil {
		return nil, fmt.Errorf("hugetlb stats: %w", err)
	}
	return s, nil
}

// hugetlbStats reads the huge page counters from whichever hierarchy has the controller.
func (m *Manager) hugetlbStats(s *cgroups.Stats) error {
	sizes, err := hugePageSizes()
	if err != nil || len(sizes) == 0 {
		return err
	}
	if dir := m.dir("hugetlb"); dir != "" {
		return hugetlbStats(dir, sizes, s)
	}
	if dir := m.dirs[""]; hasHugetlbV2(dir, sizes) {
		return hugetlbStatsV2(dir, sizes, s)
	}
	return nil
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
