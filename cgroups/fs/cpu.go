package fs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// cpuWanted reports whether c asks anything of the cpu controller (cpus and mems belong to
// cpuset).
func cpuWanted(c *specs.LinuxCPU) bool {
	return c != nil && (c.Shares != nil || c.Quota != nil || c.Burst != nil || c.Period != nil ||
		c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil)
}

func u64(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// setCPU writes linux.resources.cpu to the cpu controller as runc does; 0 leaves a value as is.
func setCPU(dir string, c *specs.LinuxCPU) error {
	if err := setShares(dir, u64(c.Shares)); err != nil {
		return err
	}
	if err := setCFS(dir, u64(c.Period), i64(c.Quota), c.Burst); err != nil {
		return err
	}
	if c.Idle != nil {
		if !exists(dir, "cpu.idle") {
			if *c.Idle != 0 {
				return fmt.Errorf("cpu.idle: not in this kernel: %w", cgroups.ErrNotSupported)
			}
		} else if err := cgroups.WriteFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return setRT(dir, u64(c.RealtimePeriod), i64(c.RealtimeRuntime))
}

// setShares writes cpu.shares and reads it back: the kernel clamps out-of-range values to
// [2, 262144] silently, and runc reports the clamp as an error.
func setShares(dir string, shares uint64) error {
	if shares == 0 {
		return nil
	}
	if err := cgroups.WriteFile(dir, "cpu.shares", strconv.FormatUint(shares, 10)); err != nil {
		return err
	}
	got, err := readUint(dir, "cpu.shares")
	if err != nil {
		return err
	}
	switch {
	case shares > got:
		return fmt.Errorf("the maximum allowed cpu-shares is %d", got)
	case shares < got:
		return fmt.Errorf("the minimum allowed cpu-shares is %d", got)
	}
	return nil
}

// setCFS writes period, burst and quota. A new period (or burst) can be refused with EINVAL
// until the new quota is in place, because the kernel checks old quota against new period
// against the parent's bandwidth: as runc, such a write is retried after the quota's.
func setCFS(dir string, period uint64, quota int64, burst *uint64) error {
	var retry []string // files to write again after the quota, with their values
	if period != 0 {
		v := strconv.FormatUint(period, 10)
		if err := cgroups.WriteFile(dir, "cpu.cfs_period_us", v); err != nil {
			if !errors.Is(err, unix.EINVAL) || quota == 0 {
				return err
			}
			retry = append(retry, "cpu.cfs_period_us", v)
		}
	}
	// No burst knob (kernels before 5.14): ignored, as runc does.
	if burst != nil && exists(dir, "cpu.cfs_burst_us") {
		v := strconv.FormatUint(*burst, 10)
		if err := cgroups.WriteFile(dir, "cpu.cfs_burst_us", v); err != nil {
			if !errors.Is(err, unix.EINVAL) || quota == 0 {
				return err
			}
			retry = append(retry, "cpu.cfs_burst_us", v)
		}
	}
	if quota == 0 {
		return nil
	}
	if err := cgroups.WriteFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10)); err != nil {
		return err
	}
	for i := 0; i < len(retry); i += 2 {
		if err := cgroups.WriteFile(dir, retry[i], retry[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// setRT writes the real-time bandwidth. Period and runtime depend on each other as period
// and quota do, so a refused period is retried after the runtime.
func setRT(dir string, period uint64, runtime int64) error {
	retryPeriod := ""
	if period != 0 {
		v := strconv.FormatUint(period, 10)
		if err := cgroups.WriteFile(dir, "cpu.rt_period_us", v); err != nil {
			if !errors.Is(err, unix.EINVAL) || runtime == 0 {
				return err
			}
			retryPeriod = v
		}
	}
	if runtime == 0 {
		return nil
	}
	if err := cgroups.WriteFile(dir, "cpu.rt_runtime_us", strconv.FormatInt(runtime, 10)); err != nil {
		return err
	}
	if retryPeriod != "" {
		return cgroups.WriteFile(dir, "cpu.rt_period_us", retryPeriod)
	}
	return nil
}

// cpuStats reads the CFS throttling counters of cpu.stat.
func cpuStats(dir string, s *cgroups.Stats) error {
	m, err := readFlatKeyed(dir, "cpu.stat")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	s.CPU.Throttling = cgroups.Throttling{
		Periods:          m["nr_periods"],
		ThrottledPeriods: m["nr_throttled"],
		ThrottledTime:    m["throttled_time"],
	}
	return nil
}
