package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sleeper makes a bundle whose container runs `probe sleep /sig`, /sig being a host dir.
func (e *env) sleeper() (*bundle, string) {
	e.t.Helper()
	b := e.newBundle()
	dir := b.bind("/sig", false)
	b.spec.Process.Args = []string{"/bin/probe", "sleep", "/sig"}
	b.save()
	return b, dir
}

// TestLifecycle walks create, state, list, start, kill, delete.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	pidFile := filepath.Join(e.dir, "pid")
	before := time.Now()
	e.mustRuno("create", "--pid-file", pidFile, "--bundle", b.dir, b.id)

	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file after create: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file holds %q: %v", data, err)
	}
	e.track(pid)

	r := e.mustRuno("state", b.id)
	keys := stateKeys(t, r.stdout)
	for _, k := range []string{"ociVersion", "id", "status", "pid", "bundle", "rootfs", "created", "owner"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("state JSON %s has no %q", r.stdout, k)
		}
	}
	s := e.state(b.id)
	if got, want := s.Status, "created"; got != want {
		t.Errorf("status after create = %q, want %q", got, want)
	}
	if got, want := s.ID, b.id; got != want {
		t.Errorf("state id = %q, want %q", got, want)
	}
	if got, want := s.Pid, pid; got != want {
		t.Errorf("state pid = %d, want %d (the pid file's)", got, want)
	}
	if got, want := s.Bundle, b.dir; got != want {
		t.Errorf("state bundle = %q, want %q", got, want)
	}
	if got, want := s.Rootfs, b.rootfs(); got != want {
		t.Errorf("state rootfs = %q, want %q", got, want)
	}
	if s.Created.Before(before.Add(-time.Second)) || s.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("state created = %v, want between %v and now", s.Created, before)
	}
	if !strings.HasPrefix(s.OCIVersion, "1.") {
		t.Errorf("state ociVersion = %q, want 1.x", s.OCIVersion)
	}
	if _, err := os.Stat(filepath.Join(sig, "ready")); err == nil {
		t.Errorf("the user process ran before start")
	}

	checkList(t, e, b, pid, "created")

	e.mustRuno("start", b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	if got, want := e.state(b.id).Status, "running"; got != want {
		t.Errorf("status after start = %q, want %q", got, want)
	}
	checkList(t, e, b, pid, "running")
	if r := e.runo("start", b.id); r.code == 0 {
		t.Errorf("second start: %v, want failure", r)
	}

	e.mustRuno("kill", b.id, "TERM")
	if got, want := waitFile(t, filepath.Join(sig, "signal")), "SIGTERM"; got != want {
		t.Errorf("signal the probe got = %q, want %q", got, want)
	}
	e.waitStatus(b.id, "stopped")
	if r := e.runo("kill", b.id, "KILL"); r.code == 0 {
		t.Errorf("kill of a stopped container: %v, want failure", r)
	}
	if r := e.runo("start", b.id); r.code == 0 {
		t.Errorf("start of a stopped container: %v, want failure", r)
	}
	e.mustRuno("delete", b.id)

	r = e.runo("state", b.id)
	if r.code == 0 {
		t.Errorf("state after delete: %v, want failure", r)
	}
	if want := "does not exist"; !strings.Contains(r.stderr, want) {
		t.Errorf("state after delete: stderr %q, want it to contain %q", r.stderr, want)
	}
	if got := strings.TrimSpace(e.mustRuno("list", "-q").stdout); got != "" {
		t.Errorf("list -q after delete = %q, want nothing", got)
	}
	e.assertGone(b.id, pid)
}

// checkList checks the three forms of `list` for the one container in the env.
func checkList(t *testing.T, e *env, b *bundle, pid int, status string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(e.mustRuno("list").stdout), "\n")
	if got, want := strings.Join(strings.Fields(lines[0]), " "), "ID PID STATUS BUNDLE CREATED OWNER"; got != want {
		t.Errorf("list header = %q, want %q", got, want)
	}
	if len(lines) != 2 {
		t.Fatalf("list = %q, want a header and one row", lines)
	}
	row := strings.Fields(lines[1])
	if len(row) != 6 || row[0] != b.id || row[1] != strconv.Itoa(pid) || row[2] != status || row[3] != b.dir {
		t.Errorf("list row = %q, want %s %d %s %s CREATED OWNER", lines[1], b.id, pid, status, b.dir)
	}
	if got, want := strings.TrimSpace(e.mustRuno("list", "-q").stdout), b.id; got != want {
		t.Errorf("list -q = %q, want %q", got, want)
	}
	r := e.mustRuno("list", "--format", "json")
	var list []containerState
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("list --format json: %v in %q", err, r.stdout)
	}
	if len(list) != 1 || list[0].ID != b.id || list[0].Status != status || list[0].Pid != pid || list[0].Bundle != b.dir {
		t.Errorf("list --format json = %+v, want one %s, %s, pid %d", list, b.id, status, pid)
	}
}

