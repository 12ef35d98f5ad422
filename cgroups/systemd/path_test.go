package systemd

import (
	"strings"
	"testing"
)

func TestParseCgroupsPath(t *testing.T) {
	tests := []struct {
		name, path, id string
		want           unitSpec
		wantErr        string
	}{
		{"empty is the default", "", "abc", unitSpec{"system.slice", "runo-abc.scope", "/system.slice/runo-abc.scope"}, ""},
		{"docker style", "system.slice:docker:1234", "x", unitSpec{"system.slice", "docker-1234.scope", "/system.slice/docker-1234.scope"}, ""},
		{"empty slice is system.slice", ":runo:abc", "x", unitSpec{"system.slice", "runo-abc.scope", "/system.slice/runo-abc.scope"}, ""},
		{"nested slice", "machine-libpod_pod.slice:libpod:c1", "x",
			unitSpec{"machine-libpod_pod.slice", "libpod-c1.scope", "/machine.slice/machine-libpod_pod.slice/libpod-c1.scope"}, ""},
		{"root slice", "-.slice:runo:abc", "x", unitSpec{"-.slice", "runo-abc.scope", "/runo-abc.scope"}, ""},
		{"no prefix", "system.slice::abc", "x", unitSpec{"system.slice", "abc.scope", "/system.slice/abc.scope"}, ""},
		// A slice is placed by its own name, not by its parent's.
		{"slice unit", "kubepods.slice:runo:kubepods-besteffort.slice", "x",
			unitSpec{"kubepods.slice", "kubepods-besteffort.slice", "/kubepods.slice/kubepods-besteffort.slice"}, ""},
		{"plain path", "/runo/abc", "x", unitSpec{}, `linux.cgroupsPath "/runo/abc": the systemd cgroup driver expects the form "slice:prefix:name"`},
		{"two parts", "system.slice:abc", "x", unitSpec{}, `expects the form "slice:prefix:name"`},
		{"four parts", "a.slice:b:c:d", "x", unitSpec{}, `expects the form "slice:prefix:name"`},
		{"empty name", "system.slice:runo:", "x", unitSpec{}, "the name (after the second colon) is empty"},
		{"slash in name", "system.slice:runo:../../etc", "x", unitSpec{}, `name: "../../etc": character '/' is not allowed`},
		{"slash in prefix", "system.slice:a/b:c", "x", unitSpec{}, `prefix: "a/b": character '/'`},
		{"parent not a slice", "system.service:runo:abc", "x", unitSpec{}, `invalid slice name "system.service"`},
		{"bad slice name", "a--b.slice:runo:abc", "x", unitSpec{}, `invalid slice name "a--b.slice": empty component`},
		{"bad slice unit", "system.slice:runo:-a.slice", "x", unitSpec{}, `invalid slice name "-a.slice"`},
		{"space in id", "", "a b", unitSpec{}, `character ' ' is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCgroupsPath(tt.path, tt.id)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseCgroupsPath(%q, %q) error = %v, want one containing %q", tt.path, tt.id, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCgroupsPath(%q, %q): %v", tt.path, tt.id, err)
			}
			if got != tt.want {
				t.Errorf("parseCgroupsPath(%q, %q) = %+v, want %+v", tt.path, tt.id, got, tt.want)
			}
		})
	}
}

func TestExpandSlice(t *testing.T) {
	tests := []struct {
		slice, want string // want "" is an error
	}{
		{"system.slice", "/system.slice"},
		{"-.slice", "/"},
		{"a-b.slice", "/a.slice/a-b.slice"},
		{"test-a-b.slice", "/test.slice/test-a.slice/test-a-b.slice"},
		{"user-1000.slice", "/user.slice/user-1000.slice"},
		{".slice", ""},     // no name
		{"slice", ""},      // no suffix
		{"a.scope", ""},    // not a slice
		{"-a.slice", ""},   // leading dash: empty first component
		{"a-.slice", ""},   // trailing dash
		{"a--b.slice", ""}, // empty middle component
		{"a/b.slice", ""},  // a path, not a name
		{"--.slice", ""},   // only dashes, but not the root
		{"a.slice.slice", "/a.slice.slice"},
	}
	for _, tt := range tests {
		got, err := expandSlice(tt.slice)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("expandSlice(%q) = %q, want an error", tt.slice, got)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("expandSlice(%q) = %q, %v, want %q", tt.slice, got, err, tt.want)
		}
	}
}

func FuzzParseCgroupsPath(f *testing.F) {
	for _, s := range []string{"", "system.slice:runo:abc", "a-b.slice::c.slice", "x:y", "-.slice:p:n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := parseCgroupsPath(p, "id")
		if err != nil {
			return
		}
		// Whatever the input, the cgroup path stays a clean absolute path made of names.
		if !strings.HasPrefix(u.path, "/") || strings.Contains(u.path, "/../") || strings.HasSuffix(u.path, "/..") || strings.Contains(u.path, "//") {
			t.Errorf("parseCgroupsPath(%q) path = %q", p, u.path)
		}
		if !strings.HasSuffix(u.unit, ".scope") && !strings.HasSuffix(u.unit, ".slice") {
			t.Errorf("parseCgroupsPath(%q) unit = %q", p, u.unit)
		}
	})
}
