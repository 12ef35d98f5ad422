package fs2

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/runo-project/runo/cgroups"
)

func TestStats(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{
		"cpu.stat": "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 10\nnr_throttled 2\n" +
			"throttled_usec 50\nnr_bursts 0\nburst_usec 0\n",
		"cpu.pressure":             "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"memory.stat":              "anon 4096\nfile 8192\nkernel 100\n",
		"memory.current":           "12288\n",
		"memory.max":               "1048576\n",
		"memory.peak":              "20000\n",
		"memory.swap.current":      "100\n",
		"memory.swap.max":          "max\n",
		"memory.pressure":          "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n",
		"pids.current":             "3\n",
		"pids.max":                 "max\n",
		"io.stat":                  "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
		"cpuset.cpus.effective":    "0-1,3\n",
		"cpuset.mems.effective":    "0\n",
		"hugetlb.2MB.max":          "max\n",
		"hugetlb.2MB.current":      "0\n",
		"hugetlb.2MB.rsvd.max":     "max\n",
		"hugetlb.2MB.rsvd.current": "2097152\n",
		"hugetlb.2MB.events":       "max 4\n",
		"hugetlb.1GB.max":          "max\n",
		"hugetlb.1GB.current":      "0\n",
		"hugetlb.1GB.events":       "max 0\n",
	})
	got, err := stats(dir)
	if err != nil {
		t.Fatalf("stats() = %v", err)
	}
	want := &cgroups.Stats{
		CPU: cgroups.CPU{
			Usage:      cgroups.CPUUsage{Total: 1000000, User: 600000, Kernel: 400000},
			Throttling: cgroups.Throttling{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 50000},
			PSI:        &cgroups.PSIStats{Some: cgroups.PSIData{Avg10: 1.5, Avg60: 0.25, Total: 12345}},
		},
		CPUSet: cgroups.CPUSet{CPUs: []uint16{0, 1, 3}, Mems: []uint16{0}},
		Memory: cgroups.Memory{
			Cache: 8192,
			Usage: cgroups.MemoryEntry{Usage: 12288, Limit: 1048576, Max: 20000},
			// memory+swap, as runc reports it for v1 compatibility; the limit stays unlimited.
			Swap: cgroups.MemoryEntry{Usage: 12388, Limit: math.MaxUint64},
			Raw:  map[string]uint64{"anon": 4096, "file": 8192, "kernel": 100},
			PSI:  &cgroups.PSIStats{Some: cgroups.PSIData{Total: 7}, Full: cgroups.PSIData{Total: 3}},
		},
		Pids: cgroups.Pids{Current: 3},
		Blkio: cgroups.Blkio{
			IoServiceBytesRecursive: []cgroups.BlkioEntry{entry(8, 0, "Read", 4096), entry(8, 0, "Write", 8192)},
			IoServicedRecursive:     []cgroups.BlkioEntry{entry(8, 0, "Read", 1), entry(8, 0, "Write", 2)},
		},
		Hugetlb: map[string]cgroups.Hugetlb{
			"2MB": {Usage: 2097152, Failcnt: 4},
			"1GB": {},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats() =\n%+v\nwant\n%+v", got, want)
	}
}

// TestStatsMissingControllers checks that a cgroup with only the core files (no controller
// enabled) gives empty stats and no error, and that pids are counted from cgroup.procs.
func TestStatsMissingControllers(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"cgroup.procs": "10\n11\n"})
	got, err := stats(dir)
	if err != nil {
		t.Fatalf("stats() = %v", err)
	}
	want := &cgroups.Stats{Pids: cgroups.Pids{Current: 2}, Hugetlb: map[string]cgroups.Hugetlb{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats() = %+v, want %+v", got, want)
	}
}

func TestStatsBadFile(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"cgroup.procs": "", "cpu.stat": "usage_usec lots\n"})
	if _, err := stats(dir); err == nil || !strings.Contains(err.Error(), "cpu.stat") {
		t.Errorf("stats() = %v, want an error naming cpu.stat", err)
	}
}

func TestSwapStatsLimited(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{
		"memory.stat": "", "memory.current": "10", "memory.max": "100",
		"memory.swap.current": "5", "memory.swap.max": "50",
	})
	var st cgroups.Stats
	if err := statMemory(dir, &st); err != nil {
		t.Fatal(err)
	}
	if got, want := st.Memory.Swap, (cgroups.MemoryEntry{Usage: 15, Limit: 150}); got != want {
		t.Errorf("swap = %+v, want %+v", got, want)
	}
}
