package main

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func st(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }

func jmp(op uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k, Jt: jt, Jf: jf}
}

const (
	ldAbs     = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	retK      = unix.BPF_RET | unix.BPF_K
	retEPERM  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// filter is a small hand-written seccomp filter in the shape both generators emit.
var filter = []unix.SockFilter{
	/* 0 */ st(ldAbs, 4), // arch
	/* 1 */ jmp(unix.BPF_JEQ, unix.AUDIT_ARCH_X86_64, 0, 9), // else 11
	/* 2 */ st(ldAbs, 0), // nr
	/* 3 */ jmp(unix.BPF_JGT, 100, 6, 0), // 10
	/* 4 */ jmp(unix.BPF_JEQ, 41, 0, 4), // else 9
	/* 5 */ st(ldAbs, 16), // low word of args[0]
	/* 6 */ st(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, 0xff),
	/* 7 */ jmp(unix.BPF_JSET, 0x80, 0, 1), // else 9
	/* 8 */ st(retK, retEPERM),
	/* 9 */ st(retK, unix.SECCOMP_RET_ALLOW),
	/* 10 */ st(retK, retENOSYS),
	/* 11 */ st(retK, unix.SECCOMP_RET_KILL_THREAD),
}

func TestInterpret(t *testing.T) {
	x86 := func(nr uint32, arg0 uint64) seccompData {
		return seccompData{arch: unix.AUDIT_ARCH_X86_64, nr: nr, args: [6]uint64{arg0}}
	}
	for name, tc := range map[string]struct {
		d        seccompData
		ret      uint32
		executed int
	}{
		"other arch":                {seccompData{arch: unix.AUDIT_ARCH_I386}, unix.SECCOMP_RET_KILL_THREAD, 3},
		"nr 0":                      {x86(0, 0), unix.SECCOMP_RET_ALLOW, 6},
		"nr 100, jgt is strict":     {x86(100, 0), unix.SECCOMP_RET_ALLOW, 6},
		"nr 101":                    {x86(101, 0), retENOSYS, 5},
		"nr 41, bit 0x80 set":       {x86(41, 0x80), retEPERM, 9},
		"nr 41, bit cleared by and": {x86(41, 0x100), unix.SECCOMP_RET_ALLOW, 9},
		"nr 41, high word ignored":  {x86(41, 0x80_00000000), unix.SECCOMP_RET_ALLOW, 9},
	} {
		ret, n, err := interpret(filter, tc.d)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ret != tc.ret || n != tc.executed {
			t.Errorf("%s: interpret = %#x after %d instructions, want %#x after %d", name, ret, n, tc.ret, tc.executed)
		}
	}
}

// TestInterpretRest covers what neither generator emits today: ld len, immediates, scratch
// memory, the X register and ret A.
func TestInterpretRest(t *testing.T) {
	prog := []unix.SockFilter{
		st(unix.BPF_LD|unix.BPF_W|unix.BPF_LEN, 0),  // A = 64
		st(unix.BPF_ST, 3),                          // M[3] = 64
		st(unix.BPF_LDX|unix.BPF_IMM, 2),            // X = 2
		st(unix.BPF_LD|unix.BPF_MEM, 3),             // A = 64
		st(unix.BPF_ALU|unix.BPF_DIV|unix.BPF_X, 0), // A = 32
		st(unix.BPF_MISC|unix.BPF_TAX, 0),           // X = 32
		st(unix.BPF_LD|unix.BPF_IMM, 32),            // A = 32
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_X, Jt: 1},
		st(retK, 0),
		st(unix.BPF_ALU|unix.BPF_OR|unix.BPF_K, unix.SECCOMP_RET_ERRNO), // A = ERRNO(32)
		st(unix.BPF_RET|unix.BPF_A, 0),
	}
	ret, n, err := interpret(prog, seccompData{})
	if want := uint32(unix.SECCOMP_RET_ERRNO | 32); err != nil || ret != want || n != 10 {
		t.Errorf("interpret = %#x, %d, %v, want %#x, 10, nil", ret, n, err, want)
	}
}

func TestInterpretErrors(t *testing.T) {
	for name, prog := range map[string][]unix.SockFilter{
		"load past seccomp_data": {st(ldAbs, 64), st(retK, 0)},
		"unaligned load":         {st(ldAbs, 2), st(retK, 0)},
		"byte load":              {st(unix.BPF_LD|unix.BPF_B|unix.BPF_ABS, 0), st(retK, 0)},
		"division by zero":       {st(unix.BPF_ALU|unix.BPF_DIV|unix.BPF_K, 0), st(retK, 0)},
		"falls off the end":      {st(ldAbs, 0)},
		"jump past the end":      {jmp(unix.BPF_JEQ, 0, 5, 5), st(retK, 0)},
	} {
		if ret, _, err := interpret(prog, seccompData{}); err == nil {
			t.Errorf("%s: interpret = %#x, nil, want an error", name, ret)
		}
	}
}

func TestDecode(t *testing.T) {
	b := []byte{0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0}
	got, err := decode(b)
	want := []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: unix.AUDIT_ARCH_X86_64}}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("decode = %v, %v, want %v", got, err, want)
	}
	if _, err := decode(b[:7]); err == nil {
		t.Error("decode of 7 bytes: no error")
	}
}

func TestRulesText(t *testing.T) {
	one, enosys := uint(1), uint(38)
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &one,
		Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write"}, Action: specs.ActAllow},
			{Names: []string{"mount"}, Action: specs.ActErrno}, // EPERM = the default: dropped
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
			{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Op: specs.OpGreaterEqual, Value: 1}, {Index: 0, Op: specs.OpLessThan, Value: 38},
			}},
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Op: specs.OpMaskedEqual, Value: 0x7e020000, ValueTwo: 0}, {Index: 1, Op: specs.OpEqualTo, Value: 1 << 63},
			}},
		},
	}
	got, n, err := rulesText(s)
	want := strings.Join([]string{
		"default 0x50001",
		"arch x86_64",
		"arch x32",
		"rule 0x7fff0000 read 0",
		"rule 0x7fff0000 write 0",
		"rule 0x50026 clone3 0",
		"rule 0x7fff0000 socket 1 0 GE 1 0", // one argument named twice: runc splits the rule
		"rule 0x7fff0000 socket 1 0 LT 38 0",
		"rule 0x7fff0000 clone 2 0 MASKED_EQ 2114060288 0 1 EQ 9223372036854775808 0",
	}, "\n") + "\n"
	if err != nil || got != want || n != 6 {
		t.Errorf("rulesText = %q, %d, %v\nwant %q, 6, nil", got, n, err, want)
	}
}
