package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestNamespacesNew checks the container gets its own namespaces of each configured type.
func TestNamespacesNew(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Hostname = "runo-it"
	f := b.runFacts()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if f.Hostname == host {
		t.Errorf("container hostname = host's %q, want its own", host)
	}
	for _, kind := range []string{"net", "ipc", "uts", "pid", "mnt"} {
		if got, host := f.Namespaces[kind], hostNS(t, kind); got == "" || got == host {
			t.Errorf("container %s namespace = %q, host's is %q; want a new one", kind, got, host)
		}
	}
}

// TestNamespacesJoin checks a container joins the namespaces its config names by path.
func TestNamespacesJoin(t *testing.T) {
	e := newEnv(t)
	a, sig := e.sleeper()
	a.spec.Hostname = "runo-it-a"
	a.save()
	e.mustRuno("run", "--detach", "--bundle", a.dir, a.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pidA := e.state(a.id).Pid

	b := e.newBundle()
	b.spec.Hostname = "" // B has no UTS namespace of its own to name
	joined := map[specs.LinuxNamespaceType]string{
		specs.NetworkNamespace: "net",
		specs.IPCNamespace:     "ipc",
		specs.UTSNamespace:     "uts",
		specs.PIDNamespace:     "pid",
	}
	for i, ns := range b.spec.Linux.Namespaces {
		if kind, ok := joined[ns.Type]; ok {
			b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", pidA, kind)
		}
	}
	f := b.runFacts()
	for _, kind := range joined {
		want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pidA, kind))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Namespaces[kind]; got != want {
			t.Errorf("B's %s namespace = %q, want A's %q", kind, got, want)
		}
	}
	if got, want := f.Hostname, "runo-it-a"; got != want {
		t.Errorf("B's hostname = %q, want A's %q", got, want)
	}
	if f.Pid == 1 {
		t.Errorf("B's probe is PID 1 in A's pid namespace, want A's probe to hold 1")
	}
	if aMnt, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pidA)); err != nil || f.Namespaces["mnt"] == aMnt {
		t.Errorf("B's mnt namespace = %q, want its own (A's %q, %v)", f.Namespaces["mnt"], aMnt, err)
	}
	e.mustRuno("kill", a.id, "KILL")
	e.waitStatus(a.id, "stopped")
}

// TestNamespacesUser checks a user namespace with id mappings.
func TestNamespacesUser(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// The rootfs belongs to the host's root, unmapped in the container: it is only read.
	b.spec.Root.Readonly = true
	f := b.runFacts()
	if got, want := strings.Fields(f.UIDMap), []string{"0", "100000", "65536"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("uid_map = %q, want %q", f.UIDMap, want)
	}
	if got, want := strings.Fields(f.GIDMap), []string{"0", "100000", "65536"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("gid_map = %q, want %q", f.GIDMap, want)
	}
	if got, host := f.Namespaces["user"], hostNS(t, "user"); got == host {
		t.Errorf("user namespace = host's %q, want a new one", host)
	}
	if got, want := f.UID, 0; got != want {
		t.Errorf("uid in the container = %d, want %d", got, want)
	}
}

// TestNamespacesTime checks a time namespace with a boottime offset shifts /proc/uptime.
func TestNamespacesTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		t.Skip("requires time namespaces (Linux 5.6)")
	}
	const offset = 10 * 24 * 3600 // ten days
	e := newEnv(t)
	b := e.newBundle()
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	b.spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"boottime":  {Secs: offset},
		"monotonic": {Secs: offset},
	}
	before := hostUptime(t)
	f := b.runFacts()
	after := hostUptime(t)
	if f.Uptime < before+offset || f.Uptime > after+offset+1 {
		t.Errorf("uptime in the container = %.2f, want host's (%.2f..%.2f) + %d", f.Uptime, before, after, offset)
	}
	if got, host := f.Namespaces["time"], hostNS(t, "time"); got == host {
		t.Errorf("time namespace = host's %q, want a new one", host)
	}
}

