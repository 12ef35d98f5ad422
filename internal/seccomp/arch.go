package seccomp

//go:generate go run ./mksyscalls -o zsyscalls.go

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x32Bit is __X32_SYSCALL_BIT: x32 syscalls arrive under AUDIT_ARCH_X86_64
// with this bit set in the number.
const x32Bit = 0x40000000

// abi is one syscall ABI a filter can admit.
type abi struct {
	name  specs.Arch
	audit uint32 // AUDIT_ARCH_* the kernel reports in seccomp_data.arch
	// bits32 is libseccomp's ARCH_SIZE_32: only the low 32 bits of arguments
	// are compared.
	bits32 bool
	x32    bool
	table  syscallTable
}

// syscallTable is one ABI's syscalls, sorted by name.
type syscallTable []syscallEntry

type syscallEntry struct {
	name string
	nr   uint32
}

// numbers returns the number of each rule's name in t, -1 where t has none. byName
// lists the rules' indices in the order of their names (rulesByName), so that one
// pass over both resolves them all, where a search per rule would compare strings
// about three times as often.
func (t syscallTable) numbers(rules []rule, byName []int) []int64 {
	nrs := make([]int64, len(rules))
	j := 0
	for _, i := range byName {
		name := rules[i].name
		for j < len(t) && t[j].name < name {
			j++
		}
		if j < len(t) && t[j].name == name {
			nrs[i] = int64(t[j].nr)
		} else {
			nrs[i] = -1
		}
	}
	return nrs
}

// abis are the ABIs with syscall tables. Read-only.
var abis = []abi{
	{name: specs.ArchX86_64, audit: unix.AUDIT_ARCH_X86_64, table: syscallsX86_64},
	{name: specs.ArchX32, audit: unix.AUDIT_ARCH_X86_64, bits32: true, x32: true, table: syscallsX32},
	{name: specs.ArchX86, audit: unix.AUDIT_ARCH_I386, bits32: true, table: syscallsX86},
	{name: specs.ArchAARCH64, audit: unix.AUDIT_ARCH_AARCH64, table: syscallsAARCH64},
	{name: specs.ArchARM, audit: unix.AUDIT_ARCH_ARM, bits32: true, table: syscallsARM},
}

// untabled are valid runtime-spec architectures without a table here. Profiles
// often list every sub-architecture of a family; leaving these out of the
// filter gives their syscalls the bad-arch action.
var untabled = map[specs.Arch]bool{
	specs.ArchMIPS: true, specs.ArchMIPS64: true, specs.ArchMIPS64N32: true,
	specs.ArchMIPSEL: true, specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true,
	specs.ArchPPC: true, specs.ArchPPC64: true, specs.ArchPPC64LE: true,
	specs.ArchS390: true, specs.ArchS390X: true, specs.ArchPARISC: true,
	specs.ArchPARISC64: true, specs.ArchRISCV64: true, specs.ArchLOONGARCH64: true,
	specs.ArchM68K: true, specs.ArchSH: true, specs.ArchSHEB: true,
}

// goArches maps GOARCH values to the ABI a binary built for them uses.
var goArches = map[string]specs.Arch{
	"amd64": specs.ArchX86_64,
	"386":   specs.ArchX86,
	"arm64": specs.ArchAARCH64,
	"arm":   specs.ArchARM,
}

// lookupABI finds an ABI by SCMP_ARCH_* name or GOARCH value.
func lookupABI(name string) (*abi, bool) {
	if a, ok := goArches[name]; ok {
		name = string(a)
	}
	for i := range abis {
		if string(abis[i].name) == name {
			return &abis[i], true
		}
	}
	return nil, false
}
