package capabilities

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		name string
		want int
		ok   bool
	}{
		{"CAP_CHOWN", 0, true}, // first
		{"CAP_KILL", 5, true},
		{"CAP_SYS_ADMIN", 21, true},
		{"CAP_CHECKPOINT_RESTORE", 40, true}, // last known
		{"CAP_NOPE", 0, false},
	}
	for _, tt := range tests {
		got, ok := Number(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Number(%q) = %d, %v, want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParse(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:  []string{"CAP_CHOWN", "CAP_KILL", "CAP_BPF", "CAP_FUTURE"},
		Effective: []string{"cap_kill"},
		Ambient:   []string{"CAP_KILL"},
	}
	got, unknown := Parse(c, 37) // a kernel without CAP_PERFMON and later
	if want := uint64(1<<0 | 1<<5); got.Bounding != want {
		t.Errorf("Bounding = %#x, want %#x", got.Bounding, want)
	}
	if want := uint64(1 << 5); got.Effective != want || got.Ambient != want {
		t.Errorf("Effective, Ambient = %#x, %#x, want %#x", got.Effective, got.Ambient, want)
	}
	if len(unknown) != 2 {
		t.Errorf("unknown = %v, want CAP_BPF and CAP_FUTURE", unknown)
	}
}
