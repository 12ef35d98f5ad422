package main

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSlowMonitor checks that slowMonitor gives the process's second thread, the Go
// runtime's monitor, monitorSlack, and leaves the calling thread's alone.
func TestSlowMonitor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writing another thread's timer slack needs CAP_SYS_NICE")
	}
	f, err := os.Open("/proc/self/task")
	if err != nil {
		t.Skip(err)
	}
	tids, err := f.Readdirnames(-1)
	f.Close()
	if err != nil || len(tids) < 2 {
		t.Fatalf("threads %v: %v", tids, err)
	}
	own, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	slowMonitor()
	got, err := os.ReadFile("/proc/" + tids[1] + "/timerslack_ns")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != monitorSlack {
		t.Errorf("thread %s (the monitor): timer slack %s, want %s", tids[1], got, monitorSlack)
	}
	if now, _ := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); now != own {
		t.Errorf("the calling thread's slack changed: %d -> %d", own, now)
	}
	// Give the test binary's monitor its slack back.
	os.WriteFile("/proc/"+tids[1]+"/timerslack_ns", []byte("0"), 0)
}
