package libcontainer

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// runoTimerSlack is the timer slack, in nanoseconds, that the processes runo starts get: the
// container's, exec'd ones, hooks. It is the one runo's main thread has while the packages are
// initialized (they are, on the main thread) and, in `runo init`, the one InitThread restores.
// A thread the Go runtime starts may have another: the runtime's monitor thread gets 1 ms
// (main's slowMonitor), and threads it starts inherit that; a forked process inherits the
// forking thread's (withRunoTimerSlack). Set only during initialization.
var runoTimerSlack = currentTimerSlack()

// currentTimerSlack returns the calling thread's timer slack, or 0 if it cannot.
func currentTimerSlack() int {
	slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return 0
	}
	return slack
}

// withRunoTimerSlack calls fork, which forks a process, on a thread whose timer slack is
// runoTimerSlack: the process inherits it as its slack and as the default it can reset to.
func withRunoTimerSlack[T any](fork func() (T, error)) (T, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if runoTimerSlack > 0 {
		unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(runoTimerSlack), 0, 0, 0)
	}
	return fork()
}
