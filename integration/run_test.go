package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestRunProcess checks the process a container runs: what config.json's process says is
// what the probe sees.
func TestRunProcess(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Hostname = "runo-it-host"
	umask := uint32(0o027)
	b.spec.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{1002, 1003}, Umask: &umask}
	b.spec.Process.Cwd = "/tmp"
	b.spec.Process.Env = []string{"PATH=/bin", "RUNO_IT=yes"}
	// Lower than the host's, soft == hard: Go raises the soft NOFILE limit to the hard one.
	b.spec.Process.Rlimits = []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 512},
		{Type: "RLIMIT_CORE", Soft: 0, Hard: 4096},
	}
	b.spec.Process.NoNewPrivileges = true
	oom := 123
	b.spec.Process.OOMScoreAdj = &oom

	f := b.runFacts()

	if got, want := f.Pid, 1; got != want {
		t.Errorf("probe pid = %d, want %d", got, want)
	}
	if len(f.Processes) != 1 || f.Processes[0].Pid != 1 {
		t.Errorf("processes in /proc = %+v, want only the probe as 1", f.Processes)
	}
	if got, want := f.Hostname, "runo-it-host"; got != want {
		t.Errorf("hostname = %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(f.UID, f.EUID, f.GID, f.EGID), "1000 1000 1001 1001"; got != want {
		t.Errorf("uid euid gid egid = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(f.Groups), "[1002 1003]"; got != want {
		t.Errorf("supplementary groups = %s, want %s", got, want)
	}
	// runo init runs with a raised timer slack (initTimerSlack); the process gets runo's.
	if want, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err != nil {
		t.Errorf("PR_GET_TIMERSLACK: %v", err)
	} else if f.TimerSlack != want {
		t.Errorf("timer slack = %d ns, want runo's %d ns", f.TimerSlack, want)
	}
	if got, want := f.Umask, 0o027; got != want {
		t.Errorf("umask = %#o, want %#o", got, want)
	}
	if got, want := f.Cwd, "/tmp"; got != want {
		t.Errorf("cwd = %q, want %q", got, want)
	}
	if got, want := strings.Join(f.Env, " "), "PATH=/bin RUNO_IT=yes"; !strings.Contains(" "+got+" ", " PATH=/bin ") || !strings.Contains(" "+got+" ", " RUNO_IT=yes ") {
		t.Errorf("env = %q, want it to have %q", got, want)
	}
	if got, want := fmt.Sprintf("%+v", f.Rlimits["RLIMIT_NOFILE"]), "{Soft:512 Hard:512}"; got != want {
		t.Errorf("RLIMIT_NOFILE = %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%+v", f.Rlimits["RLIMIT_CORE"]), "{Soft:0 Hard:4096}"; got != want {
		t.Errorf("RLIMIT_CORE = %s, want %s", got, want)
	}
	if got, want := f.NoNewPrivs, 1; got != want {
		t.Errorf("no_new_privs = %d, want %d", got, want)
	}
	if got, want := f.OOMScoreAdj, 123; got != want {
		t.Errorf("oom_score_adj = %d, want %d", got, want)
	}
}

// TestRunDomainname checks the domainname (runtime-spec 1.1; runc 1.1 ignores it).
func TestRunDomainname(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Domainname = "runo-it-domain"
	f := b.runFacts()
	if got, want := f.Domainname, "runo-it-domain"; got != want {
		t.Errorf("domainname = %q, want %q", got, want)
	}
}

// TestRunCapabilities checks the five capability sets after execve. The kernel recomputes
// them there: root keeps the bounding set in permitted and effective, any other uid keeps
// only the ambient set.
func TestRunCapabilities(t *testing.T) {
	// Bits: CAP_CHOWN 0, CAP_KILL 5.
	for _, c := range []struct {
		name string
		uid  uint32
		caps specs.LinuxCapabilities
		want map[string]string
	}{
		{
			name: "root reduced",
			uid:  0,
			caps: specs.LinuxCapabilities{
				Bounding:  []string{"CAP_CHOWN", "CAP_KILL"},
				Effective: []string{"CAP_CHOWN", "CAP_KILL"},
				Permitted: []string{"CAP_CHOWN", "CAP_KILL"},
			},
			want: map[string]string{
				"CapInh": "0000000000000000",
				"CapPrm": "0000000000000021",
				"CapEff": "0000000000000021",
				"CapBnd": "0000000000000021",
				"CapAmb": "0000000000000000",
			},
		},
		{
			name: "user ambient",
			uid:  1000,
			caps: specs.LinuxCapabilities{
				Bounding:    []string{"CAP_CHOWN", "CAP_KILL"},
				Effective:   []string{"CAP_CHOWN", "CAP_KILL"},
				Permitted:   []string{"CAP_CHOWN", "CAP_KILL"},
				Inheritable: []string{"CAP_KILL"},
				Ambient:     []string{"CAP_KILL"},
			},
			want: map[string]string{
				"CapInh": "0000000000000020",
				"CapPrm": "0000000000000020",
				"CapEff": "0000000000000020",
				"CapBnd": "0000000000000021",
				"CapAmb": "0000000000000020",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle()
			b.spec.Process.User = specs.User{UID: c.uid, GID: c.uid}
			b.spec.Process.Capabilities = &c.caps
			f := b.runFacts()
			for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
				if got, want := f.Caps[set], c.want[set]; got != want {
					t.Errorf("%s = %s, want %s", set, got, want)
				}
			}
		})
	}
}

// TestRunSoftRlimit checks a soft limit below the hard one, seen from the shell (not Go).
func TestRunSoftRlimit(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "ulimit -Sn; ulimit -Hn")
	b.spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 512}}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	if got, want := strings.Fields(r.stdout), "256 512"; strings.Join(got, " ") != want {
		t.Errorf("soft and hard RLIMIT_NOFILE = %q, want %q", got, want)
	}
}

