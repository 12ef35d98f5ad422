//go:build linux && !(386 || arm)

package libcontainer

import "golang.org/x/sys/unix"

// The credential system calls; ids are 32 bits wide on every other architecture.
const (
	sysSetgroups = unix.SYS_SETGROUPS
	sysSetresgid = unix.SYS_SETRESGID
	sysSetresuid = unix.SYS_SETRESUID
)
