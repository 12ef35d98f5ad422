package devices

import (
	"strconv"

	"github.com/cilium/ebpf/asm"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// License is the license string the program is loaded with (the kernel's MODULE_LICENSE
// format). The program calls no helper, so a GPL-compatible license is not needed.
const License = "Apache"

// Program returns the BPF_PROG_TYPE_CGROUP_DEVICE program enforcing rules (see the package
// comment for their semantics).
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
func Program(rules []specs.LinuxDeviceCgroup) (asm.Instructions, error) {
	set, err := compile(rules)
	if err != nil {
		return nil, err
	}
	return set.program(), nil
}

func (s ruleSet) program() asm.Instructions {
	insts := asm.Instructions{
		// R2 <- device type, the low 16 bits of access_type.
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xFFFF),
		// R3 <- requested accesses, the high 16 bits of access_type.
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),
		// R4 <- major, R5 <- minor.
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	const defaultLabel = "default"
	for i := len(s.rules) - 1; i >= 0; i-- {
		next := defaultLabel
		if i > 0 {
			next = blockLabel(i - 1)
		}
		block := s.rules[i].block(next)
		block[0] = block[0].WithSymbol(blockLabel(i))
		insts = append(insts, block...)
	}
	return append(insts, verdict(s.defaultAllow).WithSymbol(defaultLabel), asm.Return())
}

func blockLabel(i int) string { return "rule-" + strconv.Itoa(i) }

// block returns the instructions of one rule; they jump to next when the rule does not match
// or does not decide the request.
func (r rule) block(next string) asm.Instructions {
	insts := asm.Instructions{asm.JNE.Imm(asm.R2, r.devType, next)}
	if r.major != wildcard {
		insts = append(insts, asm.JNE.Imm(asm.R4, int32(r.major), next))
	}
	if r.minor != wildcard {
		insts = append(insts, asm.JNE.Imm(asm.R5, int32(r.minor), next))
	}
	switch {
	case r.access == accAll:
		// Decides every access still undecided.
	case r.allow:
		// R3 &= ^access; undecided bits left: go on.
		insts = append(insts,
			asm.And.Imm32(asm.R3, ^r.access&accAll),
			asm.JNE.Imm(asm.R3, 0, next))
	default:
		// R1 <- R3 & access (R1, the context, is no longer needed); no bit in common: go on.
		insts = append(insts,
			asm.Mov.Reg32(asm.R1, asm.R3),
			asm.And.Imm32(asm.R1, r.access),
			asm.JEq.Imm(asm.R1, 0, next))
	}
	return append(insts, verdict(r.allow), asm.Return())
}

func verdict(allow bool) asm.Instruction {
	if allow {
		return asm.Mov.Imm32(asm.R0, 1)
	}
	return asm.Mov.Imm32(asm.R0, 0)
}
