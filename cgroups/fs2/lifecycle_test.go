package fs2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runo-project/runo/cgroups"
)

func TestFreeze(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		freeze     bool
		wantFile   string
		wantErr    error
		wantErrMsg string
	}{
		{"freeze", map[string]string{"cgroup.freeze": "0", "cgroup.events": "populated 1\nfrozen 1\n"}, true, "1", nil, ""},
		{"thaw", map[string]string{"cgroup.freeze": "1", "cgroup.events": "populated 1\nfrozen 1\n"}, false, "0", nil, ""},
		{"no freezer: freeze", map[string]string{}, true, "", cgroups.ErrNotSupported, ""},
		{"no freezer: thaw", map[string]string{}, false, "", nil, ""},
		{"no events file", map[string]string{"cgroup.freeze": "0"}, true, "1", nil, "cgroup.events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fakeCgroup(t, tt.files)
			err := freeze(dir, tt.freeze)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("freeze() = %v, want %v", err, tt.wantErr)
				}
			case tt.wantErrMsg != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErrMsg) {
					t.Fatalf("freeze() = %v, want an error containing %q", err, tt.wantErrMsg)
				}
			case err != nil:
				t.Fatalf("freeze() = %v", err)
			}
			if tt.wantFile != "" {
				if got := contents(t, dir)["cgroup.freeze"]; got != tt.wantFile {
					t.Errorf("cgroup.freeze = %q, want %q", got, tt.wantFile)
				}
			}
		})
	}
}

func TestWaitFrozenTimesOut(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"cgroup.events": "populated 1\nfrozen 0\n"})
	if err := waitFrozen(dir, 30*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not frozen") {
		t.Errorf("waitFrozen() = %v, want a timeout", err)
	}
}

func TestFrozen(t *testing.T) {
	for _, tt := range []struct {
		files map[string]string
		want  bool
	}{
		{map[string]string{"cgroup.freeze": "1\n"}, true},
		{map[string]string{"cgroup.freeze": "0\n"}, false},
		{map[string]string{}, false}, // no freezer: never frozen
	} {
		m := &Manager{dir: fakeCgroup(t, tt.files)}
		if got, err := m.Frozen(); err != nil || got != tt.want {
			t.Errorf("Frozen() with %q = %v, %v; want %v", tt.files, got, err, tt.want)
		}
	}
}

func TestKillAll(t *testing.T) {
	m := &Manager{dir: fakeCgroup(t, map[string]string{"cgroup.kill": ""})}
	if err := m.KillAll(); err != nil {
		t.Fatalf("KillAll() = %v", err)
	}
	if got := contents(t, m.dir)["cgroup.kill"]; got != "1" {
		t.Errorf("cgroup.kill = %q, want 1", got)
	}
	old := &Manager{dir: fakeCgroup(t, nil)}
	if err := old.KillAll(); !errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("KillAll() without cgroup.kill = %v, want ErrNotSupported", err)
	}
	gone := &Manager{dir: filepath.Join(t.TempDir(), "gone")}
	if err := gone.KillAll(); err == nil || errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("KillAll() on a missing cgroup = %v, want a not-exist error", err)
	}
}

func TestOOMKillCount(t *testing.T) {
	for _, tt := range []struct {
		events string
		want   uint64
	}{
		{"low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n", 1},
		{"low 0\nmax 3\noom 2\n", 2}, // before Linux 4.13: no oom_kill
	} {
		m := &Manager{dir: fakeCgroup(t, map[string]string{"memory.events": tt.events})}
		if got, err := m.OOMKillCount(); err != nil || got != tt.want {
			t.Errorf("OOMKillCount() with %q = %d, %v; want %d", tt.events, got, err, tt.want)
		}
	}
}

func recv(t *testing.T, ch <-chan struct{}) (ok bool) {
	t.Helper()
	select {
	case _, ok = <-ch:
		return ok
	case <-time.After(5 * time.Second):
		t.Fatal("no OOM event within 5s")
		return false
	}
}

func TestOOMEvents(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"memory.events": "oom 1\noom_kill 1\n", "cgroup.events": "populated 1\nfrozen 0\n"})
	m := &Manager{dir: dir}
	stop := make(chan struct{})
	defer close(stop)
	ch, err := m.OOMEvents(stop)
	if err != nil {
		t.Fatalf("OOMEvents() = %v", err)
	}
	write := func(file, s string) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Kills before the call are not reported; two more give two events.
	write("memory.events", "oom 3\noom_kill 3\n")
	for i := 0; i < 2; i++ {
		if !recv(t, ch) {
			t.Fatalf("event %d: channel closed", i)
		}
	}
	// A change without a new kill sends nothing; the cgroup emptying closes the channel.
	write("memory.events", "oom 3\noom_kill 3\nmax 9\n")
	write("cgroup.events", "populated 0\nfrozen 0\n")
	if recv(t, ch) {
		t.Fatal("got an event without a new OOM kill")
	}
}

func TestOOMEventsStop(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"memory.events": "oom_kill 0\n", "cgroup.events": "populated 1\n"})
	stop := make(chan struct{})
	ch, err := (&Manager{dir: dir}).OOMEvents(stop)
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	if recv(t, ch) {
		t.Fatal("got an event after stop")
	}
}

func TestOOMEventsWithoutMemoryController(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{"cgroup.events": "populated 1\n"})
	if _, err := (&Manager{dir: dir}).OOMEvents(nil); !errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("OOMEvents() = %v, want ErrNotSupported", err)
	}
}

func TestCreatePath(t *testing.T) {
	root := fakeCgroup(t, map[string]string{
		"cgroup.controllers":       "cpu memory pids",
		"cgroup.subtree_control":   "",
		"a/cgroup.controllers":     "memory",
		"a/cgroup.subtree_control": "",
	})
	dir := filepath.Join(root, "a", "b", "c")
	if err := createPath(root, dir); err != nil {
		t.Fatalf("createPath() = %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("cgroup not created: %v", err)
	}
	if got, want := contents(t, root)["cgroup.subtree_control"], "+cpu +memory +pids"; got != want {
		t.Errorf("root subtree_control = %q, want %q", got, want)
	}
	if got, want := contents(t, filepath.Join(root, "a"))["cgroup.subtree_control"], "+memory"; got != want {
		t.Errorf("a/subtree_control = %q, want %q", got, want)
	}
	// The leaf's own subtree_control is not touched: it holds processes.
	if _, err := os.Stat(filepath.Join(dir, "cgroup.subtree_control")); !os.IsNotExist(err) {
		t.Errorf("leaf cgroup.subtree_control: %v, want it untouched", err)
	}
	if err := createPath(root, dir); err != nil {
		t.Errorf("createPath() again = %v, want nil for an existing cgroup", err)
	}
	for _, bad := range []string{root, filepath.Dir(root), filepath.Join(root, "..", "x")} {
		if err := createPath(root, bad); err == nil {
			t.Errorf("createPath(%q) = nil, want an error for a path not below the root", bad)
		}
	}
}

func TestDestroyRemovesChildren(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	for _, d := range []string{"c/sub/subsub", "c/other"} {
		if err := os.MkdirAll(filepath.Join(filepath.Dir(dir), d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m := &Manager{dir: dir}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy() = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup still there: %v", err)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("Destroy() of a removed cgroup = %v, want nil", err)
	}
}
