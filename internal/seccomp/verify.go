package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

const (
	// maxInsns is BPF_MAXINSNS, the kernel's limit on a filter's length.
	maxInsns = 4096
	// seccompDataSize is sizeof(struct seccomp_data).
	seccompDataSize = 64
)

// verify checks what the kernel's seccomp_check_filter would reject and what
// this package never emits: unknown instructions, loads outside seccomp_data,
// jumps out of the program, and a last instruction that is not a return
// (with forward-only jumps, that makes every path end in a return).
func verify(prog []unix.SockFilter) error {
	n := len(prog)
	switch {
	case n == 0:
		return fmt.Errorf("%w: empty", ErrBadProgram)
	case n > maxInsns:
		return fmt.Errorf("program of %d instructions: %w", n, ErrTooLong)
	}
	for i, in := range prog {
		next := uint64(i) + 1
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || in.K >= seccompDataSize {
				return fmt.Errorf("%w: instruction %d loads offset %d", ErrBadProgram, i, in.K)
			}
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, unix.BPF_RET | unix.BPF_K:
		case unix.BPF_JMP | unix.BPF_JA:
			if next+uint64(in.K) >= uint64(n) {
				return fmt.Errorf("%w: instruction %d jumps out of the program", ErrBadProgram, i)
			}
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			if next+uint64(max(in.Jt, in.Jf)) >= uint64(n) {
				return fmt.Errorf("%w: instruction %d jumps out of the program", ErrBadProgram, i)
			}
		default:
			return fmt.Errorf("%w: instruction %d has opcode %#x", ErrBadProgram, i, in.Code)
		}
	}
	if prog[n-1].Code != unix.BPF_RET|unix.BPF_K {
		return fmt.Errorf("%w: does not end in a return", ErrBadProgram)
	}
	return nil
}
