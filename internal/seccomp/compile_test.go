package seccomp

import (
	"errors"
	"sort"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retKill  = unix.SECCOMP_RET_KILL_THREAD
)

func errnoRet(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }

func uptr(v uint) *uint { return &v }

// sys builds a syscall rule.
func sys(act specs.LinuxSeccompAction, names []string, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: act, Args: args}
}

func arg(i uint, op specs.LinuxSeccompOperator, v, v2 uint64) specs.LinuxSeccompArg {
	return specs.LinuxSeccompArg{Index: i, Op: op, Value: v, ValueTwo: v2}
}

// call is one syscall presented to a filter.
type call struct {
	name string
	arch specs.Arch // default: SCMP_ARCH_X86_64
	nr   *uint32    // overrides name
	args [maxArgs]uint64
}

func nr(n uint32) *uint32 { return &n }

func (c call) data(t testing.TB) seccompData {
	t.Helper()
	arch := c.arch
	if arch == "" {
		arch = specs.ArchX86_64
	}
	a, ok := lookupABI(string(arch))
	if !ok {
		t.Fatalf("no ABI %s", arch)
	}
	d := seccompData{arch: a.audit, args: c.args}
	switch {
	case c.nr != nil:
		d.nr = *c.nr
	default:
		n, ok := a.table.lookup(c.name)
		if !ok {
			t.Fatalf("%s has no syscall %s", arch, c.name)
		}
		d.nr = n
	}
	return d
}

// check compiles s for amd64 and runs every call through the interpreter
// and the reference model.
func check(t *testing.T, s *specs.LinuxSeccomp, calls map[string]struct {
	c    call
	want uint32
}) {
	t.Helper()
	prog, _, err := Compile(s, "amd64")
	if err != nil {
		t.Fatalf("Compile = %v", err)
	}
	for name, tc := range calls {
		d := tc.c.data(t)
		got, _, err := run(prog, d)
		if err != nil {
			t.Fatalf("%s: run: %v", name, err)
		}
		if got != tc.want {
			t.Errorf("%s: filter returns %#x, want %#x", name, got, tc.want)
		}
		if ref := reference(s, "amd64", d); ref != tc.want {
			t.Errorf("%s: reference returns %#x, want %#x", name, ref, tc.want)
		}
	}
}

type cases = map[string]struct {
	c    call
	want uint32
}

func TestActions(t *testing.T) {
	tests := []struct {
		name string
		act  specs.LinuxSeccompAction
		ret  *uint
		want uint32
	}{
		{"kill is kill-thread", specs.ActKill, nil, unix.SECCOMP_RET_KILL_THREAD},
		{"kill-thread", specs.ActKillThread, nil, unix.SECCOMP_RET_KILL_THREAD},
		{"kill-process", specs.ActKillProcess, nil, unix.SECCOMP_RET_KILL_PROCESS},
		{"trap", specs.ActTrap, nil, unix.SECCOMP_RET_TRAP},
		{"errno defaults to EPERM", specs.ActErrno, nil, retEPERM},
		{"errno with errnoRet", specs.ActErrno, uptr(uint(unix.EACCES)), errnoRet(unix.EACCES)},
		{"errno 0", specs.ActErrno, uptr(0), unix.SECCOMP_RET_ERRNO},
		{"trace defaults to EPERM", specs.ActTrace, nil, unix.SECCOMP_RET_TRACE | uint32(unix.EPERM)},
		{"trace with errnoRet", specs.ActTrace, uptr(7), unix.SECCOMP_RET_TRACE | 7},
		{"log", specs.ActLog, nil, unix.SECCOMP_RET_LOG},
		{"notify", specs.ActNotify, nil, unix.SECCOMP_RET_USER_NOTIF},
		{"errnoRet ignored on trap", specs.ActTrap, uptr(5), unix.SECCOMP_RET_TRAP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := sys(tt.act, []string{"getppid"})
			rule.ErrnoRet = tt.ret
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{rule}}
			check(t, s, cases{
				"getppid": {call{name: "getppid"}, tt.want},
				"getpid":  {call{name: "getpid"}, retAllow},
			})
		})
	}
}

