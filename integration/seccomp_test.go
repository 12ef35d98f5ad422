package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestSeccompDockerProfile runs a busybox shell under Docker's default profile: ordinary work
// succeeds, and calls the profile blocks fail with its errno (EPERM).
func TestSeccompDockerProfile(t *testing.T) {
	data, err := os.ReadFile("testdata/docker-default-amd64.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	for _, nnp := range []bool{true, false} {
		b := e.newBundle("sh", "-c", "echo ok > /tmp/f && cat /tmp/f; unshare -m true 2>&1; echo unshare=$?")
		b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"})
		var profile specs.LinuxSeccomp
		if err := json.Unmarshal(data, &profile); err != nil {
			t.Fatal(err)
		}
		b.spec.Linux.Seccomp = &profile
		b.spec.Process.NoNewPrivileges = nnp
		b.save()
		r := e.mustRuno("run", "--bundle", b.dir, b.id)
		if !strings.HasPrefix(r.stdout, "ok\n") {
			t.Errorf("no_new_privs %v: shell output %q, want ok first", nnp, r.stdout)
		}
		if !strings.Contains(r.stdout, "Operation not permitted") || !strings.Contains(r.stdout, "unshare=1") {
			t.Errorf("no_new_privs %v: unshare under Docker's profile: %q, want EPERM", nnp, r.stdout)
		}
	}
}

// TestSeccompActions observes actions and argument conditions from inside the container.
func TestSeccompActions(t *testing.T) {
	eacces := uint(13)
	profile := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			// mkdir(2) through mkdirat with the ERRNO action and its errnoRet.
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces},
			// kill(2) of signal 0 only: an argument condition on the second argument.
			{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: 0, Op: specs.OpEqualTo},
			}},
			// sethostname(2): SCMP_ACT_KILL_PROCESS.
			{Names: []string{"sethostname"}, Action: specs.ActKillProcess},
		},
	}
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "mkdir /newdir 2>&1; kill -0 $$ 2>&1; echo kill0=$?; kill -CONT $$; echo cont=$?; hostname x; echo after-hostname")
	b.spec.Root.Readonly = false
	b.spec.Linux.Seccomp = profile
	b.save()
	r := e.runo("run", "--bundle", b.dir, b.id)
	for _, want := range []string{"Permission denied", "kill0=1", "cont=0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output %q, want %q", r.stdout, want)
		}
	}
	// hostname(1) is killed with SIGSYS; the shell reports 128 + 31 and goes on.
	if !strings.Contains(r.stdout, "after-hostname") || r.code != 0 {
		t.Errorf("output %v, want the shell to go on after hostname was killed", r)
	}
	b2 := e.newBundle("sh", "-c", "exec hostname x")
	b2.spec.Linux.Seccomp = profile
	b2.save()
	if r := e.runo("run", "--bundle", b2.dir, b2.id); r.code != 159 {
		t.Errorf("sethostname under KILL_PROCESS: %v, want exit 159 (SIGSYS)", r)
	}
}

// TestSeccompExec checks that a process exec'd into a container runs under the container's
// filter, as runc does.
func TestSeccompExec(t *testing.T) {
	eacces := uint(13)
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Root.Readonly = false
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces}},
	}
	b.runningContainer()
	r := e.runo("exec", b.id, "sh", "-c", "mkdir /fromexec 2>&1; echo done")
	if !strings.Contains(r.stdout, "Permission denied") || !strings.Contains(r.stdout, "done") {
		t.Errorf("mkdir in an exec'd process: %v, want EACCES from the container's filter", r)
	}
}

// TestSeccompBadProfile checks that a broken profile fails create with an error naming it.
func TestSeccompBadProfile(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("true")
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}
	b.save()
	r := e.runo("create", "--bundle", b.dir, b.id)
	if r.code == 0 || !strings.Contains(r.stderr, "seccomp") {
		t.Errorf("create with a bad seccomp action: %v, want an error naming seccomp", r)
	}
}

