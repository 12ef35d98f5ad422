package systemd

import (
	"errors"
	"fmt"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/fs"
	"github.com/runo-project/runo/cgroups/fs2"
)

// Manager is one container's systemd unit and the cgroup directories systemd gave it.
type Manager struct {
	unit    string            // "runo-abc.scope", or a slice
	slice   string            // the parent slice; "" in a Manager rebuilt by Load, whose unit exists
	desc    string            // the unit's Description=
	cgPath  string            // the unit's cgroup relative to each hierarchy's root; "" after Load
	unified bool              // cgroup v2: fs2 writes the files; v1 and hybrid: fs
	paths   map[string]string // controller set (as in /proc/self/cgroup) -> directory
	files   cgroups.Manager   // the fs or fs2 driver on paths, for what systemd does not do
	bus     bus
}

var _ cgroups.Manager = (*Manager)(nil)

// New parses o.Path ("slice:prefix:name", empty for "system.slice:runo:<id>") and computes the
// unit's directories. Nothing is created and systemd is not asked until Apply.
func New(o cgroups.Options) (*Manager, error) {
	u, err := parseCgroupsPath(o.Path, o.ID)
	if err != nil {
		return nil, err
	}
	// The unit's cgroup sits at the same path from the root of every hierarchy that systemd
	// mounts; ResolvePaths maps it to each mount point.
	paths, err := cgroups.ResolvePaths(u.path, o.ID)
	if err != nil {
		return nil, fmt.Errorf("cgroup of systemd unit %s: %w", u.unit, err)
	}
	unified := cgroups.IsUnified()
	if _, ok := paths[""]; unified && !ok {
		return nil, fmt.Errorf("cgroup v2: %w", cgroups.ErrNoHierarchy)
	}
	desc := "runo container " + o.ID
	if o.ID == "" {
		desc = "runo container " + u.unit
	}
	m := &Manager{unit: u.unit, slice: u.slice, desc: desc, cgPath: u.path, unified: unified, paths: paths}
	m.files = filesDriver(unified, paths)
	return m, nil
}

// Load rebuilds a Manager from its saved state; it talks to systemd only when a method needs to.
func Load(s cgroups.Saved) *Manager {
	_, v2 := s.Paths[""]
	unified := v2 && len(s.Paths) == 1
	return &Manager{unit: s.Unit, unified: unified, paths: s.Paths, files: filesDriver(unified, s.Paths)}
}

// filesDriver returns the driver that writes the cgroup files of paths. Both drivers' Load
// take explicit directories, which is what this driver has: no resolution happens there.
func filesDriver(unified bool, paths map[string]string) cgroups.Manager {
	if unified {
		return fs2.Load(cgroups.Saved{Driver: "fs2", Paths: paths})
	}
	return fs.Load(cgroups.Saved{Driver: "fs", Paths: paths})
}

// Saved implements cgroups.Manager.
func (m *Manager) Saved() cgroups.Saved {
	return cgroups.Saved{Driver: "systemd", Paths: m.paths, Unit: m.unit}
}

// Create implements cgroups.Manager. A new unit gets its process from systemd (Apply); a
// Manager rebuilt by Load (`runo exec`) has a unit, whose directories a process can enter.
func (m *Manager) Create() (*cgroups.Entrance, error) {
	if m.slice != "" {
		return nil, nil
	}
	return m.files.Create()
}

// Apply starts the unit with pid in it and waits until systemd reports the start done. Then
// the fs or fs2 driver creates the unit's directories in the hierarchies systemd does not
// manage (cgroup v1's cpuset, net_cls, ...) and adds pid there. A Manager rebuilt by Load
// (`runo exec`) only adds pid to the existing directories.
func (m *Manager) Apply(pid int) error {
	if m.slice == "" {
		return m.files.Apply(pid)
	}
	props := m.unitProperties(pid)
	if err := m.bus.startUnit(m.unit, props); err != nil {
		return err
	}
	// The directories were reported (Saved) before the unit existed: make sure systemd put
	// the unit where they point. It does not when runo runs in a cgroup namespace or under
	// a systemd that nests units differently.
	got, err := m.bus.controlGroup(m.unit)
	if err != nil {
		return err
	}
	if got != m.cgPath {
		return fmt.Errorf("systemd unit %s: cgroup %s, want %s (is runo in a cgroup namespace?)", m.unit, got, m.cgPath)
	}
	if err := m.files.Apply(pid); err != nil {
		return fmt.Errorf("systemd unit %s: %w", m.unit, err)
	}
	return nil
}