func TestDefaultAction(t *testing.T) {
	tests := []struct {
		name string
		act  specs.LinuxSeccompAction
		ret  *uint
		want uint32
	}{
		{"errno defaults to EPERM", specs.ActErrno, nil, retEPERM},
		{"defaultErrnoRet", specs.ActErrno, uptr(uint(unix.ENXIO)), errnoRet(unix.ENXIO)},
		{"kill-process", specs.ActKillProcess, nil, unix.SECCOMP_RET_KILL_PROCESS},
		{"allow", specs.ActAllow, nil, retAllow},
		{"log", specs.ActLog, nil, unix.SECCOMP_RET_LOG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: tt.act, DefaultErrnoRet: tt.ret, Syscalls: []specs.LinuxSyscall{
				sys(specs.ActTrap, []string{"openat"}),
			}}
			check(t, s, cases{
				"unlisted below the last": {call{name: "read"}, tt.want},
				"listed":                  {call{name: "openat"}, unix.SECCOMP_RET_TRAP},
			})
		})
	}
}

// TestOperators64 compares 64-bit arguments on x86_64, with values whose high
// and low words pull in opposite directions.
func TestOperators64(t *testing.T) {
	const v = 0x00000001_80000000 // hi 1, lo 0x80000000
	tests := []struct {
		op      specs.LinuxSeccompOperator
		v2      uint64
		match   []uint64
		nomatch []uint64
	}{
		{specs.OpEqualTo, 0, []uint64{v}, []uint64{0x80000000, 0x1_00000000, 0x2_80000000, v + 1}},
		{specs.OpNotEqual, 0, []uint64{0x80000000, 0x1_00000000, 0, ^uint64(0)}, []uint64{v}},
		{specs.OpGreaterThan, 0, []uint64{v + 1, 0x2_00000000, ^uint64(0)}, []uint64{v, 0x1_7fffffff, 0xffffffff, 0}},
		{specs.OpGreaterEqual, 0, []uint64{v, v + 1, 0x2_00000000}, []uint64{v - 1, 0xffffffff, 0}},
		{specs.OpLessThan, 0, []uint64{v - 1, 0xffffffff, 0, 0x1_00000000}, []uint64{v, 0x2_00000000, 0x2_00000001}},
		{specs.OpLessEqual, 0, []uint64{v, v - 1, 0xffffffff}, []uint64{v + 1, 0x2_00000000, ^uint64(0)}},
		// Masked: value is the mask, valueTwo the datum.
		{specs.OpMaskedEqual, 0x1_00000000, []uint64{0x1_00000000, 0x1_7fffffff, 0xff_00000000 | 0x1_00000000}, []uint64{0, 0x1_80000000, 0x80000000, 0x2_80000000}},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
				sys(specs.ActAllow, []string{"read", "write"}), // keep mmap below the stub's limit
				sys(specs.ActAllow, []string{"mmap"}, arg(3, tt.op, v, tt.v2)),
			}}
			c := cases{}
			for _, x := range tt.match {
				c["match "+hex(x)] = struct {
					c    call
					want uint32
				}{call{name: "mmap", args: argAt(3, x)}, retAllow}
			}
			for _, x := range tt.nomatch {
				c["no match "+hex(x)] = struct {
					c    call
					want uint32
				}{call{name: "mmap", args: argAt(3, x)}, retEPERM}
			}
			check(t, s, c)
		})
	}
}

