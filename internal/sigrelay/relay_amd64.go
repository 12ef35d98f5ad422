package sigrelay

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// canHandle says that this architecture has the handler of relay_amd64.s.
const canHandle = true

// relayFD is the write end of the pipe the handler writes signal numbers to; -1 until
// handle made it. It is the one piece of state a signal handler can reach.
var relayFD int32 = -1

// handlerPCs returns the addresses of the handler and of its sa_restorer (relay_amd64.s).
func handlerPCs() (handler, restorer uintptr)

// sigaction is the kernel's struct sigaction on amd64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// handle installs the handler for sigs and relays what it writes to c.
func handle(c chan<- os.Signal, sigs []os.Signal) error {
	if relayFD >= 0 {
		return errors.New("sigrelay: signals are already caught")
	}
	var p [2]int
	// Both ends non-blocking: the handler must never block (a full pipe, 64 KiB of signals
	// not yet relayed, drops the number: the kernel has merged repeats by then anyway), and
	// the reader waits in the network poller, which holds no P while it waits.
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fmt.Errorf("sigrelay: pipe: %w", err)
	}
	relayFD = int32(p[1])
	handler, restorer := handlerPCs()
	act := sigaction{
		handler: handler,
		// On the thread's alternate stack, which the Go runtime gives each of its threads,
		// as its own handler is: a goroutine's stack may be too small for a signal frame.
		flags:    saOnStack | saRestart | saRestorer,
		restorer: restorer,
		mask:     ^uint64(0), // nothing else interrupts the handler
	}
	for _, s := range sigs {
		n := s.(syscall.Signal)
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(n), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		if errno != 0 {
			// Catching fewer signals than asked would leave runo killable by the rest.
			return fmt.Errorf("sigrelay: rt_sigaction %v: %w", n, errno)
		}
	}
	go relay(os.NewFile(uintptr(p[0]), "sigrelay"), c)
	return nil
}

// sa_flags (x/sys/unix does not have them): SA_RESTORER, as x86-64 signal frames return
// through sa_restorer; SA_ONSTACK; SA_RESTART, as the Go runtime's handler has.
const (
	saRestorer = 0x04000000
	saOnStack  = 0x08000000
	saRestart  = 0x10000000
)

// relay sends the numbers read from r to c, for ever.
func relay(r *os.File, c chan<- os.Signal) {
	var buf [64]byte
	for {
		n, err := r.Read(buf[:])
		if err != nil {
			return
		}
		for _, b := range buf[:n] {
			c <- syscall.Signal(b)
		}
	}
}
