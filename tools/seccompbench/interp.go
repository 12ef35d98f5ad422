package main

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// seccompDataSize is sizeof(struct seccomp_data), what "ld len" loads.
const seccompDataSize = 64

// seccompData is struct seccomp_data, the input of a filter.
type seccompData struct {
	nr   uint32
	arch uint32
	ip   uint64
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, seccompDataSize)
	binary.LittleEndian.PutUint32(b[0:], d.nr)
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	binary.LittleEndian.PutUint64(b[8:], d.ip)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// interpret interprets prog on d as the kernel's seccomp filter would and returns
// the filter's return value and the number of instructions executed. It takes
// every instruction the kernel's seccomp_check_filter admits (ld/ldx of
// seccomp_data words, len, immediates and scratch memory, st/stx, ALU with K
// and X, all jumps, ret, tax/txa), so it does not depend on which subset a
// generator happens to use; anything else, and a load outside seccomp_data, is
// an error, as the kernel would refuse the filter.
func interpret(prog []unix.SockFilter, d seccompData) (ret uint32, executed int, err error) {
	data := d.bytes()
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		executed++
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || in.K+4 > seccompDataSize {
				return 0, executed, fmt.Errorf("pc %d: ld [%d] outside seccomp_data", pc, in.K)
			}
			a = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_LD | unix.BPF_W | unix.BPF_LEN:
			a = seccompDataSize
		case unix.BPF_LDX | unix.BPF_W | unix.BPF_LEN:
			x = seccompDataSize
		case unix.BPF_LD | unix.BPF_IMM:
			a = in.K
		case unix.BPF_LDX | unix.BPF_IMM:
			x = in.K
		case unix.BPF_LD | unix.BPF_MEM, unix.BPF_LDX | unix.BPF_MEM, unix.BPF_ST, unix.BPF_STX:
			if in.K >= uint32(len(mem)) {
				return 0, executed, fmt.Errorf("pc %d: scratch slot %d out of range", pc, in.K)
			}
			switch in.Code {
			case unix.BPF_LD | unix.BPF_MEM:
				a = mem[in.K]
			case unix.BPF_LDX | unix.BPF_MEM:
				x = mem[in.K]
			case unix.BPF_ST:
				mem[in.K] = a
			default:
				mem[in.K] = x
			}
		case unix.BPF_MISC | unix.BPF_TAX:
			x = a
		case unix.BPF_MISC | unix.BPF_TXA:
			a = x
		case unix.BPF_RET | unix.BPF_K:
			return in.K, executed, nil
		case unix.BPF_RET | unix.BPF_A:
			return a, executed, nil
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		default:
			switch in.Code & 0x07 { // BPF_CLASS
			case unix.BPF_ALU:
				if a, err = alu(in, a, x); err != nil {
					return 0, executed, fmt.Errorf("pc %d: %w", pc, err)
				}
			case unix.BPF_JMP:
				taken, err := cond(in, a, x)
				if err != nil {
					return 0, executed, fmt.Errorf("pc %d: %w", pc, err)
				}
				if taken {
					pc += int(in.Jt)
				} else {
					pc += int(in.Jf)
				}
			default:
				return 0, executed, fmt.Errorf("pc %d: opcode %#x not allowed in seccomp", pc, in.Code)
			}
		}
	}
	return 0, executed, fmt.Errorf("fell off the end of the program")
}

// operand is the second operand of an ALU or jump instruction: K or X.
func operand(in unix.SockFilter, x uint32) uint32 {
	if in.Code&unix.BPF_X != 0 {
		return x
	}
	return in.K
}

func alu(in unix.SockFilter, a, x uint32) (uint32, error) {
	v := operand(in, x)
	switch in.Code & 0xf0 { // BPF_OP
	case unix.BPF_ADD:
		return a + v, nil
	case unix.BPF_SUB:
		return a - v, nil
	case unix.BPF_MUL:
		return a * v, nil
	case unix.BPF_DIV:
		if v == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		return a / v, nil
	case unix.BPF_AND:
		return a & v, nil
	case unix.BPF_OR:
		return a | v, nil
	case unix.BPF_XOR:
		return a ^ v, nil
	case unix.BPF_LSH:
		return a << (v & 31), nil
	case unix.BPF_RSH:
		return a >> (v & 31), nil
	case unix.BPF_NEG:
		return -a, nil
	}
	return 0, fmt.Errorf("alu opcode %#x", in.Code)
}

func cond(in unix.SockFilter, a, x uint32) (bool, error) {
	v := operand(in, x)
	switch in.Code & 0xf0 {
	case unix.BPF_JEQ:
		return a == v, nil
	case unix.BPF_JGT:
		return a > v, nil
	case unix.BPF_JGE:
		return a >= v, nil
	case unix.BPF_JSET:
		return a&v != 0, nil
	}
	return false, fmt.Errorf("jump opcode %#x", in.Code)
}

// decode reads struct sock_filter[] as seccomp_export_bpf writes it (host
// byte order; every ABI runo supports is little-endian).
func decode(b []byte) ([]unix.SockFilter, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of 8-byte instructions", len(b))
	}
	prog := make([]unix.SockFilter, len(b)/8)
	for i := range prog {
		w := b[8*i:]
		prog[i] = unix.SockFilter{
			Code: binary.LittleEndian.Uint16(w[0:]),
			Jt:   w[2],
			Jf:   w[3],
			K:    binary.LittleEndian.Uint32(w[4:]),
		}
	}
	return prog, nil
}
