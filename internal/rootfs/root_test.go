package rootfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// helperEnv names the config file of a re-exec'd test binary that plays the
// container's init (see TestMain).
const helperEnv = "RUNO_ROOTFS_TEST_INIT"

func TestMain(m *testing.M) {
	if p := os.Getenv(helperEnv); p != "" {
		os.Exit(testInit(p))
	}
	os.Exit(m.Run())
}

// testCase is what the parent hands the re-exec'd init.
type testCase struct {
	Config  Config
	Checks  []string // names from initChecks to run after Enter
	Outside string   // host directory reached by the rootfs's escape link
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("requires root and RUNO_ROOT_TESTS=1")
	}
}

// newBundle makes a bundle with a busybox rootfs and returns its path, the
// rootfs and a host directory that the rootfs's "escape" link points to.
func newBundle(t *testing.T) (bundle, rootfs, outside string) {
	t.Helper()
	bundle = t.TempDir()
	rootfs = filepath.Join(bundle, "rootfs")
	outside = filepath.Join(bundle, "outside")
	for _, d := range []string{"bin", "etc", "proc", "sys", "tmp", "masked-dir", "ro-dir"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{outside, filepath.Join(bundle, "data", "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile("/usr/bin/busybox")
	if err != nil {
		t.Skipf("requires /usr/bin/busybox: %v", err)
	}
	files := map[string]string{
		"rootfs/bin/busybox":       string(bb),
		"rootfs/masked-dir/secret": "secret",
		"rootfs/masked-file":       "secret",
		"rootfs/ro-dir/file":       "x",
		"data/hello":               "hello",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(bundle, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// An absolute link to the host directory: inside the rootfs it must
	// resolve to rootfs/<outside>, never to the host's outside.
	if err := os.Symlink(outside, filepath.Join(rootfs, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../..", filepath.Join(rootfs, "up")); err != nil {
		t.Fatal(err)
	}
	return bundle, rootfs, outside
}

// defaultMounts are runc spec's defaults.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
	}
}

// runInit re-execs the test binary as the init of a container in new
// namespaces, with the bundle as its cwd, and fails t with its output.
func runInit(t *testing.T, bundle string, tc testCase, cloneflags uintptr) {
	t.Helper()
	b, err := json.Marshal(tc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Dir = bundle
	cmd.Env = append(os.Environ(), helperEnv+"="+cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	t.Logf("init output:\n%s", out)
	// The namespace died with the init: nothing may be left on the host.
	if ents, _ := os.ReadDir(tc.Outside); len(ents) != 0 {
		t.Errorf("host directory %s got %d entries through the escape link", tc.Outside, len(ents))
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if bytes.Contains(mi, []byte(bundle)) {
		t.Errorf("mounts under %s leaked to the host", bundle)
	}
}

func TestPrepareEnterPivot(t *testing.T) {
	requireRoot(t)
	bundle, rootfs, outside := newBundle(t)
	mounts := append(defaultMounts(),
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"},
		// Relative source: resolved against the bundle (the init's cwd).
		specs.Mount{Destination: "/data", Type: "bind", Source: "data", Options: []string{"rbind", "ro", "nosuid", "rprivate"}},
		specs.Mount{Destination: "/data-file", Type: "none", Source: "data/hello", Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/data-rro", Type: "bind", Source: "data", Options: []string{"rbind", "rro"}},
		specs.Mount{Destination: "/ro-tmpfs", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nodev"}},
		specs.Mount{Destination: "/escape/mnt", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/up/up-mnt", Type: "tmpfs", Source: "tmpfs"},
	)
	tc := testCase{
		Config: Config{
			Rootfs:        rootfs,
			Readonly:      true,
			Mounts:        mounts,
			Devices:       []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}},
			MaskedPaths:   []string{"/proc/kcore", "/masked-dir", "/masked-file", "/no/such/path"},
			ReadonlyPaths: []string{"/proc/sys", "/ro-dir", "/no/such/path"},
			Console:       true,
		},
		Checks: []string{"proc", "devnull", "devices", "devlinks", "masked", "readonly-paths",
			"readonly-root", "tmp-writable", "bind-ro", "escape", "cgroup-v1", "busybox", "console"},
		Outside: outside,
	}
	runInit(t, bundle, tc, unix.CLONE_NEWNS|unix.CLONE_NEWPID|unix.CLONE_NEWUTS|unix.CLONE_NEWIPC|unix.CLONE_NEWNET)
}

func TestPrepareEnterNoPivot(t *testing.T) {
	requireRoot(t)
	bundle, rootfs, outside := newBundle(t)
	// No /dev tmpfs: the nodes go into the rootfs, and the image's
	// /dev/console is a link to a file it wants the pty bound over.
	if err := os.MkdirAll(filepath.Join(rootfs, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/target", filepath.Join(rootfs, "dev", "console")); err != nil {
		t.Fatal(err)
	}
	tc := testCase{
		Config: Config{
			Rootfs:      rootfs,
			NoPivot:     true,
			NewCgroupNS: true,
			// Devices are then bound from the host, not made with mknod.
			InUserNS: true,
			Mounts: []specs.Mount{
				{Destination: "/proc", Type: "proc", Source: "proc"},
				{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro"}},
				{Destination: "/escape/mnt", Type: "tmpfs", Source: "tmpfs"},
			},
			MaskedPaths: []string{"/masked-file"},
			Console:     true,
		},
		Checks:  []string{"proc", "devnull", "devices", "masked", "root-writable", "escape", "cgroup-v1", "busybox", "console-symlink"},
		Outside: outside,
	}
	runInit(t, bundle, tc, unix.CLONE_NEWNS|unix.CLONE_NEWPID|unix.CLONE_NEWCGROUP)
}

// testInit is the re-exec'd init: Prepare, Enter, then the checks.
func testInit(casePath string) int {
	runtime.LockOSThread()
	b, err := os.ReadFile(casePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var tc testCase
	if err := json.Unmarshal(b, &tc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := Prepare(&tc.Config); err != nil {
		fmt.Fprintf(os.Stderr, "Prepare: %v\n", err)
		return 1
	}
	if err := Enter(&tc.Config); err != nil {
		fmt.Fprintf(os.Stderr, "Enter: %v\n", err)
		return 1
	}
	if err := Finalize(&tc.Config); err != nil {
		fmt.Fprintf(os.Stderr, "Finalize: %v\n", err)
		return 1
	}
	failed := 0
	for _, name := range tc.Checks {
		check, ok := initChecks[name]
		if !ok {
			err = fmt.Errorf("no such check")
		} else {
			err = check(&tc)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "check %s: %v\n", name, err)
			failed++
			continue
		}
		fmt.Printf("check %s: ok\n", name)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// initChecks run inside the container after Enter.
var initChecks = map[string]func(*testCase) error{
	"proc": func(*testCase) error {
		if err := wantFS("/proc", unix.PROC_SUPER_MAGIC); err != nil {
			return err
		}
		// A fresh procfs of our pid namespace: we are pid 1.
		link, err := os.Readlink("/proc/self")
		if err != nil || link != "1" {
			return fmt.Errorf("/proc/self = %q, %v, want 1", link, err)
		}
		return nil
	},
	"devnull": func(*testCase) error {
		f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.Write([]byte("x")); err != nil {
			return err
		}
		if n, err := f.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			return fmt.Errorf("read /dev/null = %d, %v, want EOF", n, err)
		}
		return nil
	},
	"devices": func(tc *testCase) error {
		for _, d := range allDevices(tc.Config.Devices) {
			p, want := d.Path, [2]uint32{uint32(d.Major), uint32(d.Minor)}
			var st unix.Stat_t
			if err := unix.Lstat(p, &st); err != nil {
				return err
			}
			if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Mode&0o777 != 0o666 ||
				unix.Major(st.Rdev) != want[0] || unix.Minor(st.Rdev) != want[1] {
				return fmt.Errorf("%s: mode %#o dev %d:%d, want char 0666 %d:%d", p, st.Mode,
					unix.Major(st.Rdev), unix.Minor(st.Rdev), want[0], want[1])
			}
		}
		return nil
	},
	"devlinks": func(*testCase) error {
		for p, want := range map[string]string{
			"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
			"/dev/stderr": "/proc/self/fd/2", "/dev/ptmx": "pts/ptmx",
		} {
			if got, err := os.Readlink(p); got != want {
				return fmt.Errorf("readlink %s = %q, %v, want %q", p, got, err, want)
			}
		}
		return wantFS("/dev/pts", unix.DEVPTS_SUPER_MAGIC)
	},
	"masked": func(tc *testCase) error {
		if b, err := os.ReadFile("/masked-file"); err != nil || len(b) != 0 {
			return fmt.Errorf("/masked-file reads %q, %v, want empty", b, err)
		}
		if slices.Contains(tc.Config.MaskedPaths, "/masked-dir") {
			ents, _ := os.ReadDir("/masked-dir")
			if len(ents) != 0 {
				return fmt.Errorf("/masked-dir shows %d entries", len(ents))
			}
			if err := os.WriteFile("/masked-dir/x", nil, 0o600); !errors.Is(err, unix.EROFS) {
				return fmt.Errorf("write in /masked-dir: %v, want EROFS", err)
			}
		}
		return nil
	},
	"readonly-paths": func(*testCase) error {
		if err := os.WriteFile("/ro-dir/file", []byte("y"), 0o600); !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("write /ro-dir/file: %v, want EROFS", err)
		}
		err := os.WriteFile("/proc/sys/kernel/hostname", []byte("h"), 0o600)
		if !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("write /proc/sys/kernel/hostname: %v, want EROFS", err)
		}
		return nil
	},
	"readonly-root": func(*testCase) error {
		if err := os.WriteFile("/newfile", nil, 0o600); !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("create /newfile: %v, want EROFS", err)
		}
		// ro sysfs stays read-only; /dev tmpfs without ro stays writable.
		if err := os.WriteFile("/dev/shm/x", nil, 0o600); err != nil {
			return err
		}
		return nil
	},
	"root-writable": func(*testCase) error {
		return os.WriteFile("/newfile", nil, 0o600)
	},
	"tmp-writable": func(*testCase) error {
		return os.WriteFile("/tmp/x", []byte("x"), 0o600)
	},
	"bind-ro": func(*testCase) error {
		if b, err := os.ReadFile("/data/hello"); err != nil || string(b) != "hello" {
			return fmt.Errorf("read /data/hello = %q, %v", b, err)
		}
		if err := os.WriteFile("/data/new", nil, 0o600); !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("write /data/new: %v, want EROFS", err)
		}
		if b, err := os.ReadFile("/data-file"); err != nil || string(b) != "hello" {
			return fmt.Errorf("read /data-file = %q, %v", b, err)
		}
		// Recursive read-only, and a tmpfs made read-only only by Enter.
		for _, p := range []string{"/data-rro/new", "/ro-tmpfs/new"} {
			if err := os.WriteFile(p, nil, 0o600); !errors.Is(err, unix.EROFS) {
				return fmt.Errorf("write %s: %v, want EROFS", p, err)
			}
		}
		var st unix.Statfs_t
		if err := unix.Statfs("/data", &st); err != nil || st.Flags&unix.ST_NOSUID == 0 {
			return fmt.Errorf("statfs /data flags %#x, %v, want nosuid", st.Flags, err)
		}
		return nil
	},
	"escape": func(tc *testCase) error {
		// /escape links to the host path: inside, that path is the
		// rootfs's, and the tmpfs must be there.
		if err := wantFS(filepath.Join(tc.Outside, "mnt"), unix.TMPFS_MAGIC); err != nil {
			return err
		}
		return wantFS("/escape/mnt", unix.TMPFS_MAGIC)
	},
	"cgroup-v1": func(*testCase) error {
		if err := wantFS("/sys/fs/cgroup", unix.TMPFS_MAGIC); err != nil {
			return nil // a cgroup2-only host: nothing v1 to check
		}
		ents, err := os.ReadDir("/sys/fs/cgroup")
		if err != nil || len(ents) == 0 {
			return fmt.Errorf("/sys/fs/cgroup has %d entries, %v", len(ents), err)
		}
		if err := wantFS("/sys/fs/cgroup/memory", unix.CGROUP_SUPER_MAGIC); err != nil {
			return err
		}
		if err := os.Mkdir("/sys/fs/cgroup/memory/x", 0o755); !errors.Is(err, unix.EROFS) {
			os.Remove("/sys/fs/cgroup/memory/x")
			return fmt.Errorf("mkdir in ro cgroup: %v, want EROFS", err)
		}
		return nil
	},
	"busybox": func(*testCase) error {
		out, err := exec.Command("/bin/busybox", "sh", "-c", "echo hi >/dev/null && cat /proc/self/mountinfo").CombinedOutput()
		if err != nil {
			return fmt.Errorf("busybox: %v: %s", err, out)
		}
		fmt.Printf("%s", out)
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "/" {
				return nil
			}
		}
		return fmt.Errorf("busybox mountinfo has no root mount:\n%s", out)
	},
	"console": func(*testCase) error {
		slave, err := openPtySlave()
		if err != nil {
			return err
		}
		if err := MountConsole(slave); err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Stat("/dev/console", &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 136 {
			return fmt.Errorf("/dev/console mode %#o major %d, want the pty", st.Mode, unix.Major(st.Rdev))
		}
		return nil
	},
	"console-symlink": func(*testCase) error {
		if err := os.WriteFile("/etc/target", nil, 0o600); err != nil {
			return err
		}
		err := MountConsole("/dev/null")
		if !errors.Is(err, ErrUnsafeConsole) && !errors.Is(err, unix.ELOOP) {
			return fmt.Errorf("MountConsole over a symlink: %v, want ErrUnsafeConsole", err)
		}
		return wantFS("/etc/target", 0) // still an ordinary file of the rootfs
	},
}

// wantFS checks the filesystem type of p (0: anything but tmpfs or devices).
func wantFS(p string, magic int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	if magic == 0 {
		var s unix.Stat_t
		if err := unix.Stat(p, &s); err != nil || s.Mode&unix.S_IFMT != unix.S_IFREG {
			return fmt.Errorf("%s is not a regular file (%v)", p, err)
		}
		return nil
	}
	if st.Type != magic {
		return fmt.Errorf("%s has fs type %#x, want %#x", p, st.Type, magic)
	}
	return nil
}

// openPtySlave opens a pty master on the container's devpts and returns the
// slave's path. The master stays open for the process's life.
func openPtySlave() (string, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return "", fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		return "", fmt.Errorf("ptsname: %w", err)
	}
	return fmt.Sprintf("/dev/pts/%d", n), nil
}
