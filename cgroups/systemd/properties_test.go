package systemd

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// prop is a property as tests write it.
type prop struct {
	name  string
	value any
}

func simple(props []sddbus.Property) []prop {
	out := []prop{}
	for _, p := range props {
		out = append(out, prop{p.Name, p.Value.Value()})
	}
	return out
}

func i64(v int64) *int64       { return &v }
func u64(v uint64) *uint64     { return &v }
func u16(v uint16) *uint16     { return &v }
func fmtProps(p []prop) string { return fmt.Sprintf("%v", p) }

var (
	v1   = target{unified: false, version: 252}
	v2   = target{unified: true, version: 252}
	v2at = func(version int) target { return target{unified: true, version: version} }
)

func TestResourceProperties(t *testing.T) {
	tests := []struct {
		name    string
		r       *specs.LinuxResources
		t       target
		want    []prop
		wantErr string
	}{
		{"nil", nil, v2, []prop{}, ""},
		{"empty", &specs.LinuxResources{}, v2, []prop{}, ""},
		{"v2 memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Reservation: i64(1 << 29), Swap: i64(3 << 29)}}, v2,
			[]prop{{"MemoryMax", uint64(1 << 30)}, {"MemoryLow", uint64(1 << 29)}, {"MemorySwapMax", uint64(1 << 29)}}, ""},
		// -1 is systemd's infinity; lifting memory without a swap value lifts swap, as on v1.
		{"v2 memory unlimited", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}}, v2,
			[]prop{{"MemoryMax", infinity}, {"MemorySwapMax", infinity}}, ""},
		{"v2 swap equal to memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}}, v2,
			[]prop{{"MemoryMax", uint64(100)}}, ""}, // swap.max 0 is "unset", so no property
		{"v2 swap below memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(50)}}, v2,
			nil, "linux.resources.memory.swap: memory+swap limit should be >= memory limit"},
		{"v2 swap without memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(50)}}, v2,
			nil, "unable to set swap limit without memory limit"},
		{"v1 memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Reservation: i64(1), Swap: i64(1 << 31)}}, v1,
			[]prop{{"MemoryLimit", uint64(1 << 30)}}, ""},
		{"v1 shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512)}}, v1,
			[]prop{{"CPUShares", uint64(512)}}, ""},
		// runc's curve since 2025: the defaults map to each other.
		{"v2 shares to weight", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024)}}, v2,
			[]prop{{"CPUWeight", uint64(100)}}, ""},
		{"v2 shares to weight, not linear", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(2048)}}, v2,
			[]prop{{"CPUWeight", uint64(174)}}, ""},
		{"v2 idle wins over shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Idle: i64(1)}}, v2,
			[]prop{{"CPUWeight", uint64(0)}}, ""},
		{"v2 idle on old systemd", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Idle: i64(1)}}, v2at(251),
			[]prop{{"CPUWeight", uint64(100)}}, ""},
		{"quota and period", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)}}, v2,
			[]prop{{"CPUQuotaPeriodUSec", uint64(100000)}, {"CPUQuotaPerSecUSec", uint64(500000)}}, ""},
		{"quota, default period", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(200000)}}, v1,
			[]prop{{"CPUQuotaPerSecUSec", uint64(2000000)}}, ""},
		// 12345/100000 s per s is 12.345% of a CPU: systemd keeps whole percents, up to 13%.
		{"quota rounded up", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(12345), Period: u64(100000)}}, v2,
			[]prop{{"CPUQuotaPeriodUSec", uint64(100000)}, {"CPUQuotaPerSecUSec", uint64(130000)}}, ""},
		{"no quota with a period", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(50000)}}, v2,
			[]prop{{"CPUQuotaPeriodUSec", uint64(50000)}, {"CPUQuotaPerSecUSec", infinity}}, ""},
		{"period on old systemd", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)}}, v2at(241),
			[]prop{{"CPUQuotaPerSecUSec", uint64(500000)}}, ""},
		{"cpuset", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-2,9", Mems: "0"}}, v2,
			[]prop{{"AllowedCPUs", []byte{0x07, 0x02}}, {"AllowedMemoryNodes", []byte{0x01}}}, ""},
		{"cpuset on old systemd", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-2"}}, v2at(243), []prop{}, ""},
		{"bad cpuset", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}}, v2, nil, `cpu.cpus "3-1": invalid range`},
		{"pids", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(100)}}, v1, []prop{{"TasksMax", uint64(100)}}, ""},
		{"pids unlimited", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, v2, []prop{{"TasksMax", infinity}}, ""},
		{"pids zero is unset", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, v2, []prop{}, ""},
		{"v1 blkio weight", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}}, v1,
			[]prop{{"BlockIOWeight", uint64(500)}}, ""},
		{"v2 io weight", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}}, v2,
			[]prop{{"IOWeight", uint64(4950)}}, ""},
		{"v2 unified", &specs.LinuxResources{Unified: map[string]string{
			"memory.high": "1000", "memory.max": "max", "pids.max": " 10\n", "cpu.weight": "50",
			"cpu.max": "max 20000", "cpuset.cpus": "1", "io.weight": "default 100",
		}}, v2, []prop{
			{"CPUQuotaPeriodUSec", uint64(20000)}, {"CPUQuotaPerSecUSec", infinity}, // cpu.max
			{"CPUWeight", uint64(50)},
			{"AllowedCPUs", []byte{0x02}},
			{"MemoryHigh", uint64(1000)},
			{"MemoryMax", infinity},
			{"TasksMax", uint64(10)},
		}, ""},
		{"v1 ignores unified", &specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}, v1, []prop{}, ""},
		{"bad unified", &specs.LinuxResources{Unified: map[string]string{"memory.max": "lots"}}, v2, nil, `unified "memory.max"="lots"`},
		{"only fs resources", &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
			Network: &specs.LinuxNetwork{ClassID: func() *uint32 { v := uint32(1); return &v }()}}, v2, []prop{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, _, err := resourceProperties(tt.r, tt.t)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resourceProperties() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resourceProperties(): %v", err)
			}
			if got := simple(props); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resourceProperties() = %s,\nwant %s", fmtProps(got), fmtProps(tt.want))
			}
		})
	}
}

