package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// unifiedHost reports whether /sys/fs/cgroup is cgroup v2 (the v2 VM lane), not v1 or hybrid.
func unifiedHost() bool {
	var st unix.Statfs_t
	return unix.Statfs(cgroupRoot, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// cgroupValue reads a file of the container's cgroup: v1name under the v1 controller ctrl, or
// v2name on a cgroup v2 host. ok is false when the file does not exist on this host.
func (e *env) cgroupValue(id, ctrl, v1name, v2name string) (value string, ok bool) {
	e.t.Helper()
	path := filepath.Join(cgroupRoot, ctrl, e.cgParent, id, v1name)
	if unifiedHost() {
		path = filepath.Join(cgroupRoot, e.cgParent, id, v2name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}

func (e *env) wantCgroupValue(id, ctrl, v1name, v1want, v2name, v2want string) {
	e.t.Helper()
	want := v1want
	if unifiedHost() {
		want = v2want
	}
	got, ok := e.cgroupValue(id, ctrl, v1name, v2name)
	if !ok {
		e.t.Errorf("%s/%s: missing", ctrl, v1name)
		return
	}
	if got != want {
		e.t.Errorf("%s (%s) = %q, want %q", v1name, v2name, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCgroupResources sets resources in config.json and reads them back from the cgroup files.
func TestCgroupResources(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Reservation: ptr(int64(32 << 20))}
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0"}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: ptr(int64(100))}
	b.runningContainer()

	e.wantCgroupValue(b.id, "memory", "memory.limit_in_bytes", "67108864", "memory.max", "67108864")
	e.wantCgroupValue(b.id, "memory", "memory.soft_limit_in_bytes", "33554432", "memory.low", "33554432")
	e.wantCgroupValue(b.id, "cpu", "cpu.cfs_quota_us", "50000", "cpu.max", "50000 100000")
	e.wantCgroupValue(b.id, "pids", "pids.max", "100", "pids.max", "100")
	e.wantCgroupValue(b.id, "cpuset", "cpuset.cpus", "0", "cpuset.cpus", "0")
	if unifiedHost() {
		// runc converts shares to a weight; 512 shares is below the default weight of 100.
		if w, _ := e.cgroupValue(b.id, "", "", "cpu.weight"); w == "" || w == "100" {
			t.Errorf("cpu.weight = %q, want the conversion of 512 shares", w)
		}
	} else {
		e.wantCgroupValue(b.id, "cpu", "cpu.shares", "512", "", "")
	}
	// The default device rules let the container use /dev/null but not, say, a disk.
	if !unifiedHost() {
		list, _ := e.cgroupValue(b.id, "devices", "devices.list", "")
		if !strings.Contains(list, "c 1:3 rwm") || strings.Contains(list, "a *:* rwm") {
			t.Errorf("devices.list = %q, want the default rules and no allow-all", list)
		}
	}
}

// TestCgroupUpdate changes limits of a running container with flags and with --resources.
func TestCgroupUpdate(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	e.mustRuno("update", "--memory", "128m", "--pids-limit", "50", "--cpu-quota", "20000", "--cpu-period", "100000", b.id)
	e.wantCgroupValue(b.id, "memory", "memory.limit_in_bytes", "134217728", "memory.max", "134217728")
	e.wantCgroupValue(b.id, "pids", "pids.max", "50", "pids.max", "50")
	e.wantCgroupValue(b.id, "cpu", "cpu.cfs_quota_us", "20000", "cpu.max", "20000 100000")

	r := e.runoIn(strings.NewReader(`{"pids":{"limit":42}}`), "--root", e.root, "update", "--resources=-", b.id)
	if r.code != 0 {
		t.Fatalf("update --resources=-: %v", r)
	}
	e.wantCgroupValue(b.id, "pids", "pids.max", "42", "pids.max", "42")
	// What was set before stays.
	e.wantCgroupValue(b.id, "memory", "memory.limit_in_bytes", "134217728", "memory.max", "134217728")

	if r := e.runo("update", "--memory", "lots", b.id); r.code == 0 || !strings.Contains(r.stderr, "--memory") {
		t.Errorf("update --memory lots: %v, want an error naming --memory", r)
	}
}

// TestPauseResume shows that pause stops a counter that resume restarts.
func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	out := b.bind("/out", false)
	b.spec.Process.Args = []string{"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /out/n.tmp; mv /out/n.tmp /out/n; done"}
	b.save()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	counter := func() int {
		data, _ := os.ReadFile(filepath.Join(out, "n"))
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	waitFor(t, "the counter to start", func() bool { return counter() > 0 })

	e.mustRuno("pause", b.id)
	if st := e.state(b.id); st.Status != "paused" {
		t.Fatalf("state after pause = %q, want paused", st.Status)
	}
	before := counter()
	time.Sleep(300 * time.Millisecond) // a paused counter must not move; nothing to poll for
	if after := counter(); after != before {
		t.Errorf("counter moved from %d to %d while paused", before, after)
	}
	if r := e.runo("pause", b.id); r.code == 0 {
		t.Errorf("pause of a paused container: %v, want an error", r)
	}
	e.mustRuno("resume", b.id)
	if st := e.state(b.id); st.Status != "running" {
		t.Errorf("state after resume = %q, want running", st.Status)
	}
	waitFor(t, "the counter to move after resume", func() bool { return counter() > before })
	if r := e.runo("resume", b.id); r.code == 0 {
		t.Errorf("resume of a running container: %v, want an error", r)
	}
	// delete --force of a paused container works too.
	e.mustRuno("pause", b.id)
	e.mustRuno("delete", "--force", b.id)
}

// TestPidsLimit shows that a fork bomb stops at the pids limit: forks are refused (busybox sh
// gives up at the first refused fork) and the cgroup counts the refusals.
func TestPidsLimit(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done; sleep 30")
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: ptr(int64(8))}
	b.save()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	e.waitStatus(b.id, "stopped")
	v, _ := e.cgroupValue(b.id, "pids", "pids.events", "pids.events")
	if !strings.HasPrefix(v, "max ") || v == "max 0" {
		t.Errorf("pids.events = %q, want refused forks counted", v)
	}
}

// TestPidsLimitOne: a pids limit counts threads, and a limit of 1 must still let the container
// start (init's Go runtime has more threads than that until its execve) and refuse any fork.
func TestPidsLimitOne(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "true & wait")
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: ptr(int64(1))}
	b.save()
	// busybox sh reports the refused fork and exits 2.
	r := e.runo("run", "--bundle", b.dir, b.id)
	if r.code != 2 || !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("run with pids limit 1 = %v, want the shell to start and its fork refused", r)
	}
}

// TestOOMEvents shows that a memory hog is OOM-killed and that `events` reports it.
func TestOOMEvents(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("/bin/probe", "hog", "200")
	limit := int64(32 << 20)
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit} // no swap
	b.save()
	e.mustRuno("create", "--bundle", b.dir, b.id)

	events := exec.Command(runoBinary, "--root", e.root, "events", "--interval", "100ms", b.id)
	stdout, err := events.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { events.Process.Kill(); events.Wait() })
	types := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				types <- ev.Type
			}
		}
		close(types)
	}()
	// Wait for events to watch before the hog starts.
	select {
	case typ := <-types:
		if typ != "stats" {
			t.Logf("first event %q", typ)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no event from runo events")
	}
	e.mustRuno("start", b.id)
	e.waitStatus(b.id, "stopped")
	deadline := time.After(waitTimeout)
	for {
		select {
		case typ, ok := <-types:
			if !ok {
				t.Fatal("runo events ended without an oom event")
			}
			if typ == "oom" {
				return
			}
		case <-deadline:
			t.Fatal("no oom event within the timeout")
		}
	}
}

