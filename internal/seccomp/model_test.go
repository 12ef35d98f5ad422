package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// reference evaluates a profile on one syscall the way runc (patchbpf stub,
// then libseccomp's filter) does, straight from the documented semantics and
// without the compiler's segments or code. Tests and the fuzzer compare the
// compiled program against it. The profile must compile.
func reference(s *specs.LinuxSeccomp, native string, d seccompData) uint32 {
	defRet, _ := actionRet(s.DefaultAction, s.DefaultErrnoRet)
	var inFilter []*abi
	add := func(a *abi) {
		if a.audit != d.arch {
			return
		}
		for _, have := range inFilter {
			if have == a {
				return
			}
		}
		inFilter = append(inFilter, a)
	}
	n, _ := lookupABI(native)
	add(n)
	for _, name := range s.Architectures {
		if a, ok := lookupABI(string(name)); ok {
			add(a)
		}
	}
	if len(inFilter) == 0 {
		return badArchRet
	}
	rules, _ := expandRules(s.Syscalls)

	// runc's stub: pick the ABI by bit 30 on x86_64, compare with its last.
	if wantsStub(s.DefaultAction, defRet) {
		for _, a := range inFilter {
			if d.arch == unix.AUDIT_ARCH_X86_64 && a.x32 != (d.nr&x32Bit != 0) {
				continue
			}
			var last uint32
			for _, r := range rules {
				if nr, ok := a.table.lookup(r.name); ok {
					last = max(last, nr)
				}
			}
			if last > 0 && d.nr > last {
				return enosysRet
			}
		}
	}
	// libseccomp's x32 / x86_64 ABI check.
	if d.arch == unix.AUDIT_ARCH_X86_64 && len(inFilter) == 1 {
		if inFilter[0].x32 != (d.nr >= x32Bit) {
			return badArchRet
		}
	}
	var cands []rule
	var bits32 bool
	for _, a := range inFilter {
		for _, r := range rules {
			if nr, ok := a.table.lookup(r.name); ok && nr == d.nr && r.ret != defRet {
				cands = append(cands, r)
				bits32 = a.bits32
			}
		}
	}
	for _, r := range cands {
		if len(r.conds) == 0 {
			return r.ret
		}
	}
	for _, r := range cands {
		if matches(r.conds, bits32, d.args) {
			return r.ret
		}
	}
	return defRet
}

func matches(conds []cond, bits32 bool, args [maxArgs]uint64) bool {
	for _, c := range conds {
		x, a, b := args[c.arg], c.a, c.b
		if bits32 {
			x, a, b = x&0xffffffff, a&0xffffffff, b&0xffffffff
		}
		var ok bool
		switch c.op {
		case specs.OpEqualTo:
			ok = x == a
		case specs.OpNotEqual:
			ok = x != a
		case specs.OpLessThan:
			ok = x < a
		case specs.OpLessEqual:
			ok = x <= a
		case specs.OpGreaterThan:
			ok = x > a
		case specs.OpGreaterEqual:
			ok = x >= a
		case specs.OpMaskedEqual:
			ok = x&a == b
		}
		if !ok {
			return false
		}
	}
	return true
}
