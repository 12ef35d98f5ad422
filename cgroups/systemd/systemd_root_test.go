package systemd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// requireSystemd skips unless the test may change the host's systemd: root, RUNO_ROOT_TESTS=1
// and systemd as PID 1 (what sd_booted checks, plus PID 1's name).
func requireSystemd(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("requires root and RUNO_ROOT_TESTS=1")
	}
	comm, _ := os.ReadFile("/proc/1/comm")
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() || strings.TrimSpace(string(comm)) != "systemd" {
		t.Skipf("requires systemd: PID 1 is %q", strings.TrimSpace(string(comm)))
	}
}

// sleeper starts a child that sleeps until killed, reaped at the end of the test.
func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func randomName(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func readCgroupFile(t *testing.T, dir, file string) string {
	t.Helper()
	v, err := cgroups.ReadFile(dir, file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return strings.TrimSpace(v)
}

// unitProperty reads one property of the unit from systemd.
func unitProperty(t *testing.T, m *Manager, name string) any {
	t.Helper()
	typ := "Scope"
	if isSlice(m.unit) {
		typ = "Slice"
	}
	var v any
	err := m.bus.do(func(ctx context.Context, c *sddbus.Conn) error {
		p, err := c.GetUnitTypePropertyContext(ctx, m.unit, typ, name)
		if err == nil {
			v = p.Value.Value()
		}
		return err
	})
	if err != nil {
		t.Fatalf("unit %s property %s: %v", m.unit, name, err)
	}
	return v
}

// TestRootScope creates a scope for a sleeping child, sets limits, reads them back from the
// cgroup files and from systemd, rebuilds the manager from its saved state as a later runo
// command would, freezes and thaws it, and destroys it.
func TestRootScope(t *testing.T) {
	requireSystemd(t)
	tests := []struct {
		name, cgroupsPath string
	}{
		{"scope", "system.slice:runo-test:%s"},
		{"scope in a nested slice", "runotest-x.slice:runo-test:%s"}, // systemd creates the slices
		{"slice unit", "system.slice:runo-test:runotest-%s.slice"},
	}
	// The slices the cases create implicitly (runotest.slice, runotest-x.slice) go at the end.
	t.Cleanup(func() {
		var b bus
		defer b.close()
		for _, s := range []string{"runotest-x.slice", "runotest.slice"} {
			if err := b.stopUnit(s); err != nil {
				t.Errorf("stop %s: %v", s, err)
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testScope(t, strings.ReplaceAll(tt.cgroupsPath, "%s", randomName(t)))
		})
	}
}

func testScope(t *testing.T, cgroupsPath string) {
	child := sleeper(t)
	m, err := New(cgroups.Options{Path: cgroupsPath, ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Destroy() })
	if err := m.Apply(child.Process.Pid); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := unitProperty(t, m, "ControlGroup"); got != m.cgPath {
		t.Errorf("systemd's ControlGroup = %v, want %s", got, m.cgPath)
	}
	pids, err := m.Pids()
	if err != nil || !slices.Contains(pids, child.Process.Pid) {
		t.Fatalf("Pids() = %v, %v; want it to hold %d", pids, err, child.Process.Pid)
	}
	own, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(child.Process.Pid), "cgroup"))
	if !strings.Contains(string(own), m.cgPath+"\n") {
		t.Errorf("child's /proc/pid/cgroup = %q, want %s in it", own, m.cgPath)
	}

	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(64 << 20)},
		CPU:    &specs.LinuxCPU{Shares: u64(2048), Quota: i64(12345), Period: u64(100000)},
		Pids:   &specs.LinuxPids{Limit: i64(50)},
		Devices: []specs.LinuxDeviceCgroup{
			dev(false, "a", -1, -1, "rwm"),
			dev(true, "c", 1, 3, "rwm"),
			dev(true, "c", 136, -1, "rwm"),
		},
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	// The quota is rounded up to whole percents, in systemd and in the file alike.
	if m.unified {
		dir := m.paths[""]
		for file, want := range map[string]string{
			"memory.max": "67108864", "pids.max": "50", "cpu.max": "13000 100000", "cpu.weight": "174",
		} {
			if got := readCgroupFile(t, dir, file); got != want {
				t.Errorf("%s = %q, want %q", file, got, want)
			}
		}
		if got := unitProperty(t, m, "MemoryMax"); got != uint64(64<<20) {
			t.Errorf("systemd's MemoryMax = %v, want %d", got, 64<<20)
		}
	} else {
		for _, c := range []struct{ ctrl, file, want string }{
			{"memory", "memory.limit_in_bytes", "67108864"},
			{"pids", "pids.max", "50"},
			{"cpu,cpuacct", "cpu.cfs_quota_us", "13000"},
			{"cpu,cpuacct", "cpu.shares", "2048"},
			{"devices", "devices.list", "c 136:* rwm\nc 1:3 rwm"}, // sorted as strings
		} {
			if dir, ok := m.paths[c.ctrl]; ok {
				got := strings.Split(readCgroupFile(t, dir, c.file), "\n")
				slices.Sort(got)
				if got := strings.Join(got, "\n"); got != c.want {
					t.Errorf("%s = %q, want %q", c.file, got, c.want)
				}
			}
		}
		if got := unitProperty(t, m, "MemoryLimit"); got != uint64(64<<20) {
			t.Errorf("systemd's MemoryLimit = %v, want %d", got, 64<<20)
		}
	}
	if got := unitProperty(t, m, "TasksMax"); got != uint64(50) {
		t.Errorf("systemd's TasksMax = %v, want 50", got)
	}
	if got := unitProperty(t, m, "CPUQuotaPerSecUSec"); got != uint64(130000) {
		t.Errorf("systemd's CPUQuotaPerSecUSec = %v, want 130000", got)
	}
	if got := unitProperty(t, m, "DevicePolicy"); got != "strict" {
		t.Errorf("systemd's DevicePolicy = %v, want strict", got)
	}

	// A later runo command: rebuilt from the saved state, talking to systemd only to destroy.
	loaded := Load(m.Saved())
	if err := loaded.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	waitFor(t, "frozen", func() bool { f, err := loaded.Frozen(); return err == nil && f })
	if err := loaded.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	waitFor(t, "thawed", func() bool { f, err := loaded.Frozen(); return err == nil && !f })
	if _, err := loaded.Stats(); err != nil {
		t.Errorf("Stats: %v", err)
	}

	// runo kills the container before it destroys the cgroup.
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "child ended", func() bool { return processGone(child.Process.Pid) })
	if err := loaded.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	for key, dir := range m.paths {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %q dir %s after Destroy: %v, want it gone", key, dir, err)
		}
	}
	// The unit is stopped (and reset, so a scope is forgotten at once; a slice may stay
	// loaded, inactive, until systemd collects it).
	var state string
	err = m.bus.do(func(ctx context.Context, c *sddbus.Conn) error {
		p, err := c.GetUnitPropertyContext(ctx, m.unit, "ActiveState")
		if err == nil {
			state, _ = p.Value.Value().(string)
		}
		return err
	})
	if err != nil || state != "inactive" {
		t.Errorf("unit %s ActiveState after Destroy = %q, %v; want inactive", m.unit, state, err)
	}
	// A second Destroy finds nothing to do.
	if err := Load(m.Saved()).Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

// processGone reports whether pid has ended: gone, or a zombie awaiting its parent.
func processGone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestRootStartFailure checks that systemd's refusal of a unit comes back as an error
// naming the unit, and leaves nothing behind.
func TestRootStartFailure(t *testing.T) {
	requireSystemd(t)
	m, err := New(cgroups.Options{Path: "system.slice:runo-test:" + randomName(t), ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// No such process: systemd refuses the PIDs= of the new scope.
	err = m.Apply(1 << 22)
	if err == nil || !strings.Contains(err.Error(), m.unit) {
		t.Errorf("Apply(no such pid) = %v, want an error naming %s", err, m.unit)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("Destroy after a failed Apply: %v", err)
	}
}
