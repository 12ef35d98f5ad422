package seccomp

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// badArchRet is what a syscall from an ABI outside the filter gets:
// libseccomp's default bad-arch action, SCMP_ACT_KILL, which runc keeps.
const badArchRet = unix.SECCOMP_RET_KILL_THREAD

// enosysRet is what the -ENOSYS stub returns.
const enosysRet = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)

// Compile translates a seccomp profile into a classic BPF program for
// seccomp(SECCOMP_SET_MODE_FILTER). nativeArch is the ABI of the runtime
// (a GOARCH value such as runtime.GOARCH, or an SCMP_ARCH_* name); it is always
// part of the filter. unknown lists, in profile order, the syscall names that
// no compiled architecture knows; they were skipped, and runc logs such names
// at debug level. The semantics are in the package documentation.
func Compile(s *specs.LinuxSeccomp, nativeArch string) (prog []unix.SockFilter, unknown []string, err error) {
	if s == nil {
		return nil, nil, fmt.Errorf("compile seccomp: %w: no profile", ErrInvalidProfile)
	}
	defRet, err := actionRet(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, nil, fmt.Errorf("compile seccomp: default action: %w", err)
	}
	if s.DefaultAction == specs.ActNotify {
		// A notifying default would also trap the write that hands the
		// listener to the agent; runc refuses it for that reason.
		return nil, nil, fmt.Errorf("compile seccomp: %w: SCMP_ACT_NOTIFY cannot be the default action", ErrInvalidProfile)
	}
	blocks, err := archBlocks(nativeArch, s.Architectures)
	if err != nil {
		return nil, nil, fmt.Errorf("compile seccomp: %w", err)
	}
	rules, err := expandRules(s.Syscalls)
	if err != nil {
		return nil, nil, fmt.Errorf("compile seccomp: %w", err)
	}
	stub := wantsStub(s.DefaultAction, defRet)
	known := make(map[string]bool, len(rules))
	byName := rulesByName(rules)
	bodies := make([][]unix.SockFilter, len(blocks))
	for i, b := range blocks {
		segs := b.segments(rules, byName, defRet, stub, known)
		bodies[i] = append([]unix.SockFilter{loadNr()}, emitTree(segs)...)
	}
	prog = assemble(blocks, bodies)
	if err := verify(prog); err != nil {
		return nil, nil, fmt.Errorf("compile seccomp: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if !known[r.name] && !seen[r.name] {
			seen[r.name] = true
			unknown = append(unknown, r.name)
		}
	}
	return prog, unknown, nil
}

// block is the part of the filter for one AUDIT_ARCH_* value: one ABI, or
// x86_64 and x32 together.
type block struct {
	audit uint32
	abis  []*abi
}

// archBlocks resolves the profile's architectures, native first, into blocks.
func archBlocks(nativeArch string, listed []specs.Arch) ([]block, error) {
	native, ok := lookupABI(nativeArch)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported native architecture %q", ErrInvalidProfile, nativeArch)
	}
	all := []*abi{native}
	for _, name := range listed {
		a, ok := lookupABI(string(name))
		switch {
		case ok:
			all = append(all, a)
		case untabled[name]:
			continue
		default:
			return nil, fmt.Errorf("%w: unknown architecture %q", ErrInvalidProfile, name)
		}
	}
	var blocks []block
next:
	for _, a := range all {
		for i := range blocks {
			if blocks[i].audit != a.audit {
				continue
			}
			for _, have := range blocks[i].abis {
				if have == a {
					continue next
				}
			}
			blocks[i].abis = append(blocks[i].abis, a)
			continue next
		}
		blocks = append(blocks, block{audit: a.audit, abis: []*abi{a}})
	}
	return blocks, nil
}

// outcome is what the filter does for one range of syscall numbers: return
// ret, or, when sys is set, run that syscall's argument checks.
type outcome struct {
	ret uint32
	sys *sysRules
}

// sysRules are the conditional rules of one syscall number on one ABI.
type sysRules struct {
	bits32   bool
	rules    []rule // in profile order; the first match decides
	fallback uint32 // when none matches: the default action
}

// segment is a maximal range of syscall numbers, from start up to the next
// segment's start, with one outcome.
type segment struct {
	start uint32
	out   outcome
}

// span is a range of numbers whose outcome is fixed before any rule applies.
type span struct {
	lo, hi uint64
	ret    uint32
}

// entry collects the rules of one syscall number.
type entry struct {
	uncond bool
	ret    uint32
	sys    sysRules
}

// rulesByName returns the indices of rules in the order of their names, for
// syscallTable.numbers.
func rulesByName(rules []rule) []int {
	order := make([]int, len(rules))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(rules[i].name, rules[j].name) })
	return order
}

