package fs

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func memFiles(over map[string]string) map[string]string {
	f := map[string]string{
		"memory.limit_in_bytes":          "9223372036854771712",
		"memory.memsw.limit_in_bytes":    "9223372036854771712",
		"memory.soft_limit_in_bytes":     "9223372036854771712",
		"memory.kmem.limit_in_bytes":     "9223372036854771712",
		"memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
		"memory.usage_in_bytes":          "1048576",
		"memory.max_usage_in_bytes":      "2097152",
		"memory.oom_control":             "oom_kill_disable 0\nunder_oom 0\noom_kill 0",
		"memory.swappiness":              "60",
	}
	maps.Copy(f, over)
	for k, v := range over {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

func TestSetMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string // over memFiles; "" removes a file
		mem   specs.LinuxMemory
		want  map[string]string // files that must hold these values afterwards
		err   string            // substring of the error, "" for none
	}{
		{name: "limit", mem: specs.LinuxMemory{Limit: p64(1 << 30)},
			want: map[string]string{"memory.limit_in_bytes": "1073741824", "memory.memsw.limit_in_bytes": "9223372036854771712"}},
		{name: "limit and swap", mem: specs.LinuxMemory{Limit: p64(1 << 30), Swap: p64(2 << 30)},
			want: map[string]string{"memory.limit_in_bytes": "1073741824", "memory.memsw.limit_in_bytes": "2147483648"}},
		{name: "unlimited lifts swap too", files: map[string]string{"memory.limit_in_bytes": "1073741824", "memory.memsw.limit_in_bytes": "2147483648"},
			mem:  specs.LinuxMemory{Limit: p64(-1)},
			want: map[string]string{"memory.limit_in_bytes": "-1", "memory.memsw.limit_in_bytes": "-1"}},
		{name: "unlimited without swap accounting", files: map[string]string{"memory.memsw.limit_in_bytes": ""},
			mem: specs.LinuxMemory{Limit: p64(-1)}, want: map[string]string{"memory.limit_in_bytes": "-1"}},
		{name: "swap without swap accounting", files: map[string]string{"memory.memsw.limit_in_bytes": ""},
			mem: specs.LinuxMemory{Swap: p64(1 << 30)}, err: "no swap accounting"},
		{name: "zero leaves as is", mem: specs.LinuxMemory{Limit: p64(0), Swap: p64(0), Reservation: p64(0)},
			want: memFiles(nil)},
		{name: "reservation", mem: specs.LinuxMemory{Reservation: p64(512 << 20)},
			want: map[string]string{"memory.soft_limit_in_bytes": "536870912"}},
		{name: "kernel", mem: specs.LinuxMemory{Kernel: p64(64 << 20), KernelTCP: p64(16 << 20)},
			want: map[string]string{"memory.kmem.limit_in_bytes": "67108864", "memory.kmem.tcp.limit_in_bytes": "16777216"}},
		// Kernels without kmem files: a zero or unset limit is fine, a limit is not.
		{name: "kernel zero on new kernels", files: map[string]string{"memory.kmem.limit_in_bytes": "", "memory.kmem.tcp.limit_in_bytes": ""},
			mem: specs.LinuxMemory{Kernel: p64(0), KernelTCP: p64(0), Limit: p64(4096)}, want: map[string]string{"memory.limit_in_bytes": "4096"}},
		{name: "kernel on new kernels", files: map[string]string{"memory.kmem.limit_in_bytes": ""},
			mem: specs.LinuxMemory{Kernel: p64(1 << 20)}, err: "memory.kernel: this kernel has no memory.kmem.limit_in_bytes"},
		{name: "kernelTCP on new kernels", files: map[string]string{"memory.kmem.tcp.limit_in_bytes": ""},
			mem: specs.LinuxMemory{KernelTCP: p64(1 << 20)}, err: "memory.kernelTCP"},
		{name: "oom killer disabled", mem: specs.LinuxMemory{DisableOOMKiller: pbool(true)},
			want: map[string]string{"memory.oom_control": "1"}},
		{name: "oom killer not disabled writes nothing", mem: specs.LinuxMemory{DisableOOMKiller: pbool(false)},
			want: map[string]string{"memory.oom_control": memFiles(nil)["memory.oom_control"]}},
		{name: "swappiness", mem: specs.LinuxMemory{Swappiness: pu64(10)}, want: map[string]string{"memory.swappiness": "10"}},
		{name: "swappiness 0", mem: specs.LinuxMemory{Swappiness: pu64(0)}, want: map[string]string{"memory.swappiness": "0"}},
		{name: "swappiness 100 is the top", mem: specs.LinuxMemory{Swappiness: pu64(100)}, want: map[string]string{"memory.swappiness": "100"}},
		{name: "swappiness 101", mem: specs.LinuxMemory{Swappiness: pu64(101)}, err: "valid range is 0-100"},
		{name: "swappiness -1 is unset", mem: specs.LinuxMemory{Swappiness: pu64(^uint64(0))}, want: map[string]string{"memory.swappiness": "60"}},
		{name: "check before update passes", mem: specs.LinuxMemory{Limit: p64(1 << 20), CheckBeforeUpdate: pbool(true)},
			want: map[string]string{"memory.limit_in_bytes": "1048576"}},
		{name: "check before update refuses", mem: specs.LinuxMemory{Limit: p64(4096), CheckBeforeUpdate: pbool(true)},
			err: "below the current usage 1048576", want: map[string]string{"memory.limit_in_bytes": "9223372036854771712"}},
		// Raising: memsw goes first, so a failing memsw write leaves the limit alone.
		{name: "raise writes swap first", files: map[string]string{"memory.limit_in_bytes": "1048576", "memory.memsw.limit_in_bytes": dirFile},
			mem: specs.LinuxMemory{Limit: p64(2 << 20), Swap: p64(4 << 20)}, err: "memory.memsw.limit_in_bytes",
			want: map[string]string{"memory.limit_in_bytes": "1048576"}},
		// Lowering below the current limit: the limit goes first.
		{name: "lower writes limit first", files: map[string]string{"memory.limit_in_bytes": dirFile, "memory.memsw.limit_in_bytes": "8388608"},
			mem: specs.LinuxMemory{Limit: p64(1 << 20), Swap: p64(2 << 20)}, err: "memory.limit_in_bytes",
			want: map[string]string{"memory.memsw.limit_in_bytes": "8388608"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := cgroupDir(t, memFiles(tc.files))
			err := setMemory(dir, &tc.mem)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("setMemory() = %v, want error containing %q", err, tc.err)
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

func TestSetMemoryNotSupportedIsTyped(t *testing.T) {
	dir := cgroupDir(t, memFiles(map[string]string{"memory.kmem.limit_in_bytes": ""}))
	err := setMemory(dir, &specs.LinuxMemory{Kernel: p64(1)})
	if !errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("setMemory(kernel) = %v, want ErrNotSupported", err)
	}
}

func TestMemoryStats(t *testing.T) {
	dir := cgroupDir(t, map[string]string{
		"memory.stat":                     "cache 4096\nrss 8192\ntotal_cache 4096\n",
		"memory.usage_in_bytes":           "12288",
		"memory.max_usage_in_bytes":       "20480",
		"memory.failcnt":                  "3",
		"memory.limit_in_bytes":           "9223372036854771712",
		"memory.memsw.usage_in_bytes":     "12288",
		"memory.memsw.max_usage_in_bytes": "20480",
		"memory.memsw.failcnt":            "0",
		"memory.memsw.limit_in_bytes":     "-1",
		// no kmem files: a kernel without them gives zero entries
	})
	var s cgroups.Stats
	if err := memoryStats(dir, &s); err != nil {
		t.Fatal(err)
	}
	want := cgroups.Memory{
		Cache: 4096,
		Usage: cgroups.MemoryEntry{Usage: 12288, Max: 20480, Failcnt: 3, Limit: 9223372036854771712},
		Swap:  cgroups.MemoryEntry{Usage: 12288, Max: 20480, Limit: 0},
		Raw:   map[string]uint64{"cache": 4096, "rss": 8192, "total_cache": 4096},
	}
	if s.Memory.Cache != want.Cache || s.Memory.Usage != want.Usage || s.Memory.Swap != want.Swap ||
		s.Memory.Kernel != want.Kernel || !maps.Equal(s.Memory.Raw, want.Raw) {
		t.Errorf("memoryStats() = %+v, want %+v", s.Memory, want)
	}
}

func TestMemoryStatsMissingUsageIsError(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"memory.stat": "cache 0\n"})
	var s cgroups.Stats
	if err := memoryStats(dir, &s); err == nil {
		t.Error("memoryStats() without memory.usage_in_bytes = nil, want error")
	}
}

func TestOOMKillCount(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       uint64
	}{
		{"counted", "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", 7},
		{"old kernel without the counter", "oom_kill_disable 1\nunder_oom 0\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Manager{dirs: map[string]string{"memory": cgroupDir(t, map[string]string{"memory.oom_control": tc.data})}}
			got, err := m.OOMKillCount()
			if err != nil || got != tc.want {
				t.Errorf("OOMKillCount() = %d, %v, want %d", got, err, tc.want)
			}
		})
	}
	if _, err := (&Manager{dirs: map[string]string{}}).OOMKillCount(); !errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("OOMKillCount() without memory = %v, want ErrNotSupported", err)
	}
}
