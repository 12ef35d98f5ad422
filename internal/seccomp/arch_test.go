package seccomp

import (
	"slices"
	"strings"
	"testing"
)

func TestSyscallTablesSorted(t *testing.T) {
	for _, a := range abis {
		if !slices.IsSortedFunc(a.table, func(x, y syscallEntry) int { return strings.Compare(x.name, y.name) }) {
			t.Errorf("%s table is not sorted by name: numbers would miss entries", a.name)
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

// lookup returns the number of the syscall called name: the tests' own resolution, by binary
// search, against which numbers is checked.
func (t syscallTable) lookup(name string) (uint32, bool) {
	i, ok := slices.BinarySearchFunc(t, name, func(e syscallEntry, name string) int {
		return strings.Compare(e.name, name)
	})
	if !ok {
		return 0, false
	}
	return t[i].nr, true
}

// TestNumbers: numbers resolves every name of every table as a search would, and names
// no table has as -1, whatever their order and repetitions.
func TestNumbers(t *testing.T) {
	for _, a := range abis {
		var rules []rule
		for i := len(a.table) - 1; i >= 0; i -= 3 { // reversed, a third of the names
			rules = append(rules, rule{name: a.table[i].name})
		}
		rules = append(rules, rule{name: "no_such_call"}, rule{name: a.table[0].name}, rule{name: ""})
		nrs := a.table.numbers(rules, rulesByName(rules))
		for i, r := range rules {
			want := int64(-1)
			if nr, ok := a.table.lookup(r.name); ok {
				want = int64(nr)
			}
			if nrs[i] != want {
				t.Errorf("%s: numbers()[%q] = %d, want %d", a.name, r.name, nrs[i], want)
			}
		}
	}
}
