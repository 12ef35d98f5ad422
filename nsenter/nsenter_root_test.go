package nsenter_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
	"github.com/runo-project/runo/nsenter"
)

const busybox = "/usr/bin/busybox"

// The test binary doubles as a child that makes a time namespace (nsenter.UnshareTime wants
// the main thread) and then execs busybox with the arguments that follow.
const (
	helperEnv  = "RUNO_NSENTER_TEST_HELPER"
	offsetsEnv = "RUNO_NSENTER_TEST_BOOTTIME"
)

func init() {
	if os.Getenv(helperEnv) != "" {
		runtime.LockOSThread() // init runs on the main thread: keep main there
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "timens" {
		os.Exit(timensHelper())
	}
	os.Exit(m.Run())
}

// timensHelper makes a time namespace with the boottime offset from the environment and execs
// the rest of its arguments.
func timensHelper() int {
	secs, err := strconv.ParseInt(os.Getenv(offsetsEnv), 10, 64)
	if err == nil {
		err = nsenter.UnshareTime(map[string]specs.LinuxTimeOffset{
			"boottime":  {Secs: secs},
			"monotonic": {Secs: secs, Nanosecs: 7},
		})
	}
	if err == nil {
		err = syscall.Exec(busybox, os.Args[1:], os.Environ())
	}
	fmt.Fprintln(os.Stderr, "timens helper:", err)
	return 1
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 || os.Getenv("RUNO_ROOT_TESTS") != "1" {
		t.Skip("requires root and RUNO_ROOT_TESTS=1")
	}
}

// nsLink returns the namespace of process pid of one type, as "net:[4026531840]".
func nsLink(t *testing.T, pid int, typ specs.LinuxNamespaceType) string {
	t.Helper()
	name, err := nsenter.ProcName(typ)
	if err != nil {
		t.Fatal(err)
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return link
}

func nsPath(t *testing.T, pid int, typ specs.LinuxNamespaceType) string {
	t.Helper()
	name, err := nsenter.ProcName(typ)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("/proc/%d/ns/%s", pid, name)
}

// holder starts a process that holds new namespaces for the test, and returns its pid once it
// printed "ready". The script runs under busybox sh; the process is killed in Cleanup.
func holder(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start holder: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder said %q, %v; want ready", line, err)
	}
	return pid
}

// shHolder holds namespaces made by Cloneflags; script runs first, then it sleeps.
func shHolder(t *testing.T, attr *syscall.SysProcAttr, script string) int {
	t.Helper()
	cmd := exec.Command(busybox, "sh", "-c", script+"\necho ready\nexec "+busybox+" sleep 1000")
	cmd.SysProcAttr = attr
	return holder(t, cmd)
}

var (
	rootMaps  = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	rootMapsS = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
)

// child is a process started by nsenter.Start that runs a busybox script. It prints, waits for
// stdin to close, and exits.
type child struct {
	proc *os.Process
	out  *bufio.Reader
	in   *os.File
}

// startChild starts busybox sh -c script through nsenter.Start with c's namespaces.
func startChild(t *testing.T, c nsenter.Config, script string) *child {
	t.Helper()
	if c.Path == "" {
		c.Path = busybox
		c.Args = []string{"busybox", "sh", "-c", script}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.Stdin == nil {
		c.Stdin = inR
	}
	c.Stdout, c.Stderr = outW, os.Stderr
	proc, err := nsenter.Start(&c)
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() {
		proc.Kill() // after a successful wait this fails harmlessly
		proc.Wait()
		inW.Close()
		outR.Close()
	})
	return &child{proc: proc, out: bufio.NewReader(outR), in: inW}
}

func (c *child) line(t *testing.T) string {
	t.Helper()
	s, err := c.out.ReadString('\n')
	if err != nil {
		t.Fatalf("read from child: %q, %v", s, err)
	}
	return strings.TrimSuffix(s, "\n")
}

// finish closes stdin, waits, and checks the exit status; it returns the rest of stdout.
func (c *child) finish(t *testing.T) string {
	t.Helper()
	c.in.Close()
	rest, err := io.ReadAll(c.out)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.proc.Wait()
	if err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if !st.Success() {
		t.Fatalf("child exited with %v; output %q", st, rest)
	}
	return string(rest)
}

// waitScript prints what the test checks, then waits for stdin to close: the test inspects
// /proc/<pid> meanwhile.
const waitScript = `echo $$; read x; exit 0`

// holderFlags are the clone flags a holder needs for each namespace type.
var holderFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     syscall.CLONE_NEWPID,
	specs.NetworkNamespace: syscall.CLONE_NEWNET,
	specs.MountNamespace:   syscall.CLONE_NEWNS,
	specs.IPCNamespace:     syscall.CLONE_NEWIPC,
	specs.UTSNamespace:     syscall.CLONE_NEWUTS,
	specs.UserNamespace:    syscall.CLONE_NEWUSER,
	specs.CgroupNamespace:  syscall.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

var allTypes = []specs.LinuxNamespaceType{
	specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace,
	specs.UTSNamespace, specs.UserNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

// TestNewNamespace starts a child in one new namespace of each type and checks that the child
// is in a namespace of that type other than the test's, and in the test's for every other type.
func TestNewNamespace(t *testing.T) {
	requireRoot(t)
	self := os.Getpid()
	for _, typ := range allTypes {
		t.Run(string(typ), func(t *testing.T) {
			c := nsenter.Config{Namespaces: []specs.LinuxNamespace{{Type: typ}}}
			if typ == specs.UserNamespace {
				c.UIDMappings, c.GIDMappings = rootMaps, rootMaps
			}
			if typ == specs.TimeNamespace {
				// The helper child nests one more time namespace, with an offset, by UnshareTime.
				exe, err := os.Executable()
				if err != nil {
					t.Fatal(err)
				}
				c.Path, c.Args = exe, []string{"busybox", "sh", "-c", waitScript}
				c.Env = append(os.Environ(), helperEnv+"=timens", offsetsEnv+"=1000000")
			}
			ch := startChild(t, c, waitScript)
			inner := ch.line(t)
			pid := ch.proc.Pid
			for _, other := range allTypes {
				got, self := nsLink(t, pid, other), nsLink(t, self, other)
				if other == typ && got == self {
					t.Errorf("%s namespace of child = %s, the test's; want a new one", other, got)
				}
				if other != typ && got != self {
					t.Errorf("%s namespace of child = %s, want the test's %s", other, got, self)
				}
			}
			switch typ {
			case specs.PIDNamespace:
				if inner != "1" {
					t.Errorf("pid in new pid namespace = %s, want 1", inner)
				}
			case specs.UserNamespace:
				checkUserNS(t, pid)
			case specs.TimeNamespace:
				checkUptime(t, pid, 1000000)
			}
			ch.finish(t)
		})
	}
}

// checkUserNS checks that process pid is root of a user namespace mapped by rootMaps.
func checkUserNS(t *testing.T, pid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(b)), []string{"0", "100000", "65536"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("uid_map = %q, want %q", got, want)
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	// uid 0 inside is 100000 outside: the child became root of its namespace, and kept its
	// capabilities across execve.
	for _, want := range []string{"Uid:\t100000\t100000\t100000\t100000", "Gid:\t100000\t100000\t100000\t100000", "CapEff:\t000001ff"} {
		if !strings.Contains(string(st), want) {
			t.Errorf("/proc/%d/status lacks %q:\n%s", pid, want, st)
		}
	}
}

// checkUptime checks that process pid sees the boottime clock at least secs ahead.
func checkUptime(t *testing.T, pid int, secs int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/timens_offsets", pid))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("boottime %d 0", secs)
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), want) {
		t.Errorf("timens_offsets = %q, want %q", b, want)
	}
}