// TestEventsStats checks the stats event's schema and that its counters are live.
func TestEventsStats(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	r := e.mustRuno("events", "--stats", b.id)
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			CPU struct {
				Usage struct {
					Total uint64 `json:"total"`
				} `json:"usage"`
			} `json:"cpu"`
			Memory struct {
				Usage struct {
					Usage uint64 `json:"usage"`
				} `json:"usage"`
			} `json:"memory"`
			Pids struct {
				Current uint64 `json:"current"`
			} `json:"pids"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil {
		t.Fatalf("decode %q: %v", r.stdout, err)
	}
	if ev.Type != "stats" || ev.ID != b.id {
		t.Errorf("event type, id = %q, %q, want stats, %s", ev.Type, ev.ID, b.id)
	}
	if ev.Data.CPU.Usage.Total == 0 || ev.Data.Memory.Usage.Usage == 0 || ev.Data.Pids.Current == 0 {
		t.Errorf("stats = %+v, want live cpu, memory and pids counters", ev.Data)
	}
}

// TestPs checks `ps --format json` and the table form.
func TestPs(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()
	init := e.state(b.id).Pid
	r := e.mustRuno("ps", "--format", "json", b.id)
	var pids []int
	if err := json.Unmarshal([]byte(r.stdout), &pids); err != nil {
		t.Fatalf("decode %q: %v", r.stdout, err)
	}
	if len(pids) != 1 || pids[0] != init {
		t.Errorf("ps --format json = %v, want [%d]", pids, init)
	}
	r = e.mustRuno("ps", b.id)
	if !strings.Contains(r.stdout, "PID") || !strings.Contains(r.stdout, strconv.Itoa(init)) {
		t.Errorf("ps = %q, want a header and the init pid %d", r.stdout, init)
	}
}

// TestSharedCgroup runs two containers in one cgroup, as a pod does: deleting one leaves the
// cgroup to the other, deleting the last removes it.
func TestSharedCgroup(t *testing.T) {
	e := newEnv(t)
	path := "/" + e.cgParent + "/pod"
	a, b := e.newBundle(), e.newBundle()
	for _, c := range []*bundle{a, b} {
		c.spec.Linux.CgroupsPath = path
		c.runningContainer()
	}
	dir := filepath.Join(cgroupRoot, "pids", e.cgParent, "pod")
	if unifiedHost() {
		dir = filepath.Join(cgroupRoot, e.cgParent, "pod")
	}
	e.mustRuno("delete", "--force", a.id)
	if st := e.state(b.id); st.Status != "running" {
		t.Fatalf("state of the other container = %q, want running", st.Status)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared cgroup removed while a container still uses it: %v", err)
	}
	e.mustRuno("delete", "--force", b.id)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("shared cgroup %s left after its last container was deleted", dir)
	}
}
