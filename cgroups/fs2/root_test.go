package fs2

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/devices"
)

// rootManager returns a Manager for a cgroup under a test-owned parent in the host's cgroup2
// mount (the pure v2 /sys/fs/cgroup, or a hybrid host's /sys/fs/cgroup/unified). The Manager's
// hierarchy root is the parent, so that Apply enables controllers only there, never in the
// host's own cgroups. Everything is removed afterwards; the test fails if that is impossible.
func rootManager(t *testing.T) *Manager {
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
	parent := filepath.Join(mount, fmt.Sprintf("runo-fs2-test-%d", rand.Uint64()))
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(parent); err != nil {
			t.Errorf("remove test cgroups: %v", err)
		}
	})
	return &Manager{root: parent, dir: filepath.Join(parent, "mid", "ctr")}
}

// startSleeper starts a process that lives until killed, and reaps it at the end of the test.
func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func TestRootLifecycle(t *testing.T) {
	m := rootManager(t)
	cmd := startSleeper(t)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}

	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Errorf("Frozen() after Freeze = %v, %v; want true", f, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if f, err := m.Frozen(); err != nil || f {
		t.Errorf("Frozen() after Thaw = %v, %v; want false", f, err)
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Pids.Current != 1 {
		t.Errorf("Stats().Pids.Current = %d, want 1", st.Pids.Current)
	}

	err = m.KillAll()
	if errors.Is(err, cgroups.ErrNotSupported) {
		t.Log("cgroup.kill not supported; killing directly")
		cmd.Process.Kill()
	} else if err != nil {
		t.Fatalf("KillAll: %v", err)
	}
	werr := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(werr, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("sleeper ended with %v, want SIGKILL", werr)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := os.Stat(m.dir); !os.IsNotExist(err) {
		t.Errorf("cgroup after Destroy: %v", err)
	}
}

// TestRootDevices checks that Set installs the device filter: a process in the cgroup can open
// /dev/null but not /dev/zero.
func TestRootDevices(t *testing.T) {
	m := rootManager(t)
	if err := m.Apply(-1); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	rules := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"}}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	cmd := exec.Command("/bin/sh", "-c", "read go; for d in /dev/null /dev/zero; do if true <$d; then echo $d ok; else echo $d denied; fi; done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("Apply: %v", err)
	}
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shell: %v: %s", err, out.String())
	}
	if got := out.String(); !strings.Contains(got, "/dev/null ok") || !strings.Contains(got, "/dev/zero denied") {
		t.Errorf("in the cgroup: %q, want /dev/null ok and /dev/zero denied", got)
	}
	// Runc's default rules, as a real container gets them, load and verify in the kernel too.
	full := devices.ContainerRules(rules, []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}})
	if err := m.Set(&specs.LinuxResources{Devices: full}); err != nil {
		t.Fatalf("Set with the default rules: %v", err)
	}
}

// TestRootHugetlb sets a hugetlb limit when the host delegates the controller to the test's
// parent (a hybrid host gives cgroup2 hugetlb only if nothing mounted it as v1).
func TestRootHugetlb(t *testing.T) {
	m := rootManager(t)
	if !controllerEnabled(m.root, "hugetlb") {
		t.Skip("requires the hugetlb controller in the cgroup2 hierarchy's root subtree_control")
	}
	if err := m.Apply(-1); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	sizes, err := hugePageSizes(m.dir)
	if err != nil || len(sizes) == 0 {
		t.Fatalf("hugePageSizes() = %v, %v; want the host's sizes", sizes, err)
	}
	const limit = 2 << 30
	r := &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: sizes[0], Limit: limit}}}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	// The kernel rounds the limit down to whole pages; 2 GiB is whole for every size.
	if got, err := readUint(m.dir, "hugetlb."+sizes[0]+".max"); err != nil || got != limit {
		t.Errorf("hugetlb.%s.max = %d, %v; want %d", sizes[0], got, err, limit)
	}
	if _, err := m.Stats(); err != nil {
		t.Errorf("Stats: %v", err)
	}
}

// TestHierarchyRoot finds the host's cgroup2 mount from a path below it that does not exist
// yet. It reads only, so it needs no privilege.
func TestHierarchyRoot(t *testing.T) {
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
	got, err := hierarchyRoot(filepath.Join(mount, "runo-no-such-cgroup", "ctr"))
	if err != nil || got != mount {
		t.Errorf("hierarchyRoot() = %q, %v; want %q", got, err, mount)
	}
	if _, err := hierarchyRoot(t.TempDir()); err == nil {
		t.Errorf("hierarchyRoot(a temporary directory) = nil error, want one")
	}
}
