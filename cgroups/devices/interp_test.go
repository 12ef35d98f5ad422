package devices

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// request is one device access as the kernel presents it to the program.
type request struct {
	devType      int32
	access       int32
	major, minor uint32
}

// interpret runs a device program on req with the subset of eBPF that Program emits, so that
// the generated code can be tested without a kernel (BPF_PROG_TEST_RUN does not support
// BPF_PROG_TYPE_CGROUP_DEVICE). It fails on any other instruction.
func interpret(insts asm.Instructions, req request) (bool, error) {
	labels := map[string]int{}
	for i, ins := range insts {
		if s := ins.Symbol(); s != "" {
			labels[s] = i
		}
	}
	ctx := [3]uint32{uint32(req.devType) | uint32(req.access)<<16, req.major, req.minor}
	const ctxPointer = 1 << 40 // R1's value: anything that no computation produces
	var regs [11]uint64
	regs[asm.R1] = ctxPointer
	for pc, steps := 0, 0; pc < len(insts); steps++ {
		if steps > 10000 {
			return false, fmt.Errorf("no exit after %d steps", steps)
		}
		ins := insts[pc]
		op := ins.OpCode
		pc++
		switch op.Class() {
		case asm.LdXClass:
			if op.Mode() != asm.MemMode || op.Size() != asm.Word || regs[ins.Src] != ctxPointer ||
				ins.Offset%4 != 0 || ins.Offset < 0 || ins.Offset > 8 {
				return false, fmt.Errorf("unexpected load %v", ins)
			}
			regs[ins.Dst] = uint64(ctx[ins.Offset/4])
		case asm.ALUClass, asm.ALU64Class:
			src := uint64(ins.Constant)
			if op.Source() == asm.RegSource {
				src = regs[ins.Src]
			}
			var v uint64
			switch op.ALUOp() {
			case asm.Mov:
				v = src
			case asm.And:
				v = regs[ins.Dst] & src
			case asm.RSh:
				v = regs[ins.Dst] >> (src & 63)
			default:
				return false, fmt.Errorf("unexpected ALU op %v", ins)
			}
			if op.Class() == asm.ALUClass {
				v = uint64(uint32(v))
			}
			regs[ins.Dst] = v
		case asm.JumpClass:
			if op.JumpOp() == asm.Exit {
				return regs[asm.R0] != 0, nil
			}
			if op.Source() != asm.ImmSource {
				return false, fmt.Errorf("unexpected jump %v", ins)
			}
			var taken bool
			switch op.JumpOp() {
			case asm.JEq:
				taken = regs[ins.Dst] == uint64(ins.Constant)
			case asm.JNE:
				taken = regs[ins.Dst] != uint64(ins.Constant)
			default:
				return false, fmt.Errorf("unexpected jump %v", ins)
			}
			if taken {
				target, ok := labels[ins.Reference()]
				if !ok {
					return false, fmt.Errorf("jump to unknown label %q", ins.Reference())
				}
				pc = target
			}
		default:
			return false, fmt.Errorf("unexpected instruction %v", ins)
		}
	}
	return false, fmt.Errorf("fell off the end of the program")
}