// The quota given to the fs drivers follows systemd's rounding, so that the cgroup file and
// the unit agree; the caller's resources stay as they were.
func TestResourcePropertiesRoundsQuotaForFiles(t *testing.T) {
	r := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(12345), Period: u64(100000), Cpus: "0"}}
	_, fsRes, err := resourceProperties(r, v2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *fsRes.CPU.Quota, int64(13000); got != want {
		t.Errorf("fs quota = %d, want %d", got, want)
	}
	if got, want := *r.CPU.Quota, int64(12345); got != want {
		t.Errorf("caller's quota = %d, want %d (unchanged)", got, want)
	}
	if fsRes.CPU.Cpus != "0" {
		t.Errorf("fs cpus = %q, want the rest of CPU kept", fsRes.CPU.Cpus)
	}

	r = &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000)}}
	if _, fsRes, _ := resourceProperties(r, v2); fsRes != r {
		t.Errorf("resources with a whole-percent quota were copied; want them passed as they are")
	}
}

func TestCPUQuotaProperties(t *testing.T) {
	tests := []struct {
		quota      int64
		period     uint64
		wantPerSec uint64 // 0: no CPUQuotaPerSecUSec
		wantQuota  int64
	}{
		{0, 0, 0, 0},                         // nothing asked
		{100000, 100000, 1000000, 100000},    // one CPU
		{1000, 100000, 10000, 1000},          // 1%, the smallest systemd keeps
		{1, 100000, 10000, 1000},             // 0.001% rounds up to 1%
		{10001, 100000, 110000, 11000},       // just over 10%
		{25000, 50000, 500000, 25000},        // half a CPU with a shorter period
		{33333, 1000000, 40000, 40000},       // 3.3333% -> 4% of a 1s period
		{-1, 0, uint64(infinity), -1},        // no quota
		{0, 200000, uint64(infinity), 0},     // a period alone lifts the quota, as runc
		{1000000, 10000, 100000000, 1000000}, // 100 CPUs
	}
	for _, tt := range tests {
		props, quota := cpuQuotaProperties(tt.quota, tt.period, 252)
		var perSec uint64
		for _, p := range props {
			if p.Name == "CPUQuotaPerSecUSec" {
				perSec = p.Value.Value().(uint64)
			}
		}
		if perSec != tt.wantPerSec || quota != tt.wantQuota {
			t.Errorf("cpuQuotaProperties(%d, %d) = perSec %d, quota %d; want %d, %d", tt.quota, tt.period, perSec, quota, tt.wantPerSec, tt.wantQuota)
		}
	}
}

func TestRangeToBits(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{"0", []byte{0x01}, false},
		{"1,3", []byte{0x0a}, false},
		{"0-7", []byte{0xff}, false},
		{"8", []byte{0x00, 0x01}, false}, // CPU 8 is bit 0 of the second byte
		{"0-3,10-11", []byte{0x0f, 0x0c}, false},
		{" 2 , ,4,", []byte{0x14}, false}, // spaces and empty elements, as the kernel takes them
		{"63", []byte{0, 0, 0, 0, 0, 0, 0, 0x80}, false},
		{"", nil, true},
		{",", nil, true},
		{"a", nil, true},
		{"3-1", nil, true},
		{"1-", nil, true},
		{"-1", nil, true},
		{"70000", nil, true}, // beyond any CPU count: refused rather than a huge bitmap
	}
	for _, tt := range tests {
		got, err := rangeToBits(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("rangeToBits(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`"252.22-1~deb12u1"`, 252},
		{`"v245.4-1.fc32"`, 245},
		{"255", 255},
		{"v239", 239},
		{`""`, -1},
		{"unknown", -1},
	}
	for _, tt := range tests {
		if got := parseVersion(tt.in); got != tt.want {
			t.Errorf("parseVersion(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzRangeToBits(f *testing.F) {
	for _, s := range []string{"0", "0-3,8", " 2 , ,4,", "3-1", "65535", "1-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		bits, err := rangeToBits(list)
		if err != nil {
			return
		}
		// Every listed number is set; the array has no trailing zero bytes (systemd's own
		// parser would keep them, but a shorter array means the same set).
		if len(bits) == 0 || bits[len(bits)-1] == 0 {
			t.Errorf("rangeToBits(%q) = %v", list, bits)
		}
		for _, r := range strings.Split(list, ",") {
			first, _, _ := strings.Cut(strings.TrimSpace(r), "-")
			n, err := strconv.Atoi(first)
			if err != nil {
				continue
			}
			if n/8 >= len(bits) || bits[n/8]&(1<<(n%8)) == 0 {
				t.Errorf("rangeToBits(%q): bit %d not set in %v", list, n, bits)
			}
		}
	})
}
