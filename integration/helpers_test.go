// Package integration tests a built runo binary from the outside, the way an engine drives it.
//
// The tests are opt-in: they run only as root and only when RUNO_BINARY names the binary
// (an absolute path). They never look at runo's source tree; the only thing built from the
// repository is the in-container probe (cmd/probe), taken from RUNO_PROBE when set and built
// with `go build ./cmd/probe` otherwise. Any runc-compatible runtime can stand in:
//
//	RUNO_BINARY=/usr/sbin/runc go test -count=1 ./integration/...
//
// Each test gets an env: its own --root, random container ids, a cgroup parent it owns
// (/runo-it-<random>) and a directory for bundles. Cleanup force-deletes every container the
// test made and then fails the test on anything left behind: state in --root, processes it
// learnt the pid of, the containers' cgroup directories, mounts under the test's directory.
package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	// commandTimeout bounds every runo invocation so a hung runtime fails one test, not the run.
	commandTimeout = 30 * time.Second
	// waitTimeout bounds every poll for an observable change.
	waitTimeout = 10 * time.Second
	cgroupRoot  = "/sys/fs/cgroup"
)

var (
	runoBinary = os.Getenv("RUNO_BINARY")
	probePath  = os.Getenv("RUNO_PROBE")
	skipReason string // why every test skips; empty when they run
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	switch {
	case os.Geteuid() != 0:
		skipReason = "requires root"
	case runoBinary == "":
		skipReason = "requires RUNO_BINARY (absolute path of the runo binary)"
	case !filepath.IsAbs(runoBinary):
		skipReason = fmt.Sprintf("RUNO_BINARY=%q is not an absolute path", runoBinary)
	}
	if skipReason == "" && probePath == "" {
		dir, err := os.MkdirTemp("", "runo-probe-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		probePath = filepath.Join(dir, "probe")
		cmd := exec.Command("go", "build", "-o", probePath, "./cmd/probe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "integration: build probe (set RUNO_PROBE to skip this): %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// env is one test's private world: --root, cgroup parent, directory, and what to clean up.
type env struct {
	t        *testing.T
	dir      string // everything the test creates on disk lives under dir
	root     string // --root
	cgParent string // runo-it-<random>, a cgroup directory the test owns in every hierarchy
	ids      []string
	pids     []trackedPid
	ownMount []string // mounts the test made itself (overlay rootfs), unmounted after delete
}

type trackedPid struct {
	pid       int
	startTime string
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// newEnv skips the test unless the suite is enabled and registers the leak checks.
func newEnv(t *testing.T) *env {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	dir := t.TempDir()
	// A container in a user namespace runs as an unprivileged host uid and must be able to
	// reach its rootfs: open up the temp dir and its parent (both 0700).
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, dir: dir, root: filepath.Join(dir, "root"), cgParent: "runo-it-" + randomHex(6)}
	if err := os.Mkdir(e.root, 0o700); err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory is removed.
	t.Cleanup(e.cleanup)
	return e
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// newID returns a fresh container id and remembers it for cleanup.
func (e *env) newID() string {
	id := "it-" + randomHex(6)
	e.ids = append(e.ids, id)
	return id
}

// runo runs the binary under test with this env's --root.
func (e *env) runo(args ...string) result {
	e.t.Helper()
	return e.runoIn(nil, append([]string{"--root", e.root}, args...)...)
}

// runoIn runs the binary with exactly args, stdin from r (nil: /dev/null).
func (e *env) runoIn(stdin io.Reader, args ...string) result {
	e.t.Helper()
	return e.start(func(cmd *exec.Cmd) { cmd.Stdin = stdin }, args...).wait()
}

// runoProc is a runo invocation started by startRuno and not yet waited for.
type runoProc struct {
	e              *env
	cmd            *exec.Cmd
	args           []string
	ctx            context.Context
	cancel         context.CancelFunc
	outDir         string
	stdout, stderr *os.File
	waited         bool
}

// startRuno starts the binary with exactly args (setup, when not nil, changes the command
// before it starts: stdin, extra files, session) and returns without waiting. A process
// never waited for is killed at cleanup, before the env's own cleanup.
func (e *env) startRuno(setup func(*exec.Cmd), args ...string) *runoProc {
	e.t.Helper()
	p := e.start(setup, args...)
	e.t.Cleanup(func() {
		if !p.waited {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			p.release()
		}
	})
	return p
}

// start starts runo for startRuno and runoIn. Output goes to files, not pipes: a container
// started by create or run --detach inherits runo's stdio and outlives it, and a pipe would
// make us wait for the container.
func (e *env) start(setup func(*exec.Cmd), args ...string) *runoProc {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	p := &runoProc{e: e, args: args, ctx: ctx, cancel: cancel}
	var err error
	if p.outDir, err = os.MkdirTemp(e.dir, "out-"); err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if p.stdout, err = os.Create(filepath.Join(p.outDir, "stdout")); err != nil {
		p.release()
		e.t.Fatal(err)
	}
	if p.stderr, err = os.Create(filepath.Join(p.outDir, "stderr")); err != nil {
		p.release()
		e.t.Fatal(err)
	}
	p.cmd = exec.CommandContext(ctx, runoBinary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if setup != nil {
		setup(p.cmd)
	}
	if err := p.cmd.Start(); err != nil {
		p.release()
		e.t.Fatalf("runo %s: %v", strings.Join(args, " "), err)
	}
	return p
}

func (p *runoProc) release() {
	p.cancel()
	if p.stdout != nil {
		p.stdout.Close()
	}
	if p.stderr != nil {
		p.stderr.Close()
	}
	os.RemoveAll(p.outDir)
}

// wait waits for the process (killed commandTimeout after it started) and returns what it did.
func (p *runoProc) wait() result {
	p.e.t.Helper()
	err := p.cmd.Wait()
	p.waited = true
	defer p.release()
	var r result
	var exitErr *exec.ExitError
	switch {
	case p.ctx.Err() != nil:
		// Not Fatal: cleanup runs runo too, and must go on to its other checks.
		p.e.t.Errorf("runo %s: killed after %v", strings.Join(p.args, " "), commandTimeout)
		r.code = -1
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(unix.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	case err != nil:
		p.e.t.Fatalf("runo %s: %v", strings.Join(p.args, " "), err)
	}
	out, _ := os.ReadFile(p.stdout.Name())
	errOut, _ := os.ReadFile(p.stderr.Name())
	r.stdout, r.stderr = string(out), string(errOut)
	return r
}

// mustRuno runs runo and fails the test unless it exits 0.
func (e *env) mustRuno(args ...string) result {
	e.t.Helper()
	r := e.runo(args...)
	if r.code != 0 {
		e.t.Fatalf("runo %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// bundle is a bundle directory with a busybox + probe rootfs and its config.json in spec.
type bundle struct {
	e    *env
	id   string
	dir  string
	spec *specs.Spec
}

// newBundle makes a bundle for a fresh container id: rootfs from busybox and the probe,
// config.json from `runo spec`, changed to run args without a terminal, in the test's cgroup
// parent. The caller changes b.spec further and calls b.save.
func (e *env) newBundle(args ...string) *bundle {
	e.t.Helper()
	b := e.newEmptyBundle()
	populateRootfs(e.t, filepath.Join(b.dir, "rootfs"))
	b.spec.Process.Args = args
	b.save()
	return b
}

// newEmptyBundle is newBundle with an empty rootfs directory and no config changes saved.
func (e *env) newEmptyBundle() *bundle {
	e.t.Helper()
	dir, err := os.MkdirTemp(e.dir, "bundle-")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		e.t.Fatal(err)
	}
	e.mustRuno("spec", "--bundle", dir)
	b := &bundle{e: e, id: e.newID(), dir: dir}
	b.load()
	b.spec.Process.Terminal = false
	b.spec.Linux.CgroupsPath = "/" + e.cgParent + "/" + b.id
	return b
}

func (b *bundle) rootfs() string { return filepath.Join(b.dir, "rootfs") }

func (b *bundle) load() {
	b.e.t.Helper()
	data, err := os.ReadFile(filepath.Join(b.dir, "config.json"))
	if err != nil {
		b.e.t.Fatal(err)
	}
	b.spec = new(specs.Spec)
	if err := json.Unmarshal(data, b.spec); err != nil {
		b.e.t.Fatalf("config.json from spec: %v", err)
	}
}

func (b *bundle) save() {
	b.e.t.Helper()
	data, err := json.MarshalIndent(b.spec, "", "\t")
	if err != nil {
		b.e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644); err != nil {
		b.e.t.Fatal(err)
	}
}

// hostDir makes a directory on the host, under the test's directory, open to everyone.
func (e *env) hostDir(name string) string {
	e.t.Helper()
	dir, err := os.MkdirTemp(e.dir, name+"-")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// bind makes a fresh host directory and bind-mounts it at dest in the container.
func (b *bundle) bind(dest string, readonly bool) string {
	b.e.t.Helper()
	host := b.e.hostDir("bind")
	opts := []string{"rbind", "rw"}
	if readonly {
		opts = []string{"rbind", "ro"}
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: host, Options: opts})
	return host
}

// populateRootfs fills dir with /bin/busybox, its applets as symlinks and /bin/probe.
func populateRootfs(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "tmp", "mnt", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, "/usr/bin/busybox", filepath.Join(dir, "bin/busybox"))
	copyFile(t, probePath, filepath.Join(dir, "bin/probe"))
	for _, applet := range busyboxApplets(t) {
		if applet == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/group"), []byte("root:x:0:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

var appletCache []string

func busyboxApplets(t *testing.T) []string {
	t.Helper()
	if appletCache == nil {
		out, err := exec.Command("/usr/bin/busybox", "--list").Output()
		if err != nil {
			t.Fatalf("busybox --list: %v", err)
		}
		appletCache = strings.Fields(string(out))
	}
	return appletCache
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// containerState is the `state` JSON (runtime-spec state plus runc's created and owner).
type containerState struct {
	OCIVersion string    `json:"ociVersion"`
	ID         string    `json:"id"`
	Pid        int       `json:"pid"`
	Status     string    `json:"status"`
	Bundle     string    `json:"bundle"`
	Rootfs     string    `json:"rootfs"`
	Created    time.Time `json:"created"`
	Owner      string    `json:"owner"`
}

// state runs `runo state ID`, fails the test if that fails, and tracks the pid.
func (e *env) state(id string) containerState {
	e.t.Helper()
	r := e.mustRuno("state", id)
	var s containerState
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		e.t.Fatalf("runo state %s: %v in %q", id, err, r.stdout)
	}
	if s.Pid > 0 && s.Status != "stopped" {
		e.track(s.Pid)
	}
	return s
}

// waitStatus polls `runo state` until the container has status want.
func (e *env) waitStatus(id, want string) containerState {
	e.t.Helper()
	var got containerState
	waitFor(e.t, fmt.Sprintf("container %s status %q", id, want), func() bool {
		got = e.state(id)
		return got.Status == want
	})
	return got
}

// waitFor polls cond every 10ms until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFile polls until path exists and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	var data []byte
	waitFor(t, path, func() bool {
		var err error
		data, err = os.ReadFile(path)
		return err == nil
	})
	return string(data)
}

// track remembers pid (with its start time, against reuse) for the leak check.
func (e *env) track(pid int) {
	if st := pidStartTime(pid); st != "" {
		for _, p := range e.pids {
			if p.pid == pid {
				return
			}
		}
		e.pids = append(e.pids, trackedPid{pid, st})
	}
}

// pidStartTime returns field 22 of /proc/PID/stat, or "" if the process is gone or a zombie.
func pidStartTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields[0] is field 3
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return ""
	}
	return fields[19]
}

func (p trackedPid) alive() bool { return pidStartTime(p.pid) == p.startTime }

// cleanup force-deletes the test's containers and fails the test on whatever is left.
func (e *env) cleanup() {
	t := e.t
	for _, id := range e.ids {
		e.runo("delete", "--force", id)
	}
	// The overlay rootfs is ours; take it down after the containers are gone.
	for i := len(e.ownMount) - 1; i >= 0; i-- {
		if err := unix.Unmount(e.ownMount[i], unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", e.ownMount[i], err)
		}
	}
	if entries, err := os.ReadDir(e.root); err == nil && len(entries) > 0 {
		var names []string
		for _, entry := range entries {
			names = append(names, entry.Name())
		}
		t.Errorf("leaked state in --root after delete: %v", names)
	}
	for _, p := range e.pids {
		if p.alive() {
			t.Errorf("leaked process %d after delete", p.pid)
			unix.Kill(p.pid, unix.SIGKILL)
		}
	}
	e.cleanupCgroups()
	e.cleanupMounts()
}

// cgroupHierarchies lists the mounted hierarchies: every v1 controller and the v2 one.
func cgroupHierarchies() []string {
	var dirs []string
	entries, _ := os.ReadDir(cgroupRoot)
	for _, entry := range entries {
		dir := filepath.Join(cgroupRoot, entry.Name())
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil && entry.IsDir() {
			dirs = append(dirs, dir)
		}
	}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.procs")); err == nil {
		dirs = append(dirs, cgroupRoot) // pure cgroup v2
	}
	return dirs
}

// cleanupCgroups fails on a container cgroup that outlived delete, then removes the test's
// cgroup parent everywhere, killing what is left in it (only the test's containers run there).
func (e *env) cleanupCgroups() {
	for _, h := range cgroupHierarchies() {
		parent := filepath.Join(h, e.cgParent)
		if _, err := os.Stat(parent); err != nil {
			continue
		}
		for _, id := range e.ids {
			if _, err := os.Stat(filepath.Join(parent, id)); err == nil {
				e.t.Errorf("leaked cgroup %s after delete", filepath.Join(parent, id))
			}
		}
		removeCgroup(e.t, parent)
	}
}

// removeCgroup removes dir and its descendants, deepest first.
func removeCgroup(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, entry := range entries {
		if entry.IsDir() {
			removeCgroup(t, filepath.Join(dir, entry.Name()))
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		for _, field := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(field); err == nil {
				t.Errorf("leaked process %d in cgroup %s", pid, dir)
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("remove cgroup %s: %v", dir, err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mountsUnder returns the host mount points under dir, deepest (latest) last.
func mountsUnder(dir string) []string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			points = append(points, fields[4])
		}
	}
	return points
}

// cleanupMounts fails on a host mount left under the test's directory and lazily unmounts it.
func (e *env) cleanupMounts() {
	points := mountsUnder(e.dir)
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	for _, p := range points {
		e.t.Errorf("leaked mount %s after delete", p)
		unix.Unmount(p, unix.MNT_DETACH)
	}
}

// probeFacts is what `probe facts` prints (see cmd/probe).
type probeFacts struct {
	Pid         int               `json:"pid"`
	Ppid        int               `json:"ppid"`
	Hostname    string            `json:"hostname"`
	Domainname  string            `json:"domainname"`
	UID         int               `json:"uid"`
	GID         int               `json:"gid"`
	EUID        int               `json:"euid"`
	EGID        int               `json:"egid"`
	Groups      []int             `json:"groups"`
	Umask       int               `json:"umask"`
	Cwd         string            `json:"cwd"`
	Env         []string          `json:"env"`
	Caps        map[string]string `json:"caps"`
	NoNewPrivs  int               `json:"no_new_privs"`
	OOMScoreAdj int               `json:"oom_score_adj"`
	TimerSlack  int               `json:"timer_slack"`
	Rlimits     map[string]struct {
		Soft uint64 `json:"soft"`
		Hard uint64 `json:"hard"`
	} `json:"rlimits"`
	Mounts []struct {
		Point   string `json:"point"`
		FSType  string `json:"fstype"`
		Options string `json:"options"`
	} `json:"mounts"`
	Processes []struct {
		Pid  int    `json:"pid"`
		Comm string `json:"comm"`
	} `json:"processes"`
	Namespaces map[string]string `json:"namespaces"`
	UIDMap     string            `json:"uid_map"`
	GIDMap     string            `json:"gid_map"`
	Uptime     float64           `json:"uptime"`
	Keyring    int               `json:"keyring"`
	Errors     []string          `json:"errors"`
}

// runFacts runs the bundle's container with `probe facts` in the foreground and decodes
// what the probe printed.
func (b *bundle) runFacts() probeFacts {
	b.e.t.Helper()
	return b.runFactsWith()
}

// runFactsWith is runFacts with flags for `run` (--no-pivot, ...).
func (b *bundle) runFactsWith(flags ...string) probeFacts {
	b.e.t.Helper()
	b.spec.Process.Args = []string{"/bin/probe", "facts"}
	b.save()
	r := b.e.runo(append(append([]string{"run"}, flags...), "--bundle", b.dir, b.id)...)
	if r.code != 0 {
		b.e.t.Fatalf("runo run: %v", r)
	}
	var f probeFacts
	if err := json.NewDecoder(bytes.NewReader([]byte(r.stdout))).Decode(&f); err != nil {
		b.e.t.Fatalf("decode probe facts: %v in %q", err, r.stdout)
	}
	if len(f.Errors) > 0 {
		b.e.t.Errorf("probe reported errors: %v", f.Errors)
	}
	return f
}

// mount finds the mount at point in the probe's mount table (the last, the visible one).
func (f probeFacts) mount(point string) (fstype, options string, ok bool) {
	for _, m := range f.Mounts {
		if m.Point == point {
			fstype, options, ok = m.FSType, m.Options, true
		}
	}
	return fstype, options, ok
}

// hasOption reports whether the comma-separated list has opt.
func hasOption(options, opt string) bool {
	for _, o := range strings.Split(options, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// hostNS returns the test process's own namespace link for kind (net, ipc, ...).
func hostNS(t *testing.T, kind string) string {
	t.Helper()
	link, err := os.Readlink("/proc/self/ns/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	return link
}