// TestJoinNamespace joins one namespace of each type, held by another process.
func TestJoinNamespace(t *testing.T) {
	requireRoot(t)
	self := os.Getpid()
	for _, typ := range allTypes {
		t.Run(string(typ), func(t *testing.T) {
			var h int
			if typ == specs.TimeNamespace {
				h = timeHolder(t, 2000000)
			} else {
				attr := &syscall.SysProcAttr{Cloneflags: holderFlags[typ]}
				if typ == specs.UserNamespace {
					attr.UidMappings, attr.GidMappings = rootMapsS, rootMapsS
				}
				h = shHolder(t, attr, "")
			}
			c := nsenter.Config{Namespaces: []specs.LinuxNamespace{{Type: typ, Path: nsPath(t, h, typ)}}}
			ch := startChild(t, c, waitScript)
			inner := ch.line(t)
			pid := ch.proc.Pid
			for _, other := range allTypes {
				got, want := nsLink(t, pid, other), nsLink(t, self, other)
				if other == typ {
					want = nsLink(t, h, other)
				}
				if got != want {
					t.Errorf("%s namespace of child = %s, want %s", other, got, want)
				}
			}
			switch typ {
			case specs.PIDNamespace:
				// The holder is 1 (busybox sh, exec'd into sleep); the child came after.
				if inner == "1" || inner == strconv.Itoa(pid) {
					t.Errorf("pid in joined pid namespace = %s, want neither 1 nor %d", inner, pid)
				}
			case specs.UserNamespace:
				checkUserNS(t, pid)
			case specs.TimeNamespace:
				checkUptime(t, pid, 2000000)
			}
			ch.finish(t)
		})
	}
}

