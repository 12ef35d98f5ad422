package fs

import (
	"errors"
	"fmt"
	"os"

	"github.com/runo-project/runo/cgroups"
)

// setCpuset writes linux.resources.cpu.cpus and .mems; empty strings leave them as is. The
// kernel checks both against the parent's sets.
func setCpuset(dir, cpus, mems string) error {
	if cpus != "" {
		if err := cgroups.WriteFile(dir, "cpuset.cpus", cpus); err != nil {
			return err
		}
	}
	if mems != "" {
		if err := cgroups.WriteFile(dir, "cpuset.mems", mems); err != nil {
			return err
		}
	}
	return nil
}

// cpusetStats reads the cpu and memory node lists and the cpuset flags.
func cpusetStats(dir string, s *cgroups.Stats) error {
	c := &s.CPUSet
	for _, l := range []struct {
		file string
		to   *[]uint16
	}{{"cpuset.cpus", &c.CPUs}, {"cpuset.mems", &c.Mems}} {
		data, err := cgroups.ReadFile(dir, l.file)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if *l.to, err = parseRanges(data); err != nil {
			return fmt.Errorf("parse %s/%s: %w", dir, l.file, err)
		}
	}
	for _, f := range []struct {
		file string
		to   *uint64
	}{
		{"cpuset.cpu_exclusive", &c.CPUExclusive},
		{"cpuset.mem_hardwall", &c.MemHardwall},
		{"cpuset.mem_exclusive", &c.MemExclusive},
		{"cpuset.memory_migrate", &c.MemoryMigrate},
		{"cpuset.memory_spread_page", &c.MemorySpreadPage},
		{"cpuset.memory_spread_slab", &c.MemorySpreadSlab},
		{"cpuset.memory_pressure", &c.MemoryPressure},
		{"cpuset.sched_load_balance", &c.SchedLoadBalance},
	} {
		v, err := readUint(dir, f.file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		*f.to = v
	}
	v, err := readInt(dir, "cpuset.sched_relax_domain_level")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	c.SchedRelaxDomainLevel = v
	return nil
}
