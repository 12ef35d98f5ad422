package fs

import (
	"testing"

	"github.com/runo-project/runo/cgroups"
)

func TestSetCpuset(t *testing.T) {
	for _, tc := range []struct {
		name, cpus, mems string
		want             map[string]string
	}{
		{"both", "0-1", "0", map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}},
		{"cpus only", "1", "", map[string]string{"cpuset.cpus": "1", "cpuset.mems": "0-3"}},
		{"neither", "", "", map[string]string{"cpuset.cpus": "0-7", "cpuset.mems": "0-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := cgroupDir(t, map[string]string{"cpuset.cpus": "0-7", "cpuset.mems": "0-3"})
			if err := setCpuset(dir, tc.cpus, tc.mems); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, dir); !equalJSON(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCpusetStats(t *testing.T) {
	dir := cgroupDir(t, map[string]string{
		"cpuset.cpus": "0-2,5\n", "cpuset.mems": "0\n", "cpuset.cpu_exclusive": "1", "cpuset.mem_hardwall": "0",
		"cpuset.memory_migrate": "1", "cpuset.sched_load_balance": "1", "cpuset.sched_relax_domain_level": "-1",
	})
	var s cgroups.Stats
	if err := cpusetStats(dir, &s); err != nil {
		t.Fatal(err)
	}
	want := cgroups.CPUSet{CPUs: []uint16{0, 1, 2, 5}, Mems: []uint16{0}, CPUExclusive: 1, MemoryMigrate: 1,
		SchedLoadBalance: 1, SchedRelaxDomainLevel: -1}
	if !equalJSON(s.CPUSet, want) {
		t.Errorf("cpusetStats() = %+v, want %+v", s.CPUSet, want)
	}
}
