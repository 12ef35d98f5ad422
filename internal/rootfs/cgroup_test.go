package rootfs

import (
	"reflect"
	"testing"
)

func TestV1Hierarchies(t *testing.T) {
	mi := []mountInfo{
		{Root: "/", Mountpoint: "/sys/fs/cgroup", FSType: "tmpfs"},
		{Root: "/", Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", SuperOpts: []string{"rw", "cpu", "cpuacct"}},
		{Root: "/", Mountpoint: "/sys/fs/cgroup/systemd", FSType: "cgroup", SuperOpts: []string{"rw", "xattr", "name=systemd"}},
		{Root: "/docker", Mountpoint: "/sys/fs/cgroup/memory", FSType: "cgroup", SuperOpts: []string{"rw", "memory"}},
		{Root: "/", Mountpoint: "/sys/fs/cgroup/unified", FSType: "cgroup2"},
	}
	cgs := []cgroupEntry{
		{Controllers: []string{"cpu", "cpuacct"}, Path: "/ctr"},
		{Controllers: []string{"name=systemd"}, Path: "/ctr"},
		{Controllers: []string{"memory"}, Path: "/docker/ctr"},
		{Controllers: []string{"pids"}, Path: "/ctr"}, // not mounted: skipped
		{Path: "/ctr"}, // the v2 line: skipped
	}
	got, err := v1Hierarchies(mi, cgs)
	if err != nil {
		t.Fatal(err)
	}
	want := []v1Hierarchy{
		{name: "cpu,cpuacct", controllers: []string{"cpu", "cpuacct"}, source: "/sys/fs/cgroup/cpu,cpuacct/ctr"},
		{name: "systemd", controllers: []string{"name=systemd"}, source: "/sys/fs/cgroup/systemd/ctr"},
		{name: "memory", controllers: []string{"memory"}, source: "/sys/fs/cgroup/memory/ctr"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v1Hierarchies() = %+v\nwant %+v", got, want)
	}
	// A cgroup outside the mount's root cannot be bound.
	_, err = v1Hierarchies(mi, []cgroupEntry{{Controllers: []string{"memory"}, Path: "/other"}})
	if err == nil {
		t.Error("v1Hierarchies(outside root) succeeded, want error")
	}
}

func TestRelInside(t *testing.T) {
	tests := []struct {
		root, p, want string
		ok            bool
	}{
		{"/", "/a/b", "/a/b", true},
		{"/a", "/a", "/", true},
		{"/a", "/a/b", "/b", true},
		{"/a", "/ab", "", false}, // prefix of a name, not of a path
		{"/a", "/", "", false},
	}
	for _, tt := range tests {
		got, ok := relInside(tt.root, tt.p)
		if got != tt.want || ok != tt.ok {
			t.Errorf("relInside(%q, %q) = %q, %v, want %q, %v", tt.root, tt.p, got, ok, tt.want, tt.ok)
		}
	}
}
