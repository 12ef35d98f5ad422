package libcontainer

import (
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// mergeResources returns base with every field that update sets replaced, as `runc update`
// does: an update names only what changes.
func mergeResources(base, update *specs.LinuxResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if base != nil {
		copied := *base
		out = &copied
	}
	if update == nil {
		return out
	}
	if update.Memory != nil {
		out.Memory = mergeMemory(out.Memory, update.Memory)
	}
	if update.CPU != nil {
		out.CPU = mergeCPU(out.CPU, update.CPU)
	}
	if update.Pids != nil {
		out.Pids = update.Pids
	}
	if update.BlockIO != nil {
		out.BlockIO = update.BlockIO
	}
	if update.HugepageLimits != nil {
		out.HugepageLimits = update.HugepageLimits
	}
	if update.Network != nil {
		out.Network = update.Network
	}
	if update.Rdma != nil {
		out.Rdma = update.Rdma
	}
	if update.Unified != nil {
		if out.Unified == nil {
			out.Unified = map[string]string{}
		}
		for k, v := range update.Unified {
			out.Unified[k] = v
		}
	}
	if update.Devices != nil {
		out.Devices = update.Devices
	}
	return out
}

func mergeMemory(base, u *specs.LinuxMemory) *specs.LinuxMemory {
	m := specs.LinuxMemory{}
	if base != nil {
		m = *base
	}
	setInt64(&m.Limit, u.Limit)
	setInt64(&m.Reservation, u.Reservation)
	setInt64(&m.Swap, u.Swap)
	setInt64(&m.Kernel, u.Kernel) //nolint:staticcheck // deprecated in the spec, still settable
	setInt64(&m.KernelTCP, u.KernelTCP)
	if u.Swappiness != nil {
		m.Swappiness = u.Swappiness
	}
	if u.DisableOOMKiller != nil {
		m.DisableOOMKiller = u.DisableOOMKiller
	}
	if u.UseHierarchy != nil {
		m.UseHierarchy = u.UseHierarchy
	}
	if u.CheckBeforeUpdate != nil {
		m.CheckBeforeUpdate = u.CheckBeforeUpdate
	}
	return &m
}

func mergeCPU(base, u *specs.LinuxCPU) *specs.LinuxCPU {
	c := specs.LinuxCPU{}
	if base != nil {
		c = *base
	}
	if u.Shares != nil {
		c.Shares = u.Shares
	}
	setInt64(&c.Quota, u.Quota)
	if u.Burst != nil {
		c.Burst = u.Burst
	}
	if u.Period != nil {
		c.Period = u.Period
	}
	setInt64(&c.RealtimeRuntime, u.RealtimeRuntime)
	if u.RealtimePeriod != nil {
		c.RealtimePeriod = u.RealtimePeriod
	}
	if u.Cpus != "" {
		c.Cpus = u.Cpus
	}
	if u.Mems != "" {
		c.Mems = u.Mems
	}
	if u.Idle != nil {
		c.Idle = u.Idle
	}
	return &c
}

func setInt64(dst **int64, v *int64) {
	if v != nil {
		*dst = v
	}
}

// splitTaskLimits splits r into the limits written before init starts in its cgroup and those
// written once init is ready. A pids limit counts threads, and init's Go runtime starts a few:
// a limit below that would kill init, while written once init only waits for start it just
// refuses new tasks, as it should (the container's process keeps init's one task after its
// execve). Every other limit comes first, so that init is charged and restricted from its
// first page.
func splitTaskLimits(r *specs.LinuxResources) (before, after *specs.LinuxResources) {
	if r == nil {
		return nil, nil
	}
	first := *r
	first.Pids = nil
	later := &specs.LinuxResources{Pids: r.Pids}
	if len(r.Unified) > 0 {
		first.Unified = map[string]string{}
		for k, v := range r.Unified {
			if strings.HasPrefix(k, "pids.") {
				if later.Unified == nil {
					later.Unified = map[string]string{}
				}
				later.Unified[k] = v
				continue
			}
			first.Unified[k] = v
		}
	}
	if later.Pids == nil && later.Unified == nil {
		later = nil
	}
	return &first, later
}