// assertGone checks that a deleted container left no state, process, cgroup or mount.
func (e *env) assertGone(id string, pid int) {
	e.t.Helper()
	if _, err := os.Stat(filepath.Join(e.root, id)); err == nil {
		e.t.Errorf("state dir %s still there", filepath.Join(e.root, id))
	}
	if pid > 0 {
		p := trackedPid{pid: pid}
		for _, tp := range e.pids {
			if tp.pid == pid {
				p = tp
			}
		}
		if p.startTime != "" {
			waitFor(e.t, "process "+strconv.Itoa(pid)+" to go", func() bool { return !p.alive() })
		}
	}
	for _, h := range cgroupHierarchies() {
		if dir := filepath.Join(h, e.cgParent, id); exists(dir) {
			e.t.Errorf("cgroup %s still there", dir)
		}
	}
	if points := mountsUnder(e.dir); len(points) > 0 {
		e.t.Errorf("mounts left under the test dir: %v", points)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestKillSignals checks the spellings of a signal and that it reaches the process.
func TestKillSignals(t *testing.T) {
	for _, c := range []struct{ arg, want string }{
		{"TERM", "SIGTERM"},
		{"SIGTERM", "SIGTERM"},
		{"15", "SIGTERM"},
		{"USR1", "SIGUSR1"},
		{"SIGHUP", "SIGHUP"},
	} {
		t.Run(c.arg, func(t *testing.T) {
			e := newEnv(t)
			b, sig := e.sleeper()
			e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
			waitFile(t, filepath.Join(sig, "ready"))
			e.mustRuno("kill", b.id, c.arg)
			if got := waitFile(t, filepath.Join(sig, "signal")); got != c.want {
				t.Errorf("kill %s: the probe got %q, want %q", c.arg, got, c.want)
			}
			e.waitStatus(b.id, "stopped")
		})
	}
	t.Run("KILL", func(t *testing.T) {
		e := newEnv(t)
		b, sig := e.sleeper()
		e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
		waitFile(t, filepath.Join(sig, "ready"))
		e.state(b.id)
		e.mustRuno("kill", b.id, "KILL")
		e.waitStatus(b.id, "stopped")
	})
	t.Run("default is TERM", func(t *testing.T) {
		e := newEnv(t)
		b, sig := e.sleeper()
		e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
		waitFile(t, filepath.Join(sig, "ready"))
		e.mustRuno("kill", b.id)
		if got, want := waitFile(t, filepath.Join(sig, "signal")), "SIGTERM"; got != want {
			t.Errorf("kill without a signal: the probe got %q, want %q", got, want)
		}
	})
}

// TestKillAll checks kill --all reaches every process of the container.
func TestKillAll(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	sig := b.bind("/sig", false)
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(sig, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	// The shell is PID 1 and has no TERM handler, so the kernel keeps TERM from it;
	// it waits for both probes and then exits.
	b.spec.Process.Args = []string{"sh", "-c", "/bin/probe sleep /sig/a & /bin/probe sleep /sig/b & wait"}
	b.save()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	e.state(b.id)
	waitFile(t, filepath.Join(sig, "a/ready"))
	waitFile(t, filepath.Join(sig, "b/ready"))
	e.mustRuno("kill", "--all", b.id, "TERM")
	for _, d := range []string{"a", "b"} {
		if got, want := waitFile(t, filepath.Join(sig, d, "signal")), "SIGTERM"; got != want {
			t.Errorf("probe %s got %q, want %q", d, got, want)
		}
	}
	e.waitStatus(b.id, "stopped")
}

// TestDeleteCreated checks delete of a container that was never started.
func TestDeleteCreated(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	e.mustRuno("create", "--bundle", b.dir, b.id)
	pid := e.state(b.id).Pid
	e.mustRuno("delete", b.id)
	e.assertGone(b.id, pid)
	if exists(filepath.Join(sig, "ready")) {
		t.Errorf("the user process ran though the container was never started")
	}
}

// TestDeleteRunning checks delete refuses a running container unless forced.
func TestDeleteRunning(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pid := e.state(b.id).Pid
	if r := e.runo("delete", b.id); r.code == 0 {
		t.Errorf("delete of a running container: %v, want failure", r)
	}
	if got, want := e.state(b.id).Status, "running"; got != want {
		t.Errorf("status after the refused delete = %q, want %q", got, want)
	}
	e.mustRuno("delete", "--force", b.id)
	e.assertGone(b.id, pid)
}

// TestStateAfterOutsideKill checks a container whose process was killed behind runo's
// back: state says stopped with pid 0, and a plain delete removes it and its cgroup.
func TestStateAfterOutsideKill(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pid := e.state(b.id).Pid
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	s := e.waitStatus(b.id, "stopped")
	if got, want := s.Pid, 0; got != want {
		t.Errorf("state pid of the stopped container = %d, want %d", got, want)
	}
	if got, want := s.ID, b.id; got != want {
		t.Errorf("state id = %q, want %q", got, want)
	}
	e.mustRuno("delete", b.id)
	e.assertGone(b.id, pid)
}

// TestListEmpty checks list on a root with no containers, as runc prints it.
func TestListEmpty(t *testing.T) {
	e := newEnv(t)
	if got, want := e.mustRuno("list", "--format", "json").stdout, "null\n"; got != want {
		t.Errorf("list --format json = %q, want %q", got, want)
	}
	r := e.mustRuno("list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 1 || strings.Join(strings.Fields(lines[0]), " ") != "ID PID STATUS BUNDLE CREATED OWNER" {
		t.Errorf("list = %q, want just the header", r.stdout)
	}
	if got := e.mustRuno("list", "-q").stdout; got != "" {
		t.Errorf("list -q = %q, want nothing", got)
	}
}

// TestPidFileDevice checks that a --pid-file that is a device (such as /dev/null) is written
// to, not replaced by a regular file. The device is the test's own null device node.
func TestPidFileDevice(t *testing.T) {
	e := newEnv(t)
	b, _ := e.sleeper()
	null := filepath.Join(e.dir, "null")
	if err := unix.Mknod(null, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	e.mustRuno("create", "--pid-file", null, "--bundle", b.dir, b.id)
	e.track(e.state(b.id).Pid)
	var st unix.Stat_t
	if err := unix.Stat(null, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("--pid-file %s after create: mode %#o rdev %#x, want the char device 1:3 kept", null, st.Mode, st.Rdev)
	}
}
