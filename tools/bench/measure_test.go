package main

import (
	"fmt"
	"testing"
)

func TestPermutations(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{name: "no runtime", n: 0, want: "[[]]"},
		{name: "one runtime", n: 1, want: "[[0]]"},
		{name: "two runtimes", n: 2, want: "[[0 1] [1 0]]"},
		{name: "three runtimes", n: 3, want: "[[0 1 2] [0 2 1] [1 0 2] [1 2 0] [2 0 1] [2 1 0]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(permutations(tt.n)); got != tt.want {
				t.Errorf("permutations(%d) = %s, want %s", tt.n, got, tt.want)
			}
		})
	}
}

// The point of cycling through permutations: over one cycle every runtime directly follows every
// other runtime equally often, so none always inherits the after-effects of the same one.
func TestPermutationsBalancePredecessors(t *testing.T) {
	const n = 3
	follows := make(map[[2]int]int)
	for _, p := range permutations(n) {
		for i := 1; i < len(p); i++ {
			follows[[2]int{p[i-1], p[i]}]++
		}
	}
	for a := range n {
		for b := range n {
			if a == b {
				continue
			}
			if got := follows[[2]int{a, b}]; got != 2 {
				t.Errorf("runtime %d follows %d in %d permutations, want 2", b, a, got)
			}
		}
	}
}
