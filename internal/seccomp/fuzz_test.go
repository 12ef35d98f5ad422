package seccomp

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// byteSource turns fuzz input into choices; it yields zeros once exhausted.
type byteSource struct{ b []byte }

func (s *byteSource) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *byteSource) pick(n int) int { return int(s.next()) % n }

func (s *byteSource) u64() uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v = v<<8 | uint64(s.next())
	}
	return v
}

var (
	fuzzNames = []string{"read", "write", "openat", "close", "mmap", "clone", "clone3", "ioctl",
		"socket", "personality", "chown32", "cacheflush", "rt_sigaction", "getppid", "no_such_call", "mseal",
		"exit_group", "futex", "arm_fadvise64_64", "pwritev2"}
	fuzzActions = []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKill, specs.ActKillProcess,
		specs.ActKillThread, specs.ActTrap, specs.ActTrace, specs.ActLog, specs.ActNotify, "SCMP_ACT_BOGUS"}
	fuzzOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	fuzzArches = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM, specs.ArchPPC64LE}
	fuzzNative = []string{"amd64", "386", "arm64", "arm", "SCMP_ARCH_X32"}
	fuzzValues = []uint64{0, 1, 2, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0x1_00000000, 0x1_80000000, ^uint64(0)}
	fuzzAudits = []uint32{unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_AARCH64, unix.AUDIT_ARCH_ARM, 0xdeadbeef}
)

func (s *byteSource) value() uint64 {
	if s.pick(4) == 0 {
		return s.u64()
	}
	return fuzzValues[s.pick(len(fuzzValues))]
}

func (s *byteSource) errno() *uint {
	if s.pick(3) == 0 {
		return nil
	}
	v := uint(s.next()) | uint(s.pick(2))<<16 // sometimes too big
	return &v
}

func fuzzProfile(s *byteSource) (*specs.LinuxSeccomp, string) {
	p := &specs.LinuxSeccomp{DefaultAction: fuzzActions[s.pick(len(fuzzActions))], DefaultErrnoRet: s.errno()}
	for n := s.pick(4); n > 0; n-- {
		p.Architectures = append(p.Architectures, fuzzArches[s.pick(len(fuzzArches))])
	}
	for n := s.pick(12); n > 0; n-- {
		sc := specs.LinuxSyscall{Action: fuzzActions[s.pick(len(fuzzActions))], ErrnoRet: s.errno()}
		for k := s.pick(3) + 1; k > 0; k-- {
			sc.Names = append(sc.Names, fuzzNames[s.pick(len(fuzzNames))])
		}
		for k := s.pick(4); k > 0; k-- {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(s.pick(7)), Op: fuzzOps[s.pick(len(fuzzOps))],
				Value: s.value(), ValueTwo: s.value()})
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	return p, fuzzNative[s.pick(len(fuzzNative))]
}

// FuzzCompile compiles random profiles: Compile must not panic, must fail
// only with this package's errors, and every program must pass the verifier
// and agree with the reference model on random syscalls.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 2, 0, 5, 3, 2, 6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Add([]byte("seccomp profile with several rules and conditions on x86_64 and x32"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &byteSource{b: data}
		p, native := fuzzProfile(src)
		prog, _, err := Compile(p, native)
		if err != nil {
			if !errors.Is(err, ErrInvalidProfile) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Compile = %v, want ErrInvalidProfile or ErrTooLong", err)
			}
			return
		}
		if err := verify(prog); err != nil {
			t.Fatalf("verify = %v", err)
		}
		for i := 0; i < 64; i++ {
			d := seccompData{arch: fuzzAudits[src.pick(len(fuzzAudits))]}
			switch src.pick(3) {
			case 0:
				d.nr = uint32(src.u64())
			default:
				a := &abis[src.pick(len(abis))]
				d.nr, _ = a.table.lookup(fuzzNames[src.pick(len(fuzzNames))])
			}
			if src.pick(2) == 0 {
				d.nr |= x32Bit
			}
			for j := range d.args {
				d.args[j] = src.value()
			}
			got, _, err := run(prog, d)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if want := reference(p, native, d); got != want {
				t.Fatalf("arch %#x nr %#x args %#x: filter returns %#x, reference %#x", d.arch, d.nr, d.args, got, want)
			}
		}
	})
}