// timeHolder holds a time namespace with a boottime offset, made by UnshareTime.
func timeHolder(t *testing.T, secs int64) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "busybox", "sh", "-c", "echo ready; exec "+busybox+" sleep 1000")
	cmd.Env = append(os.Environ(), helperEnv+"=timens", offsetsEnv+"="+strconv.FormatInt(secs, 10))
	return holder(t, cmd)
}

// owner returns the inode of the user namespace that owns process pid's namespace of type typ.
func owner(t *testing.T, pid int, typ specs.LinuxNamespaceType) uint64 {
	t.Helper()
	f, err := os.Open(nsPath(t, pid, typ))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_USERNS)
	if err != nil {
		t.Fatalf("NS_GET_USERNS on %s: %v", f.Name(), err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func ino(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestCombinations covers the cases the raw fork exists for: a user namespace joined together
// with other joins, new namespaces owned by a new or joined user namespace, a pid namespace
// that needs the second fork.
func TestCombinations(t *testing.T) {
	requireRoot(t)
	self := os.Getpid()
	newNS := func(types ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
		var out []specs.LinuxNamespace
		for _, typ := range types {
			out = append(out, specs.LinuxNamespace{Type: typ})
		}
		return out
	}
	joinAll := func(t *testing.T, h int, types ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
		var out []specs.LinuxNamespace
		for _, typ := range types {
			out = append(out, specs.LinuxNamespace{Type: typ, Path: nsPath(t, h, typ)})
		}
		return out
	}
	var holderAll uintptr
	for _, f := range holderFlags {
		holderAll |= f
	}
	tests := []struct {
		name string
		// holder makes the process whose namespaces are joined; nil for none.
		holder func(t *testing.T) int
		ns     func(t *testing.T, h int) []specs.LinuxNamespace
		maps   bool
		// joined lists the types expected to be the holder's, created the types expected new
		// and owned by the child's user namespace; all others are the test's.
		joined, created []specs.LinuxNamespaceType
		pid1            bool // the child is pid 1 of its pid namespace
	}{
		{
			name: "join all eight, user last",
			holder: func(t *testing.T) int {
				return shHolder(t, &syscall.SysProcAttr{Cloneflags: holderAll, UidMappings: rootMapsS, GidMappings: rootMapsS}, "")
			},
			ns: func(t *testing.T, h int) []specs.LinuxNamespace {
				return joinAll(t, h, allTypes...)
			},
			joined: allTypes,
		},
		{
			name: "join user with new pid, net, mount, ipc, uts, cgroup",
			holder: func(t *testing.T) int {
				return shHolder(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, UidMappings: rootMapsS, GidMappings: rootMapsS}, "")
			},
			ns: func(t *testing.T, h int) []specs.LinuxNamespace {
				return append(newNS(specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace),
					joinAll(t, h, specs.UserNamespace)...)
			},
			joined:  []specs.LinuxNamespaceType{specs.UserNamespace},
			created: []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace},
			pid1:    true,
		},
		{
			name: "new user and all new",
			ns: func(t *testing.T, h int) []specs.LinuxNamespace {
				return newNS(specs.UserNamespace, specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace)
			},
			maps:    true,
			created: []specs.LinuxNamespaceType{specs.UserNamespace, specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace},
			pid1:    true,
		},
		{
			// The host-owned namespaces are joined before the new user namespace exists.
			name: "new user with joined net, time, mount and new pid",
			holder: func(t *testing.T) int {
				return shHolder(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | unix.CLONE_NEWTIME | syscall.CLONE_NEWNS}, "")
			},
			ns: func(t *testing.T, h int) []specs.LinuxNamespace {
				return append(newNS(specs.UserNamespace, specs.PIDNamespace),
					joinAll(t, h, specs.NetworkNamespace, specs.TimeNamespace, specs.MountNamespace)...)
			},
			maps:    true,
			joined:  []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.TimeNamespace, specs.MountNamespace},
			created: []specs.LinuxNamespaceType{specs.UserNamespace, specs.PIDNamespace},
			pid1:    true,
		},
		{
			name: "joined pid and net, new mount, no user",
			holder: func(t *testing.T) int {
				return shHolder(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNET}, "")
			},
			ns: func(t *testing.T, h int) []specs.LinuxNamespace {
				return append(newNS(specs.MountNamespace), joinAll(t, h, specs.PIDNamespace, specs.NetworkNamespace)...)
			},
			joined:  []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace},
			created: []specs.LinuxNamespaceType{specs.MountNamespace},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := 0
			if tt.holder != nil {
				h = tt.holder(t)
			}
			c := nsenter.Config{Namespaces: tt.ns(t, h)}
			if tt.maps {
				c.UIDMappings, c.GIDMappings = rootMaps, rootMaps
			}
			ch := startChild(t, c, waitScript)
			inner := ch.line(t)
			pid := ch.proc.Pid
			userIno := ino(t, nsPath(t, pid, specs.UserNamespace))
			for _, typ := range allTypes {
				got := nsLink(t, pid, typ)
				switch {
				case contains(tt.joined, typ):
					if want := nsLink(t, h, typ); got != want {
						t.Errorf("%s namespace = %s, want the holder's %s", typ, got, want)
					}
				case contains(tt.created, typ):
					if self := nsLink(t, self, typ); got == self {
						t.Errorf("%s namespace = %s, the test's; want a new one", typ, got)
					}
					if h != 0 && got == nsLink(t, h, typ) {
						t.Errorf("%s namespace = %s, the holder's; want a new one", typ, got)
					}
					if typ != specs.UserNamespace && owner(t, pid, typ) != userIno {
						t.Errorf("%s namespace is owned by user namespace %d, want the child's %d", typ, owner(t, pid, typ), userIno)
					}
				default:
					if want := nsLink(t, self, typ); got != want {
						t.Errorf("%s namespace = %s, want the test's %s", typ, got, want)
					}
				}
			}
			if tt.pid1 && inner != "1" {
				t.Errorf("pid in new pid namespace = %s, want 1", inner)
			}
			if contains(tt.joined, specs.UserNamespace) || tt.maps {
				checkUserNS(t, pid)
			}
			ch.finish(t)
		})
	}
}