// segments splits the 32-bit number line of b into ranges with one outcome.
// byName orders the rules by name (rulesByName). known collects the names some
// table resolved.
func (b block) segments(rules []rule, byName []int, defRet uint32, stub bool, known map[string]bool) []segment {
	perNr := make(map[uint32]*entry, len(rules))
	var spans []span // in priority order: the -ENOSYS stub first (runc runs it before the filter)
	for _, a := range b.abis {
		var last uint32
		nrs := a.table.numbers(rules, byName)
		for i, r := range rules {
			nr := nrs[i]
			if nr < 0 {
				continue
			}
			known[r.name] = true
			last = max(last, uint32(nr))
			if r.ret == defRet {
				continue // redundant; runc drops it before libseccomp sees it
			}
			addRule(perNr, uint32(nr), r, a.bits32, defRet)
		}
		if stub && last > 0 {
			spans = append(spans, stubSpans(a, last)...)
		}
	}
	spans = append(spans, b.abiSpans()...)

	// The bounds of the ranges, sorted: those of the few spans merged with those of the
	// numbers that have rules (sorting the numbers alone halves the sort).
	spanBounds := []uint64{0}
	for _, s := range spans {
		spanBounds = append(spanBounds, s.lo, s.hi+1)
	}
	slices.Sort(spanBounds)
	nrs := make([]uint32, 0, len(perNr))
	for nr := range perNr {
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)
	bounds := make([]uint64, 0, len(spanBounds)+2*len(nrs))
	for _, nr := range nrs {
		for len(spanBounds) > 0 && spanBounds[0] <= uint64(nr) {
			bounds, spanBounds = append(bounds, spanBounds[0]), spanBounds[1:]
		}
		bounds = append(bounds, uint64(nr), uint64(nr)+1)
	}
	bounds = append(bounds, spanBounds...)

	var segs []segment
	for i, lo := range bounds {
		if lo > 0xffffffff || (i > 0 && lo == bounds[i-1]) {
			continue
		}
		out := outcomeAt(lo, spans, perNr, defRet)
		if n := len(segs); n > 0 && out.sys == nil && segs[n-1].out.sys == nil && segs[n-1].out.ret == out.ret {
			continue
		}
		segs = append(segs, segment{start: uint32(lo), out: out})
	}
	return segs
}

// addRule records r for nr with libseccomp's precedence: the first
// unconditional rule wins, and it overrides every conditional one.
func addRule(perNr map[uint32]*entry, nr uint32, r rule, bits32 bool, defRet uint32) {
	e := perNr[nr]
	if e == nil {
		e = &entry{sys: sysRules{bits32: bits32, fallback: defRet}}
		perNr[nr] = e
	}
	switch {
	case e.uncond:
	case len(r.conds) == 0:
		e.uncond, e.ret, e.sys.rules = true, r.ret, nil
	default:
		e.sys.rules = append(e.sys.rules, r)
	}
}

func outcomeAt(nr uint64, spans []span, perNr map[uint32]*entry, defRet uint32) outcome {
	for _, s := range spans {
		if s.lo <= nr && nr <= s.hi {
			return outcome{ret: s.ret}
		}
	}
	e := perNr[uint32(nr)]
	switch {
	case e == nil:
		return outcome{ret: defRet}
	case e.uncond:
		return outcome{ret: e.ret}
	}
	return outcome{sys: &e.sys}
}

// stubSpans are the numbers above last that runc's stub answers with ENOSYS.
// On AUDIT_ARCH_X86_64 the stub tells x32 from x86_64 by bit 30 alone.
func stubSpans(a *abi, last uint32) []span {
	l := uint64(last) + 1
	switch {
	case a.x32:
		return []span{{max(l, x32Bit), 0x7fffffff, enosysRet}, {0xc0000000, 0xffffffff, enosysRet}}
	case a.audit == unix.AUDIT_ARCH_X86_64:
		s := []span{{0x80000000, 0xbfffffff, enosysRet}}
		if l < x32Bit {
			s = append(s, span{l, x32Bit - 1, enosysRet})
		}
		return s
	}
	return []span{{l, 0xffffffff, enosysRet}}
}

// abiSpans is libseccomp's ABI check on AUDIT_ARCH_X86_64: with only one of
// x86_64 and x32 in the filter, the other's numbers are a bad architecture.
func (b block) abiSpans() []span {
	if b.audit != unix.AUDIT_ARCH_X86_64 {
		return nil
	}
	has64, has32 := false, false
	for _, a := range b.abis {
		has32 = has32 || a.x32
		has64 = has64 || !a.x32
	}
	switch {
	case has64 && !has32:
		return []span{{x32Bit, 0xffffffff, badArchRet}}
	case has32 && !has64:
		return []span{{0, x32Bit - 1, badArchRet}}
	}
	return nil
}
