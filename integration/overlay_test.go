package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestOverlayRootfs checks a layered root filesystem as engines prepare one: the rootfs is an
// overlay the engine mounted, and config.json adds an overlay mount of its own. Writes land
// in the upper directories; the lower layers stay as they were.
func TestOverlayRootfs(t *testing.T) {
	if data, _ := os.ReadFile("/proc/filesystems"); !strings.Contains(string(data), "\toverlay\n") {
		t.Skip("requires overlayfs")
	}
	e := newEnv(t)
	b := e.newEmptyBundle()
	layers := e.hostDir("layers")
	dir := func(name string) string {
		p := filepath.Join(layers, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(path, content string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// lower1: busybox and the probe; lower2 (on top): /etc/motd and a data file.
	lower1, lower2, upper, work := dir("lower1"), dir("lower2"), dir("upper"), dir("work")
	populateRootfs(t, lower1)
	write(filepath.Join(lower2, "etc/motd"), "from lower2\n")
	write(filepath.Join(lower1, "etc/motd"), "from lower1\n")
	dataLower, dataUpper, dataWork := dir("data-lower"), dir("data-upper"), dir("data-work")
	write(filepath.Join(dataLower, "seed"), "seed\n")

	// Engines mount the image's layers on the bundle's rootfs before create.
	opts := "lowerdir=" + lower2 + ":" + lower1 + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", b.rootfs(), "overlay", 0, opts); err != nil {
		t.Fatalf("mount overlay on %s: %v", b.rootfs(), err)
	}
	e.ownMount = append(e.ownMount, b.rootfs())

	b.spec.Root.Readonly = false
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
		Destination: "/data",
		Type:        "overlay",
		Source:      "overlay",
		Options:     []string{"lowerdir=" + dataLower, "upperdir=" + dataUpper, "workdir=" + dataWork},
	})
	b.spec.Process.Args = []string{"sh", "-c", `
set -e
echo new > /newfile
echo changed >> /etc/motd
cat /etc/motd
cat /data/seed
echo more >> /data/seed
echo fresh > /data/fresh
`}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	if got, want := r.stdout, "from lower2\nchanged\nseed\n"; got != want {
		t.Errorf("container output = %q, want %q", got, want)
	}

	for _, c := range []struct{ path, want string }{
		{filepath.Join(upper, "newfile"), "new\n"},
		{filepath.Join(upper, "etc/motd"), "from lower2\nchanged\n"},
		{filepath.Join(lower2, "etc/motd"), "from lower2\n"},
		{filepath.Join(lower1, "etc/motd"), "from lower1\n"},
		{filepath.Join(dataUpper, "seed"), "seed\nmore\n"},
		{filepath.Join(dataUpper, "fresh"), "fresh\n"},
		{filepath.Join(dataLower, "seed"), "seed\n"},
	} {
		data, err := os.ReadFile(c.path)
		if got := string(data); err != nil || got != c.want {
			t.Errorf("%s = %q (%v), want %q", c.path, got, err, c.want)
		}
	}
	for _, p := range []string{filepath.Join(lower1, "newfile"), filepath.Join(lower2, "newfile"), filepath.Join(dataLower, "fresh")} {
		if exists(p) {
			t.Errorf("%s exists: a write reached a lower layer", p)
		}
	}
}
