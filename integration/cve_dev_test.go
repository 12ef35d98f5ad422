package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The tests here change the container's /dev between the time runo fills it and the time runo
// uses it: a createContainer hook runs in the container's mount namespace after the mounts and
// devices are made and before pivot_root, masking and the console bind, which is exactly the
// window a process sharing the rootfs (another container, the image's own files) would race
// into. The hook sees host paths, so it is given the rootfs's host path.

// devHook returns a createContainer hook that runs script with busybox's sh, $R being the
// rootfs's host path.
func devHook(b *bundle, script string) specs.Hook {
	return specs.Hook{
		Path: "/usr/bin/busybox",
		Args: []string{"busybox", "sh", "-c", "set -e; R=" + b.rootfs() + "; " + script},
	}
}

// devSwaps are the replacements of a /dev node the image could make; %s is the node's name.
var devSwaps = []struct {
	name, script string
	// volume: the replacement reaches the host file $V/victim (the bind of a host dir on /data).
	volume bool
}{
	{"symlink to core_pattern", "rm $R/dev/%[1]s; ln -s /proc/sys/kernel/core_pattern $R/dev/%[1]s", false},
	{"relative symlink to core_pattern", "rm $R/dev/%[1]s; ln -s ../proc/sys/kernel/core_pattern $R/dev/%[1]s", false},
	{"symlink to a volume file", "rm $R/dev/%[1]s; ln -s /data/victim $R/dev/%[1]s", true},
	{"bind of a host file", "mount --bind $V/victim $R/dev/%[1]s", true},
	{"regular file", "rm $R/dev/%[1]s; echo x > $R/dev/%[1]s", false},
	{"directory", "rm $R/dev/%[1]s; mkdir $R/dev/%[1]s", false},
	{"other device", "rm $R/dev/%[1]s; mknod $R/dev/%[1]s c 1 5", false},
}

// swapBundle makes a bundle running args whose createContainer hook replaces /dev/<node> as
// swap says, with a host directory (holding victim = "host") bound on /data. It returns the
// host directory.
func swapBundle(e *env, node, script string, args ...string) (*bundle, string) {
	e.t.Helper()
	b := e.newBundle(args...)
	vol := e.hostDir("volume")
	if err := os.WriteFile(filepath.Join(vol, "victim"), []byte("host"), 0o666); err != nil {
		e.t.Fatal(err)
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}})
	script = "V=" + vol + "; " + strings.ReplaceAll(script, "%[1]s", node)
	b.spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{devHook(b, script)}}
	return b, vol
}

// TestCVE2025_31133 pins the maskedPaths escape: runo masks a file by binding the container's
// /dev/null over it, so a /dev/null that is not the null device (a symlink to
// /proc/sys/kernel/core_pattern or into a volume, a host file bound over it, a regular file,
// another device) would bind something writable, maybe a host file, over the masked path.
// runo must refuse with an error naming /dev/null, or mask with the real null device.
func TestCVE2025_31133(t *testing.T) {
	for _, swap := range devSwaps {
		t.Run(swap.name, func(t *testing.T) {
			e := newEnv(t)
			b, vol := swapBundle(e, "null", swap.script, "/bin/sh", "-c", "cat /etc/secret; echo pwned > /etc/secret; /bin/probe stat /etc/secret")
			if err := os.WriteFile(filepath.Join(b.rootfs(), "etc/secret"), []byte("secret"), 0o644); err != nil {
				t.Fatal(err)
			}
			b.spec.Linux.MaskedPaths = append(b.spec.Linux.MaskedPaths, "/etc/secret")
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkHostTreeUntouched(t, vol, map[string]string{"victim": "host"})
			if r.code != 0 {
				checkNotHookFailure(t, r)
				checkFailure(t, r, []string{"/dev/null"})
				return
			}
			if strings.Contains(r.stdout, "secret") {
				t.Errorf("masked /etc/secret was readable: %q", r.stdout)
			}
			checkNullDevice(t, r.stdout)
		})
	}
	// The image's own /dev (no tmpfs on /dev in the config) with a /dev/null that links into a
	// volume: runo keeps the image's node (EEXIST) and must then refuse to mask with it.
	t.Run("image /dev/null links to a volume", func(t *testing.T) {
		e := newEnv(t)
		b := e.newBundle("/bin/sh", "-c", "echo pwned > /etc/secret; /bin/probe stat /etc/secret")
		vol := e.hostDir("volume")
		if err := os.WriteFile(filepath.Join(vol, "victim"), []byte("host"), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.rootfs(), "etc/secret"), []byte("secret"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/data/victim", filepath.Join(b.rootfs(), "dev/null")); err != nil {
			t.Fatal(err)
		}
		var mounts []specs.Mount
		for _, m := range b.spec.Mounts {
			if m.Destination != "/dev" {
				mounts = append(mounts, m)
			}
		}
		b.spec.Mounts = append(mounts, specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}})
		b.spec.Linux.MaskedPaths = []string{"/etc/secret"}
		b.spec.Root.Readonly = false
		b.save()
		r := e.runo("run", "--bundle", b.dir, b.id)
		checkHostTreeUntouched(t, vol, map[string]string{"victim": "host"})
		if r.code != 0 {
			checkFailure(t, r, []string{"/dev/null"})
			return
		}
		checkNullDevice(t, r.stdout)
	})
}

