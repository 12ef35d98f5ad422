package main

import (
	"golang.org/x/sys/unix"
)

// monitorSlack is the timer slack, in nanoseconds, that runo gives the Go runtime's monitor
// thread (sysmon).
//
// The monitor sleeps 20 us at a time while any P is held in a system call, and a runo command
// is mostly blocking calls, each of which starts the 20 us polling again: 50-70 wake-ups of a
// sleeping thread per `runo run` (perf sched), some 0.5 ms of CPU here. With 1 ms of slack the
// kernel lets those sleeps run into each other. What the monitor does late is bounded by the
// slack: taking a P back from a goroutine blocked in a system call for another runnable one
// (the main path's blocking calls return to their own P and need no monitor), so a goroutine
// may wait up to 1 ms more where every P is blocked (a one-CPU machine).
const monitorSlack = "1000000"

// slowMonitor sets monitorSlack on the monitor thread, found as the second thread of the
// process: /proc lists a process's threads in the order they were made, and the Go runtime
// makes the monitor first, before any package's init. Best effort: without CAP_SYS_NICE
// (rootless) or /proc it does nothing, and a runtime that made another thread first would give
// that one a coarser timer, not a wrong result.
func slowMonitor() {
	dir, err := unix.Open("/proc/self/task", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	var buf [512]byte
	n, err := unix.Getdents(dir, buf[:])
	unix.Close(dir)
	if err != nil {
		return
	}
	_, _, tids := unix.ParseDirent(buf[:n], 2, nil)
	if len(tids) < 2 {
		return
	}
	// The monitor's tid is a pid to /proc, though /proc does not list it.
	f, err := unix.Open("/proc/"+tids[1]+"/timerslack_ns", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	unix.Write(f, []byte(monitorSlack))
	unix.Close(f)
}