// TestOperators32 checks that on 32-bit ABIs only the low words are
// compared, values included, as libseccomp does.
func TestOperators32(t *testing.T) {
	tests := []struct {
		name  string
		arg   specs.LinuxSeccompArg
		x     uint64
		match bool
	}{
		{"eq ignores the value's high word", arg(0, specs.OpEqualTo, 0x5_00000007, 0), 7, true},
		{"eq ignores the argument's high word", arg(0, specs.OpEqualTo, 7, 0), 0x9_00000007, true},
		{"ne", arg(0, specs.OpNotEqual, 7, 0), 8, true},
		{"ne equal low words", arg(0, specs.OpNotEqual, 0x1_00000007, 0), 7, false},
		{"gt", arg(0, specs.OpGreaterThan, 0x1_00000007, 0), 8, true},
		{"ge", arg(0, specs.OpGreaterEqual, 7, 0), 7, true},
		{"lt", arg(0, specs.OpLessThan, 7, 0), 0x1_00000006, true},
		{"le", arg(0, specs.OpLessEqual, 7, 0), 8, false},
		{"masked", arg(0, specs.OpMaskedEqual, 0xff, 0x12), 0x3412, true},
		{"masked datum high word dropped", arg(0, specs.OpMaskedEqual, 0xff, 0x1_00000012), 0x12, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86},
				Syscalls:      []specs.LinuxSyscall{sys(specs.ActErrno, []string{"personality"}, tt.arg)},
			}
			want := uint32(retAllow)
			if tt.match {
				want = retEPERM
			}
			check(t, s, cases{"x86": {call{name: "personality", arch: specs.ArchX86, args: argAt(0, tt.x)}, want}})
		})
	}
}

func argAt(i int, x uint64) (a [maxArgs]uint64) {
	a[i] = x
	return a
}

func hex(x uint64) string {
	const digits = "0123456789abcdef"
	b := []byte("0x")
	for s := 60; s >= 0; s -= 4 {
		b = append(b, digits[(x>>s)&0xf])
	}
	return string(b)
}

func TestArchitectures(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86, specs.ArchAARCH64, specs.ArchPPC64LE},
		Syscalls:      []specs.LinuxSyscall{sys(specs.ActAllow, []string{"read", "write", "chown32", "exit_group"})},
	}
	check(t, s, cases{
		"native x86_64":            {call{name: "read"}, retAllow},
		"x86 read (nr 3)":          {call{name: "read", arch: specs.ArchX86}, retAllow},
		"x86 chown32":              {call{name: "chown32", arch: specs.ArchX86}, retAllow},
		"x86_64 nr 3 is close":     {call{name: "close"}, retEPERM},
		"aarch64 read (nr 63)":     {call{name: "read", arch: specs.ArchAARCH64}, retAllow},
		"aarch64 close":            {call{name: "close", arch: specs.ArchAARCH64}, retEPERM},
		"arm not listed":           {call{name: "read", arch: specs.ArchARM}, retKill},
		"x32 not listed":           {call{name: "read", arch: specs.ArchX32}, retKill},
		"x32 range without x32":    {call{nr: nr(x32Bit + 600)}, retKill},
		"bit 31 without x32 stubs": {call{nr: nr(0x80000000)}, errnoRet(unix.ENOSYS)},
	})

	x32 := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{sys(specs.ActAllow, []string{"read", "rt_sigaction", "ioctl"})},
	}
	check(t, x32, cases{
		"x32 read":                 {call{name: "read", arch: specs.ArchX32}, retAllow},
		"x32 rt_sigaction (512)":   {call{name: "rt_sigaction", arch: specs.ArchX32}, retAllow},
		"x32 ioctl (514)":          {call{name: "ioctl", arch: specs.ArchX32}, retAllow},
		"x32 write":                {call{name: "write", arch: specs.ArchX32}, retEPERM},
		"x32 above its last":       {call{nr: nr(x32Bit + 515)}, errnoRet(unix.ENOSYS)},
		"x86_64 rt_sigaction (13)": {call{name: "rt_sigaction"}, retAllow},
		"x86_64 above its last":    {call{nr: nr(17)}, errnoRet(unix.ENOSYS)},
		"x86_64 gap below x32":     {call{nr: nr(x32Bit - 1)}, errnoRet(unix.ENOSYS)},
		"x32 bit and bit 31":       {call{nr: nr(0xc0000000)}, errnoRet(unix.ENOSYS)},
	})

	arm := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno, []string{"cacheflush", "read"})},
	}
	prog, _, err := Compile(arm, "arm")
	if err != nil {
		t.Fatal(err)
	}
	armCases := cases{
		"arm cacheflush":   {call{name: "cacheflush", arch: specs.ArchARM}, retEPERM},
		"arm read":         {call{name: "read", arch: specs.ArchARM}, retEPERM},
		"arm write":        {call{name: "write", arch: specs.ArchARM}, retAllow},
		"x86_64 not in it": {call{name: "read"}, retKill},
	}
	for name, tc := range armCases {
		if got, _, _ := run(prog, tc.c.data(t)); got != tc.want {
			t.Errorf("%s: filter returns %#x, want %#x", name, got, tc.want)
		}
	}
}

