package cgroups

import (
	"errors"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Manager controls one container's cgroup. Drivers: fs (cgroup v1, and hybrid hosts), fs2
// (cgroup v2) and systemd; the manager package picks one.
type Manager interface {
	// Create creates the cgroup if needed and opens its Entrance, for a process about to be
	// started into it. It returns a nil Entrance when the driver must move the process itself
	// (systemd starting a unit): Apply does that once the process exists.
	Create() (*Entrance, error)
	// Apply creates the cgroup if needed and moves pid into it.
	Apply(pid int) error
	// Set writes the resource limits. A nil r sets nothing.
	Set(r *specs.LinuxResources) error
	// Freeze stops every process of the cgroup; Thaw lets them run again.
	Freeze() error
	Thaw() error
	// Frozen reports whether the cgroup is frozen.
	Frozen() (bool, error)
	// Pids lists the processes in the cgroup.
	Pids() ([]int, error)
	// Stats reads the cgroup's usage counters.
	Stats() (*Stats, error)
	// Destroy removes the cgroup. It fails while processes are left in it.
	Destroy() error
	// Saved returns what a later runo command needs to rebuild the manager (state.json).
	Saved() Saved
}

// Options select and configure a driver.
type Options struct {
	// Path is linux.cgroupsPath: absolute, relative to the runtime's own cgroup, or empty for a
	// default under a "runo" parent; "slice:prefix:name" with the systemd driver.
	Path    string
	ID      string // the container's id, for default names
	Systemd bool   // --systemd-cgroup
}

// Saved is a manager's state as kept in state.json.
type Saved struct {
	Driver string            `json:"driver"`         // "fs", "fs2" or "systemd"
	Paths  map[string]string `json:"paths"`          // controller set (as in /proc/self/cgroup) -> directory; "" for cgroup2
	Unit   string            `json:"unit,omitempty"` // systemd unit name
}

var (
	// ErrNotSupported is returned for a resource or operation the host's cgroups cannot do.
	ErrNotSupported = errors.New("not supported by this host's cgroups")
	// ErrNoHierarchy is returned when no cgroup hierarchy is mounted.
	ErrNoHierarchy = errors.New("no cgroup hierarchy is mounted")
)
