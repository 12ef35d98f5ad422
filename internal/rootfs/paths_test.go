package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// escapeRoot builds a rootfs whose symlinks all point outside it, and a
// sibling "outside" directory they would reach if followed naively.
func escapeRoot(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "dir")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":     outside,              // absolute, to the host
		"rel":     "../../outside",      // climbs out
		"dotdot":  "../../../../../..",  // far above "/"
		"dir/up":  "../../outside/deep", // from a subdirectory
		"chain":   "abs",                // through another link
		"selfref": "selfref",            // a loop
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

func TestResolveInRootStaysInside(t *testing.T) {
	root, _ := escapeRoot(t)
	tests := []struct {
		in, want string
	}{
		{"/abs/x", "/" + strings.TrimPrefix(filepath.Join(filepath.Dir(root), "outside"), "/") + "/x"},
		{"/rel/x", "/outside/x"},
		{"/dotdot/x", "/x"},
		{"/dir/up/x", "/outside/deep/x"},
		{"/../../x", "/x"},
		{"x", "/x"},
	}
	for _, tt := range tests {
		got, err := resolveInRoot(root, tt.in)
		if err != nil {
			t.Errorf("resolveInRoot(%q) error: %v", tt.in, err)
			continue
		}
		if want := filepath.Join(root, tt.want); got != want {
			t.Errorf("resolveInRoot(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestMountpointStaysInside(t *testing.T) {
	root, outside := escapeRoot(t)
	tests := []struct {
		dest  string
		isDir bool
	}{
		{"/abs/d", true},
		{"/rel/f", false},
		{"/dotdot/a/b", true},
		{"/dir/up/f", false},
		{"/chain/c", true},
	}
	for _, tt := range tests {
		f, err := mountpoint(root, tt.dest, tt.isDir)
		if err != nil {
			t.Errorf("mountpoint(%q) error: %v", tt.dest, err)
			continue
		}
		st, err := f.Stat()
		f.Close()
		if err != nil || st.IsDir() != tt.isDir {
			t.Errorf("mountpoint(%q): stat = %v, %v, want dir %v", tt.dest, st, err, tt.isDir)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("mountpoint created %d entries outside the rootfs", len(ents))
	}
	// A loop fails, it does not escape either.
	if f, err := mountpoint(root, "/selfref/x", true); err == nil {
		f.Close()
		t.Error("mountpoint(/selfref/x) succeeded, want ELOOP")
	}
	// A file cannot be mounted over the rootfs itself.
	if f, err := mountpoint(root, "/", false); err == nil {
		f.Close()
		t.Error("mountpoint(/, file) succeeded, want error")
	}
}

func TestMountpointExisting(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := mountpoint(root, "/file", false)
	if err != nil {
		t.Fatalf("mountpoint(/file) error: %v", err)
	}
	f.Close()
	if b, _ := os.ReadFile(filepath.Join(root, "file")); string(b) != "keep" {
		t.Errorf("mountpoint(/file) changed the file to %q", b)
	}
}
