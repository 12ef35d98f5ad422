package libcontainer

import (
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/internal/seccomp"
)

func TestSeccompFilterRoundTrip(t *testing.T) {
	sc := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"sethostname"}, Action: specs.ActErrno},
			{Names: []string{"no_such_syscall"}, Action: specs.ActErrno},
		},
	}
	f, unknown, err := compileSeccomp(sc)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := seccomp.Compile(sc, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.filter()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter() differs from the compiled program: %d vs %d instructions", len(got), len(want))
	}
	if f.Notify || !reflect.DeepEqual(f.Flags, sc.Flags) {
		t.Errorf("filter = notify %v flags %v, want no notify and %v", f.Notify, f.Flags, sc.Flags)
	}
	if !reflect.DeepEqual(unknown, []string{"no_such_syscall"}) {
		t.Errorf("unknown = %v, want [no_such_syscall]", unknown)
	}
	if _, err := (&seccompFilter{Program: make([]byte, 7)}).filter(); err == nil {
		t.Error("filter() of 7 bytes succeeded")
	}
}

func TestCompileSeccompErrors(t *testing.T) {
	if f, _, err := compileSeccomp(nil); f != nil || err != nil {
		t.Errorf("compileSeccomp(nil) = %v, %v; want no filter", f, err)
	}
	notify := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
	if _, _, err := compileSeccomp(notify); err == nil || !strings.Contains(err.Error(), "listenerPath") {
		t.Errorf("notify without listenerPath: %v, want an error naming listenerPath", err)
	}
	bad := &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}
	if _, _, err := compileSeccomp(bad); err == nil || !strings.HasPrefix(err.Error(), "linux.seccomp: ") {
		t.Errorf("bad action: %v, want an error starting with linux.seccomp", err)
	}
}

// TestExecDetailsLegacySeccomp: a state that keeps the profile (runo before the compiled
// filter) still gives exec its filter.
func TestExecDetailsLegacySeccomp(t *testing.T) {
	dir := t.TempDir()
	profile := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}
	saved := &savedState{
		stateHeader:  stateHeader{ID: "c1", Pid: 42},
		stateDetails: &stateDetails{Seccomp: profile},
	}
	if err := writeState(dir, saved); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Dir(dir), filepath.Base(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.execDetails()
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := compileSeccomp(profile)
	if err != nil {
		t.Fatal(err)
	}
	if d.SeccompFilter == nil || !reflect.DeepEqual(d.SeccompFilter.Program, want.Program) {
		t.Errorf("execDetails() of a state with the profile gave filter %+v, want it compiled", d.SeccompFilter)
	}
}
