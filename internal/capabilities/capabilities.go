// Package capabilities sets the capability sets of a container's process from a runtime-spec
// process: it adds the system calls to the program (package sysprog) that runs just before the
// process's execve. Capabilities are per thread: that program runs on the thread that execs.
package capabilities

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
	"github.com/runo-project/runo/internal/sysprog"
)

// names lists the capabilities by number, as the kernel's capability.h does.
var names = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Number returns the number of a capability name such as "CAP_KILL".
func Number(name string) (int, bool) {
	for i, n := range names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// Names returns every capability name runo knows, in number order.
func Names() []string { return append([]string(nil), names...) }

// Sets are the five capability sets as bit masks.
type Sets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// Parse turns a spec's capability names into bit masks. Names the running kernel does not have
// are dropped (runc warns and goes on too): a spec written for a newer kernel still runs.
func Parse(c *specs.LinuxCapabilities, lastCap int) (Sets, []string) {
	var unknown []string
	mask := func(list []string) uint64 {
		var m uint64
		for _, name := range list {
			n, ok := Number(strings.ToUpper(name))
			if !ok || n > lastCap {
				unknown = append(unknown, name)
				continue
			}
			m |= 1 << uint(n)
		}
		return m
	}
	s := Sets{
		Bounding: mask(c.Bounding), Effective: mask(c.Effective), Permitted: mask(c.Permitted),
		Inheritable: mask(c.Inheritable), Ambient: mask(c.Ambient),
	}
	return s, unknown
}

// Available masks s with the calling thread's bounding set: a capability the runtime itself
// may not have (a host whose bounding set lacks CAP_SYS_RESOURCE, say) cannot be given to the
// container, and asking the kernel for it fails the whole capset.
//
// Preconditions: the calling goroutine is locked to its OS thread.
func Available(s Sets, lastCap int) Sets {
	var have uint64
	for n := 0; n <= lastCap; n++ {
		if ok, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err == nil && ok == 1 {
			have |= 1 << uint(n)
		}
	}
	s.Bounding &= have
	s.Effective &= have
	s.Permitted &= have
	s.Inheritable &= have
	s.Ambient &= have
	return s
}

// LastCap reads the highest capability number the kernel supports.
func LastCap() (int, error) {
	data, err := sysfile.Read("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("parse /proc/sys/kernel/cap_last_cap: %w", err)
	}
	return n, nil
}

// AddDropBounding adds to p the steps that remove from the bounding set every capability not
// in s.Bounding. They need CAP_SETPCAP, so they come before the process changes its user.
func AddDropBounding(p *sysprog.Program, s Sets, lastCap int) {
	for n := 0; n <= lastCap; n++ {
		if s.Bounding&(1<<uint(n)) != 0 {
			continue
		}
		name := names[n]
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRCTL,
			Args: [6]uintptr{unix.PR_CAPBSET_DROP, uintptr(n)},
			Err: func(errno syscall.Errno) error {
				return fmt.Errorf("drop %s from the bounding set: %w", name, errno)
			},
		})
	}
}

// AddApply adds to p the steps that set the effective, permitted and inheritable sets, then
// the ambient set (which the kernel only accepts for capabilities that are permitted and
// inheritable).
func AddApply(p *sysprog.Program, s Sets) {
	hdr := &unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := &[2]unix.CapUserData{
		{Effective: uint32(s.Effective), Permitted: uint32(s.Permitted), Inheritable: uint32(s.Inheritable)},
		{Effective: uint32(s.Effective >> 32), Permitted: uint32(s.Permitted >> 32), Inheritable: uint32(s.Inheritable >> 32)},
	}
	p.Add(sysprog.Step{
		Trap: unix.SYS_CAPSET,
		Args: [6]uintptr{p.Ptr(hdr, unsafe.Pointer(hdr)), p.Ptr(data, unsafe.Pointer(data))},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("set capabilities: %w", errno) },
	})
	p.Add(sysprog.Step{
		Trap: unix.SYS_PRCTL,
		Args: [6]uintptr{unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL},
		Err:  func(errno syscall.Errno) error { return fmt.Errorf("clear ambient capabilities: %w", errno) },
	})
	// The kernel refuses to raise an ambient capability that is not both permitted and
	// inheritable. runc's default spec asks for ambient capabilities without inheritable
	// ones, and runc runs it by leaving those out; so do we.
	ambient := s.Ambient & s.Permitted & s.Inheritable
	for n := range names {
		if ambient&(1<<uint(n)) == 0 {
			continue
		}
		name := names[n]
		p.Add(sysprog.Step{
			Trap: unix.SYS_PRCTL,
			Args: [6]uintptr{unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n)},
			Err:  func(errno syscall.Errno) error { return fmt.Errorf("raise ambient %s: %w", name, errno) },
		})
	}
}