// TestRunMounts checks config.json's mounts, maskedPaths, readonlyPaths and root.readonly.
func TestRunMounts(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	data := b.bind("/mnt/data", true)
	if err := os.WriteFile(filepath.Join(data, "hello"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"nodev", "mode=1777"}})
	if err := os.WriteFile(filepath.Join(b.rootfs(), "etc/secret"), []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(b.rootfs(), "secretdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.rootfs(), "secretdir/file"), []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.spec.Linux.MaskedPaths = append(b.spec.Linux.MaskedPaths, "/etc/secret", "/secretdir")
	b.spec.Root.Readonly = true
	// One shell, one line per check: NAME=RESULT.
	script := `
echo data=$(cat /mnt/data/hello)
probe write /mnt/data/new x 2>/dev/null && echo datawrite=ok || echo datawrite=fail
probe write /rootfile x 2>/dev/null && echo rootwrite=ok || echo rootwrite=fail
probe write /scratch/x x 2>/dev/null && echo scratchwrite=ok || echo scratchwrite=fail
probe write /proc/sys/kernel/domainname x 2>/dev/null && echo procsys=ok || echo procsys=fail
echo secret=$(cat /etc/secret)
echo secretstat=$(probe stat /etc/secret)
echo secretdir=$(ls /secretdir)
`
	b.spec.Process.Args = []string{"sh", "-c", script}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	got := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	want := map[string]string{
		"data":         "from the host",
		"datawrite":    "fail",
		"rootwrite":    "fail",
		"scratchwrite": "ok",
		"procsys":      "fail",
		"secret":       "",
		"secretstat":   `{"mode":"020666","rdev_major":1,"rdev_minor":3,"size":0}`,
		"secretdir":    "",
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %q, want %q (all output: %q)", k, g, w, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "new")); err == nil {
		t.Errorf("write through the read-only bind mount reached the host")
	}

	// The mount table as the probe sees it.
	b2 := e.newBundle()
	b2.bind("/mnt/data", true)
	b2.spec.Root.Readonly = true
	b2.spec.Mounts = append(b2.spec.Mounts, specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"nodev", "mode=1770", "size=1m"}})
	for i, m := range b2.spec.Mounts {
		if m.Destination == "/dev" {
			b2.spec.Mounts[i].Options = []string{"nosuid", "strictatime", "mode=711", "size=65536k"}
		}
	}
	f := b2.runFacts()
	for _, c := range []struct{ point, fstype, option string }{
		{"/", "", "ro"},
		{"/proc", "proc", "rw"},
		{"/dev", "tmpfs", "mode=711"},
		{"/dev", "tmpfs", "nosuid"},
		{"/scratch", "tmpfs", "mode=1770"},
		{"/scratch", "tmpfs", "nodev"},
		{"/scratch", "tmpfs", "size=1024k"},
		{"/mnt/data", "", "ro"},
		{"/proc/sys", "proc", "ro"},
	} {
		fstype, options, ok := f.mount(c.point)
		switch {
		case !ok:
			t.Errorf("no mount at %s in the container", c.point)
		case c.fstype != "" && fstype != c.fstype:
			t.Errorf("mount at %s has type %s, want %s", c.point, fstype, c.fstype)
		case !hasOption(options, c.option):
			t.Errorf("mount at %s has options %s, want %s among them", c.point, options, c.option)
		}
	}
}