func TestRulePrecedence(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		sys(specs.ActAllow, []string{"read"}),
		// Unconditional rules: the first wins, and it beats conditional ones
		// before and after it.
		sys(specs.ActTrap, []string{"write"}, arg(0, specs.OpEqualTo, 1, 0)),
		sys(specs.ActLog, []string{"write"}),
		sys(specs.ActKillProcess, []string{"write"}),
		// Conditional rules: the first match in profile order.
		sys(specs.ActTrap, []string{"openat"}, arg(1, specs.OpEqualTo, 5, 0)),
		sys(specs.ActLog, []string{"openat"}, arg(0, specs.OpEqualTo, 3, 0)),
		// A rule with the default action is dropped.
		sys(specs.ActErrno, []string{"close"}, arg(0, specs.OpEqualTo, 3, 0)),
		sys(specs.ActAllow, []string{"close"}),
		// Two conditions on one argument are ORed (runc's split), on
		// different arguments ANDed.
		sys(specs.ActAllow, []string{"lseek"}, arg(2, specs.OpEqualTo, 0, 0), arg(2, specs.OpEqualTo, 2, 0)),
		sys(specs.ActAllow, []string{"pread64"}, arg(0, specs.OpEqualTo, 1, 0), arg(3, specs.OpGreaterThan, 10, 0)),
	}}
	check(t, s, cases{
		"first unconditional":   {call{name: "write", args: argAt(0, 1)}, unix.SECCOMP_RET_LOG},
		"openat both match":     {call{name: "openat", args: [maxArgs]uint64{3, 5}}, unix.SECCOMP_RET_TRAP},
		"openat second matches": {call{name: "openat", args: [maxArgs]uint64{3, 6}}, unix.SECCOMP_RET_LOG},
		"openat none":           {call{name: "openat", args: [maxArgs]uint64{4, 6}}, retEPERM},
		"close redundant rule":  {call{name: "close", args: argAt(0, 3)}, retAllow},
		"lseek SEEK_SET":        {call{name: "lseek", args: argAt(2, 0)}, retAllow},
		"lseek SEEK_END":        {call{name: "lseek", args: argAt(2, 2)}, retAllow},
		"lseek SEEK_CUR":        {call{name: "lseek", args: argAt(2, 1)}, retEPERM},
		"pread64 both":          {call{name: "pread64", args: [maxArgs]uint64{1, 0, 0, 11}}, retAllow},
		"pread64 one":           {call{name: "pread64", args: [maxArgs]uint64{1, 0, 0, 10}}, retEPERM},
	})
}

func TestUnknownNames(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{
			sys(specs.ActAllow, []string{"read", "no_such_call", "chown32", "arm_fadvise64_64", "no_such_call"}),
		},
	}
	_, unknown, err := Compile(s, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	// chown32 is x86-only and arm_fadvise64_64 arm-only: only the latter is
	// unknown to every compiled architecture.
	want := []string{"no_such_call", "arm_fadvise64_64"}
	if len(unknown) != len(want) || unknown[0] != want[0] || unknown[1] != want[1] {
		t.Errorf("Compile unknown = %q, want %q", unknown, want)
	}
}

