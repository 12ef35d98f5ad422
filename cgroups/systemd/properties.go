package systemd

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups/fs2"
)

// infinity is systemd's "no limit" for its uint64 properties (UINT64_MAX, USEC_INFINITY).
const infinity = uint64(math.MaxUint64)

// defaultCPUPeriod is the kernel's default CFS period in microseconds, on v1 and v2 alike.
const defaultCPUPeriod = uint64(100000)

// The systemd versions that first took a property runo sets.
const (
	versionDeviceMajorGlob = 240 // DeviceAllow=char-MAJOR without /proc/devices
	versionCPUQuotaPeriod  = 242 // CPUQuotaPeriodUSec
	versionAllowedCPUs     = 244 // AllowedCPUs, AllowedMemoryNodes
	versionCPUIdle         = 252 // CPUWeight=0 meaning cpu.idle=1
)

// target is what a conversion depends on besides the resources themselves.
type target struct {
	unified bool // cgroup v2 (pure); v1 and hybrid hosts take the v1 properties
	version int  // systemd's version; -1 when unknown, which turns every versioned property off
}

func newProp(name string, value any) sddbus.Property {
	return sddbus.Property{Name: name, Value: dbus.MakeVariant(value)}
}

// resourceProperties converts r to the unit properties systemd can express, as runc's systemd
// drivers do, with the fs2 driver's conversions of v1-style values so that systemd and the
// cgroup files agree. It also returns the resources the fs or fs2 driver must write afterwards: r,
// except for a CPU quota that systemd rounds up to whole percents of a CPU, which is rounded
// alike so that systemd and the cgroup files agree (and a later systemd reload changes
// nothing). Device rules are converted separately (deviceProperties).
func resourceProperties(r *specs.LinuxResources, t target) ([]sddbus.Property, *specs.LinuxResources, error) {
	if r == nil {
		return nil, nil, nil
	}
	var props []sddbus.Property
	fsRes := r
	if m := r.Memory; m != nil {
		p, err := memoryProperties(m, t)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, p...)
	}
	if c := r.CPU; c != nil {
		p, quota, err := cpuProperties(c, t)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, p...)
		if c.Quota != nil && quota != *c.Quota {
			cpu := *c
			cpu.Quota = &quota
			res := *r
			res.CPU = &cpu
			fsRes = &res
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		// As runc: 0 leaves the limit alone, -1 lifts it.
		if l := *r.Pids.Limit; l > 0 {
			props = append(props, newProp("TasksMax", uint64(l)))
		} else if l == -1 {
			props = append(props, newProp("TasksMax", infinity))
		}
	}
	if r.BlockIO != nil && r.BlockIO.Weight != nil && *r.BlockIO.Weight != 0 {
		w := *r.BlockIO.Weight
		if t.unified {
			props = append(props, newProp("IOWeight", fs2.BlkioWeightToIOWeight(w)))
		} else {
			props = append(props, newProp("BlockIOWeight", uint64(w)))
		}
	}
	if t.unified && len(r.Unified) > 0 {
		p, err := unifiedProperties(r.Unified, t)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, p...)
	}
	return props, fsRes, nil
}

func memoryProperties(m *specs.LinuxMemory, t target) ([]sddbus.Property, error) {
	var props []sddbus.Property
	limit := int64(0)
	if m.Limit != nil {
		limit = *m.Limit
	}
	if !t.unified {
		// cgroup v1: systemd knows memory.limit_in_bytes only; the fs driver writes the rest.
		if limit != 0 {
			props = append(props, newProp("MemoryLimit", uint64(limit))) // -1 is infinity
		}
		return props, nil
	}
	if limit != 0 {
		props = append(props, newProp("MemoryMax", uint64(limit)))
	}
	if m.Reservation != nil && *m.Reservation != 0 {
		props = append(props, newProp("MemoryLow", uint64(*m.Reservation)))
	}
	swap := int64(0)
	if m.Swap != nil {
		swap = *m.Swap
	}
	v2swap, err := fs2.MemorySwapToV2(swap, limit)
	if err != nil {
		return nil, fmt.Errorf("linux.resources.memory.swap: %w", err)
	}
	if v2swap != 0 {
		props = append(props, newProp("MemorySwapMax", uint64(v2swap)))
	}
	return props, nil
}

func cpuProperties(c *specs.LinuxCPU, t target) ([]sddbus.Property, int64, error) {
	var props []sddbus.Property
	idle := false
	if t.unified && c.Idle != nil && *c.Idle == 1 && t.version >= versionCPUIdle {
		// systemd sets cpu.idle=1 for CPUWeight=0; it cannot take both, and idle wins as in runc.
		props = append(props, newProp("CPUWeight", uint64(0)))
		idle = true
	}
	if c.Shares != nil && *c.Shares != 0 && !idle {
		if t.unified {
			props = append(props, newProp("CPUWeight", fs2.CPUSharesToWeight(*c.Shares)))
		} else {
			props = append(props, newProp("CPUShares", *c.Shares))
		}
	}
	quota := int64(0)
	if c.Quota != nil {
		quota = *c.Quota
	}
	period := uint64(0)
	if c.Period != nil {
		period = *c.Period
	}
	p, quota := cpuQuotaProperties(quota, period, t.version)
	props = append(props, p...)
	p, err := cpusetProperties(c.Cpus, c.Mems, t.version)
	if err != nil {
		return nil, 0, err
	}
	return append(props, p...), quota, nil
}

