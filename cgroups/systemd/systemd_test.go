package systemd

import (
	"reflect"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func TestUnitProperties(t *testing.T) {
	common := func(io string) []prop {
		return []prop{
			{"MemoryAccounting", true}, {"CPUAccounting", true}, {"TasksAccounting", true},
			{io, true}, {"DefaultDependencies", false},
		}
	}
	tests := []struct {
		name string
		m    *Manager
		want []prop
	}{
		{"v2 scope", &Manager{unit: "runo-a.scope", slice: "system.slice", desc: "runo container a", unified: true},
			append([]prop{
				{"Description", "runo container a"}, {"Slice", "system.slice"}, {"Delegate", true}, {"PIDs", []uint32{42}},
			}, common("IOAccounting")...)},
		{"v1 scope", &Manager{unit: "runo-a.scope", slice: "machine.slice", desc: "d"},
			append([]prop{
				{"Description", "d"}, {"Slice", "machine.slice"}, {"Delegate", true}, {"PIDs", []uint32{42}},
			}, common("BlockIOAccounting")...)},
		// A slice takes no PIDs; its parent is wanted, not set.
		{"slice", &Manager{unit: "a-b.slice", slice: "a.slice", desc: "d", unified: true},
			append([]prop{{"Description", "d"}, {"Wants", []string{"a.slice"}}}, common("IOAccounting")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := simple(tt.m.unitProperties(42))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("unitProperties(42) = %v,\nwant %v", got, tt.want)
			}
		})
	}
}

// systemd checks each property's D-Bus type: a uint32 where it wants a uint64 fails the call.
func TestPropertySignatures(t *testing.T) {
	m := &Manager{unit: "runo-a.scope", slice: "system.slice", unified: true}
	props := m.unitProperties(1)
	r, _, err := resourceProperties(mustResources(), v2)
	if err != nil {
		t.Fatal(err)
	}
	props = append(props, r...)
	want := map[string]string{
		"Description": "s", "Slice": "s", "Delegate": "b", "PIDs": "au", "DefaultDependencies": "b",
		"MemoryAccounting": "b", "CPUAccounting": "b", "TasksAccounting": "b", "IOAccounting": "b",
		"MemoryMax": "t", "MemoryLow": "t", "MemorySwapMax": "t", "CPUWeight": "t",
		"CPUQuotaPerSecUSec": "t", "CPUQuotaPeriodUSec": "t", "AllowedCPUs": "ay",
		"AllowedMemoryNodes": "ay", "TasksMax": "t", "IOWeight": "t",
	}
	seen := map[string]bool{}
	for _, p := range props {
		seen[p.Name] = true
		if got := p.Value.Signature().String(); got != want[p.Name] {
			t.Errorf("%s signature = %s, want %s", p.Name, got, want[p.Name])
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no %s property to check", name)
		}
	}
	for _, p := range []sddbus.Property{newProp("MemoryLimit", uint64(1)), newProp("CPUShares", uint64(2)), newProp("BlockIOWeight", uint64(3))} {
		if p.Value.Signature().String() != "t" {
			t.Errorf("%s signature = %s, want t", p.Name, p.Value.Signature())
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name        string
		saved       cgroups.Saved
		wantUnified bool
	}{
		{"v2", cgroups.Saved{Driver: "systemd", Unit: "runo-a.scope", Paths: map[string]string{"": "/sys/fs/cgroup/system.slice/runo-a.scope"}}, true},
		{"hybrid", cgroups.Saved{Driver: "systemd", Unit: "runo-a.scope", Paths: map[string]string{
			"": "/sys/fs/cgroup/unified/system.slice/runo-a.scope", "memory": "/sys/fs/cgroup/memory/system.slice/runo-a.scope"}}, false},
		{"v1", cgroups.Saved{Driver: "systemd", Unit: "runo-a.scope", Paths: map[string]string{"memory": "/m", "pids": "/p"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Load(tt.saved)
			if m.unified != tt.wantUnified {
				t.Errorf("Load(%v).unified = %v, want %v", tt.saved, m.unified, tt.wantUnified)
			}
			if got := m.Saved(); !reflect.DeepEqual(got, tt.saved) {
				t.Errorf("Load(s).Saved() = %v, want %v", got, tt.saved)
			}
		})
	}
}

// mustResources asks for every limit systemd expresses on cgroup v2.
func mustResources() *specs.LinuxResources {
	return &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(1 << 30), Reservation: i64(1 << 29), Swap: i64(1 << 31)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
		Pids:    &specs.LinuxPids{Limit: i64(10)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(100)},
	}
}
