// Package sigrelay catches the signals that a foreground runo (run, exec) relays to the
// container's process, without os/signal's cost where it can.
//
// os/signal enables each signal with a round trip to the runtime's signal-mask thread, a
// goroutine locked to its own thread: two thread switches each way, 1.3-1.9 ms of CPU for the
// 58 relayed signals here, a seventh of a whole `runo run`. On amd64 Catch instead installs a
// handler of its own (relay_amd64.s) with rt_sigaction, one system call per signal, which
// writes the signal's number to a pipe; a goroutine reads the pipe and sends the signals on.
// Some signals stay with the Go runtime and go through os/signal, as every signal does on
// other architectures: those that a fault raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP),
// which the runtime turns into a panic when runo faults; SIGPIPE, which the runtime raises
// again with its default action, killing runo, when runo's stdout or stderr is a broken pipe,
// unless os/signal has it; and SIGPROF, the runtime's profiler's, which os/signal accepts and
// never delivers (so runo, like runc, does not relay it).
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

// viaRuntime says that s must be caught through os/signal (see the package's comment): a
// handler that returns from a fault signal would fault again for ever; for SIGPIPE the
// runtime asks os/signal whether it is caught; SIGPROF is the runtime's.
func viaRuntime(s syscall.Signal) bool {
	switch s {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP, unix.SIGPIPE, unix.SIGPROF:
		return true
	}
	return false
}

// Catch starts catching sigs for the returned Catcher. A process catches at most once: the
// handler writes to one pipe. The catch is never undone (runo exits once its process has).
func Catch(sigs []syscall.Signal) (*Catcher, error) {
	c := &Catcher{C: make(chan os.Signal, 32), ready: make(chan struct{})}
	var own, notified []os.Signal
	for _, s := range sigs {
		if canHandle && !viaRuntime(s) {
			own = append(own, s)
		} else {
			notified = append(notified, s)
		}
	}
	if len(own) > 0 {
		if err := handle(c.C, own); err != nil {
			return nil, err
		}
	}
	go func() {
		if len(notified) > 0 {
			signal.Notify(c.C, notified...)
		}
		close(c.ready)
	}()
	return c, nil
}
