package integration

import (
	"os"
	"strings"
	"testing"
)

// TestSysctl checks linux.sysctl: the values are set in the container's network
// namespace, as seen through /proc/sys, and the host's stay as they were.
func TestSysctl(t *testing.T) {
	e := newEnv(t)
	hostForward := readHost(t, "/proc/sys/net/ipv4/ip_forward")
	hostPing := readHost(t, "/proc/sys/net/ipv4/ping_group_range")
	b := e.newBundle("sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range")
	b.spec.Linux.Sysctl = map[string]string{
		"net.ipv4.ip_forward": "1",
		// A value with a blank in it.
		"net.ipv4.ping_group_range": "0 2147483647",
	}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("output = %q, want two lines", r.stdout)
	}
	if got, want := lines[0], "1"; got != want {
		t.Errorf("net.ipv4.ip_forward in the container = %q, want %q", got, want)
	}
	if got, want := strings.Fields(lines[1]), "0 2147483647"; strings.Join(got, " ") != want {
		t.Errorf("net.ipv4.ping_group_range in the container = %q, want %q", got, want)
	}
	if got := readHost(t, "/proc/sys/net/ipv4/ip_forward"); got != hostForward {
		t.Errorf("host's net.ipv4.ip_forward = %q after the run, want %q as before", got, hostForward)
	}
	if got := readHost(t, "/proc/sys/net/ipv4/ping_group_range"); got != hostPing {
		t.Errorf("host's net.ipv4.ping_group_range = %q after the run, want %q as before", got, hostPing)
	}
}

func readHost(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestReadonlySysAndProcSys checks that the default spec's /sys (sysfs mounted ro) and
// /proc/sys (a readonlyPath) refuse writes with EROFS.
func TestReadonlySysAndProcSys(t *testing.T) {
	e := newEnv(t)
	// One line per check: NAME=ERROR (or NAME=ok). O_TRUNC of an existing file and mkdir
	// check the mount's ro flag before the file's permissions.
	script := `
echo sysfile=$(probe write /sys/kernel/uevent_seqnum 1 2>&1 && echo ok)
echo sysdir=$(mkdir /sys/runo-it 2>&1 && echo ok)
echo procsys=$(probe write /proc/sys/kernel/domainname x 2>&1 && echo ok)
echo procsysnet=$(probe write /proc/sys/net/ipv4/ip_forward 1 2>&1 && echo ok)
`
	b := e.newBundle("sh", "-c", script)
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	got := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	for _, k := range []string{"sysfile", "sysdir", "procsys", "procsysnet"} {
		if v, ok := got[k]; !ok || !strings.Contains(strings.ToLower(v), "read-only file system") {
			t.Errorf("%s = %q, want EROFS (read-only file system) (all output: %q)", k, v, r.stdout)
		}
	}
}