func TestENOSYSStub(t *testing.T) {
	// openat2 (437) is the last syscall named; clone3 (435) is below it.
	rules := []specs.LinuxSyscall{
		sys(specs.ActAllow, []string{"read"}),
		sys(specs.ActErrno, []string{"openat2"}),
	}
	enosys := errnoRet(unix.ENOSYS)
	tests := []struct {
		name  string
		def   specs.LinuxSeccompAction
		ret   *uint
		above uint32
	}{
		{"errno", specs.ActErrno, nil, enosys},
		{"errno with errnoRet", specs.ActErrno, uptr(uint(unix.EACCES)), enosys},
		{"kill-process", specs.ActKillProcess, nil, enosys},
		{"trap", specs.ActTrap, nil, enosys},
		{"errno ENOSYS already", specs.ActErrno, uptr(uint(unix.ENOSYS)), enosys},
		{"allow: no stub", specs.ActAllow, nil, retAllow},
		{"log: no stub", specs.ActLog, nil, unix.SECCOMP_RET_LOG},
		{"trace: no stub", specs.ActTrace, nil, unix.SECCOMP_RET_TRACE | uint32(unix.EPERM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: tt.def, DefaultErrnoRet: tt.ret, Syscalls: rules}
			def, _ := actionRet(tt.def, tt.ret)
			check(t, s, cases{
				"clone3 below the last": {call{name: "clone3"}, def},
				"openat2 is the last":   {call{name: "openat2"}, orDefault(retEPERM, def, tt.def)},
				"438 above the last":    {call{nr: nr(438)}, tt.above},
				"huge number":           {call{nr: nr(0x3fffffff)}, tt.above},
			})
		})
	}
}

// orDefault is want unless the default action is ERRNO with the same value
// (then the rule was dropped and the default applies, which is the same).
func orDefault(want, def uint32, act specs.LinuxSeccompAction) uint32 {
	if act == specs.ActAllow || act == specs.ActLog || act == specs.ActTrace || act == specs.ActErrno || act == specs.ActKillProcess || act == specs.ActTrap {
		return want
	}
	return def
}

func TestCompileErrors(t *testing.T) {
	valid := func(mod func(*specs.LinuxSeccomp)) *specs.LinuxSeccomp {
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{sys(specs.ActAllow, []string{"read"})}}
		mod(s)
		return s
	}
	tests := []struct {
		name   string
		s      *specs.LinuxSeccomp
		native string
		want   error
	}{
		{"nil profile", nil, "amd64", ErrInvalidProfile},
		{"unknown default action", valid(func(s *specs.LinuxSeccomp) { s.DefaultAction = "SCMP_ACT_NOPE" }), "amd64", ErrInvalidProfile},
		{"notify default", valid(func(s *specs.LinuxSeccomp) { s.DefaultAction = specs.ActNotify }), "amd64", ErrInvalidProfile},
		{"notify on write", valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0] = sys(specs.ActNotify, []string{"write"}) }), "amd64", ErrInvalidProfile},
		{"unknown rule action", valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0].Action = "" }), "amd64", ErrInvalidProfile},
		{"no names", valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = nil }), "amd64", ErrInvalidProfile},
		{"empty name", valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = []string{""} }), "amd64", ErrInvalidProfile},
		{"arg index 6", valid(func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{arg(6, specs.OpEqualTo, 0, 0)}
		}), "amd64", ErrInvalidProfile},
		{"unknown operator", valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0].Args = []specs.LinuxSeccompArg{arg(0, "SCMP_CMP_XX", 0, 0)} }), "amd64", ErrInvalidProfile},
		{"errnoRet too big", valid(func(s *specs.LinuxSeccomp) { s.DefaultErrnoRet = uptr(0x10000) }), "amd64", ErrInvalidProfile},
		{"unknown arch", valid(func(s *specs.LinuxSeccomp) { s.Architectures = []specs.Arch{"SCMP_ARCH_VAX"} }), "amd64", ErrInvalidProfile},
		{"unsupported native", valid(func(*specs.LinuxSeccomp) {}), "riscv64", ErrInvalidProfile},
		{"too long", tooLong(), "amd64", ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Compile(tt.s, tt.native)
			if !errors.Is(err, tt.want) {
				t.Errorf("Compile = %v, want %v", err, tt.want)
			}
		})
	}
}

