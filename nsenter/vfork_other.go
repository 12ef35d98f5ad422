//go:build !amd64

package nsenter

import "syscall"

// vforkFlags are none where runo has no vfork-safe system call: the first clone copies the
// caller's memory.
const vforkFlags = 0

// rawVforkSyscall is a plain raw system call here: without vforkFlags the child has a stack
// of its own.
//
//go:nosplit
//go:norace
func rawVforkSyscall(trap, a1, a2, a3 uintptr) (uintptr, syscall.Errno) {
	r1, _, err := syscall.RawSyscall(trap, a1, a2, a3)
	return r1, err
}

// childStackSupported: no child starts on a stack of its own here.
const childStackSupported = false

// rawClone3OnStack is never called here (childStackSupported).
func rawClone3OnStack(*cloneArgs, uintptr, *childArgs) (uintptr, syscall.Errno) {
	return 0, syscall.ENOSYS
}
