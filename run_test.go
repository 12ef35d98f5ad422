package main

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStandardSignals checks that a foreground runo catches every standard signal it can,
// except SIGCHLD and SIGURG, which it does not relay.
func TestStandardSignals(t *testing.T) {
	have := make(map[syscall.Signal]bool)
	for _, n := range standardSignals {
		if have[n] {
			t.Errorf("%v listed twice", n)
		}
		have[n] = true
	}
	for n := syscall.Signal(1); n <= 31; n++ {
		skip := n == unix.SIGKILL || n == unix.SIGSTOP || n == unix.SIGCHLD || n == unix.SIGURG
		if have[n] == skip {
			t.Errorf("signal %d (%v): listed %v, want %v", int(n), n, have[n], !skip)
		}
	}
}