// cpuQuotaProperties converts a CFS quota and period (microseconds) to CPUQuotaPerSecUSec and
// CPUQuotaPeriodUSec. systemd keeps the quota as whole percents of a CPU, so a quota per
// second that is not a multiple of 10ms is rounded up to one (as runc does: rounding down
// would give the container less than it asked for); the quota returned is the one that
// matches the rounded value, for the cgroup files. A quota <= 0 with a period is "no quota".
func cpuQuotaProperties(quota int64, period uint64, version int) ([]sddbus.Property, int64) {
	var props []sddbus.Property
	if period != 0 && version >= versionCPUQuotaPeriod {
		props = append(props, newProp("CPUQuotaPeriodUSec", period))
	}
	if quota == 0 && period == 0 {
		return props, quota
	}
	perSec := infinity
	if quota > 0 {
		if period == 0 {
			period = defaultCPUPeriod
		}
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
			quota = int64(perSec * period / 1000000)
		}
	}
	return append(props, newProp("CPUQuotaPerSecUSec", perSec)), quota
}

func cpusetProperties(cpus, mems string, version int) ([]sddbus.Property, error) {
	if (cpus == "" && mems == "") || version < versionAllowedCPUs {
		return nil, nil // older systemd: the cgroup files alone
	}
	var props []sddbus.Property
	for _, p := range []struct{ name, field, v string }{
		{"AllowedCPUs", "cpu.cpus", cpus},
		{"AllowedMemoryNodes", "cpu.mems", mems},
	} {
		if p.v == "" {
			continue
		}
		bits, err := rangeToBits(p.v)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", p.field, p.v, err)
		}
		props = append(props, newProp(p.name, bits))
	}
	return props, nil
}

// rangeToBits converts a cpuset list such as "0-3,8" to the byte array systemd takes for
// AllowedCPUs: bit n of the array (bit n%8 of byte n/8) is CPU n.
func rangeToBits(list string) ([]byte, error) {
	var bits big.Int
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue // the kernel takes "0,,1" and a trailing comma; so does runc
		}
		first, last, isRange := strings.Cut(r, "-")
		start, err := strconv.ParseUint(first, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid cpu or node number %q", first)
		}
		end := start
		if isRange {
			if end, err = strconv.ParseUint(last, 10, 16); err != nil {
				return nil, fmt.Errorf("invalid cpu or node number %q", last)
			}
			if start > end {
				return nil, fmt.Errorf("invalid range %q", r)
			}
		}
		for i := start; i <= end; i++ {
			bits.SetBit(&bits, int(i), 1)
		}
	}
	b := bits.Bytes() // big-endian: the highest CPUs first
	if len(b) == 0 {
		return nil, errors.New("empty list")
	}
	slices.Reverse(b)
	return b, nil
}

// unifiedProperties converts the cgroup v2 files of linux.resources.unified that systemd has a
// property for; the fs2 driver writes every file anyway. Keys are taken in sorted order so
// that a later key wins deterministically.
func unifiedProperties(files map[string]string, t target) ([]sddbus.Property, error) {
	var props []sddbus.Property
	for _, k := range slices.Sorted(maps.Keys(files)) {
		v := strings.TrimSpace(files[k])
		bad := func(err error) error {
			return fmt.Errorf("linux.resources.unified %q=%q: %w", k, v, err)
		}
		switch k {
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, bad(err)
			}
			props = append(props, newProp("CPUWeight", n))
		case "cpu.max":
			f := strings.Fields(v)
			if len(f) < 1 || len(f) > 2 {
				return nil, bad(errors.New("want \"QUOTA [PERIOD]\""))
			}
			quota, period := int64(0), defaultCPUPeriod
			if f[0] != "max" {
				q, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return nil, bad(err)
				}
				quota = q
			}
			if len(f) == 2 {
				p, err := strconv.ParseUint(f[1], 10, 64)
				if err != nil {
					return nil, bad(err)
				}
				period = p
			}
			// No rounding of the file's value: fs2 writes it as given.
			p, _ := cpuQuotaProperties(quota, period, t.version)
			props = append(props, p...)
		case "cpuset.cpus", "cpuset.mems":
			if t.version < versionAllowedCPUs {
				continue
			}
			bits, err := rangeToBits(v)
			if err != nil {
				return nil, bad(err)
			}
			name := map[string]string{"cpuset.cpus": "AllowedCPUs", "cpuset.mems": "AllowedMemoryNodes"}[k]
			props = append(props, newProp(name, bits))
		case "memory.high", "memory.low", "memory.min", "memory.max", "memory.swap.max", "pids.max":
			n := infinity
			if v != "max" {
				var err error
				if n, err = strconv.ParseUint(v, 10, 64); err != nil {
					return nil, bad(err)
				}
			}
			name := map[string]string{
				"memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin",
				"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
			}[k]
			props = append(props, newProp(name, n))
		}
	}
	return props, nil
}
