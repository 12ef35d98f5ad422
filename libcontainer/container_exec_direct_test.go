package libcontainer

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestHostPtracer(t *testing.T) {
	caps := func(bounding ...string) *specs.Process {
		return &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: bounding}}
	}
	newUser := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.UserNamespace}}
	joinedUser := []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}}
	pid := []specs.LinuxNamespace{{Type: specs.PIDNamespace}}
	tests := []struct {
		name string
		proc *specs.Process
		ns   []specs.LinuxNamespace
		want bool
	}{
		{"default capabilities", caps("CAP_KILL", "CAP_AUDIT_WRITE"), pid, false},
		{"CAP_SYS_PTRACE", caps("CAP_KILL", "CAP_SYS_PTRACE"), pid, true},
		{"lower case", caps("cap_sys_ptrace"), pid, true},
		{"no capabilities set: all of runo's", &specs.Process{}, pid, true},
		{"no process", nil, pid, true},
		{"new user namespace", caps("CAP_SYS_PTRACE"), newUser, false},
		{"new user namespace, no capabilities set", &specs.Process{}, newUser, false},
		{"joined user namespace", caps("CAP_SYS_PTRACE"), joinedUser, true},
		{"joined pid namespace", caps("CAP_KILL"), []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"}}, true},
		{"joined pid namespace, new user namespace", caps("CAP_KILL"), []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"}}, true},
	}
	for _, tc := range tests {
		if got := hostPtracer(tc.proc, tc.ns); got != tc.want {
			t.Errorf("%s: hostPtracer = %v, want %v", tc.name, got, tc.want)
		}
	}
}
