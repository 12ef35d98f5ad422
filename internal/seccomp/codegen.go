package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (little-endian: the low word of an argument
// comes first).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// maxJump is the longest forward jump a conditional instruction can encode.
const maxJump = 255

func stmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func jump(op uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k, Jt: jt, Jf: jf}
}

func ret(k uint32) unix.SockFilter    { return stmt(unix.BPF_RET|unix.BPF_K, k) }
func load(off uint32) unix.SockFilter { return stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off) }
func loadNr() unix.SockFilter         { return load(offNr) }
func and(k uint32) unix.SockFilter    { return stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, k) }
func loadArg(i uint, hi bool) unix.SockFilter {
	off := offArgs + 8*uint32(i)
	if hi {
		off += 4
	}
	return load(off)
}

// assemble joins the blocks behind the architecture dispatch:
//
//	ld arch; jeq A1 ? body1 : next; body1; jeq A2 ? body2 : next; ...; ret bad-arch
//
// The native ABI's block comes first, so its syscalls pay one comparison.
func assemble(blocks []block, bodies [][]unix.SockFilter) []unix.SockFilter {
	prog := []unix.SockFilter{load(offArch)}
	for i, b := range blocks {
		body := bodies[i]
		if len(body) <= maxJump {
			prog = append(prog, jump(unix.BPF_JEQ, b.audit, 0, uint8(len(body))))
		} else {
			// Too far for jf: skip over an unconditional jump instead.
			prog = append(prog, jump(unix.BPF_JEQ, b.audit, 1, 0), stmt(unix.BPF_JMP|unix.BPF_JA, uint32(len(body))))
		}
		prog = append(prog, body...)
	}
	return append(prog, ret(badArchRet))
}

// emitTree emits a binary search over segs on the syscall number in A, with
// each outcome inline at its leaf. Every jump is forward and local, so only a
// left subtree longer than maxJump needs a long jump around it.
func emitTree(segs []segment) []unix.SockFilter {
	if len(segs) == 1 {
		return emitOutcome(segs[0].out)
	}
	mid := len(segs) / 2
	left, right := emitTree(segs[:mid]), emitTree(segs[mid:])
	k := segs[mid].start
	var code []unix.SockFilter
	if len(left) <= maxJump {
		code = append(code, jump(unix.BPF_JGE, k, uint8(len(left)), 0))
	} else {
		code = append(code, jump(unix.BPF_JGE, k, 0, 1), stmt(unix.BPF_JMP|unix.BPF_JA, uint32(len(left))))
	}
	code = append(code, left...)
	return append(code, right...)
}

func emitOutcome(o outcome) []unix.SockFilter {
	if o.sys == nil {
		return []unix.SockFilter{ret(o.ret)}
	}
	var code []unix.SockFilter
	for _, r := range o.sys.rules {
		code = append(code, emitRule(r, o.sys.bits32)...)
	}
	return append(code, ret(o.sys.fallback))
}

// pending is an instruction whose jt or jf may still have to point at the
// end of its rule (the next rule), once the rule's length is known.
type pending struct {
	in             unix.SockFilter
	jtFail, jfFail bool
}

// emitRule emits the checks of one rule followed by its return. A failed
// check jumps past the return, to the next rule. A rule has at most one
// condition per argument (see ruleConds), so it is far shorter than maxJump.
func emitRule(r rule, bits32 bool) []unix.SockFilter {
	var p []pending
	for _, c := range r.conds {
		if bits32 {
			p = append(p, cond32(c)...)
		} else {
			p = append(p, cond64(c)...)
		}
	}
	n := len(p) + 1 // the return
	code := make([]unix.SockFilter, 0, n)
	for i, pi := range p {
		fail := uint8(n - i - 1)
		if pi.jtFail {
			pi.in.Jt = fail
		}
		if pi.jfFail {
			pi.in.Jf = fail
		}
		code = append(code, pi.in)
	}
	return append(code, ret(r.ret))
}