func contains(types []specs.LinuxNamespaceType, typ specs.LinuxNamespaceType) bool {
	for _, x := range types {
		if x == typ {
			return true
		}
	}
	return false
}

// TestJoinMountWithoutBinary joins a mount namespace in which Path does not exist: the child
// must exec the binary opened in the caller's namespace.
func TestJoinMountWithoutBinary(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "busybox")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// In the holder's mount namespace a tmpfs hides dir/bin and holds dir/marker.
	h := shHolder(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}, fmt.Sprintf(
		"set -e; %[1]s mount --make-rprivate /; %[1]s mount -t tmpfs tmpfs %[2]s; echo inside > %[2]s/marker",
		busybox, dir))
	c := nsenter.Config{
		Path:       bin,
		Args:       []string{"busybox", "sh", "-c", fmt.Sprintf("test -e %s || echo hidden; cat %s/marker", bin, dir)},
		Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace, Path: nsPath(t, h, specs.MountNamespace)}},
	}
	ch := startChild(t, c, "")
	if got, want := ch.finish(t), "hidden\ninside\n"; got != want {
		t.Errorf("child printed %q, want %q", got, want)
	}
}

// TestFiles checks the fd layout: stdio, extra files in order, a nil extra file left closed.
func TestFiles(t *testing.T) {
	requireRoot(t)
	r3, w3, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	c := nsenter.Config{
		ExtraFiles: []*os.File{w3, nil},
		Namespaces: []specs.LinuxNamespace{{Type: specs.UTSNamespace}},
	}
	ch := startChild(t, c, `echo three >&3; if { true >&4; } 2>/dev/null; then echo 4 open; fi; echo out`)
	w3.Close()
	if got, want := ch.finish(t), "out\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	b, err := io.ReadAll(r3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "three\n"; got != want {
		t.Errorf("fd 3 = %q, want %q", got, want)
	}
}

