package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       procStat
		wantErr    bool
	}{
		{
			name: "plain",
			line: "42 (sh) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10",
			want: procStat{state: 'S', startTime: 12345},
		},
		{
			name: "command with spaces and parens",
			line: "7 (a) b (c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0",
			want: procStat{state: 'Z', startTime: 99},
		},
		{name: "truncated", line: "7 (x) R 1 2", wantErr: true},
		{name: "no command", line: "garbage", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseProcStat() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("42 (sh) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10")
	f.Add("1 ()) ) R")
	f.Fuzz(func(t *testing.T, s string) {
		parseProcStat(s) // must not panic
	})
}

// TestStateDetailsRoundTrip: Load decodes the header only, details and hooks decode the rest on
// demand, and a state whose details were never loaded is not written back without them.
func TestStateDetailsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	hooks := &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}}}
	saved := &savedState{
		stateHeader:  stateHeader{ID: "c1", Bundle: "/b", Pid: 42, SharedPidNS: true},
		stateDetails: &stateDetails{Hooks: hooks, Process: &specs.Process{Cwd: "/work"}},
	}
	if err := writeState(dir, saved); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Dir(dir), filepath.Base(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.state.stateDetails != nil {
		t.Fatal("Load decoded the details")
	}
	if c.state.Pid != 42 || !c.state.SharedPidNS || c.state.Bundle != "/b" {
		t.Errorf("header = %+v, want what was written", c.state.stateHeader)
	}
	if h, err := c.hooks(); err != nil || !reflect.DeepEqual(h, hooks) {
		t.Errorf("hooks() = %+v, %v; want %+v", h, err, hooks)
	}
	if c.state.stateDetails != nil {
		t.Error("hooks() decoded every detail")
	}
	if e, err := c.execDetails(); err != nil || e.Process == nil || e.Process.Cwd != "/work" {
		t.Errorf("execDetails() = %+v, %v; want the written process", e, err)
	}
	if c.state.stateDetails != nil {
		t.Error("execDetails() decoded every detail")
	}
	if err := writeState(dir, c.state); err == nil {
		t.Error("writeState() without details succeeded: it would drop them")
	}
	d, err := c.details()
	if err != nil || d.Process == nil || d.Process.Cwd != "/work" || !reflect.DeepEqual(d.Hooks, hooks) {
		t.Errorf("details() = %+v, %v; want the written details", d, err)
	}
}

// TestStateFiles: state.json holds the header only, details.json the details; a container whose
// state.json holds everything (made by a runo from before details.json) still has its details.
func TestStateFiles(t *testing.T) {
	dir := t.TempDir()
	hooks := &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}}}
	saved := &savedState{
		stateHeader:  stateHeader{ID: "c1", Bundle: "/b", Pid: 42},
		stateDetails: &stateDetails{Hooks: hooks, Process: &specs.Process{Cwd: "/work"}},
	}
	if err := writeState(dir, saved); err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(header), "process") || strings.Contains(string(header), "hooks") {
		t.Errorf("state.json = %s, want the header only", header)
	}

	// The format before details.json: one file with everything.
	old := t.TempDir()
	data, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, stateFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Dir(old), filepath.Base(old), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.state.Pid != 42 {
		t.Errorf("pid = %d, want 42", c.state.Pid)
	}
	d, err := c.details()
	if err != nil || d.Process == nil || d.Process.Cwd != "/work" || !reflect.DeepEqual(d.Hooks, hooks) {
		t.Errorf("details() of a one-file state = %+v, %v; want the written details", d, err)
	}
}

// TestSavedCgroup: the cgroup of a state is written as given, read without being decoded,
// decoded on get, and written back as read.
func TestSavedCgroup(t *testing.T) {
	want := cgroups.Saved{Paths: map[string]string{"memory": "/sys/fs/cgroup/memory/c", "": "/sys/fs/cgroup/unified/c"}}
	dir := t.TempDir()
	saved := &savedState{
		stateHeader:  stateHeader{ID: "c1", Cgroup: newSavedCgroup(want)},
		stateDetails: &stateDetails{},
	}
	if err := writeState(dir, saved); err != nil {
		t.Fatal(err)
	}
	s, err := readState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Cgroup == nil || s.Cgroup.saved != nil {
		t.Fatalf("read cgroup = %+v, want it kept undecoded", s.Cgroup)
	}
	again, err := json.Marshal(&s.stateHeader)
	if err != nil {
		t.Fatal(err)
	}
	var back stateHeader
	if err := json.Unmarshal(again, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*savedCgroup{s.Cgroup, back.Cgroup} {
		got, err := c.get()
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("get() = %+v, %v; want %+v", got, err, want)
		}
	}
	if _, err := (&savedCgroup{raw: []byte(`{"paths":`)}).get(); err == nil {
		t.Error("get() of broken JSON succeeded")
	}
}
