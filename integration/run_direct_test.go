package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// procfsTakesPidNS reports whether this kernel's procfs has the pidns mount option (Linux
// 6.18), which run needs to start a container without runo init.
func procfsTakesPidNS() bool {
	fd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.FsconfigSetString(fd, "pidns", "/proc/self/ns/pid") == nil
}

// factsBundle is a bundle whose process writes `probe facts` to facts in a host directory, as
// pid 1 (sh execs the probe).
func (e *env) factsBundle() (*bundle, string) {
	e.t.Helper()
	b := e.newBundle()
	out := b.bind("/out", false)
	b.spec.Process.Args = []string{"/bin/sh", "-c", "exec /bin/probe facts > /out/facts"}
	b.save()
	return b, filepath.Join(out, "facts")
}

func readFacts(t *testing.T, path string) probeFacts {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f probeFacts
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode probe facts: %v in %q", err, data)
	}
	if len(f.Errors) > 0 {
		t.Errorf("probe reported errors: %v", f.Errors)
	}
	return f
}

// runLogged runs the bundle's container in the foreground with --debug and reports whether
// it started without runo init, failing the test if run fails.
func (b *bundle) runLogged() bool {
	b.e.t.Helper()
	log := filepath.Join(b.e.dir, "run-"+b.id+".log")
	b.e.mustRuno("--debug", "--log", log, "run", "--bundle", b.dir, b.id)
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		b.e.t.Fatal(err)
	}
	return strings.Contains(string(data), "without runo init")
}

// comparableFacts drops from f what differs between any two containers: namespace and
// keyring ids, uptime.
func comparableFacts(f probeFacts) probeFacts {
	f.Namespaces, f.Keyring, f.Uptime = nil, 0, 0
	return f
}

// TestRunWithoutInit checks that run starts a default container's process without runo init
// (a thread of runo builds the container, see libcontainer/container_run_direct.go), and that
// the container looks from inside as the one init builds for create and start: same mounts
// and options, processes, credentials, limits, cgroups; its keyring is its own. What needs
// init keeps it.
func TestRunWithoutInit(t *testing.T) {
	if !procfsTakesPidNS() {
		t.Skip("procfs has no pidns option (Linux 6.18): run always starts runo init")
	}
	e := newEnv(t)
	b, out := e.factsBundle()
	b.spec.Hostname = "direct"
	b.spec.Process.OOMScoreAdj = ptr(321)
	b.spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 1024}}
	b.spec.Linux.Sysctl = map[string]string{"kernel.shm_rmid_forced": "1", "net.ipv4.ip_forward": "1"}
	b.save()
	if !b.runLogged() {
		t.Fatalf("run of a default container went through runo init")
	}
	direct := readFacts(t, out)
	os.Remove(out)

	id := e.newID()
	e.mustRuno("create", "--bundle", b.dir, id)
	e.mustRuno("start", id)
	e.waitStatus(id, "stopped")
	e.mustRuno("delete", id)
	viaInit := readFacts(t, out)

	if direct.Keyring == viaInit.Keyring {
		t.Errorf("both containers have session keyring %d, want one each", direct.Keyring)
	}
	hostKeyring, _ := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if direct.Keyring == hostKeyring {
		t.Errorf("direct run's container has the host's session keyring %d", hostKeyring)
	}
	if len(direct.Namespaces) == 0 || len(direct.Namespaces) != len(viaInit.Namespaces) {
		t.Errorf("namespaces: direct run %v, through init %v", direct.Namespaces, viaInit.Namespaces)
	}
	for name, ns := range direct.Namespaces {
		if host, err := os.Readlink("/proc/self/ns/" + name); err == nil && host == ns && name != "user" && name != "time" {
			t.Errorf("direct run's container is in the host's %s namespace %s", name, ns)
		}
	}
	d, i := comparableFacts(direct), comparableFacts(viaInit)
	if !reflect.DeepEqual(d, i) {
		dj, _ := json.MarshalIndent(d, "", " ")
		ij, _ := json.MarshalIndent(i, "", " ")
		t.Errorf("facts of a direct run differ from those through init:\ndirect: %s\ninit: %s", dj, ij)
	}
	if direct.Pid != 1 || direct.OOMScoreAdj != 321 || direct.Hostname != "direct" {
		t.Errorf("direct run: pid %d, oom_score_adj %d, hostname %q; want 1, 321, direct", direct.Pid, direct.OOMScoreAdj, direct.Hostname)
	}
}

