//go:build linux && (386 || arm)

package libcontainer

import "golang.org/x/sys/unix"

// The credential system calls with 32-bit ids: on these architectures the plain ones take
// 16-bit ids.
const (
	sysSetgroups = unix.SYS_SETGROUPS32
	sysSetresgid = unix.SYS_SETRESGID32
	sysSetresuid = unix.SYS_SETRESUID32
)