// unitProperties are the properties a new unit starts with, as runc's: accounting on for every
// controller (the kernel has trouble with joining a memory cgroup later) and no default
// dependencies, which would order the unit after sysinit.target and stop it at shutdown.
func (m *Manager) unitProperties(pid int) []sddbus.Property {
	props := []sddbus.Property{sddbus.PropDescription(m.desc)}
	if isSlice(m.unit) {
		// A slice's parent is fixed by its name; Wants= only starts that parent. systemd
		// takes PIDs for scopes only: files.Apply adds pid to a slice.
		props = append(props, sddbus.PropWants(m.slice))
	} else {
		props = append(props,
			sddbus.PropSlice(m.slice),
			// Delegate: the container may manage its own sub-tree (systemd in a container,
			// `runo exec --cgroup`), and systemd leaves it alone.
			newProp("Delegate", true),
			newProp("PIDs", []uint32{uint32(pid)}),
		)
	}
	io := "IOAccounting"
	if !m.unified {
		io = "BlockIOAccounting"
	}
	return append(props,
		newProp("MemoryAccounting", true),
		newProp("CPUAccounting", true),
		newProp("TasksAccounting", true),
		newProp(io, true),
		newProp("DefaultDependencies", false),
	)
}

// Set asks systemd for what it can express, and then has the fs or fs2 driver write every
// limit (runc does both, in this order): systemd rewrites its units' cgroup files when it
// reloads, so a limit it does not know would be lost, and one it cannot express would never
// be set. Device rules go to systemd as DeviceAllow= on v1 and v2, and to the fs2 driver's
// eBPF program on v2.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	t := target{unified: m.unified, version: m.bus.systemdVersion()}
	props, fsRes, err := resourceProperties(r, t)
	if err != nil {
		return fmt.Errorf("systemd unit %s: %w", m.unit, err)
	}
	// r.Devices is the container's full rule list (the spec's, then linux.devices and runc's
	// defaults, as libcontainer composes them), the same list the fs and fs2 drivers enforce;
	// like them, nothing is said about devices when it is empty.
	if len(r.Devices) > 0 {
		devProps, err := deviceProperties(r.Devices, t)
		if err != nil {
			return fmt.Errorf("systemd unit %s: %w", m.unit, err)
		}
		props = append(devProps, props...)
	}
	if err := m.setUnitProperties(props, len(r.Devices) > 0); err != nil {
		return err
	}
	return m.files.Set(fsRes)
}

// setUnitProperties sets props. When they hold device rules on cgroup v1, the container is
// frozen meanwhile (unless it is frozen already), as runc does: systemd replaces a v1 device
// list by denying everything and then allowing its entries one by one, and a container
// running in between would see its open devices fail. On v2 it swaps an eBPF program, which
// is atomic.
func (m *Manager) setUnitProperties(props []sddbus.Property, devices bool) error {
	thaw := false
	if devices && !m.unified {
		if frozen, err := m.files.Frozen(); err == nil && !frozen {
			if _, ok := m.paths["freezer"]; ok {
				if err := m.files.Freeze(); err != nil {
					return fmt.Errorf("freeze before setting systemd unit %s: %w", m.unit, err)
				}
				thaw = true
			}
		}
	}
	err := m.bus.setProperties(m.unit, props)
	if thaw {
		if terr := m.files.Thaw(); terr != nil {
			return errors.Join(err, fmt.Errorf("thaw after setting systemd unit %s: %w", m.unit, terr))
		}
	}
	return err
}

// Freeze implements cgroups.Manager.
func (m *Manager) Freeze() error { return m.files.Freeze() }

// Thaw implements cgroups.Manager.
func (m *Manager) Thaw() error { return m.files.Thaw() }

// Frozen implements cgroups.Manager.
func (m *Manager) Frozen() (bool, error) { return m.files.Frozen() }

// Pids implements cgroups.Manager.
func (m *Manager) Pids() ([]int, error) { return m.files.Pids() }

// Stats implements cgroups.Manager.
func (m *Manager) Stats() (*cgroups.Stats, error) { return m.files.Stats() }

// Destroy stops the unit, which ends any process still in it, lets systemd forget a failed
// unit, and removes the directories systemd did not create (cgroup v1 hierarchies it does not
// manage; sub-cgroups on old versions). A unit that is gone already is not an error.
func (m *Manager) Destroy() error {
	defer m.bus.close()
	stopErr := m.bus.stopUnit(m.unit)
	// Remove the leftovers even when the stop failed: some are runo's alone.
	if err := m.files.Destroy(); err != nil {
		return errors.Join(stopErr, fmt.Errorf("systemd unit %s: %w", m.unit, err))
	}
	return stopErr
}

// Unit returns the unit's name.
func (m *Manager) Unit() string { return m.unit }
