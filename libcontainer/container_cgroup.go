package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/devices"
)

// errNoCgroup is returned by cgroup operations on a container that has no cgroup in its state.
var errNoCgroup = errors.New("container has no cgroup")

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	lock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if st := c.Status(); st != Running {
		return statusError("container not running")
	}
	cg := c.cgroup()
	if cg == nil {
		return errNoCgroup
	}
	return cg.Freeze()
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	lock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if st := c.Status(); st != Paused {
		return statusError("container not paused")
	}
	return c.cgroup().Thaw()
}

// Update merges r into the container's resources and applies the result to its cgroup.
func (c *Container) Update(r *specs.LinuxResources) error {
	lock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if st := c.Status(); st == Stopped {
		return statusError("container not running")
	}
	cg := c.cgroup()
	if cg == nil {
		return errNoCgroup
	}
	d, err := c.details()
	if err != nil {
		return err
	}
	if r != nil && r.Devices != nil {
		// As at create: the container's own devices and the defaults stay allowed.
		copied := *r
		copied.Devices = devices.ContainerRules(r.Devices, d.Devices)
		r = &copied
	}
	merged := mergeResources(d.Resources, r)
	if err := cg.Set(merged); err != nil {
		return err
	}
	d.Resources = merged
	return writeDetails(c.dir, d)
}

// Processes lists the host pids of the container's processes.
func (c *Container) Processes() ([]int, error) {
	cg := c.cgroup()
	if cg == nil {
		return nil, errNoCgroup
	}
	return cg.Pids()
}

// Stats reads the container's cgroup counters and the network interfaces of its init.
func (c *Container) Stats() (*cgroups.Stats, error) {
	if c.Status() == Stopped {
		return nil, statusError("container not running")
	}
	cg := c.cgroup()
	if cg == nil {
		return nil, errNoCgroup
	}
	st, err := cg.Stats()
	if err != nil {
		return nil, err
	}
	ifaces, err := readNetDev("/proc/" + strconv.Itoa(c.state.Pid) + "/net/dev")
	if err == nil {
		st.NetworkInterfaces = ifaces
	}
	return st, nil
}

// OOMEvents returns a channel with one value per OOM kill in the container's cgroup, when the
// cgroup driver can watch for them.
func (c *Container) OOMEvents(stop <-chan struct{}) (<-chan struct{}, error) {
	type oomWatcher interface {
		OOMEvents(stop <-chan struct{}) (<-chan struct{}, error)
	}
	w, ok := c.cgroup().(oomWatcher)
	if !ok {
		return nil, fmt.Errorf("oom events: %w", cgroups.ErrNotSupported)
	}
	return w.OOMEvents(stop)
}

// readNetDev parses /proc/<pid>/net/dev: the counters of the interfaces of that process's
// network namespace, loopback left out as runc does.
func readNetDev(path string) ([]*cgroups.NetworkInterface, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*cgroups.NetworkInterface
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		out = append(out, &cgroups.NetworkInterface{
			Name: name, RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		})
	}
	return out, nil
}
