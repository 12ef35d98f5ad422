package rootfs

import (
	"errors"
	"testing"
)

func TestProcMountAllowed(t *testing.T) {
	tests := []struct {
		dest   string
		isProc bool
		ok     bool
	}{
		{"/proc", true, true},
		{"/proc", false, false}, // a tmpfs over /proc would hide its masks
		{"/proc/cpuinfo", false, true},
		{"/proc/sys/kernel/ns_last_pid", false, true},
		{"/proc/sys/kernel/core_pattern", false, false},
		{"/proc/sys", true, false},
		{"/procfoo", false, true}, // a sibling, not inside /proc
		{"/data/proc", false, true},
	}
	for _, tt := range tests {
		err := procMountAllowed(tt.dest, tt.isProc)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrProcMount)) {
			t.Errorf("procMountAllowed(%q, %v) = %v, want ok %v", tt.dest, tt.isProc, err, tt.ok)
		}
	}
}
