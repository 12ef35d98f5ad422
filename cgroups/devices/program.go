package devices

import (
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// License is the license string the program is loaded with (the kernel's MODULE_LICENSE
// format). The program calls no helper, so a GPL-compatible license is not needed.
const License = "Apache"

// programFor returns the BPF_PROG_TYPE_CGROUP_DEVICE program enforcing rules (see the package
// comment for their semantics), encoded as the kernel loads it.
//
// The kernel calls the program with a struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
// u32 minor; } where access_type holds the device type in its low 16 bits and the requested
// accesses in its high 16 bits; the program returns 1 to allow and 0 to deny.
//
// Rules are checked from the last to the first, and R3 holds the accesses not decided yet: a
// matching allow rule clears its bits and allows once none are left, a matching deny rule
// denies if it covers any bit left. What no rule decides gets the default. Checking per bit is
// what makes "c 1:3 rwm allow" then "c 1:3 w deny" deny an open for reading and writing, where a
// whole-request match (runc's program, which relies on its emulator to never see such a list)
// would let it through.
func programFor(rules []specs.LinuxDeviceCgroup) ([]insn, error) {
	set, err := compile(rules)
	if err != nil {
		return nil, err
	}
	return set.program(), nil
}

func (s ruleSet) program() []insn {
	insns := []insn{
		// R2 <- device type, the low 16 bits of access_type.
		loadWord(r2, r1, 0),
		alu32Imm(unix.BPF_AND, r2, 0xFFFF),
		// R3 <- requested accesses, the high 16 bits of access_type.
		loadWord(r3, r1, 0),
		alu32Imm(unix.BPF_RSH, r3, 16),
		// R4 <- major, R5 <- minor.
		loadWord(r4, r1, 4),
		loadWord(r5, r1, 8),
	}
	// Each rule's block falls through to the next one, that of the rule before it, or to the
	// default after the first rule's.
	for i := len(s.rules) - 1; i >= 0; i-- {
		insns = append(insns, s.rules[i].block()...)
	}
	return append(insns, verdict(s.defaultAllow), exit())
}

// block returns the instructions of one rule; they jump to the end of the block when the rule
// does not match or does not decide the request.
func (r rule) block() []insn {
	var b []insn
	var toEnd []int // jumps whose offset is the distance to the end of the block
	jumpToEnd := func(op uint8, reg uint8, imm int32) {
		toEnd = append(toEnd, len(b))
		b = append(b, jumpImm(op, reg, imm, 0))
	}
	jumpToEnd(unix.BPF_JNE, r2, r.devType)
	if r.major != wildcard {
		jumpToEnd(unix.BPF_JNE, r4, int32(r.major))
	}
	if r.minor != wildcard {
		jumpToEnd(unix.BPF_JNE, r5, int32(r.minor))
	}
	switch {
	case r.access == accAll:
		// Decides every access still undecided.
	case r.allow:
		// R3 &= ^access; undecided bits left: go on.
		b = append(b, alu32Imm(unix.BPF_AND, r3, ^r.access&accAll))
		jumpToEnd(unix.BPF_JNE, r3, 0)
	default:
		// R1 <- R3 & access (R1, the context, is no longer needed); no bit in common: go on.
		b = append(b, mov32Reg(r1, r3), alu32Imm(unix.BPF_AND, r1, r.access))
		jumpToEnd(unix.BPF_JEQ, r1, 0)
	}
	b = append(b, verdict(r.allow), exit())
	for _, j := range toEnd {
		b[j].off = int16(len(b) - j - 1)
	}
	return b
}

func verdict(allow bool) insn {
	if allow {
		return alu32Imm(unix.BPF_MOV, r0, 1)
	}
	return alu32Imm(unix.BPF_MOV, r0, 0)
}
