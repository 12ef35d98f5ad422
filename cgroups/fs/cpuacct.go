package fs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/runo-project/runo/cgroups"
)

// userHZ is the unit of cpuacct.stat. The kernel reports USER_HZ, fixed at 100 on every
// architecture Go supports; runc hard-codes it too (sysconf(_SC_CLK_TCK) would need cgo).
const userHZ = 100

// cpuacctStats reads the cpuacct controller: total and per-cpu usage in ns, and the user and
// system split that cpuacct.stat gives in USER_HZ ticks.
func cpuacctStats(dir string, s *cgroups.Stats) error {
	u := &s.CPU.Usage
	total, err := readUint(dir, "cpuacct.usage")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	u.Total = total
	if u.User, u.Kernel, err = readCpuacctStat(dir); err != nil {
		return err
	}
	percpu, err := cgroups.ReadFile(dir, "cpuacct.usage_percpu")
	if err != nil {
		return err
	}
	if u.Percpu, err = parseUints(percpu); err != nil {
		return fmt.Errorf("parse %s/cpuacct.usage_percpu: %w", dir, err)
	}
	u.PercpuKernel, u.PercpuUser, err = readPercpuModes(dir)
	return err
}

// readCpuacctStat returns user and system time in nanoseconds from "user N\nsystem N".
func readCpuacctStat(dir string) (user, system uint64, err error) {
	data, err := cgroups.ReadFile(dir, "cpuacct.stat")
	if err != nil {
		return 0, 0, err
	}
	user, system, err = parseCpuacctStat(data)
	if err != nil {
		return 0, 0, fmt.Errorf("parse %s/cpuacct.stat: %w", dir, err)
	}
	return user, system, nil
}

func parseCpuacctStat(data string) (user, system uint64, err error) {
	f := strings.Fields(data)
	if len(f) < 4 || f[0] != "user" || f[2] != "system" {
		return 0, 0, fmt.Errorf("%w: cpuacct.stat %q", errMalformed, data)
	}
	u, uerr := strconv.ParseUint(f[1], 10, 64)
	s, serr := strconv.ParseUint(f[3], 10, 64)
	if err := errors.Join(uerr, serr); err != nil {
		return 0, 0, fmt.Errorf("%w: cpuacct.stat %q: %w", errMalformed, data, err)
	}
	return ticksToNs(u), ticksToNs(s), nil
}

// ticksToNs converts USER_HZ ticks to ns without overflowing for any tick count that fits
// 2^64 ns (584 years).
func ticksToNs(t uint64) uint64 { return t * (1e9 / userHZ) }

// readPercpuModes reads per-cpu kernel and user time: cpuacct.usage_all (4.16+) as runc does,
// else cpuacct.usage_percpu_sys and _user, else nothing.
func readPercpuModes(dir string) (kernel, user []uint64, err error) {
	data, err := cgroups.ReadFile(dir, "cpuacct.usage_all")
	if err == nil {
		if kernel, user, err = parseUsageAll(data); err != nil {
			return nil, nil, fmt.Errorf("parse %s/cpuacct.usage_all: %w", dir, err)
		}
		return kernel, user, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	for _, f := range []struct {
		file string
		to   *[]uint64
	}{{"cpuacct.usage_percpu_sys", &kernel}, {"cpuacct.usage_percpu_user", &user}} {
		data, err := cgroups.ReadFile(dir, f.file)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if *f.to, err = parseUints(data); err != nil {
			return nil, nil, fmt.Errorf("parse %s/%s: %w", dir, f.file, err)
		}
	}
	return kernel, user, nil
}
