package nsenter_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

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
	c.Stdin, c.Stdout, c.Stderr = inR, outW, os.Stderr
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
				// Start leaves a new time namespace to the child: UnshareTime below.
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
