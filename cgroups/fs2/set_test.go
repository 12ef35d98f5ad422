package fs2

import (
	"maps"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestSet writes resources into fake cgroups and checks every file afterwards. Files a case
// does not list must keep their contents.
func TestSet(t *testing.T) {
	bfqOld := map[string]string{"io.bfq.weight": "100", "io.weight": "default 100"}
	bfqNew := map[string]string{"io.bfq.weight": "default 100", "io.weight": "default 100"}
	tests := []struct {
		name    string
		files   map[string]string
		r       specs.LinuxResources
		want    map[string]string // changed files
		wantErr string
	}{
		{"nothing", map[string]string{"pids.max": "max"}, specs.LinuxResources{}, nil, ""},
		{"pids limit", map[string]string{"pids.max": "max"},
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](100)}}, map[string]string{"pids.max": "100"}, ""},
		{"pids 0 is 1, as runc", map[string]string{"pids.max": "max"},
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](0)}}, map[string]string{"pids.max": "1"}, ""},
		{"pids -1 is max", map[string]string{"pids.max": "5"},
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](-1)}}, map[string]string{"pids.max": "max"}, ""},
		{"pids without controller", nil,
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](10)}}, nil, "pids.max"},

		{"memory", map[string]string{"memory.max": "max", "memory.swap.max": "max", "memory.low": "0"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), Swap: ptr[int64](3000), Reservation: ptr[int64](500)}},
			map[string]string{"memory.max": "1000", "memory.swap.max": "2000", "memory.low": "500"}, ""},
		{"memory unlimited", map[string]string{"memory.max": "10", "memory.swap.max": "10"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](-1)}},
			map[string]string{"memory.max": "max", "memory.swap.max": "max"}, ""},
		{"memory equal to memory+swap: no swap", map[string]string{"memory.max": "max", "memory.swap.max": "max"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), Swap: ptr[int64](1000)}},
			map[string]string{"memory.max": "1000", "memory.swap.max": "0"}, ""},
		{"no swap accounting, no swap asked", map[string]string{"memory.max": "max"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), Swap: ptr[int64](1000)}},
			map[string]string{"memory.max": "1000"}, ""},
		{"no swap accounting, swap asked", map[string]string{"memory.max": "max"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), Swap: ptr[int64](2000)}},
			nil, "memory.swap.max"},
		{"swap without memory", map[string]string{"memory.max": "max", "memory.swap.max": "max"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr[int64](2000)}},
			nil, "unable to set swap limit without memory limit"},
		{"check before update refuses", map[string]string{"memory.max": "max", "memory.current": "2000"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), CheckBeforeUpdate: ptr(true)}},
			nil, "rejecting memory limit 1000 <= usage 2000"},
		{"check before update passes", map[string]string{"memory.max": "max", "memory.current": "200"},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1000), CheckBeforeUpdate: ptr(true)}},
			map[string]string{"memory.max": "1000"}, ""},
		{"kernel memory ignored", map[string]string{},
			specs.LinuxResources{Memory: &specs.LinuxMemory{Kernel: ptr[int64](1000), KernelTCP: ptr[int64](10), Swappiness: ptr[uint64](0)}},
			nil, ""},

		{"cpu shares, quota, period", map[string]string{"cpu.weight": "100", "cpu.max": "max 100000"},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr[uint64](2048), Quota: ptr[int64](50000), Period: ptr[uint64](200000)}},
			map[string]string{"cpu.weight": "174", "cpu.max": "50000 200000"}, ""},
		{"cpu quota, default period", map[string]string{"cpu.max": "max 100000"},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](50000)}},
			map[string]string{"cpu.max": "50000 100000"}, ""},
		{"cpu period only", map[string]string{"cpu.max": "max 100000"},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr[uint64](250000)}},
			map[string]string{"cpu.max": "max 250000"}, ""},
		{"cpu quota -1", map[string]string{"cpu.max": "1000 100000"},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](-1)}},
			map[string]string{"cpu.max": "max 100000"}, ""},
		{"cpu burst and idle", map[string]string{"cpu.max.burst": "0", "cpu.idle": "0"},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: ptr[uint64](1000), Idle: ptr[int64](1)}},
			map[string]string{"cpu.max.burst": "1000", "cpu.idle": "1"}, ""},
		{"cpu realtime ignored", map[string]string{},
			specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr[int64](1000), RealtimePeriod: ptr[uint64](10)}},
			nil, ""},
		{"cpuset", map[string]string{"cpuset.cpus": "", "cpuset.mems": ""},
			specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}, ""},

		{"io weight converted without bfq", map[string]string{"io.weight": "default 100"},
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500)}},
			map[string]string{"io.weight": "4950"}, ""},
		{"io weight to bfq unconverted", bfqOld,
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500)}},
			map[string]string{"io.bfq.weight": "500"}, ""},
		{"device weight ignored by an old bfq", bfqOld,
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr[uint16](300)}}}},
			nil, ""},
		{"device weight to a new bfq", bfqNew,
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr[uint16](300)}}}},
			// The write lands at offset 0 of the file read for the check: kernfs takes each
			// write whole, a regular file keeps the rest.
			map[string]string{"io.bfq.weight": "8:0 300 100"}, ""},
		{"io read bps", map[string]string{"io.max": ""},
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}}}},
			map[string]string{"io.max": "8:0 rbps=1000"}, ""},
		{"io write iops", map[string]string{"io.max": ""},
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 253, Minor: 1}, Rate: 20}}}},
			map[string]string{"io.max": "253:1 wiops=20"}, ""},

		{"hugetlb with reservations", map[string]string{"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max"},
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}}},
			map[string]string{"hugetlb.2MB.max": "4194304", "hugetlb.2MB.rsvd.max": "4194304"}, ""},
		{"hugetlb without reservations", map[string]string{"hugetlb.2MB.max": "max"},
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}}},
			map[string]string{"hugetlb.2MB.max": "4194304"}, ""},
		{"hugetlb unknown size", map[string]string{"hugetlb.2MB.max": "max"},
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}},
			nil, "hugetlb.3MB.max"},

		{"rdma", map[string]string{"rdma.max": ""},
			specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr[uint32](3)}}},
			map[string]string{"rdma.max": "mlx5_1 hca_handle=3"}, ""},

		{"unified", map[string]string{"memory.high": "max", "cgroup.controllers": "memory"},
			specs.LinuxResources{Unified: map[string]string{"memory.high": "5000"}},
			map[string]string{"memory.high": "5000"}, ""},
		{"unified with a slash", map[string]string{},
			specs.LinuxResources{Unified: map[string]string{"../cgroup.procs": "1"}}, nil, "must be a file name"},
		{"unified dot dot", map[string]string{},
			specs.LinuxResources{Unified: map[string]string{"..": "1"}}, nil, "must be a file name"},
		{"unified without a dot", map[string]string{"cgroup.controllers": ""},
			specs.LinuxResources{Unified: map[string]string{"memory": "1"}}, nil, "CONTROLLER.PARAMETER"},
		{"unified controller missing", map[string]string{"cgroup.controllers": "memory"},
			specs.LinuxResources{Unified: map[string]string{"io.max": "8:0 rbps=1"}}, nil, `controller "io" not available`},
		{"unified file missing", map[string]string{"cgroup.controllers": "memory"},
			specs.LinuxResources{Unified: map[string]string{"memory.nosuch": "1"}}, nil, `unable to set unified resource "memory.nosuch"`},
		{"unified is not created", map[string]string{},
			specs.LinuxResources{Unified: map[string]string{"cgroup.nosuch": "1"}}, nil, `unable to set unified resource "cgroup.nosuch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fakeCgroup(t, tt.files)
			err := set(dir, &tt.r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("set() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("set() = %v", err)
			}
			want := maps.Clone(tt.files)
			if want == nil {
				want = map[string]string{}
			}
			maps.Copy(want, tt.want)
			if got := contents(t, dir); !maps.Equal(got, want) {
				t.Errorf("files after set() = %q, want %q", got, want)
			}
		})
	}
}

func TestManagerSetNil(t *testing.T) {
	m := &Manager{dir: t.TempDir()}
	if err := m.Set(nil); err != nil {
		t.Errorf("Set(nil) = %v, want nil", err)
	}
}