// tooLong has more argument checks than fit in BPF_MAXINSNS.
func tooLong() *specs.LinuxSeccomp {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	for i := uint64(0); i < 1000; i++ {
		s.Syscalls = append(s.Syscalls, sys(specs.ActAllow, []string{"ioctl"}, arg(1, specs.OpEqualTo, i, 0)))
	}
	return s
}

func TestVerify(t *testing.T) {
	r := ret(retAllow)
	tests := []struct {
		name string
		prog []unix.SockFilter
		want error
	}{
		{"empty", nil, ErrBadProgram},
		{"no final return", []unix.SockFilter{r, load(0)}, ErrBadProgram},
		{"jump past the end", []unix.SockFilter{jump(unix.BPF_JEQ, 0, 1, 0), r}, ErrBadProgram},
		{"long jump past the end", []unix.SockFilter{stmt(unix.BPF_JMP|unix.BPF_JA, 1), r}, ErrBadProgram},
		{"load past seccomp_data", []unix.SockFilter{load(64), r}, ErrBadProgram},
		{"unaligned load", []unix.SockFilter{load(2), r}, ErrBadProgram},
		{"unknown opcode", []unix.SockFilter{stmt(unix.BPF_LDX|unix.BPF_MEM, 0), r}, ErrBadProgram},
		{"too long", make([]unix.SockFilter, maxInsns+1), ErrTooLong},
		{"ok", []unix.SockFilter{load(0), jump(unix.BPF_JEQ, 1, 0, 1), r, r}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verify(tt.prog); !errors.Is(err, tt.want) {
				t.Errorf("verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestLongJumps builds a tree whose subtrees are longer than a conditional
// jump can skip, and checks every syscall of it against the model.
func TestLongJumps(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchX86}}
	names := make([]string, 0, 120)
	for _, e := range syscallsX86_64 {
		names = append(names, e.name)
	}
	sort.Strings(names)
	for i, name := range names[:70] {
		for j := uint64(0); j < 3; j++ {
			s.Syscalls = append(s.Syscalls, sys(specs.ActAllow, []string{name},
				arg(uint(j), specs.OpGreaterEqual, uint64(i)<<32|j, 0), arg(5, specs.OpMaskedEqual, 0xf0, 0x10)))
		}
	}
	prog, _, err := Compile(s, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	jas := 0
	for _, in := range prog {
		if in.Code == unix.BPF_JMP|unix.BPF_JA {
			jas++
		}
	}
	if jas < 3 {
		t.Fatalf("program of %d instructions has %d long jumps; the test needs more", len(prog), jas)
	}
	for _, audit := range []uint32{unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386} {
		for n := uint32(0); n < 480; n++ {
			for _, args := range [][maxArgs]uint64{{}, {1 << 40, 1 << 40, 1 << 40, 0, 0, 0x13}, {^uint64(0), 0, 0, 0, 0, 0x10}} {
				d := seccompData{arch: audit, nr: n, args: args}
				got, _, err := run(prog, d)
				if err != nil {
					t.Fatal(err)
				}
				if want := reference(s, "amd64", d); got != want {
					t.Fatalf("arch %#x nr %d args %#x: filter returns %#x, reference %#x", audit, n, args, got, want)
				}
			}
		}
	}
}
