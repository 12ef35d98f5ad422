// Package sysprog runs a list of system calls prepared in advance: a program that a forked
// child can run before it execs, where it may not allocate, take locks or call Go functions
// that grow the stack. The same program runs on a locked thread of a Go process, so that a
// sequence such as "drop capabilities, change user, load seccomp, execve" is written once for
// both.
package sysprog

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// A Step is one system call.
type Step struct {
	Trap uintptr
	Args [6]uintptr
	// From, when above zero, is one more than the index of an earlier step whose result
	// replaces Args[FromArg]: the fd an open returned, say.
	From, FromArg int
	// Ignore is an errno the call may fail with, the program going on.
	Ignore syscall.Errno
	// Check, when set, is a byte the call writes that must then equal Want; otherwise the step
	// fails with errno 0.
	Check *byte
	Want  byte
	// Store, when set, receives the result: an fd that must go into memory a later step
	// reads (a control message's SCM_RIGHTS, say).
	Store *int32
	// Err turns the step's errno into the error the caller reports (errno 0: Check failed).
	Err func(errno syscall.Errno) error
}

// Program is a list of steps and the memory their arguments point to.
type Program struct {
	steps   []Step
	results []uintptr
	keep    []any
}

// Add appends a step and returns its index.
func (p *Program) Add(s Step) int {
	p.steps = append(p.steps, s)
	return len(p.steps) - 1
}

// Ptr returns the address of the object ptr points to, as a system call argument, and keeps
// the object alive as long as the program. Go's heap objects do not move; ptr escapes to the
// heap by being kept here.
func (p *Program) Ptr(ptr any, addr unsafe.Pointer) uintptr {
	p.keep = append(p.keep, ptr)
	return uintptr(addr)
}

// String returns the address of a NUL-terminated copy of s.
func (p *Program) String(s string) (uintptr, error) {
	b, err := syscall.BytePtrFromString(s)
	if err != nil {
		return 0, err
	}
	return p.Ptr(b, unsafe.Pointer(b)), nil
}

// Strings returns the address of a nil-terminated array of NUL-terminated copies of list, as
// execve takes argv and envp.
func (p *Program) Strings(list []string) (uintptr, error) {
	ptrs, err := syscall.SlicePtrFromStrings(list)
	if err != nil {
		return 0, err
	}
	ptrs = append(ptrs, nil)
	return p.Ptr(ptrs, unsafe.Pointer(&ptrs[0])), nil
}

// Len is the number of steps.
//
//go:nosplit
func (p *Program) Len() int { return len(p.steps) }

// Prepare checks the references between steps and sets aside the memory for their results. A
// child runs only a prepared program.
func (p *Program) Prepare() error {
	for i, s := range p.steps {
		if s.From < 0 || s.From > i || s.FromArg < 0 || s.FromArg >= len(s.Args) {
			return fmt.Errorf("system call program: step %d takes an argument from step %d, argument %d", i, s.From-1, s.FromArg)
		}
	}
	p.results = make([]uintptr, len(p.steps))
	return nil
}

// Failure is where a prepared program stopped: at step Index with Errno (0: its Check failed).
type Failure struct {
	Index int
	Errno syscall.Errno
}

// Error turns a failure into the failed step's error.
func (p *Program) Error(f Failure) error {
	if f.Index < 0 || f.Index >= len(p.steps) {
		return fmt.Errorf("system call program ended at step %d of %d without exec: %w", f.Index, len(p.steps), f.Errno)
	}
	s := p.steps[f.Index]
	if s.Err != nil {
		return s.Err(f.Errno)
	}
	if f.Errno == 0 {
		return fmt.Errorf("system call %d (step %d): unexpected result", s.Trap, f.Index)
	}
	return fmt.Errorf("system call %d (step %d): %w", s.Trap, f.Index, f.Errno)
}

// RunInChild runs the prepared program and returns where it stopped: the index of the failed
// step, or the number of steps if every step returned. A last execve that succeeds does not
// return.
//
// It may run in a child forked from a Go process, before execve: no allocation, no stack
// growth, no write barriers (it stores only integers).
//
//go:nosplit
//go:norace
//go:nocheckptr
func (p *Program) RunInChild() (index int, errno syscall.Errno) {
	var (
		s *Step
		a [6]uintptr
		r uintptr
	)
	for index = 0; index < len(p.steps); index++ {
		s = &p.steps[index]
		a = s.Args
		if s.From > 0 {
			a[s.FromArg] = p.results[s.From-1]
		}
		r, _, errno = syscall.RawSyscall6(s.Trap, a[0], a[1], a[2], a[3], a[4], a[5])
		if errno != 0 && errno != s.Ignore {
			return index, errno
		}
		p.results[index] = r
		if s.Store != nil {
			*s.Store = int32(r)
		}
		if s.Check != nil && *s.Check != s.Want {
			return index, 0
		}
	}
	return index, 0
}

//go:linkname runtime_BeforeExec syscall.runtime_BeforeExec
func runtime_BeforeExec()

//go:linkname runtime_AfterExec syscall.runtime_AfterExec
func runtime_AfterExec()

// Run runs the prepared program on the calling thread of this process and returns the failed
// step's error, or nil if every step returned. The runtime creates no thread meanwhile, as for
// syscall.Exec: a program that ends in execve replaces the process.
//
// Preconditions: the calling goroutine is locked to its OS thread, which the steps change.
func (p *Program) Run() error {
	if p.results == nil && len(p.steps) > 0 {
		return errors.New("system call program: run before Prepare")
	}
	runtime_BeforeExec()
	index, errno := p.RunInChild()
	runtime_AfterExec()
	runtime.KeepAlive(p)
	if index == len(p.steps) {
		return nil
	}
	return p.Error(Failure{Index: index, Errno: errno})
}
