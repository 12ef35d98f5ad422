package cgroups

import (
	"reflect"
	"strings"
	"testing"
)

const hybridMountinfo = `25 31 0:23 / /sys ro,nosuid - sysfs sysfs rw
30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
32 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd,release_agent=/x
35 30 0:29 /nested /mnt/memory\040copy rw - cgroup cgroup rw,memory
36 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
37 36 0:32 / /sys/fs/cgroup/pids rw - tmpfs tmpfs rw
`

func TestParseMountinfo(t *testing.T) {
	got, err := parseMountinfo(strings.NewReader(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]hierarchy{
		"":             {key: "", mountpoint: "/sys/fs/cgroup/unified", root: "/", index: 2},
		"cpu,cpuacct":  {key: "cpu,cpuacct", mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", index: 3},
		"memory":       {key: "memory", mountpoint: "/sys/fs/cgroup/memory", root: "/", index: 4}, // first mount wins
		"name=systemd": {key: "name=systemd", mountpoint: "/sys/fs/cgroup/systemd", root: "/", index: 5},
		// pids is mounted over by a tmpfs: gone
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMountinfo() = %+v, want %+v", got, want)
	}
}

func TestParseProcCgroup(t *testing.T) {
	got, err := parseProcCgroup(strings.NewReader("4:memory:/process_api/x\n2:cpu,cpuacct:/\n0::/user.slice\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"memory": "/process_api/x", "cpu,cpuacct": "/", "": "/user.slice"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup() = %v, want %v", got, want)
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`a\040b`: "a b", `plain`: "plain", `tail\04`: `tail\04`, `x\134y`: `x\y`} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	hs := map[string]hierarchy{
		"memory": {key: "memory", mountpoint: "/cg/memory", root: "/"},
		"pids":   {key: "pids", mountpoint: "/cg/pids", root: "/"},
		"":       {key: "", mountpoint: "/cg/unified", root: "/sub"}, // a mount of a sub-tree
	}
	own := map[string]string{"memory": "/runtime", "pids": "/", "": "/sub/me"}
	tests := []struct {
		name, path string
		want       map[string]string
		wantErr    string
	}{
		{"absolute", "/test/c1", nil, "outside the mounted"}, // /test is not under /sub
		{"relative", "pod/c1", map[string]string{
			"memory": "/cg/memory/runtime/pod/c1", "pids": "/cg/pids/pod/c1", "": "/cg/unified/me/pod/c1",
		}, ""},
		{"dotdot", "/a/../b", nil, "must not contain .."},
		{"systemd form", "system.slice:runo:c1", nil, "systemd cgroup driver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolve(tt.path, "c1", hs, own)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolve(%q) error = %v, want %q", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolve(%q) = %v, %v, want %v", tt.path, got, err, tt.want)
			}
		})
	}
	delete(hs, "")
	got, err := resolve("", "c1", hs, own)
	if want := "/cg/pids/runo/c1"; err != nil || got["pids"] != want {
		t.Errorf("resolve(\"\") = %v, %v, want pids at %s", got, err, want)
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(hybridMountinfo)
	f.Fuzz(func(t *testing.T, s string) {
		parseMountinfo(strings.NewReader(s))
		unescape(s)
	})
}
