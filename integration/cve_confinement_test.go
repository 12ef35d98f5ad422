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

// The confinement the runtime-spec promises and every escape above relies on breaking:
// masked and read-only paths hold against root in the container, no capability outside the
// configured sets survives execve, and noNewPrivileges stops setuid binaries.

// shellChecks runs each check (a shell command) in the container and returns its output,
// one "name=result" line per check.
func shellChecks(checks [][2]string) string {
	var script strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&script, "echo %s=$( { %s; } 2>/dev/null); ", c[0], c[1])
	}
	return script.String()
}

// parseChecks turns shellChecks output into a map.
func parseChecks(out string) map[string]string {
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = strings.TrimSpace(v)
		}
	}
	return got
}

// TestMaskedAndReadonlyPaths checks linux.maskedPaths and linux.readonlyPaths against root in
// the container (uid 0 with the default capabilities, no CAP_SYS_ADMIN) on a writable rootfs:
// a masked file reads empty and takes no write, a masked directory is empty and unwritable, a
// read-only path cannot be written, and neither can be unmounted or remounted read-write.
func TestMaskedAndReadonlyPaths(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	root := b.rootfs()
	for name, content := range map[string]string{
		"etc/secret": "secret", "etc/secretdir/key": "key", "etc/rodir/file": "orig",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "etc/rodir"), 0o777); err != nil {
		t.Fatal(err)
	}
	b.spec.Root.Readonly = false
	b.spec.Linux.MaskedPaths = append(b.spec.Linux.MaskedPaths, "/etc/secret", "/etc/secretdir", "/proc/timer_list")
	b.spec.Linux.ReadonlyPaths = append(b.spec.Linux.ReadonlyPaths, "/etc/rodir")
	checks := [][2]string{
		{"secret", "cat /etc/secret | wc -c"},
		{"secret_write", "echo x > /etc/secret && cat /etc/secret | wc -c"},
		{"timer_list", "cat /proc/timer_list | wc -c"},
		{"secretdir", "ls -A /etc/secretdir | wc -l"},
		{"secretdir_write", "touch /etc/secretdir/new && echo written"},
		{"rodir_write", "echo x > /etc/rodir/file && echo written"},
		{"rodir_create", "touch /etc/rodir/new && echo written"},
		{"procsys_write", "echo 1 > /proc/sys/kernel/shm_rmid_forced && echo written"},
		{"rodir_remount", "mount -o remount,rw /etc/rodir && echo remounted"},
		{"rodir_bind_remount", "mount -o remount,bind,rw /etc/rodir && echo remounted"},
		{"procsys_remount", "mount -o remount,rw /proc/sys && echo remounted"},
		{"secret_umount", "umount /etc/secret && echo unmounted"},
		{"secretdir_umount", "umount /etc/secretdir && echo unmounted"},
		{"secretdir_lazy_umount", "umount -l /etc/secretdir && echo unmounted"},
		{"rodir_umount", "umount /etc/rodir && echo unmounted"},
		{"new_mount", "mount -t tmpfs tmpfs /mnt && echo mounted"},
		{"control", "echo x > /tmp/control && cat /tmp/control"},
	}
	b.spec.Process.Args = []string{"/bin/sh", "-c", shellChecks(checks)}
	b.save()
	got := parseChecks(e.mustRuno("run", "--bundle", b.dir, b.id).stdout)
	want := map[string]string{
		"secret": "0", "secret_write": "0", "timer_list": "0", "secretdir": "0", "control": "x",
	}
	for _, c := range checks {
		w := want[c[0]] // "" for every check that must fail
		if got[c[0]] != w {
			t.Errorf("%s (%s) = %q, want %q", c[0], c[1], got[c[0]], w)
		}
	}
	for name, content := range map[string]string{"etc/secret": "secret", "etc/rodir/file": "orig"} {
		if data, _ := os.ReadFile(filepath.Join(root, name)); string(data) != content {
			t.Errorf("rootfs %s = %q after the run, want %q", name, data, content)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/rodir/new")); err == nil {
		t.Errorf("the container created a file in the read-only path /etc/rodir")
	}
}

