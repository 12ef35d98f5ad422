package seccomp

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// childEnv names the check a re-exec'd test binary runs (see TestMain): a
// filter binds the thread that loads it for good, so loading happens in a
// child process.
const childEnv = "RUNO_SECCOMP_TEST_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(runChild(name))
	}
	os.Exit(m.Run())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("requires root and RUNO_ROOT_TESTS=1")
	}
}

// children are the checks a child can run; each returns nil on success.
var children = map[string]func() error{
	"errno":  childErrno,
	"notify": childNotify,
	"docker": childDocker,
}

func runChild(name string) int {
	check, ok := children[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "no child check %q\n", name)
		return 2
	}
	if err := check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runInChild runs the named check in a re-exec'd test binary.
func runInChild(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
}

// loadOnThisThread locks the goroutine to its thread (for good: the thread
// carries the filter), sets no_new_privs and loads the profile.
func loadOnThisThread(s *specs.LinuxSeccomp) (int, error) {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("set no_new_privs: %w", err)
	}
	prog, _, err := Compile(s, runtime.GOARCH)
	if err != nil {
		return -1, err
	}
	return Load(prog, []specs.LinuxSeccompFlag{flagTsync})
}

// TestLoadErrno loads a filter that fails getppid(2) (which Go's runtime never
// calls) with EACCES, and getpgid(2) with EXDEV when its argument's high word
// is set, and checks what the kernel returns.
func TestLoadErrno(t *testing.T) {
	requireRoot(t)
	runInChild(t, "errno")
}

func childErrno() error {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EACCES))},
			{Names: []string{"getpgid"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EXDEV)),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: 0xffffffff}}},
		},
	}
	fd, err := loadOnThisThread(s)
	if err != nil {
		return err
	}
	if fd != -1 {
		return fmt.Errorf("Load = fd %d, want -1 without SCMP_ACT_NOTIFY", fd)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); e != unix.EACCES {
		return fmt.Errorf("getppid = %v, want EACCES", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_GETPGID, 1<<32, 0, 0); e != unix.EXDEV {
		return fmt.Errorf("getpgid(1<<32) = %v, want EXDEV", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0); e != 0 {
		return fmt.Errorf("getpgid(0) = %v, want success", e)
	}
	return nil
}

// TestLoadNotify loads a filter that sends getppid(2) to a listener and
// answers it from another thread of the same process.
func TestLoadNotify(t *testing.T) {
	requireRoot(t)
	runInChild(t, "notify")
}

// TestLoadDocker loads Docker's default profile and checks a few verdicts
// against the kernel: allowed, EPERM by default, ENOSYS by rule and by stub.
func TestLoadDocker(t *testing.T) {
	requireRoot(t)
	runInChild(t, "docker")
}

func childDocker() error {
	if runtime.GOARCH != "amd64" {
		return nil // the test data is amd64's profile
	}
	b, err := os.ReadFile("testdata/docker-default-amd64.json")
	if err != nil {
		return err
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if _, err := loadOnThisThread(&s); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		nr   uintptr
		args [3]uintptr
		want unix.Errno
	}{
		{"getppid", unix.SYS_GETPPID, [3]uintptr{}, 0},
		{"unshare(CLONE_NEWNS)", unix.SYS_UNSHARE, [3]uintptr{unix.CLONE_NEWNS}, unix.EPERM},
		{"clone3", unix.SYS_CLONE3, [3]uintptr{}, unix.ENOSYS},
		{"personality(0xffffffff)", unix.SYS_PERSONALITY, [3]uintptr{0xffffffff}, 0},
		{"syscall 1000", 1000, [3]uintptr{}, unix.ENOSYS},
	} {
		if _, _, e := unix.RawSyscall(c.nr, c.args[0], c.args[1], c.args[2]); e != c.want {
			return fmt.Errorf("%s = %v, want %v", c.name, e, c.want)
		}
	}
	return nil
}