// TestFilesKeepInPlace passes the caller's own fd 0 as the child's fd 0: the fd stays where it
// is, and nothing the child does before must close it (the ack pipe's end once did, as fd 0).
func TestFilesKeepInPlace(t *testing.T) {
	requireRoot(t)
	c := nsenter.Config{
		Stdin:      os.Stdin,
		Namespaces: []specs.LinuxNamespace{{Type: specs.UTSNamespace}},
	}
	ch := startChild(t, c, `if [ -e /proc/self/fd/0 ]; then echo stdin open; fi`)
	if got, want := ch.finish(t), "stdin open\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

// children lists the test process's children, to find leaks.
func children(t *testing.T) map[string]bool {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // the thread exited
		}
		for _, pid := range strings.Fields(string(b)) {
			out[pid] = true
		}
	}
	return out
}

// TestStartErrors checks that failures name their step, keep the errno, and leave no child.
func TestStartErrors(t *testing.T) {
	requireRoot(t)
	h := shHolder(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUSER, UidMappings: rootMapsS, GidMappings: rootMapsS}, "")
	netPath := nsPath(t, h, specs.NetworkNamespace)
	tests := []struct {
		name    string
		c       nsenter.Config
		wantErr error
		wantMsg string
	}{
		{
			name:    "missing namespace file",
			c:       nsenter.Config{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/nonexistent/ns"}}},
			wantErr: unix.ENOENT,
			wantMsg: "open network namespace /nonexistent/ns: no such file or directory",
		},
		{
			// A net namespace file given as ipc: setns checks the type in the child.
			name:    "wrong namespace type",
			c:       nsenter.Config{Namespaces: []specs.LinuxNamespace{{Type: specs.IPCNamespace, Path: netPath}}},
			wantErr: unix.EINVAL,
			wantMsg: "join ipc namespace " + netPath + ": invalid argument",
		},
		{
			name: "wrong type after a pid fork",
			c: nsenter.Config{Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.UserNamespace}, {Type: specs.UTSNamespace, Path: netPath},
			}, UIDMappings: rootMaps, GIDMappings: rootMaps},
			wantErr: unix.EINVAL,
			wantMsg: "join uts namespace " + netPath + ": invalid argument",
		},
		{
			// The grandchild fails: both it and the process in between must be reaped.
			name:    "exec fails in the grandchild",
			c:       nsenter.Config{Path: "/", Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.UserNamespace}}, UIDMappings: rootMaps, GIDMappings: rootMaps},
			wantErr: unix.EACCES,
			wantMsg: "exec /: permission denied",
		},
		{
			name:    "missing binary",
			c:       nsenter.Config{Path: "/nonexistent/runo"},
			wantErr: unix.ENOENT,
			wantMsg: "open /nonexistent/runo: no such file or directory",
		},
		{
			// Overlapping ranges: the kernel refuses the uid map that the parent writes.
			name: "bad id map",
			c: nsenter.Config{
				Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}},
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}, {ContainerID: 5, HostID: 200000, Size: 10}},
			},
			wantErr: unix.EINVAL,
		},
		{
			name:    "duplicate",
			c:       nsenter.Config{Namespaces: []specs.LinuxNamespace{{Type: specs.UTSNamespace}, {Type: specs.UTSNamespace}}},
			wantErr: nsenter.ErrDuplicateNamespace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := children(t)
			c := tt.c
			if c.Path == "" {
				c.Path = busybox
				c.Args = []string{"busybox", "true"}
			}
			p, err := nsenter.Start(&c)
			if err == nil {
				p.Wait()
				t.Fatalf("Start() = nil error, want %v", tt.wantErr)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Start() = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Start() = %q, want %q", err, tt.wantMsg)
			}
			for pid := range children(t) {
				if !before[pid] {
					t.Errorf("child %s left behind", pid)
				}
			}
		})
	}
}

