package fs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cgroupDir makes a temporary directory holding files with the given contents, standing in
// for a cgroup directory. A value of dirFile makes a directory instead, whose write fails:
// tests use it to see which of two writes comes first.
func cgroupDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		var err error
		if content == dirFile {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const dirFile = "\x00dir"

// contents returns every file of dir that is not a directory.
func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = strings.TrimSuffix(string(b), "\n")
	}
	return got
}

func p64(v int64) *int64    { return &v }
func pu64(v uint64) *uint64 { return &v }
func pu32(v uint32) *uint32 { return &v }
func pu16(v uint16) *uint16 { return &v }
func pbool(v bool) *bool    { return &v }

// equalJSON compares two values by their JSON form, which is what `runo events` shows.
func equalJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}
