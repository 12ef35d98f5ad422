package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hook makes a hook that saves its stdin (the state JSON) to dir/NAME.json and appends NAME
// to dir/order. sh is the shell's path where the hook runs, dir the log dir as seen there.
func hook(sh, dir, name string) specs.Hook {
	return specs.Hook{
		Path: sh,
		Args: []string{"sh", "-c", "cat > " + dir + "/" + name + ".json; echo " + name + " >> " + dir + "/order"},
	}
}

// TestHooks checks that each hook runs once, in order, with the state on stdin.
func TestHooks(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("true")
	logDir := b.bind("/hooks", false)
	b.spec.Hooks = &specs.Hooks{
		Prestart:        []specs.Hook{hook("/usr/bin/busybox", logDir, "prestart")},
		CreateRuntime:   []specs.Hook{hook("/usr/bin/busybox", logDir, "createRuntime")},
		CreateContainer: []specs.Hook{hook("/usr/bin/busybox", logDir, "createContainer")},
		// Runs in the container: its path and files are the container's.
		StartContainer: []specs.Hook{hook("/bin/sh", "/hooks", "startContainer")},
		Poststart:      []specs.Hook{hook("/usr/bin/busybox", logDir, "poststart")},
		Poststop:       []specs.Hook{hook("/usr/bin/busybox", logDir, "poststop")},
	}
	b.save()

	e.mustRuno("create", "--bundle", b.dir, b.id)
	initPid := e.state(b.id).Pid
	if got, want := readOrder(t, logDir), "prestart createRuntime createContainer"; got != want {
		t.Errorf("hooks run by create = %q, want %q", got, want)
	}
	e.mustRuno("start", b.id)
	if got, want := readOrder(t, logDir), "prestart createRuntime createContainer startContainer poststart"; got != want {
		t.Errorf("hooks run by create and start = %q, want %q", got, want)
	}
	e.waitStatus(b.id, "stopped")
	e.mustRuno("delete", b.id)
	want := "prestart createRuntime createContainer startContainer poststart poststop"
	if got := readOrder(t, logDir); got != want {
		t.Errorf("hooks run = %q, want %q", got, want)
	}
	for _, c := range []struct{ hook, status string }{
		{"prestart", "creating"},
		{"createRuntime", "creating"},
		{"createContainer", "creating"},
		{"startContainer", "created"},
		{"poststart", "running"},
		{"poststop", "stopped"},
	} {
		data, err := os.ReadFile(filepath.Join(logDir, c.hook+".json"))
		if err != nil {
			t.Errorf("%s hook: %v", c.hook, err)
			continue
		}
		var s specs.State
		if err := json.Unmarshal(data, &s); err != nil {
			t.Errorf("%s hook stdin %q: %v", c.hook, data, err)
			continue
		}
		if s.ID != b.id || s.Bundle != b.dir || string(s.Status) != c.status {
			t.Errorf("%s hook state: id %q, bundle %q, status %q; want %q, %q, %q",
				c.hook, s.ID, s.Bundle, s.Status, b.id, b.dir, c.status)
		}
		// Engines' hooks find the container by its pid (Docker's prestart hook opens
		// /proc/<pid>/ns/net).
		if c.status != "stopped" && s.Pid != initPid {
			t.Errorf("%s hook state: pid %d, want init's %d", c.hook, s.Pid, initPid)
		}
	}
}

func readOrder(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "order"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(data)), " ")
}

// TestHookFailure checks that a failing createRuntime hook fails create and leaves nothing.
func TestHookFailure(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("true")
	logDir := e.hostDir("hooks")
	b.spec.Hooks = &specs.Hooks{
		CreateRuntime: []specs.Hook{{Path: "/usr/bin/busybox", Args: []string{"sh", "-c", "exit 7"}}},
		Poststart:     []specs.Hook{hook("/usr/bin/busybox", logDir, "poststart")},
	}
	b.save()
	r := e.runo("create", "--bundle", b.dir, b.id)
	if r.code == 0 {
		t.Fatalf("create with a failing createRuntime hook: %v, want failure", r)
	}
	e.assertGone(b.id, 0)
	if r := e.runo("state", b.id); r.code == 0 {
		t.Errorf("state after the failed create: %v, want failure", r)
	}
	if got := readOrder(t, logDir); got != "" {
		t.Errorf("hooks run after the failed one: %q", got)
	}
}

// TestHookTimeout checks that a createRuntime hook that runs past its timeout fails create
// soon after the timeout, is killed, and leaves nothing behind.
func TestHookTimeout(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("true")
	logDir := e.hostDir("hooks")
	timeout := 1
	b.spec.Hooks = &specs.Hooks{
		CreateRuntime: []specs.Hook{{
			Path:    "/usr/bin/busybox",
			Args:    []string{"sh", "-c", "echo $$ > " + logDir + "/pid; exec sleep 10"},
			Timeout: &timeout,
		}},
	}
	b.save()
	start := time.Now()
	r := e.runo("create", "--bundle", b.dir, b.id)
	elapsed := time.Since(start)
	checkFailure(t, r, []string{"hook", "timed out|timeout"})
	if elapsed > 5*time.Second {
		t.Errorf("create with a hook timing out after 1s took %v, want less than 5s", elapsed)
	}
	e.assertGone(b.id, 0)
	if r := e.runo("state", b.id); r.code == 0 {
		t.Errorf("state after the failed create: %v, want failure", r)
	}
	data, err := os.ReadFile(filepath.Join(logDir, "pid"))
	if err != nil {
		t.Fatalf("the hook did not run: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("hook pid %q: %v", data, err)
	}
	waitFor(t, "the timed-out hook to be killed", func() bool { return pidStartTime(pid) == "" })
}
