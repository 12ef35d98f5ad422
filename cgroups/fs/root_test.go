package fs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// Root tests create cgroups under a test-owned parent, /runo-fs-test-<random>, in every
// hierarchy, and remove all of it, on failure too.

func TestMain(m *testing.M) {
	if os.Getenv("RUNO_FS_TEST_HELPER") == "oom" {
		allocateForever()
		return
	}
	os.Exit(m.Run())
}

// allocateForever waits for a line on stdin (the parent moves it into the cgroup first), then
// touches memory until the OOM killer ends it.
func allocateForever() {
	_, _ = io.ReadFull(os.Stdin, make([]byte, 1))
	var hold [][]byte
	for i := 0; i < 1024; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(j)
		}
		hold = append(hold, b)
	}
	runtime.KeepAlive(hold)
	time.Sleep(time.Minute)
}

func requireRootV1(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("needs root and RUNO_ROOT_TESTS=1")
	}
	if cgroups.IsUnified() {
		t.Skip("requires cgroup v1 (or hybrid)")
	}
}

// testCgroup returns a Manager for /runo-fs-test-<random>/c, not yet applied, whose cleanup
// kills what is registered in kill, destroys the cgroup and removes the parent.
func testCgroup(t *testing.T) (*Manager, *[]*exec.Cmd) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	parent := "/runo-fs-test-" + hex.EncodeToString(b)
	m, err := New(cgroups.Options{Path: parent + "/c"})
	if err != nil {
		t.Fatal(err)
	}
	var kill []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range kill {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy() = %v", err)
		}
		for _, d := range m.dirs {
			if err := cgroups.RemoveDir(filepath.Dir(d)); err != nil {
				t.Errorf("remove test parent: %v", err)
			}
		}
	})
	return m, &kill
}

// startHelper starts a sleeping child and moves it into m.
func startHelper(t *testing.T, m *Manager, kill *[]*exec.Cmd, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	*kill = append(*kill, cmd)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
}