func ins(in unix.SockFilter) pending { return pending{in: in} }

// failT and failF are conditional jumps whose true or false branch fails the
// rule; the other branch goes to the next instruction, or skips pass
// instructions to the end of the condition.
func failT(op uint16, k uint32, pass uint8) pending {
	return pending{in: jump(op, k, 0, pass), jtFail: true}
}

func failF(op uint16, k uint32, pass uint8) pending {
	return pending{in: jump(op, k, pass, 0), jfFail: true}
}

// cond32 compares the low word only, as libseccomp does on 32-bit ABIs.
func cond32(c cond) []pending {
	v, ld := uint32(c.a), ins(loadArg(c.arg, false))
	switch c.op {
	case specs.OpEqualTo:
		return []pending{ld, failF(unix.BPF_JEQ, v, 0)}
	case specs.OpNotEqual:
		return []pending{ld, failT(unix.BPF_JEQ, v, 0)}
	case specs.OpGreaterThan:
		return []pending{ld, failF(unix.BPF_JGT, v, 0)}
	case specs.OpGreaterEqual:
		return []pending{ld, failF(unix.BPF_JGE, v, 0)}
	case specs.OpLessThan:
		return []pending{ld, failT(unix.BPF_JGE, v, 0)}
	case specs.OpLessEqual:
		return []pending{ld, failT(unix.BPF_JGT, v, 0)}
	}
	// OpMaskedEqual: value is the mask, valueTwo the datum.
	return []pending{ld, ins(and(v)), failF(unix.BPF_JEQ, uint32(c.b), 0)}
}

// cond64 compares all 64 bits as unsigned numbers: the high words decide
// unless they are equal, then the low words do.
func cond64(c cond) []pending {
	hi, lo := uint32(c.a>>32), uint32(c.a)
	ldHi, ldLo := ins(loadArg(c.arg, true)), ins(loadArg(c.arg, false))
	switch c.op {
	case specs.OpEqualTo:
		return []pending{ldHi, failF(unix.BPF_JEQ, hi, 0), ldLo, failF(unix.BPF_JEQ, lo, 0)}
	case specs.OpNotEqual:
		// Different high words pass at once (skip the low-word check).
		return []pending{ldHi, ins(jump(unix.BPF_JEQ, hi, 0, 2)), ldLo, failT(unix.BPF_JEQ, lo, 0)}
	case specs.OpGreaterThan:
		return []pending{ldHi, ins(jump(unix.BPF_JGT, hi, 3, 0)), failF(unix.BPF_JEQ, hi, 0), ldLo, failF(unix.BPF_JGT, lo, 0)}
	case specs.OpGreaterEqual:
		return []pending{ldHi, ins(jump(unix.BPF_JGT, hi, 3, 0)), failF(unix.BPF_JEQ, hi, 0), ldLo, failF(unix.BPF_JGE, lo, 0)}
	case specs.OpLessThan:
		return []pending{ldHi, failT(unix.BPF_JGT, hi, 0), ins(jump(unix.BPF_JEQ, hi, 0, 2)), ldLo, failT(unix.BPF_JGE, lo, 0)}
	case specs.OpLessEqual:
		return []pending{ldHi, failT(unix.BPF_JGT, hi, 0), ins(jump(unix.BPF_JEQ, hi, 0, 2)), ldLo, failT(unix.BPF_JGT, lo, 0)}
	}
	// OpMaskedEqual: (arg & value) == valueTwo, word by word. A zero high
	// mask with a zero high datum always holds, so skip that half.
	mHi, mLo := uint32(c.a>>32), uint32(c.a)
	dHi, dLo := uint32(c.b>>32), uint32(c.b)
	var p []pending
	if mHi != 0 || dHi != 0 {
		p = append(p, ldHi, ins(and(mHi)), failF(unix.BPF_JEQ, dHi, 0))
	}
	return append(p, ldLo, ins(and(mLo)), failF(unix.BPF_JEQ, dLo, 0))
}