func hostUptime(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	up, err := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// TestNamespacesJoinUser checks containers that join another's user namespace by path,
// with its network, ipc and uts namespaces: B with new pid and mount namespaces of its
// own, C with A's pid namespace too.
func TestNamespacesJoinUser(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	e := newEnv(t)
	a, sig := e.sleeper()
	a.spec.Hostname = "runo-it-a"
	a.spec.Linux.Namespaces = append(a.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	a.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	a.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// The rootfs belongs to the host's root, unmapped in the container: it is only read,
	// and the mount point of /sig has to be there already.
	a.spec.Root.Readonly = true
	a.save()
	if err := os.Mkdir(filepath.Join(a.rootfs(), "sig"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.mustRuno("run", "--detach", "--bundle", a.dir, a.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pidA := e.state(a.id).Pid
	nsA := func(kind string) string {
		t.Helper()
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pidA, kind))
		if err != nil {
			t.Fatal(err)
		}
		return link
	}

	for _, c := range []struct {
		name   string
		joined map[specs.LinuxNamespaceType]string
		own    []string // namespaces that must differ from A's
	}{
		{
			name: "own pid",
			joined: map[specs.LinuxNamespaceType]string{
				specs.UserNamespace:    "user",
				specs.NetworkNamespace: "net",
				specs.IPCNamespace:     "ipc",
				specs.UTSNamespace:     "uts",
			},
			own: []string{"pid", "mnt"},
		},
		{
			name: "joined pid",
			joined: map[specs.LinuxNamespaceType]string{
				specs.UserNamespace:    "user",
				specs.NetworkNamespace: "net",
				specs.IPCNamespace:     "ipc",
				specs.UTSNamespace:     "uts",
				specs.PIDNamespace:     "pid",
			},
			own: []string{"mnt"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle()
			b.spec.Hostname = ""
			b.spec.Root.Readonly = true
			b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			// A's mappings, as engines pass them (runc 1.1 requires them).
			b.spec.Linux.UIDMappings = a.spec.Linux.UIDMappings
			b.spec.Linux.GIDMappings = a.spec.Linux.GIDMappings
			for i, ns := range b.spec.Linux.Namespaces {
				if kind, ok := c.joined[ns.Type]; ok {
					b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", pidA, kind)
				}
			}
			f := b.runFacts()
			for _, kind := range c.joined {
				if got, want := f.Namespaces[kind], nsA(kind); got != want {
					t.Errorf("%s namespace = %q, want A's %q", kind, got, want)
				}
			}
			for _, kind := range c.own {
				if got, a := f.Namespaces[kind], nsA(kind); got == "" || got == a {
					t.Errorf("%s namespace = %q, A's is %q; want a new one", kind, got, a)
				}
			}
			if got, want := strings.Fields(f.UIDMap), "0 100000 65536"; strings.Join(got, " ") != want {
				t.Errorf("uid_map = %q, want %q", f.UIDMap, want)
			}
			if got, want := strings.Fields(f.GIDMap), "0 100000 65536"; strings.Join(got, " ") != want {
				t.Errorf("gid_map = %q, want %q", f.GIDMap, want)
			}
			if got, want := f.Hostname, "runo-it-a"; got != want {
				t.Errorf("hostname = %q, want A's %q", got, want)
			}
			if got, want := f.UID, 0; got != want {
				t.Errorf("uid in the container = %d, want %d", got, want)
			}
			if inAPid := c.joined[specs.PIDNamespace] != ""; inAPid == (f.Pid == 1) {
				t.Errorf("probe pid = %d in %s pid namespace", f.Pid, map[bool]string{true: "A's", false: "its own"}[inAPid])
			}
		})
	}
	e.mustRuno("kill", a.id, "KILL")
	e.waitStatus(a.id, "stopped")
}
