package libcontainer

import (
	"reflect"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestSplitTaskLimits(t *testing.T) {
	limit := int64(64 << 20)
	mem := &specs.LinuxMemory{Limit: &limit}
	one := int64(1)
	pids := &specs.LinuxPids{Limit: &one}
	tests := []struct {
		name          string
		in            *specs.LinuxResources
		before, after *specs.LinuxResources
	}{
		{"nil", nil, nil, nil},
		{"no pids", &specs.LinuxResources{Memory: mem}, &specs.LinuxResources{Memory: mem}, nil},
		{
			"pids later",
			&specs.LinuxResources{Memory: mem, Pids: pids},
			&specs.LinuxResources{Memory: mem},
			&specs.LinuxResources{Pids: pids},
		},
		{
			"unified pids keys later",
			&specs.LinuxResources{Unified: map[string]string{"pids.max": "1", "memory.high": "max"}},
			&specs.LinuxResources{Unified: map[string]string{"memory.high": "max"}},
			&specs.LinuxResources{Unified: map[string]string{"pids.max": "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := splitTaskLimits(tt.in)
			if !reflect.DeepEqual(before, tt.before) || !reflect.DeepEqual(after, tt.after) {
				t.Errorf("splitTaskLimits() = %+v, %+v; want %+v, %+v", before, after, tt.before, tt.after)
			}
		})
	}
}
