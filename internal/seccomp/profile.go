package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxArgs is the number of syscall arguments seccomp_data carries.
const maxArgs = 6

// cond is one argument comparison.
type cond struct {
	arg  uint
	op   specs.LinuxSeccompOperator
	a, b uint64 // value, valueTwo
}

// rule is one syscall name with the conditions that must all hold and the
// filter return value when they do.
type rule struct {
	name  string
	conds []cond
	ret   uint32
}

// actionRet turns a profile action into a SECCOMP_RET_* value.
func actionRet(act specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(unix.EPERM) // runc's default for ERRNO and TRACE
	if errnoRet != nil {
		if *errnoRet > unix.SECCOMP_RET_DATA {
			return 0, fmt.Errorf("%w: errnoRet %d does not fit in SECCOMP_RET_DATA", ErrInvalidProfile, *errnoRet)
		}
		data = uint32(*errnoRet)
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF, nil
	}
	return 0, fmt.Errorf("%w: unknown action %q", ErrInvalidProfile, act)
}

func validOp(op specs.LinuxSeccompOperator) bool {
	switch op {
	case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		return true
	}
	return false
}

// expandRules flattens the profile's syscall entries into one rule per name
// (and per condition where runc splits them), in profile order.
func expandRules(sys []specs.LinuxSyscall) ([]rule, error) {
	var rules []rule
	for i, sc := range sys {
		if len(sc.Names) == 0 {
			return nil, fmt.Errorf("%w: syscalls[%d]: no syscall names", ErrInvalidProfile, i)
		}
		ret, err := actionRet(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		conds, err := ruleConds(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		for _, name := range sc.Names {
			if name == "" {
				return nil, fmt.Errorf("%w: syscalls[%d]: empty syscall name", ErrInvalidProfile, i)
			}
			if sc.Action == specs.ActNotify && name == "write" {
				return nil, fmt.Errorf("%w: SCMP_ACT_NOTIFY cannot be used for the write syscall", ErrInvalidProfile)
			}
			for _, cs := range conds {
				rules = append(rules, rule{name: name, conds: cs, ret: ret})
			}
		}
	}
	return rules, nil
}

// ruleConds validates a rule's conditions and groups them: one AND group, or,
// when an argument is named twice, one group per condition (runc's "old
// behaviour", which libseccomp cannot express otherwise).
func ruleConds(args []specs.LinuxSeccompArg) ([][]cond, error) {
	var seen [maxArgs]bool
	split := false
	all := make([]cond, 0, len(args))
	for _, a := range args {
		if a.Index >= maxArgs {
			return nil, fmt.Errorf("%w: argument index %d out of range", ErrInvalidProfile, a.Index)
		}
		if !validOp(a.Op) {
			return nil, fmt.Errorf("%w: unknown operator %q", ErrInvalidProfile, a.Op)
		}
		split = split || seen[a.Index]
		seen[a.Index] = true
		all = append(all, cond{arg: a.Index, op: a.Op, a: a.Value, b: a.ValueTwo})
	}
	if !split {
		return [][]cond{all}, nil
	}
	groups := make([][]cond, len(all))
	for i, c := range all {
		groups[i] = []cond{c}
	}
	return groups, nil
}

// wantsStub says whether the -ENOSYS stub applies to this default action; see
// the package documentation.
func wantsStub(def specs.LinuxSeccompAction, defRet uint32) bool {
	switch def {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	}
	return defRet != unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)
}