// TestRunWithInit checks that what needs runo init keeps it in a run.
func TestRunWithInit(t *testing.T) {
	if !procfsTakesPidNS() {
		t.Skip("procfs has no pidns option (Linux 6.18): run always starts runo init")
	}
	for _, tc := range []struct {
		name   string
		change func(b *bundle)
	}{
		{"createContainer hook", func(b *bundle) {
			b.spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}
		}},
		{"unbindable root", func(b *bundle) { b.spec.Linux.RootfsPropagation = "unbindable" }},
		{"joined network namespace", func(b *bundle) {
			for i, ns := range b.spec.Linux.Namespaces {
				if ns.Type == specs.NetworkNamespace {
					b.spec.Linux.Namespaces[i].Path = "/proc/self/ns/net"
				}
			}
		}},
		{"ns_last_pid sysctl", func(b *bundle) {
			b.spec.Linux.Sysctl = map[string]string{"kernel.ns_last_pid": "100"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("true")
			tc.change(b)
			b.save()
			if b.runLogged() {
				t.Errorf("run started without runo init")
			}
		})
	}
}

// TestRunWithoutInitCgroup2 runs a container without init on cgroup v2: in a mount namespace
// of its own where the hybrid host's cgroup2 hierarchy is /sys/fs/cgroup, runo sees a pure
// cgroup v2 host. The container's /sys/fs/cgroup must be its own cgroup, bound from the host
// (a fresh cgroup2 mount by runo's thread would be rooted at runo's cgroup namespace).
func TestRunWithoutInitCgroup2(t *testing.T) {
	if !procfsTakesPidNS() {
		t.Skip("procfs has no pidns option (Linux 6.18): run always starts runo init")
	}
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot+"/unified", &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Skip("not a hybrid cgroup host: TestRunWithoutInit covers this host's cgroups")
	}
	e := newEnv(t)
	b, out := e.factsBundle()
	b.spec.Process.Args = []string{"/bin/sh", "-c", "cat /sys/fs/cgroup/cgroup.procs > /out/procs; exec /bin/probe facts > /out/facts"}
	b.save()
	log := filepath.Join(e.dir, "run.log")
	args := []string{"--root", e.root, "--debug", "--log", log, "run", "--bundle", b.dir, b.id}
	r := e.start(func(cmd *exec.Cmd) {
		cmd.Path = "/usr/bin/unshare"
		cmd.Args = append([]string{"unshare", "-m", "sh", "-c",
			`mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && exec "$0" "$@"`, runoBinary}, args...)
	}, args...).wait()
	if r.code != 0 {
		t.Fatalf("runo run with cgroup2 at /sys/fs/cgroup: %v", r)
	}
	if data, _ := os.ReadFile(log); !strings.Contains(string(data), "without runo init") {
		t.Errorf("run went through runo init")
	}
	f := readFacts(t, out)
	if fstype, _, ok := f.mount("/sys/fs/cgroup"); !ok || fstype != "cgroup2" {
		t.Errorf("/sys/fs/cgroup in the container: %q (mounted %v), want cgroup2", fstype, ok)
	}
	procs, err := os.ReadFile(filepath.Join(filepath.Dir(out), "procs"))
	if err != nil {
		t.Fatal(err)
	}
	// The container's own cgroup: its sh (pid 1) and cat, nothing of the host.
	if pids := strings.Fields(string(procs)); len(pids) != 2 || pids[0] != "1" {
		t.Errorf("cgroup.procs of the container's /sys/fs/cgroup = %q, want 1 and cat's pid", procs)
	}
}
