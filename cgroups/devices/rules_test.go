package devices

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestContainerRules(t *testing.T) {
	res := []specs.LinuxDeviceCgroup{denyAll, devRule(false, "c", 1, 3, "rwm")}
	devs := []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
		{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0},
		{Path: "/dev/kmsg", Type: "u", Major: 1, Minor: 11},
		{Path: "/dev/fifo", Type: "p"},
	}
	rules := ContainerRules(res, devs)
	if got, want := len(rules), len(res)+3+len(DefaultRules()); got != want {
		t.Fatalf("len(ContainerRules) = %d, want %d", got, want)
	}
	insts, err := programFor(rules)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  request
		want bool
	}{
		{"device of linux.devices", char(10, 229, accRead|accWrite), true},
		{"block device of linux.devices", request{devBlock, accRead, 8, 0}, true},
		{"type u is a char device", char(1, 11, accRead), true},
		{"defaults win over the spec's deny", char(1, 3, accWrite), true},
		{"other devices stay denied", char(1, 1, accRead), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := interpret(insts, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("program(%+v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestDefaultRulesValid(t *testing.T) {
	set, err := compile(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(set.rules), 11; got != want {
		t.Errorf("len(DefaultRules) = %d, want %d", got, want)
	}
}