// Capability numbers of the sets the capability test configures.
const (
	capChown          = 0
	capKill           = 5
	capNetBindService = 10
	capNetRaw         = 13
)

func capMask(caps ...int) uint64 {
	var m uint64
	for _, c := range caps {
		m |= 1 << c
	}
	return m
}

// TestCapabilitiesAfterExecve checks all five capability sets of the container's process
// after execve, for root and for a non-root user, against the configured sets and execve's
// rules (capabilities(7)): the bounding, inheritable and ambient sets are what was
// configured; a non-root process keeps only its ambient set in permitted and effective; root
// gets permitted = effective = bounding | inheritable (the kernel treats its executable as
// having every file capability). Nothing outside the bounding set may appear.
func TestCapabilitiesAfterExecve(t *testing.T) {
	sets := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Permitted:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Effective:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Inheritable: []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Ambient:     []string{"CAP_NET_BIND_SERVICE"},
	}
	bnd := capMask(capChown, capKill, capNetBindService, capNetRaw)
	inh := capMask(capNetBindService, capNetRaw)
	amb := capMask(capNetBindService)
	for _, tc := range []struct {
		name string
		uid  uint32
		want map[string]uint64
	}{
		{"root", 0, map[string]uint64{"CapBnd": bnd, "CapInh": inh, "CapPrm": bnd | inh, "CapEff": bnd | inh, "CapAmb": amb}},
		{"uid 1000", 1000, map[string]uint64{"CapBnd": bnd, "CapInh": inh, "CapPrm": amb, "CapEff": amb, "CapAmb": amb}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle()
			b.spec.Process.User = specs.User{UID: tc.uid, GID: tc.uid}
			b.spec.Process.Capabilities = sets
			b.spec.Process.NoNewPrivileges = false
			f := b.runFacts()
			for _, set := range []string{"CapBnd", "CapInh", "CapPrm", "CapEff", "CapAmb"} {
				got, err := strconv.ParseUint(f.Caps[set], 16, 64)
				if err != nil {
					t.Fatalf("%s = %q: %v", set, f.Caps[set], err)
				}
				if want := tc.want[set]; got != want {
					t.Errorf("%s = %#x, want %#x", set, got, want)
				}
				if extra := got &^ bnd; extra != 0 {
					t.Errorf("%s has %#x outside the bounding set %#x", set, extra, bnd)
				}
			}
			if f.EUID != int(tc.uid) || f.UID != int(tc.uid) {
				t.Errorf("uid, euid = %d, %d, want %d", f.UID, f.EUID, tc.uid)
			}
		})
	}
}

// TestNoNewPrivilegesSetuid checks process.noNewPrivileges against a setuid-root binary (the
// probe, copied into the rootfs as mode 04755; busybox drops a setuid euid by itself and would
// show nothing): uid 1000 running it keeps euid 1000 with noNewPrivileges, and gets euid 0
// without, which shows that the test can see the difference.
func TestNoNewPrivilegesSetuid(t *testing.T) {
	for _, tc := range []struct {
		nnp      bool
		wantEUID int
		wantNNP  int
	}{
		{true, 1000, 1},
		{false, 0, 0},
	} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", tc.nnp), func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle()
			suid := filepath.Join(b.rootfs(), "bin/suid-probe")
			copyFile(t, probePath, suid)
			if err := os.Chown(suid, 0, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(suid, os.ModeSetuid|0o755); err != nil {
				t.Fatal(err)
			}
			b.spec.Process.User = specs.User{UID: 1000, GID: 1000}
			b.spec.Process.NoNewPrivileges = tc.nnp
			b.spec.Process.Args = []string{"/bin/suid-probe", "facts"}
			b.save()
			r := e.mustRuno("run", "--bundle", b.dir, b.id)
			f := decodeFacts(t, r.stdout)
			if f.UID != 1000 || f.EUID != tc.wantEUID {
				t.Errorf("setuid-root binary run by uid 1000: uid %d euid %d, want uid 1000 euid %d", f.UID, f.EUID, tc.wantEUID)
			}
			if f.NoNewPrivs != tc.wantNNP {
				t.Errorf("NoNewPrivs = %d, want %d", f.NoNewPrivs, tc.wantNNP)
			}
		})
	}
}
