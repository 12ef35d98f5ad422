package specconv

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*specs.Spec)
		field  string // "" when the spec is valid
	}{
		{"default spec", func(*specs.Spec) {}, ""},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process"},
		{"empty args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }, "process.cwd"},
		{"env without =", func(s *specs.Spec) { s.Process.Env = []string{"PATH"} }, "process.env[0]"},
		{"unknown rlimit", func(s *specs.Spec) { s.Process.Rlimits[0].Type = "RLIMIT_NOPE" }, "process.rlimits[0].type"},
		{"soft above hard", func(s *specs.Spec) { s.Process.Rlimits[0].Soft = 2048 }, "process.rlimits[0]"},
		{"unknown capability", func(s *specs.Spec) {
			s.Process.Capabilities.Effective = []string{"CAP_KILL", "CAP_NOPE"}
		}, "process.capabilities.effective[1]"},
		{"mount without destination", func(s *specs.Spec) { s.Mounts[0].Destination = "" }, "mounts[0].destination"},
		{"no linux", func(s *specs.Spec) { s.Linux = nil }, "linux"},
		{"unknown namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}, "linux.namespaces[6].type"},
		{"duplicate namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "pid"})
		}, "linux.namespaces[6].type"},
		{"relative namespace path", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "proc/1/ns/net" }, "linux.namespaces[1].path"},
		{"no mount namespace", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:4] }, "linux.namespaces"},
		{"user namespace without mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		}, "linux.uidMappings"},
		{"mappings without user namespace", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.uidMappings"},
		{"joined user namespace needs no mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user", Path: "/proc/1/ns/user"})
		}, ""},
		{"hostname without uts", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[4:] }, "hostname"},
		{"time offsets without time namespace", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "linux.timeOffsets"},
		{"sysctl with ..", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../x": "1"} }, "linux.sysctl"},
		{"relative hook", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "hook"}}}
		}, "hooks.poststop[0].path"},
		{"zero hook timeout", func(s *specs.Spec) {
			zero := 0
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/hook", Timeout: &zero}}}
		}, "hooks.createRuntime[0].timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Example()
			tt.modify(s)
			err := Validate(s)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an ErrInvalid naming %s", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("Validate() = %q, want it to start with %q", err, tt.field+": ")
			}
		})
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"abc", true}, {"a.b_c-d+e", true}, {"1", true}, {"ABC_xyz-09", true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {"../x", false}, {"a b", false}, {"é", false}, {"a:b", false}, {"a\x00", false},
	}
	for _, tt := range tests {
		if err := ValidateID(tt.id); (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
	}
}

func TestExampleIsRuncShaped(t *testing.T) {
	s := Example()
	if got, want := s.Process.Args, []string{"sh"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Example().Process.Args = %v, want %v", got, want)
	}
	ToRootless(s)
	if err := Validate(s); err != nil {
		t.Fatalf("Validate(rootless example) = %v", err)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			t.Errorf("rootless spec keeps a network namespace")
		}
	}
}

func FuzzParse(f *testing.F) {
	example, _ := json.Marshal(Example())
	f.Add(example)
	f.Add([]byte(`{"root":{"path":"r"},"process":{"args":["x"],"cwd":"/"},"linux":{}}`))
	f.Add([]byte(`{"linux":{"namespaces":[{"type":"mount"},{"type":"mount"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(data) // must not panic, whatever the input
	})
}