func TestRootSetStatsFreeze(t *testing.T) {
	requireRootV1(t)
	m, kill := testCgroup(t)
	helper := exec.Command("sleep", "300")
	startHelper(t, m, kill, helper)

	// The test parent gets real-time budget so that its child can have some.
	if d := m.dir("cpu"); exists(filepath.Dir(d), "cpu.rt_runtime_us") {
		if err := cgroups.WriteFile(filepath.Dir(d), "cpu.rt_runtime_us", "20000"); err != nil {
			t.Fatal(err)
		}
	}
	r := &specs.LinuxResources{
		Devices: runcDefaults,
		Memory: &specs.LinuxMemory{Limit: p64(256 << 20), Reservation: p64(128 << 20), Swap: p64(512 << 20),
			KernelTCP: p64(64 << 20), Swappiness: pu64(10), DisableOOMKiller: pbool(true), CheckBeforeUpdate: pbool(true)},
		CPU: &specs.LinuxCPU{Shares: pu64(512), Quota: p64(50000), Period: pu64(100000), Burst: pu64(1000),
			RealtimeRuntime: p64(5000), RealtimePeriod: pu64(1000000), Cpus: "0", Mems: "0", Idle: p64(0)},
		Pids:    &specs.LinuxPids{Limit: p64(64)},
		BlockIO: &specs.LinuxBlockIO{Weight: pu16(100)},
	}
	// Expected kernel files: controller -> file -> value.
	want := map[string]map[string]string{
		"cpuset":  {"cpuset.cpus": "0", "cpuset.mems": "0"},
		"devices": {"devices.list": "c *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 136:* rwm"},
		"memory": {"memory.limit_in_bytes": "268435456", "memory.soft_limit_in_bytes": "134217728",
			"memory.memsw.limit_in_bytes": "536870912", "memory.kmem.tcp.limit_in_bytes": "67108864",
			"memory.swappiness": "10"},
		"cpu": {"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000",
			"cpu.cfs_burst_us": "1000", "cpu.rt_runtime_us": "5000", "cpu.rt_period_us": "1000000"},
		"pids":  {"pids.max": "64"},
		"blkio": {},
	}
	if d := m.dir("blkio"); exists(d, "blkio.weight") {
		want["blkio"]["blkio.weight"] = "100"
	} else if exists(d, "blkio.bfq.weight") {
		want["blkio"]["blkio.bfq.weight"] = "100"
	} else {
		r.BlockIO = nil
	}
	if !exists(m.dir("memory"), "memory.kmem.tcp.limit_in_bytes") {
		r.Memory.KernelTCP = nil
		delete(want["memory"], "memory.kmem.tcp.limit_in_bytes")
	}
	if !exists(m.dir("cpu"), "cpu.cfs_burst_us") {
		delete(want["cpu"], "cpu.cfs_burst_us")
	}
	if exists(m.dir("cpu"), "cpu.idle") {
		want["cpu"]["cpu.idle"] = "0"
	}
	if !exists(m.dir("cpu"), "cpu.rt_runtime_us") {
		r.CPU.RealtimeRuntime, r.CPU.RealtimePeriod = nil, nil
		delete(want["cpu"], "cpu.rt_runtime_us")
		delete(want["cpu"], "cpu.rt_period_us")
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for ctrl, files := range want {
		dir := m.dir(ctrl)
		for f, v := range files {
			got, err := cgroups.ReadFile(dir, f)
			if err != nil || strings.TrimSpace(got) != v {
				t.Errorf("%s/%s = %q, %v, want %q", dir, f, got, err, v)
			}
		}
	}
	if oc, _ := readFlatKeyed(m.dir("memory"), "memory.oom_control"); oc["oom_kill_disable"] != 1 {
		t.Errorf("memory.oom_control = %v, want oom_kill_disable 1", oc)
	}

	t.Run("update", func(t *testing.T) { testRootUpdate(t, m) })
	t.Run("unsupported", func(t *testing.T) { testRootUnsupported(t, m) })
	t.Run("stats", func(t *testing.T) { testRootStats(t, m, helper.Process.Pid) })
	t.Run("freeze", func(t *testing.T) { testRootFreeze(t, m) })
}

// testRootUpdate lowers and raises memory and swap, which needs runc's write orders, and
// checks that checkBeforeUpdate refuses a limit below the usage.
func testRootUpdate(t *testing.T, m *Manager) {
	dir := m.dir("memory")
	for _, step := range []struct{ limit, swap int64 }{{64 << 20, 96 << 20}, {512 << 20, 1 << 30}, {-1, 0}} {
		if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p64(step.limit), Swap: p64(step.swap)}}); err != nil {
			t.Fatalf("Set(limit %d, swap %d) = %v", step.limit, step.swap, err)
		}
		lim, _ := readUint(dir, "memory.limit_in_bytes")
		sw, _ := readUint(dir, "memory.memsw.limit_in_bytes")
		if step.limit > 0 && (lim != uint64(step.limit) || sw != uint64(step.swap)) {
			t.Errorf("after Set(limit %d, swap %d): limit %d, memsw %d", step.limit, step.swap, lim, sw)
		}
		if step.limit == -1 && (lim < 1<<62 || sw < 1<<62) {
			t.Errorf("after Set(unlimited): limit %d, memsw %d, want both unlimited", lim, sw)
		}
	}
	usage, err := readUint(dir, "memory.usage_in_bytes")
	if err != nil {
		t.Fatal(err)
	}
	if usage > 4096 {
		err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p64(4096), CheckBeforeUpdate: pbool(true)}})
		if err == nil || !strings.Contains(err.Error(), "below the current usage") {
			t.Errorf("Set(limit below usage, checkBeforeUpdate) = %v, want refusal", err)
		}
	}
	// Device rules can change on a live cgroup: drop /dev/zero.
	if err := m.Set(&specs.LinuxResources{Devices: runcDefaults[:2]}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cgroups.ReadFile(m.dir("devices"), "devices.list"); got != "c 1:3 rwm" {
		t.Errorf("devices.list after update = %q, want %q", got, "c 1:3 rwm")
	}
	// An idle group: the kernel then reports the idle weight as its shares.
	if exists(m.dir("cpu"), "cpu.idle") {
		if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: p64(1)}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := cgroups.ReadFile(m.dir("cpu"), "cpu.idle"); got != "1" {
			t.Errorf("cpu.idle = %q, want 1", got)
		}
	}
	// cgroup.max.descendants is a cgroup2 core file: the hybrid host's unified directory has it.
	if d := m.dirs[""]; d != "" {
		if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"cgroup.max.descendants": "5"}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := cgroups.ReadFile(d, "cgroup.max.descendants"); got != "5" {
			t.Errorf("cgroup.max.descendants = %q, want 5", got)
		}
	}
}

// testRootUnsupported asks for what this host lacks and expects errors naming the resource.
func testRootUnsupported(t *testing.T, m *Manager) {
	for _, tc := range []struct {
		field string
		ctrl  string // skipped where the host has this v1 controller; "" never
		r     *specs.LinuxResources
	}{
		{"linux.resources.unified", "", &specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}},
		{"linux.resources.network.classID", "net_cls", &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: pu32(1)}}},
		{"linux.resources.network.priorities", "net_prio", &specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 1}}}}},
		{"linux.resources.rdma", "rdma", &specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: pu32(1)}}}},
		{"linux.resources.hugepageLimits", "hugetlb", &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}},
		{"linux.resources.memory", "", &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: pu64(200)}}},
		{"linux.resources.cpu", "", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: pu64(1 << 20)}}}, // clamped by the kernel
	} {
		if tc.ctrl != "" && m.dir(tc.ctrl) != "" {
			continue // the host has it after all
		}
		err := m.Set(tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Set(%s) = %v, want an error naming it", tc.field, err)
		} else {
			t.Logf("Set(%s) = %v", tc.field, err)
		}
	}
}

