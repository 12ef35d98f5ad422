package nsenter

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// vforkFlags make the first clone share the caller's memory and suspend the calling thread
// until the child has exec'd or exited, as os/exec does: the kernel then copies no page
// tables, nearly a millisecond of CPU for a Go caller of runo's size.
const vforkFlags = unix.CLONE_VM | unix.CLONE_VFORK

// rawVforkSyscall is in vfork_amd64.s.
func rawVforkSyscall(trap, a1, a2, a3 uintptr) (r1 uintptr, err syscall.Errno)

// childStackSupported: rawClone3OnStack exists here.
const childStackSupported = true

// rawClone3OnStack is in vfork_amd64.s.
func rawClone3OnStack(args *cloneArgs, size uintptr, a *childArgs) (pid uintptr, err syscall.Errno)