// checkNotHookFailure fails the test if the run failed in the hook that sets the trap (its
// script names the node, so the error would match): the test would check nothing.
func checkNotHookFailure(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stderr, "createContainer hook") {
		t.Fatalf("the test's hook failed: %v", r)
	}
}

// checkNullDevice checks the last line of out, `probe stat` of a masked file: the null device.
func checkNullDevice(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var st struct {
		Mode  string `json:"mode"`
		Major uint32 `json:"rdev_major"`
		Minor uint32 `json:"rdev_minor"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &st); err != nil {
		t.Fatalf("probe stat: %v in %q", err, out)
	}
	if !strings.HasPrefix(st.Mode, "020") || st.Major != 1 || st.Minor != 3 {
		t.Errorf("masked file is mode %s %d:%d, want the null device (020xxx 1:3)", st.Mode, st.Major, st.Minor)
	}
}

// TestCVE2025_52565 pins the /dev/console escape: with process.terminal runo binds the pty
// over /dev/console, so a /dev/console that is a symlink (to /proc/sys/kernel/core_pattern or
// into a volume) or a directory would put the pty over that target, or over a host file.
// runo must refuse with an error naming /dev/console, or bind only over a plain
// /dev/console: core_pattern and the host file stay what they were.
func TestCVE2025_52565(t *testing.T) {
	const check = "stat -c %F /proc/sys/kernel/core_pattern /data/victim; tty"
	for _, swap := range devSwaps {
		t.Run(swap.name, func(t *testing.T) {
			e := newEnv(t)
			b, vol := swapBundle(e, "console", swap.script, "/bin/sh", "-c", check)
			b.spec.Process.Terminal = true
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkHostTreeUntouched(t, vol, map[string]string{"victim": "host"})
			if r.code != 0 {
				checkNotHookFailure(t, r)
				checkFailure(t, r, []string{"console"})
				return
			}
			checkConsoleTargets(t, r.stdout)
		})
	}
	// The image's own /dev (no tmpfs on /dev in the config) with /dev/console a link.
	for _, target := range []string{"/proc/sys/kernel/core_pattern", "/data/victim"} {
		t.Run("image /dev/console links to "+target, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/sh", "-c", check)
			vol := e.hostDir("volume")
			if err := os.WriteFile(filepath.Join(vol, "victim"), []byte("host"), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(b.rootfs(), "dev/console")); err != nil {
				t.Fatal(err)
			}
			var mounts []specs.Mount
			for _, m := range b.spec.Mounts {
				if m.Destination != "/dev" {
					mounts = append(mounts, m)
				}
			}
			b.spec.Mounts = append(mounts, specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}})
			b.spec.Root.Readonly = false
			b.spec.Process.Terminal = true
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkHostTreeUntouched(t, vol, map[string]string{"victim": "host"})
			if r.code != 0 {
				checkNotHookFailure(t, r)
				checkFailure(t, r, []string{"console"})
				return
			}
			checkConsoleTargets(t, r.stdout)
		})
	}
}

// checkConsoleTargets checks the output of the console check: core_pattern and the volume
// file are regular files, not the pty.
func checkConsoleTargets(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(out), "\r", ""), "\n")
	if len(lines) < 2 {
		t.Fatalf("console check printed %q", out)
	}
	for _, l := range lines[:2] {
		if !strings.HasPrefix(l, "regular") {
			t.Errorf("core_pattern or the volume file is %q in the container, want a regular file (output %q)", l, out)
		}
	}
}
