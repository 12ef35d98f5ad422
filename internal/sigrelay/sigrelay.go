// Package sigrelay catches the signals that a foreground runo (run, exec) relays to the
// container's process, without os/signal's cost where it can.
//
// os/signal enables each signal with a round trip to the runtime's signal-mask thread, a
// goroutine locked to its own thread: two thread switches each way, 1.3-1.9 ms of CPU for the
// 58 relayed signals here, a seventh of a whole `runo run`. On amd64 Catch instead installs a
// handler of its own (relay_amd64.s) with rt_sigaction, one system call per signal, which
// writes the signal's number to a pipe; a goroutine reads the pipe and sends the signals on.
// The signals that a fault raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) stay with the Go
// runtime, which turns a fault of runo's into a panic: they go through os/signal, as every
// signal does on other architectures.
package sigrelay

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Catcher holds the signals caught for relaying.
type Catcher struct {
	// C receives the caught signals. A signal that arrives while C is full waits for room:
	// none is dropped, but ones of the same number that the kernel has not yet delivered
	// merge, as they would for any process.
	C chan os.Signal
	// ready is closed once every signal is caught.
	ready chan struct{}
}

// Ready returns once every signal given to Catch is caught: from then on each is queued on C,
// none kills or stops runo. os/signal's part is subscribed in the background; the signals
// that reach it in the meantime are dealt with by the Go runtime (most would kill runo).
func (c *Catcher) Ready() {
	<-c.ready
}

// faultSignals are raised by the kernel when a thread faults; their handler must be the Go
// runtime's, which a returning handler would turn into an endless loop of faults.
func isFault(s syscall.Signal) bool {
	switch s {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP:
		return true
	}
	return false
}

// Catch starts catching sigs for the returned Catcher. A process catches at most once: the
// handler writes to one pipe. The catch is never undone (runo exits once its process has).
func Catch(sigs []syscall.Signal) (*Catcher, error) {
	c := &Catcher{C: make(chan os.Signal, 32), ready: make(chan struct{})}
	var own, viaRuntime []os.Signal
	for _, s := range sigs {
		if canHandle && !isFault(s) {
			own = append(own, s)
		} else {
			viaRuntime = append(viaRuntime, s)
		}
	}
	if len(own) > 0 {
		if err := handle(c.C, own); err != nil {
			return nil, err
		}
	}
	go func() {
		if len(viaRuntime) > 0 {
			signal.Notify(c.C, viaRuntime...)
		}
		close(c.ready)
	}()
	return c, nil
}
