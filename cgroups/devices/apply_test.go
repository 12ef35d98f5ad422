package devices

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// testCgroup creates an empty cgroup v2 directory owned by the test and removes it afterwards.
// It skips unless run as root with RUNO_ROOT_TESTS=1 on a host with a cgroup2 mount (the pure
// v2 /sys/fs/cgroup, or a hybrid host's /sys/fs/cgroup/unified).
func testCgroup(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("requires root and RUNO_ROOT_TESTS=1")
	}
	var mount string
	for _, m := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(m, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			mount = m
			break
		}
	}
	if mount == "" {
		t.Skip("requires a cgroup v2 mount")
	}
	dir := filepath.Join(mount, fmt.Sprintf("runo-devices-test-%d", rand.Uint64()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Rmdir(dir); err != nil {
			t.Errorf("remove test cgroup: %v", err)
		}
	})
	return dir
}

func runoPrograms(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	progs, err := attached(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	closeAll(progs)
	return len(progs)
}

// openInCgroup starts a shell in the cgroup dir that opens each path for reading and reports
// which opens succeeded.
func openInCgroup(t *testing.T, dir string, paths ...string) string {
	t.Helper()
	var script strings.Builder
	script.WriteString("read go\n")
	for _, p := range paths {
		fmt.Fprintf(&script, "if true <%s; then echo %s ok; else echo %s denied; fi\n", p, p, p)
	}
	cmd := exec.Command("/bin/sh", "-c", script.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shell: %v: %s", err, out.String())
	}
	return out.String()
}

func TestApplyEnforces(t *testing.T) {
	dir := testCgroup(t)
	rules := []specs.LinuxDeviceCgroup{denyAll, devRule(true, "c", 1, 3, "rwm")}
	if err := Apply(dir, rules); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := openInCgroup(t, dir, "/dev/null", "/dev/zero"); !strings.Contains(got, "/dev/null ok") || !strings.Contains(got, "/dev/zero denied") {
		t.Errorf("with /dev/null allowed: %q, want /dev/null ok and /dev/zero denied", got)
	}

	// An update replaces the program: /dev/zero now, /dev/null no more.
	rules = []specs.LinuxDeviceCgroup{denyAll, devRule(true, "c", 1, 5, "r")}
	if err := Apply(dir, rules); err != nil {
		t.Fatalf("Apply again: %v", err)
	}
	if got, want := runoPrograms(t, dir), 1; got != want {
		t.Errorf("runo programs after update = %d, want %d", got, want)
	}
	if got := openInCgroup(t, dir, "/dev/null", "/dev/zero"); !strings.Contains(got, "/dev/null denied") || !strings.Contains(got, "/dev/zero ok") {
		t.Errorf("with /dev/zero allowed: %q, want /dev/null denied and /dev/zero ok", got)
	}

	if err := Remove(dir); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if got := runoPrograms(t, dir); got != 0 {
		t.Errorf("runo programs after Remove = %d, want 0", got)
	}
}

// TestApplyKeepsForeignPrograms checks that Apply leaves a device program it did not attach.
func TestApplyKeepsForeignPrograms(t *testing.T) {
	dir := testCgroup(t)
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	insns, err := programFor([]specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := load(insns, "other")
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(foreign)
	if err := attachProgram(int(f.Fd()), foreign); err != nil {
		t.Fatal(err)
	}
	defer detachProgram(int(f.Fd()), foreign)

	for i := 0; i < 2; i++ {
		if err := Apply(dir, DefaultRules()); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := queryPrograms(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ids), 2; got != want {
		t.Errorf("attached programs = %d, want %d (the foreign one and runo's)", got, want)
	}
}

// TestLoadReportsVerifier checks that a program the kernel refuses is reported with the
// verifier's reason.
func TestLoadReportsVerifier(t *testing.T) {
	testCgroup(t)
	_, err := load([]insn{alu32Imm(unix.BPF_MOV, r0, 1)}, "bad") // no exit
	if err == nil || !strings.Contains(err.Error(), "verifier: ") {
		t.Fatalf("load of a program without exit = %v, want an error with the verifier's reason", err)
	}
	t.Log(err)
}
