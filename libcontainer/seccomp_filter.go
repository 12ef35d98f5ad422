package libcontainer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/seccomp"
)

// seccompFilter is linux.seccomp compiled for this machine: compiled once, at create, by the
// parent, then handed to init and kept in the state for every exec. Decoding Docker's default
// profile and compiling it cost a process about a millisecond of CPU; the filter is 715
// instructions of 8 bytes.
type seccompFilter struct {
	// Program is the BPF program, each struct sock_filter in the machine's byte order.
	Program          []byte                   `json:"program"`
	Flags            []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	Notify           bool                     `json:"notify,omitempty"` // some rule is SCMP_ACT_NOTIFY
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
}

// compileSeccomp compiles a profile; a nil profile has no filter. unknown lists the syscall
// names that runo's tables do not know, which the filter skips.
func compileSeccomp(sc *specs.LinuxSeccomp) (f *seccompFilter, unknown []string, err error) {
	if sc == nil {
		return nil, nil, nil
	}
	prog, unknown, err := seccomp.Compile(sc, runtime.GOARCH)
	if err != nil {
		return nil, nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	f = &seccompFilter{
		Program:          encodeFilter(prog),
		Flags:            sc.Flags,
		Notify:           usesNotify(sc),
		ListenerPath:     sc.ListenerPath,
		ListenerMetadata: sc.ListenerMetadata,
	}
	if f.Notify && f.ListenerPath == "" {
		return nil, nil, errors.New("linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath")
	}
	return f, unknown, nil
}

func usesNotify(sc *specs.LinuxSeccomp) bool {
	for _, r := range sc.Syscalls {
		if r.Action == specs.ActNotify {
			return true
		}
	}
	return false
}

// sockFilterSize is the size of struct sock_filter: u16 code, u8 jt, u8 jf, u32 k.
const sockFilterSize = 8

func encodeFilter(prog []unix.SockFilter) []byte {
	b := make([]byte, 0, len(prog)*sockFilterSize)
	for _, in := range prog {
		b = binary.NativeEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.NativeEndian.AppendUint32(b, in.K)
	}
	return b
}

// filter returns the program as seccomp.Load takes it.
func (f *seccompFilter) filter() ([]unix.SockFilter, error) {
	if len(f.Program) == 0 || len(f.Program)%sockFilterSize != 0 {
		return nil, fmt.Errorf("seccomp filter of %d bytes: not a whole number of instructions", len(f.Program))
	}
	prog := make([]unix.SockFilter, len(f.Program)/sockFilterSize)
	for i := range prog {
		b := f.Program[i*sockFilterSize:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}
