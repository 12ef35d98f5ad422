package fs2

import (
	"errors"
	"math"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// defaultCPUPeriod is the kernel's cpu.max period, used when the spec gives a quota only.
const defaultCPUPeriod = 100000

// CPUSharesToWeight converts cgroup v1 cpu.shares ([2, 262144], default 1024) to cgroup v2
// cpu.weight ([1, 10000], default 100) with the formula of runc ≥ 1.3.2 (opencontainers/cgroups
// #20, also crun ≥ 1.23): a quadratic in log2(shares) through (2, 1), (1024, 100) and
// (262144, 10000), so that the v1 default maps to the v2 default. runc's older linear formula
// mapped 1024 to 39. 0 means unset; values out of range are clamped.
func CPUSharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exponent := (l*l+125*l)/612.0 - 7.0/34.0
	return uint64(math.Ceil(math.Pow(10, exponent)))
}

// setCPU writes cpu.idle, cpu.weight, cpu.max.burst and cpu.max as runc does. The spec's
// realtime fields have no v2 file and are ignored, as by runc.
func setCPU(dir string, c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if c.Idle != nil {
		if err := writeFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	if c.Shares != nil {
		if w := CPUSharesToWeight(*c.Shares); w != 0 {
			if err := writeFile(dir, "cpu.weight", strconv.FormatUint(w, 10)); err != nil {
				return err
			}
		}
	}
	var quota int64
	if c.Quota != nil {
		quota = *c.Quota
	}
	var period uint64
	if c.Period != nil {
		period = *c.Period
	}
	var burst string
	if c.Burst != nil {
		burst = strconv.FormatUint(*c.Burst, 10)
		err := writeFile(dir, "cpu.max.burst", burst)
		switch {
		case err == nil:
			burst = ""
		case errors.Is(err, unix.EINVAL) && quota != 0:
			// A burst above the current quota is refused; it is written again once the new
			// quota is in place.
		default:
			return err
		}
	}
	if quota != 0 || period != 0 {
		if err := writeFile(dir, "cpu.max", cpuMax(quota, period)); err != nil {
			return err
		}
		if burst != "" {
			if err := writeFile(dir, "cpu.max.burst", burst); err != nil {
				return err
			}
		}
	}
	return nil
}

// cpuMax returns the cpu.max value: "max" for no quota (0 or negative, as runc), the kernel's
// default period when none is given.
func cpuMax(quota int64, period uint64) string {
	s := "max"
	if quota > 0 {
		s = strconv.FormatInt(quota, 10)
	}
	if period == 0 {
		period = defaultCPUPeriod
	}
	return s + " " + strconv.FormatUint(period, 10)
}

// statCPU reads cpu.stat, whose times are in microseconds, into runc's nanosecond fields.
func statCPU(dir string, st *cgroups.Stats) error {
	kv, err := readKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	fillCPU(kv, &st.CPU)
	return nil
}

func fillCPU(kv map[string]uint64, c *cgroups.CPU) {
	c.Usage.Total = kv["usage_usec"] * 1000
	c.Usage.User = kv["user_usec"] * 1000
	c.Usage.Kernel = kv["system_usec"] * 1000
	c.Throttling.Periods = kv["nr_periods"]
	c.Throttling.ThrottledPeriods = kv["nr_throttled"]
	c.Throttling.ThrottledTime = kv["throttled_usec"] * 1000
}