// TestRunExitCode checks that run exits with the container process's status.
func TestRunExitCode(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("/bin/probe", "exit", "3")
	if got, want := e.runo("run", "--bundle", b.dir, b.id).code, 3; got != want {
		t.Errorf("run of `probe exit 3` exited %d, want %d", got, want)
	}
	// run deletes the container once its process is gone.
	if r := e.runo("state", b.id); r.code == 0 {
		t.Errorf("state after run returned: %v, want failure", r)
	}
	e.assertGone(b.id, 0)

	// Killed by a signal: 128+signal. Not PID 1 of a new pid namespace, where the
	// kernel drops a signal without a handler.
	b = e.newBundle("sh", "-c", "kill -TERM $$; sleep 5")
	var nss []specs.LinuxNamespace
	for _, ns := range b.spec.Linux.Namespaces {
		if ns.Type != specs.PIDNamespace {
			nss = append(nss, ns)
		}
	}
	b.spec.Linux.Namespaces = nss
	b.save()
	if got, want := e.runo("run", "--bundle", b.dir, b.id).code, 143; got != want {
		t.Errorf("run of a shell killed by SIGTERM exited %d, want %d", got, want)
	}
}

// TestRunStdio checks that without a terminal the container uses run's own stdio.
func TestRunStdio(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "cat; echo to-stderr >&2")
	r := e.runoIn(strings.NewReader("from stdin\n"), "--root", e.root, "run", "--bundle", b.dir, b.id)
	if r.code != 0 {
		t.Fatalf("runo run: %v", r)
	}
	if got, want := r.stdout, "from stdin\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := r.stderr, "to-stderr\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// TestRunDetach checks that run --detach returns with the container running.
func TestRunDetach(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	dir := b.bind("/sig", false)
	b.spec.Process.Args = []string{"/bin/probe", "sleep", "/sig"}
	b.save()
	e.mustRuno("run", "--detach", "--bundle", b.dir, b.id)
	if got, want := e.state(b.id).Status, "running"; got != want {
		t.Errorf("status after run --detach = %q, want %q", got, want)
	}
	waitFile(t, filepath.Join(dir, "ready"))
	e.mustRuno("kill", b.id, "KILL")
	e.waitStatus(b.id, "stopped")
	e.mustRuno("delete", b.id)
}

// stateKeys decodes `runo state` into a map to check which keys it has.
func stateKeys(t *testing.T, stdout string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("state JSON: %v in %q", err, stdout)
	}
	return m
}

// TestRootfsPropagation checks linux.rootfsPropagation on the container's "/".
func TestRootfsPropagation(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("cat", "/proc/self/mountinfo")
	b.spec.Linux.RootfsPropagation = "unbindable"
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 6 && f[4] == "/" {
			if !strings.Contains(line, "unbindable") {
				t.Errorf("root mount %q, want it unbindable", line)
			}
			return
		}
	}
	t.Errorf("no root mount in %q", r.stdout)
}
