package devices

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// insn is one eBPF instruction in the kernel's encoding (struct bpf_insn): an opcode, the
// destination and source registers packed into one byte, a signed offset (for jumps, in
// instructions from the next one) and a signed 32-bit immediate.
type insn struct {
	code uint8
	regs uint8
	off  int16
	imm  int32
}

// Registers of the eBPF machine that device programs use: R0 holds the verdict, R1 the
// context on entry.
const (
	r0 uint8 = iota
	r1
	r2
	r3
	r4
	r5
)

// littleEndian tells how struct bpf_insn's dst_reg:4 and src_reg:4 bit fields are laid out:
// dst in the low nibble on little-endian machines, in the high one on big-endian machines.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func packRegs(dst, src uint8) uint8 {
	if littleEndian {
		return src<<4 | dst
	}
	return dst<<4 | src
}

func (i insn) dst() uint8 {
	if littleEndian {
		return i.regs & 0xf
	}
	return i.regs >> 4
}

func (i insn) src() uint8 {
	if littleEndian {
		return i.regs >> 4
	}
	return i.regs & 0xf
}

// loadWord is dst = *(u32 *)(src + off).
func loadWord(dst, src uint8, off int16) insn {
	return insn{code: unix.BPF_LDX | unix.BPF_MEM | unix.BPF_W, regs: packRegs(dst, src), off: off}
}

// alu32Imm is dst = uint32(dst op imm), op one of BPF_AND, BPF_RSH, BPF_MOV...
func alu32Imm(op uint8, dst uint8, imm int32) insn {
	return insn{code: unix.BPF_ALU | op | unix.BPF_K, regs: packRegs(dst, 0), imm: imm}
}

// mov32Reg is dst = uint32(src).
func mov32Reg(dst, src uint8) insn {
	return insn{code: unix.BPF_ALU | unix.BPF_MOV | unix.BPF_X, regs: packRegs(dst, src)}
}

// jumpImm jumps off instructions ahead if dst op imm holds (64-bit compare, imm sign-extended),
// op one of BPF_JEQ, BPF_JNE...
func jumpImm(op uint8, dst uint8, imm int32, off int16) insn {
	return insn{code: unix.BPF_JMP | op | unix.BPF_K, regs: packRegs(dst, 0), off: off, imm: imm}
}

// exit returns R0.
func exit() insn { return insn{code: unix.BPF_JMP | unix.BPF_EXIT} }
