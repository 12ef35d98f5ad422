package sigrelay

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCatch catches signals of both kinds (a process catches once: one test), sends each to
// the test process and expects it on C; a fault still panics.
func TestCatch(t *testing.T) {
	sigrtmin3 := syscall.Signal(37)
	c, err := Catch([]syscall.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, sigrtmin3, unix.SIGSEGV, unix.SIGPIPE})
	if err != nil {
		t.Fatal(err)
	}
	c.Ready()
	if _, err := Catch([]syscall.Signal{unix.SIGHUP}); err == nil && canHandle {
		t.Error("a second Catch succeeded")
	}

	for _, s := range []syscall.Signal{unix.SIGUSR1, sigrtmin3, unix.SIGSEGV, unix.SIGWINCH} {
		if err := unix.Kill(os.Getpid(), s); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-c.C:
			if got != s {
				t.Errorf("sent %v, caught %v", s, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v not caught", s)
		}
	}

	// More signals than C holds, sent before anything reads it: each distinct one arrives.
	sent := []syscall.Signal{unix.SIGUSR2}
	for i := 0; i < 40; i++ {
		sent = append(sent, sigrtmin3) // real-time signals queue, each one delivered
	}
	for _, s := range sent {
		if err := unix.Kill(os.Getpid(), s); err != nil {
			t.Fatal(err)
		}
	}
	got := map[syscall.Signal]int{}
	for n := 0; n < len(sent); n++ {
		select {
		case s := <-c.C:
			got[s.(syscall.Signal)]++
		case <-time.After(10 * time.Second):
			t.Fatalf("caught %v of %d signals", got, len(sent))
		}
	}
	if got[unix.SIGUSR2] != 1 || got[sigrtmin3] != 40 {
		t.Errorf("caught %v, want 1 SIGUSR2 and 40 of signal 37", got)
	}

	// A write to stdout, a broken pipe, fails with EPIPE: the runtime, which kills a process
	// whose stdout breaks unless os/signal has SIGPIPE, lets the test live, and relays it.
	saved, err := unix.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[0])
	unix.Dup2(p[1], 1)
	_, werr := os.Stdout.Write([]byte("x"))
	unix.Dup2(saved, 1)
	unix.Close(saved)
	unix.Close(p[1])
	if !errors.Is(werr, syscall.EPIPE) {
		t.Errorf("write to a broken stdout: %v, want EPIPE", werr)
	}
	select {
	case s := <-c.C:
		if s != unix.SIGPIPE {
			t.Errorf("after EPIPE caught %v, want SIGPIPE", s)
		}
	case <-time.After(10 * time.Second):
		t.Error("SIGPIPE not caught")
	}

	// SIGSEGV is caught for relaying when sent, and a nil dereference still panics.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a nil dereference did not panic")
			}
		}()
		var p *int
		_ = *p
	}()
}
