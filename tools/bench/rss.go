package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// lowerRSSFloor returns the harness's unused heap to the kernel, resets the harness's peak
// resident set to what remains and returns that, in KiB.
//
// Go starts a child with vfork (CLONE_VM): the child runs in the harness's memory until it
// executes the runtime, and at exec the kernel folds the peak resident set of that memory into
// the child's ru_maxrss. So no runtime's maxrss can read below the harness's own peak: 8 MiB
// once the harness had run a while, which showed crun's 3.3 MiB as 8.3, equal to runo's. Called
// right before a timed spawn, this brings that floor down to the harness's current resident set.
func lowerRSSFloor() (int64, error) {
	debug.FreeOSMemory()
	// "5" resets VmHWM (the mm's peak) to VmRSS, see proc(5).
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, fmt.Errorf("reset peak resident set: %w", err)
	}
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read /proc/self/status: %w", err)
	}
	use, err := parseProcStatus(string(raw))
	if err != nil {
		return 0, fmt.Errorf("parse /proc/self/status: %w", err)
	}
	return use.rssKiB, nil
}

// memoryUse is a process's resident set as /proc/<pid>/status reports it.
type memoryUse struct {
	rssKiB  int64
	anonKiB int64
}

// parseProcStatus reads VmRSS and RssAnon from the text of /proc/<pid>/status.
func parseProcStatus(status string) (memoryUse, error) {
	var use memoryUse
	found := 0
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		var dst *int64
		switch {
		case !ok:
			continue
		case key == "VmRSS":
			dst = &use.rssKiB
		case key == "RssAnon":
			dst = &use.anonKiB
		default:
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return memoryUse{}, fmt.Errorf("%s: want \"<number> kB\", got %q", key, strings.TrimSpace(value))
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return memoryUse{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = n
		found++
	}
	// A kernel thread or a zombie has no VmRSS line.
	if found != 2 {
		return memoryUse{}, fmt.Errorf("VmRSS or RssAnon missing")
	}
	return use, nil
}
