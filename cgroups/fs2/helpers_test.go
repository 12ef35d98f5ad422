package fs2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/runo-project/runo/cgroups"
)

// fakeCgroup returns a temporary directory holding files with the given contents, standing in
// for a cgroup directory: writers only write files that exist, as on cgroupfs.
func fakeCgroup(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// contents returns every file of dir (one level) with its contents.
func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func entry(major, minor uint64, op string, v uint64) cgroups.BlkioEntry {
	return cgroups.BlkioEntry{Major: major, Minor: minor, Op: op, Value: v}
}