// TestConcurrentStarts runs Starts in parallel with the rest of the runtime busy.
func TestConcurrentStarts(t *testing.T) {
	requireRoot(t)
	const n = 16
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			c := nsenter.Config{
				Path:        busybox,
				Args:        []string{"busybox", "true"},
				Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}},
				UIDMappings: rootMaps, GIDMappings: rootMaps,
			}
			p, err := nsenter.Start(&c)
			if err != nil {
				errs <- err
				return
			}
			st, err := p.Wait()
			if err == nil && !st.Success() {
				err = fmt.Errorf("child exited with %v", st)
			}
			errs <- err
		}()
	}
	garbage := make([][]byte, 0, 1024)
	for i := 0; i < n; i++ {
		for j := 0; j < 64; j++ {
			garbage = append(garbage, make([]byte, 4096))
		}
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	runtime.KeepAlive(garbage)
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or "".
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		// "... mountpoint opts [optional...] - fstype source superopts"
		pre, post, ok := strings.Cut(line, " - ")
		if f := strings.Fields(pre); ok && len(f) > 4 && strings.HasPrefix(post, "cgroup2 ") {
			return f[4]
		}
	}
	return ""
}

// TestCgroup starts a child in a cgroup with a new cgroup namespace: the namespace must be
// rooted at that cgroup.
func TestCgroup(t *testing.T) {
	requireRoot(t)
	mnt := cgroup2Mount(t)
	if mnt == "" {
		t.Skip("requires cgroup v2")
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var parent string
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			parent = p
		}
	}
	rel := filepath.Join(parent, fmt.Sprintf("runo-nsenter-test-%d", os.Getpid()))
	dir := filepath.Join(mnt, rel)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("requires a writable cgroup v2 hierarchy: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove test cgroup: %v", err)
		}
	})
	cg, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	c := nsenter.Config{
		Namespaces: []specs.LinuxNamespace{{Type: specs.CgroupNamespace}, {Type: specs.PIDNamespace}},
		Cgroup:     cg,
	}
	ch := startChild(t, c, "grep ^0:: /proc/self/cgroup; read x; exit 0")
	if got, want := ch.line(t), "0::/"; got != want {
		t.Errorf("cgroup seen inside = %q, want %q", got, want)
	}
	outside, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", ch.proc.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if want := "0::" + rel + "\n"; !strings.Contains(string(outside), want) {
		t.Errorf("/proc/%d/cgroup = %q, want a line %q", ch.proc.Pid, outside, want)
	}
	ch.finish(t)
}

// v1Cgroup makes a cgroup named for this test in the v1 hierarchy of controller and returns
// its path relative to the hierarchy's root and its directory.
func v1Cgroup(t *testing.T, controller string) (rel, dir string) {
	t.Helper()
	root := filepath.Join("/sys/fs/cgroup", controller)
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil || fs.Type != unix.CGROUP_SUPER_MAGIC {
		t.Skipf("requires the cgroup v1 %s hierarchy at %s", controller, root)
	}
	rel = fmt.Sprintf("/runo-nsenter-test-%d-%s", os.Getpid(), t.Name())
	dir = filepath.Join(root, rel)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove test cgroup: %v", err)
		}
	})
	return rel, dir
}