func testRootStats(t *testing.T, m *Manager, pid int) {
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids.Current != 1 || s.Pids.Limit != 64 {
		t.Errorf("Stats().Pids = %+v, want current 1, limit 64", s.Pids)
	}
	if !slices.Equal(s.CPUSet.CPUs, []uint16{0}) || !slices.Equal(s.CPUSet.Mems, []uint16{0}) {
		t.Errorf("Stats().CPUSet = %+v, want cpus [0], mems [0]", s.CPUSet)
	}
	if len(s.Memory.Raw) == 0 || s.Memory.Usage.Limit < 1<<62 {
		t.Errorf("Stats().Memory = %+v, want memory.stat and the unlimited limit", s.Memory)
	}
	if len(s.CPU.Usage.Percpu) != runtime.NumCPU() || len(s.CPU.Usage.PercpuUser) != runtime.NumCPU() {
		t.Errorf("Stats().CPU.Usage = %+v, want %d cpus", s.CPU.Usage, runtime.NumCPU())
	}
	if b, err := json.Marshal(s); err == nil {
		t.Logf("Stats() = %s", b)
	}
	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("Pids() = %v, %v, want [%d]", pids, err, pid)
	}
}

func testRootFreeze(t *testing.T, m *Manager) {
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); !frozen || err != nil {
		t.Errorf("Frozen() = %v, %v, want true", frozen, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); frozen || err != nil {
		t.Errorf("Frozen() after Thaw = %v, %v, want false", frozen, err)
	}
}

func TestRootOOMEvents(t *testing.T) {
	requireRootV1(t)
	m, kill := testCgroup(t)
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "RUNO_FS_TEST_HELPER=oom")
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	startHelper(t, m, kill, helper)
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p64(32 << 20), Swap: p64(32 << 20)}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	events, err := m.OOMEvents(stop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-events:
		if !ok {
			t.Fatal("OOM event channel closed before any event")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no OOM event in 30s")
	}
	// The OOM killer ends the helper.
	waitErr := make(chan error, 1)
	go func() { waitErr <- helper.Wait() }()
	select {
	case err := <-waitErr:
		*kill = nil // reaped
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("helper exit = %v, want killed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper not killed in 30s")
	}
	if n, err := m.OOMKillCount(); err != nil || n < 1 {
		t.Errorf("OOMKillCount() = %d, %v, want >= 1", n, err)
	}
	// Removing the cgroup closes the channel.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if ok {
				continue // more OOM events from the same kill
			}
			return
		case <-deadline:
			t.Fatal("OOM event channel still open 10s after Destroy")
		}
	}
}

func TestRootOOMEventsStop(t *testing.T) {
	requireRootV1(t)
	m, kill := testCgroup(t)
	startHelper(t, m, kill, exec.Command("sleep", "300"))
	stop := make(chan struct{})
	events, err := m.OOMEvents(stop)
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	select {
	case _, ok := <-events:
		if ok {
			t.Error("OOM event without OOM")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OOM event channel still open 10s after stop")
	}
}

// TestRootCreateEntrance: Create makes every directory and opens the "tasks" file of each v1
// one and the cgroup2 directory of a hybrid host; a single-threaded process that writes "0"
// to a tasks file is then in that cgroup.
func TestRootCreateEntrance(t *testing.T) {
	requireRootV1(t)
	m, _ := testCgroup(t)
	e, err := m.Create()
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	defer e.Close()
	v1 := 0
	for key, dir := range m.dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("Create() left %s (%s) missing: %v", dir, key, err)
		}
		if key != "" {
			v1++
		}
	}
	if len(e.Tasks) != v1 {
		t.Errorf("Create() opened %d tasks files, want one for each of %d v1 hierarchies", len(e.Tasks), v1)
	}
	if dir, hybrid := m.dirs[""]; hybrid && (e.Dir == nil || e.Dir.Name() != dir) {
		t.Errorf("Create() cgroup2 directory = %v, want %s", e.Dir, dir)
	}
	for _, f := range e.Tasks {
		cmd := exec.Command("/bin/sh", "-c", "echo 0 >&3 && cat /proc/self/cgroup")
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("write 0 to %s: %v: %s", f.Name(), err, out)
		}
		rel := strings.TrimPrefix(filepath.Dir(f.Name()), "/sys/fs/cgroup/")
		_, path, _ := strings.Cut(rel, "/")
		if !strings.Contains(string(out), ":/"+path+"\n") {
			t.Errorf("after writing 0 to %s, /proc/self/cgroup = %q, want it in /%s", f.Name(), out, path)
		}
	}
}
