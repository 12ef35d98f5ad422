package seccomp

import "errors"

var (
	// ErrInvalidProfile is wrapped by every error about the profile itself.
	ErrInvalidProfile = errors.New("invalid seccomp profile")
	// ErrTooLong means the compiled program exceeds BPF_MAXINSNS.
	ErrTooLong = errors.New("seccomp program exceeds 4096 instructions")
	// ErrBadProgram means a program fails the verifier.
	ErrBadProgram = errors.New("invalid seccomp program")
)
