package integration

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestProcessAttributes checks personality, scheduler, I/O priority and the final CPU affinity
// from inside the container.
func TestProcessAttributes(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "uname -m; grep -E '^Cpus_allowed_list' /proc/self/status; cut -d' ' -f19 /proc/self/stat; ionice")
	b.spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	b.spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5}
	b.spec.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 3}
	b.spec.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0"}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("output %q, want four lines", r.stdout)
	}
	if lines[0] != "i686" {
		t.Errorf("uname -m = %q, want i686 under PER_LINUX32", lines[0])
	}
	if f := strings.Fields(lines[1]); len(f) != 2 || f[1] != "0" {
		t.Errorf("%q, want the final affinity 0", lines[1])
	}
	if lines[2] != "5" {
		t.Errorf("nice = %q, want 5", lines[2])
	}
	if !strings.Contains(lines[3], "best-effort") || !strings.Contains(lines[3], "3") {
		t.Errorf("ionice = %q, want best-effort: prio 3", lines[3])
	}
}

// TestProcessAttributesRefused checks the clear errors for what the host cannot give.
func TestProcessAttributesRefused(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("true")
	b.spec.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "runo"}
	b.save()
	if r := e.runo("create", "--bundle", b.dir, b.id); r.code == 0 || !strings.Contains(r.stderr, "linux.intelRdt") {
		t.Errorf("create with intelRdt on a host without resctrl: %v, want an error naming linux.intelRdt", r)
	}
	if enabled, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); strings.HasPrefix(string(enabled), "Y") {
		return // the host has AppArmor: nothing to refuse
	}
	b = e.newBundle("true")
	b.spec.Process.ApparmorProfile = "runo-test"
	b.save()
	if r := e.runo("run", "--bundle", b.dir, b.id); r.code == 0 || !strings.Contains(r.stderr, "apparmorProfile") {
		t.Errorf("run with an AppArmor profile on a host without AppArmor: %v, want an error naming it", r)
	}
}
