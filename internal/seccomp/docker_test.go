package seccomp

import (
	"encoding/json"
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func dockerProfile(t testing.TB) *specs.LinuxSeccomp {
	t.Helper()
	b, err := os.ReadFile("testdata/docker-default-amd64.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestDockerDefault(t *testing.T) {
	s := dockerProfile(t)
	const (
		afInet    = 2
		afAlg     = 38
		afQipcrtr = 42
		afVsock   = 40
		cloneNS   = unix.CLONE_NEWNS
		cloneFork = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID
	)
	enosys := errnoRet(unix.ENOSYS)
	check(t, s, cases{
		"read":                   {call{name: "read"}, retAllow},
		"openat":                 {call{name: "openat"}, retAllow},
		"mount":                  {call{name: "mount"}, retEPERM},
		"unshare":                {call{name: "unshare"}, retEPERM},
		"clone3 by rule":         {call{name: "clone3"}, enosys},
		"personality 0":          {call{name: "personality", args: argAt(0, 0)}, retAllow},
		"personality 0xffffffff": {call{name: "personality", args: argAt(0, 0xffffffff)}, retAllow},
		"personality 1":          {call{name: "personality", args: argAt(0, 1)}, retEPERM},
		"personality hi word":    {call{name: "personality", args: argAt(0, 0x1_00000000)}, retEPERM},
		"clone thread":           {call{name: "clone", args: argAt(0, cloneFork)}, retAllow},
		"clone CLONE_NEWNS":      {call{name: "clone", args: argAt(0, cloneNS|cloneFork)}, retEPERM},
		"socket AF_INET":         {call{name: "socket", args: argAt(0, afInet)}, retAllow},
		"socket AF_ALG":          {call{name: "socket", args: argAt(0, afAlg)}, retEPERM},
		"socket AF_VSOCK":        {call{name: "socket", args: argAt(0, afVsock)}, retEPERM},
		"socket AF_QIPCRTR":      {call{name: "socket", args: argAt(0, afQipcrtr)}, retAllow},
		"x86 read":               {call{name: "read", arch: specs.ArchX86}, retAllow},
		"x86 socketcall":         {call{name: "socketcall", arch: specs.ArchX86}, retAllow},
		"x86 mount":              {call{name: "mount", arch: specs.ArchX86}, retEPERM},
		"x32 read":               {call{name: "read", arch: specs.ArchX32}, retAllow},
		"x32 mount":              {call{name: "mount", arch: specs.ArchX32}, retEPERM},
		"aarch64 not in it":      {call{name: "read", arch: specs.ArchAARCH64}, retKill},
		"x86_64 future syscall":  {call{nr: nr(1000)}, enosys},
		"x86 future syscall":     {call{nr: nr(1000), arch: specs.ArchX86}, enosys},
	})

	prog, unknown, err := Compile(s, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Docker's default profile: %d instructions; names no table knows: %q", len(prog), unknown)

	// Every number up to past the tables, on every ABI, against the model.
	for _, arch := range []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32} {
		a, _ := lookupABI(string(arch))
		base := uint32(0)
		if a.x32 {
			base = x32Bit
		}
		for n := base; n < base+1100; n++ {
			d := seccompData{arch: a.audit, nr: n, args: [maxArgs]uint64{0x7e020000, 8, 1}}
			got, _, err := run(prog, d)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(s, "amd64", d); got != want {
				t.Errorf("%s nr %d: filter returns %#x, reference %#x", arch, n, got, want)
			}
		}
	}
}

// TestDockerDefaultCost logs how many instructions the filter executes for
// common syscalls. A linear libseccomp filter (libseccomp < 2.5, or runc with
// fewer than 33 rules) compares the number with every listed syscall before
// it: up to a few hundred instructions for Docker's profile.
func TestDockerDefaultCost(t *testing.T) {
	prog, _, err := Compile(dockerProfile(t), "amd64")
	if err != nil {
		t.Fatal(err)
	}
	worst := 0
	for _, c := range []call{
		{name: "read"}, {name: "write"}, {name: "openat"}, {name: "futex"},
		{name: "epoll_wait"}, {name: "mmap"}, {name: "clone3"},
		{name: "personality"}, {name: "socket", args: argAt(0, 2)},
		{name: "read", arch: specs.ArchX86}, {name: "read", arch: specs.ArchX32},
	} {
		_, n, err := run(prog, c.data(t))
		if err != nil {
			t.Fatal(err)
		}
		arch := c.arch
		if arch == "" {
			arch = specs.ArchX86_64
		}
		t.Logf("%-18s %-12s %2d instructions", arch, c.name, n)
		worst = max(worst, n)
	}
	for n := uint32(0); n < 600; n++ {
		_, ex, _ := run(prog, seccompData{arch: unix.AUDIT_ARCH_X86_64, nr: n})
		worst = max(worst, ex)
	}
	t.Logf("worst case over x86_64 numbers 0-599: %d instructions", worst)
	if worst > 40 {
		t.Errorf("worst case executes %d instructions, want a binary search (<= 40)", worst)
	}
}

// BenchmarkCompileDockerDefault measures what init pays to compile Docker's default profile.
func BenchmarkCompileDockerDefault(b *testing.B) {
	prof := dockerProfile(b)
	for b.Loop() {
		if _, _, err := Compile(prof, "amd64"); err != nil {
			b.Fatal(err)
		}
	}
}