// TestSeccompEveryAction observes each action from inside the container, one syscall each.
func TestSeccompEveryAction(t *testing.T) {
	eperm := uint(1)
	tests := []struct {
		name   string
		action specs.LinuxSeccompAction
		want   func(r result) bool
	}{
		{"allow", specs.ActAllow, func(r result) bool { return r.code == 0 && strings.Contains(r.stdout, "rc=0") }},
		{"log", specs.ActLog, func(r result) bool { return r.code == 0 && strings.Contains(r.stdout, "rc=0") }},
		{"errno", specs.ActErrno, func(r result) bool { return strings.Contains(r.stdout, "rc=1") }},
		// No tracer: the kernel answers ENOSYS.
		{"trace", specs.ActTrace, func(r result) bool { return strings.Contains(r.stdout, "rc=1") }},
		// SIGSYS: the shell reports its child's death as 128 + 31.
		{"trap", specs.ActTrap, func(r result) bool { return strings.Contains(r.stdout, "rc=159") }},
		{"kill", specs.ActKill, func(r result) bool { return strings.Contains(r.stdout, "rc=159") }},
		{"kill thread", specs.ActKillThread, func(r result) bool { return strings.Contains(r.stdout, "rc=159") }},
		{"kill process", specs.ActKillProcess, func(r result) bool { return strings.Contains(r.stdout, "rc=159") }},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// mkdir(1) in a child shell: the action hits mkdirat there, the outer shell reports.
			b := e.newBundle("sh", "-c", "sh -c 'mkdir /tmp/d' 2>/dev/null; echo rc=$?")
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"})
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: tt.action, ErrnoRet: &eperm}},
			}
			if tt.action == specs.ActAllow {
				// A rule equal to the default is dropped; deny something else instead.
				b.spec.Linux.Seccomp.Syscalls[0].Names = []string{"acct"}
				b.spec.Linux.Seccomp.Syscalls[0].Action = specs.ActErrno
			}
			b.save()
			if r := e.runo("run", "--bundle", b.dir, b.id); !tt.want(r) {
				t.Errorf("%s: %v", tt.action, r)
			}
		})
	}
}

// TestSeccompOperators observes every argument operator on kill(2)'s signal argument: each
// rule denies with EPERM when its comparison with SIGCONT (18) holds.
func TestSeccompOperators(t *testing.T) {
	tests := []struct {
		op          specs.LinuxSeccompOperator
		value, mask uint64
		denied      bool // for kill -CONT
	}{
		{specs.OpEqualTo, 18, 0, true},
		{specs.OpEqualTo, 19, 0, false},
		{specs.OpNotEqual, 18, 0, false},
		{specs.OpNotEqual, 19, 0, true},
		{specs.OpLessThan, 19, 0, true},
		{specs.OpLessThan, 18, 0, false},
		{specs.OpLessEqual, 18, 0, true},
		{specs.OpGreaterThan, 17, 0, true},
		{specs.OpGreaterThan, 18, 0, false},
		{specs.OpGreaterEqual, 18, 0, true},
		{specs.OpMaskedEqual, 2, 0x2, true},  // 18 & 2 == 2
		{specs.OpMaskedEqual, 1, 0x1, false}, // 18 & 1 == 0
	}
	e := newEnv(t)
	for _, tt := range tests {
		name := fmt.Sprintf("%s %d mask %#x", tt.op, tt.value, tt.mask)
		t.Run(name, func(t *testing.T) {
			b := e.newBundle("sh", "-c", "kill -CONT $$ 2>/dev/null; echo rc=$?")
			arg := specs.LinuxSeccompArg{Index: 1, Value: tt.value, Op: tt.op}
			if tt.op == specs.OpMaskedEqual {
				arg.Value, arg.ValueTwo = tt.mask, tt.value
			}
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"kill"}, Action: specs.ActErrno,
					Args: []specs.LinuxSeccompArg{arg}}},
			}
			b.save()
			r := e.mustRuno("run", "--bundle", b.dir, b.id)
			want := "rc=0"
			if tt.denied {
				want = "rc=1"
			}
			if !strings.Contains(r.stdout, want) {
				t.Errorf("kill -CONT under %s: %q, want %s", name, r.stdout, want)
			}
		})
	}
}
