package devices

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// request is one device access as the kernel presents it to the program.
type request struct {
	devType      int32
	access       int32
	major, minor uint32
}

// interpret runs a device program on req with the subset of eBPF that programFor emits, as
// encoded for the kernel, so that the generated code can be tested without a kernel
// (BPF_PROG_TEST_RUN does not support BPF_PROG_TYPE_CGROUP_DEVICE). It fails on any other
// instruction.
func interpret(insns []insn, req request) (bool, error) {
	ctx := [3]uint32{uint32(req.devType) | uint32(req.access)<<16, req.major, req.minor}
	const ctxPointer = 1 << 40 // R1's value: anything that no computation produces
	var regs [11]uint64
	regs[r1] = ctxPointer
	for pc, steps := 0, 0; pc < len(insns); steps++ {
		if steps > 10000 {
			return false, fmt.Errorf("no exit after %d steps", steps)
		}
		ins := insns[pc]
		class, op, source := ins.code&0x07, ins.code&0xf0, ins.code&0x08
		dst, src := ins.dst(), ins.src()
		if dst > 10 || src > 10 {
			return false, fmt.Errorf("bad register in %v", ins)
		}
		pc++
		switch class {
		case unix.BPF_LDX:
			if ins.code != unix.BPF_LDX|unix.BPF_MEM|unix.BPF_W || regs[src] != ctxPointer ||
				ins.off%4 != 0 || ins.off < 0 || ins.off > 8 || ins.imm != 0 {
				return false, fmt.Errorf("unexpected load %v", ins)
			}
			regs[dst] = uint64(ctx[ins.off/4])
		case unix.BPF_ALU:
			operand := uint64(uint32(ins.imm))
			if source == unix.BPF_X {
				operand = regs[src]
			}
			var v uint64
			switch op {
			case unix.BPF_MOV:
				v = operand
			case unix.BPF_AND:
				v = regs[dst] & operand
			case unix.BPF_RSH:
				v = uint64(uint32(regs[dst]) >> (operand & 31))
			default:
				return false, fmt.Errorf("unexpected ALU op %v", ins)
			}
			regs[dst] = uint64(uint32(v))
		case unix.BPF_JMP:
			if op == unix.BPF_EXIT {
				return regs[r0] != 0, nil
			}
			if source != unix.BPF_K {
				return false, fmt.Errorf("unexpected jump %v", ins)
			}
			imm := uint64(int64(ins.imm)) // 64-bit compare: the immediate is sign-extended
			var taken bool
			switch op {
			case unix.BPF_JEQ:
				taken = regs[dst] == imm
			case unix.BPF_JNE:
				taken = regs[dst] != imm
			default:
				return false, fmt.Errorf("unexpected jump %v", ins)
			}
			if taken {
				if ins.off < 0 || pc+int(ins.off) >= len(insns) {
					return false, fmt.Errorf("jump out of the program: %v at %d", ins, pc-1)
				}
				pc += int(ins.off)
			}
		default:
			return false, fmt.Errorf("unexpected instruction %v", ins)
		}
	}
	return false, fmt.Errorf("fell off the end of the program")
}

// String shows an instruction's fields for test failures.
func (i insn) String() string {
	return fmt.Sprintf("{code %#02x dst r%d src r%d off %d imm %d}", i.code, i.dst(), i.src(), i.off, i.imm)
}
