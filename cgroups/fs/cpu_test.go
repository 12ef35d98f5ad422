package fs

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func cpuFiles() map[string]string {
	return map[string]string{
		"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1",
		"cpu.cfs_burst_us": "0", "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0",
	}
}

func TestSetCPU(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove []string
		cpu    specs.LinuxCPU
		want   map[string]string
		err    string
	}{
		{name: "everything", cpu: specs.LinuxCPU{Shares: pu64(512), Quota: p64(50000), Period: pu64(200000), Burst: pu64(1000),
			RealtimeRuntime: p64(950), RealtimePeriod: pu64(2000), Idle: p64(1)},
			want: map[string]string{"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "200000",
				"cpu.cfs_burst_us": "1000", "cpu.rt_runtime_us": "950", "cpu.rt_period_us": "2000", "cpu.idle": "1"}},
		{name: "zero leaves as is", cpu: specs.LinuxCPU{Shares: pu64(0), Quota: p64(0), Period: pu64(0)}, want: cpuFiles()},
		{name: "unlimited quota", cpu: specs.LinuxCPU{Quota: p64(-1)}, want: map[string]string{"cpu.cfs_quota_us": "-1"}},
		{name: "no burst knob is ignored", remove: []string{"cpu.cfs_burst_us"}, cpu: specs.LinuxCPU{Burst: pu64(10), Quota: p64(1000)},
			want: map[string]string{"cpu.cfs_quota_us": "1000"}},
		{name: "no idle knob with idle 0", remove: []string{"cpu.idle"}, cpu: specs.LinuxCPU{Idle: p64(0)}},
		{name: "no idle knob with idle 1", remove: []string{"cpu.idle"}, cpu: specs.LinuxCPU{Idle: p64(1)}, err: "cpu.idle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := cpuFiles()
			for _, f := range tc.remove {
				delete(files, f)
			}
			dir := cgroupDir(t, files)
			err := setCPU(dir, &tc.cpu)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("setCPU() = %v, want error containing %q", err, tc.err)
			}
			got := contents(t, dir)
			for f, want := range tc.want {
				if got[f] != want {
					t.Errorf("%s = %q, want %q", f, got[f], want)
				}
			}
		})
	}
}

// TestSharesWriteError: a failed write must surface as itself, not as a clamp message. (The
// clamp itself needs the kernel: the root test covers it.)
func TestSharesWriteError(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"cpu.shares": dirFile})
	if err := setShares(dir, 2); err == nil || !strings.Contains(err.Error(), "cpu.shares") {
		t.Errorf("setShares() = %v, want an error naming cpu.shares", err)
	}
}

func TestCPUStats(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"cpu.stat": "nr_periods 10\nnr_throttled 3\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n"})
	var s cgroups.Stats
	if err := cpuStats(dir, &s); err != nil {
		t.Fatal(err)
	}
	want := cgroups.Throttling{Periods: 10, ThrottledPeriods: 3, ThrottledTime: 123456}
	if s.CPU.Throttling != want {
		t.Errorf("cpuStats() = %+v, want %+v", s.CPU.Throttling, want)
	}
}

func TestCpuacctStats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  cgroups.CPUUsage
	}{
		{"usage_all", map[string]string{
			"cpuacct.usage": "3000", "cpuacct.usage_percpu": "1000 2000 ", "cpuacct.stat": "user 5\nsystem 2\n",
			"cpuacct.usage_all": "cpu user system\n0 600 400\n1 1500 500\n",
		}, cgroups.CPUUsage{Total: 3000, Percpu: []uint64{1000, 2000}, PercpuKernel: []uint64{400, 500},
			PercpuUser: []uint64{600, 1500}, User: 50000000, Kernel: 20000000}},
		{"percpu_sys and _user", map[string]string{
			"cpuacct.usage": "3000", "cpuacct.usage_percpu": "1000 2000", "cpuacct.stat": "user 0\nsystem 100\n",
			"cpuacct.usage_percpu_sys": "400 500", "cpuacct.usage_percpu_user": "600 1500",
		}, cgroups.CPUUsage{Total: 3000, Percpu: []uint64{1000, 2000}, PercpuKernel: []uint64{400, 500},
			PercpuUser: []uint64{600, 1500}, Kernel: 1000000000}},
		{"old kernel", map[string]string{
			"cpuacct.usage": "1", "cpuacct.usage_percpu": "1", "cpuacct.stat": "user 1\nsystem 1\n",
		}, cgroups.CPUUsage{Total: 1, Percpu: []uint64{1}, User: 10000000, Kernel: 10000000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s cgroups.Stats
			if err := cpuacctStats(cgroupDir(t, tc.files), &s); err != nil {
				t.Fatal(err)
			}
			if !equalJSON(s.CPU.Usage, tc.want) {
				t.Errorf("cpuacctStats() = %+v, want %+v", s.CPU.Usage, tc.want)
			}
		})
	}
}