// TestCgroupTasks starts a child that enters v1 cgroups by itself, in a new pid namespace: the
// child, and the process that execs one fork below it, must be in them.
func TestCgroupTasks(t *testing.T) {
	requireRoot(t)
	pidsRel, pidsDir := v1Cgroup(t, "pids")
	memRel, memDir := v1Cgroup(t, "memory")
	var tasks []*os.File
	for _, dir := range []string{pidsDir, memDir} {
		f, err := os.OpenFile(filepath.Join(dir, "tasks"), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tasks = append(tasks, f)
	}
	c := nsenter.Config{
		Namespaces:  []specs.LinuxNamespace{{Type: specs.PIDNamespace}},
		CgroupTasks: tasks,
	}
	ch := startChild(t, c, "echo ready; read x; exit 0")
	ch.line(t)
	own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", ch.proc.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{":pids:" + pidsRel + "\n", ":memory:" + memRel + "\n"} {
		if !strings.Contains(string(own), want) {
			t.Errorf("/proc/%d/cgroup = %q, want a line ending %q", ch.proc.Pid, own, want)
		}
	}
	ch.finish(t)
}

// TestCgroupTasksRefused: a cgroup that refuses the child fails Start with the tasks file
// named, and leaves no process behind.
func TestCgroupTasksRefused(t *testing.T) {
	requireRoot(t)
	_, dir := v1Cgroup(t, "cpuset") // a new v1 cpuset has no cpus: it refuses tasks
	f, err := os.OpenFile(filepath.Join(dir, "tasks"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before := children(t)
	_, err = nsenter.Start(&nsenter.Config{Path: busybox, Args: []string{"busybox", "true"}, CgroupTasks: []*os.File{f}})
	if err == nil || !strings.Contains(err.Error(), "enter cgroup: write "+f.Name()) {
		t.Fatalf("Start() = %v, want an error naming %s", err, f.Name())
	}
	if after := children(t); len(after) != len(before) {
		t.Errorf("children before %v, after %v: a process was left behind", before, after)
	}
}

// programExec returns a program that opens dir (O_PATH, at AT_FDCWD: -100), fchdirs through that fd (an argument
// from an earlier step), checks with getcwd that the cwd starts with '/', and execs busybox
// with args.
func programExec(t *testing.T, dir string, args ...string) *sysprog.Program {
	t.Helper()
	p := &sysprog.Program{}
	path, err := p.String(dir)
	if err != nil {
		t.Fatal(err)
	}
	open := p.Add(sysprog.Step{Trap: unix.SYS_OPENAT, Args: [6]uintptr{^uintptr(99), path, unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC}})
	p.Add(sysprog.Step{Trap: unix.SYS_FCHDIR, From: open + 1, FromArg: 0})
	buf := make([]byte, 64)
	p.Add(sysprog.Step{Trap: unix.SYS_GETCWD, Args: [6]uintptr{p.Ptr(buf, unsafe.Pointer(&buf[0])), uintptr(len(buf))},
		Check: &buf[0], Want: '/', Err: func(errno syscall.Errno) error { return fmt.Errorf("cwd check: %w", errno) }})
	bin, err := p.String(busybox)
	if err != nil {
		t.Fatal(err)
	}
	argv, err := p.Strings(append([]string{"busybox"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	envv, err := p.Strings(nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(sysprog.Step{Trap: unix.SYS_EXECVE, Args: [6]uintptr{bin, argv, envv},
		Err: func(errno syscall.Errno) error { return &os.PathError{Op: "exec", Path: busybox, Err: errno} }})
	if err := p.Prepare(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProgram runs a system call program instead of a binary, in a vfork child (no user
// namespace) and in a forked one (a new user namespace), and checks a failed step's error.
func TestProgram(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name string
		ns   []specs.LinuxNamespace
	}{
		{"vfork", []specs.LinuxNamespace{{Type: specs.UTSNamespace}}},
		{"fork", []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.PIDNamespace}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := nsenter.Config{
				Path:        "program",
				Program:     programExec(t, dir, "sh", "-c", "pwd"),
				Namespaces:  tc.ns,
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}},
				GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}},
			}
			ch := startChild(t, c, "")
			if got, want := ch.finish(t), dir+"\n"; got != want {
				t.Errorf("child printed %q, want %q", got, want)
			}

			c.Program = programExec(t, filepath.Join(dir, "missing"))
			before := children(t)
			_, err := nsenter.Start(&c)
			if !errors.Is(err, unix.ENOENT) {
				t.Fatalf("Start() with a program whose open fails = %v, want ENOENT", err)
			}
			if got := children(t); len(got) != len(before) {
				t.Errorf("children after a failed program: %v, before %v", got, before)
			}

			// An early program runs before the joins; its failure stops the child there.
			c.Program = programExec(t, dir, "true")
			c.Early = &sysprog.Program{}
			c.Early.Add(sysprog.Step{Trap: unix.SYS_CLOSE, Args: [6]uintptr{^uintptr(0)},
				Err: func(errno syscall.Errno) error { return fmt.Errorf("early close: %w", errno) }})
			if err := c.Early.Prepare(); err != nil {
				t.Fatal(err)
			}
			if _, err := nsenter.Start(&c); err == nil || !strings.Contains(err.Error(), "early close") || !errors.Is(err, unix.EBADF) {
				t.Fatalf("Start() with a failing early program = %v, want its step's EBADF", err)
			}
		})
	}
}

// TestHold checks Config.Hold: the child waits, before its execve, while Hold runs with its
// pid; an error of Hold is Start's and leaves no process. The child shares the caller's memory
// on a stack of its own (no user namespace), or has a copy of it (a new user namespace); the
// caller collects garbage meanwhile, which must not disturb a child sharing its memory.
func TestHold(t *testing.T) {
	requireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		ns     []specs.LinuxNamespace
		shared bool
	}{
		{"shared memory", []specs.LinuxNamespace{{Type: specs.UTSNamespace}, {Type: specs.PIDNamespace}}, runtime.GOARCH == "amd64"},
		{"copied memory", []specs.LinuxNamespace{{Type: specs.UserNamespace}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := 0
			c := nsenter.Config{
				Namespaces:  tc.ns,
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}},
				GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}},
				Hold: func(pid int) error {
					held = pid
					if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil || exe != self {
						t.Errorf("held child %d runs %q (%v), want the caller's binary %q", pid, exe, err, self)
					}
					// kcmp(KCMP_VM) is 0 for two processes with one memory.
					r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(os.Getpid()), uintptr(pid), 1 /* KCMP_VM */, 0, 0, 0)
					if errno == 0 && (r == 0) != tc.shared {
						t.Errorf("held child shares the caller's memory: %v, want %v", r == 0, tc.shared)
					}
					garbage := make([][]byte, 0, 256)
					for i := 0; i < 256; i++ {
						garbage = append(garbage, make([]byte, 16<<10))
					}
					runtime.GC()
					runtime.KeepAlive(garbage)
					return nil
				},
			}
			ch := startChild(t, c, "echo $PPID")
			if held == 0 || held != ch.proc.Pid {
				t.Errorf("Hold got pid %d, Start returned %d", held, ch.proc.Pid)
			}
			ch.finish(t)

			failed := errors.New("held back")
			c.Path, c.Args = busybox, []string{"busybox", "true"}
			c.Hold = func(int) error { return failed }
			before := children(t)
			if _, err := nsenter.Start(&c); !errors.Is(err, failed) {
				t.Fatalf("Start() with a failing Hold = %v, want its error", err)
			}
			if got := children(t); len(got) != len(before) {
				t.Errorf("children after a failed Hold: %v, before %v", got, before)
			}
		})
	}
	// A second fork would make the held process another than the one that execs.
	c := nsenter.Config{Path: busybox, Hold: func(int) error { return nil },
		Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"}}}
	if _, err := nsenter.Start(&c); !errors.Is(err, nsenter.ErrHoldFork) {
		t.Errorf("Start() with Hold and a joined pid namespace = %v, want ErrHoldFork", err)
	}
}
