package seccomp

import (
	"slices"
	"strings"
	"testing"
)

func TestSyscallTablesSorted(t *testing.T) {
	for _, a := range abis {
		if !slices.IsSortedFunc(a.table, func(x, y syscallEntry) int { return strings.Compare(x.name, y.name) }) {
			t.Errorf("%s table is not sorted by name: lookup would miss entries", a.name)
		}
	}
}

func TestSyscallTableLookup(t *testing.T) {
	tests := []struct {
		name string
		nr   uint32
		ok   bool
	}{
		{"read", 0, true},
		{"_sysctl", 156, true},
		{"zzz_not_a_syscall", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		nr, ok := syscallsX86_64.lookup(tt.name)
		if nr != tt.nr || ok != tt.ok {
			t.Errorf("lookup(%q) = %d, %v; want %d, %v", tt.name, nr, ok, tt.nr, tt.ok)
		}
	}
}
