package rootfs

import (
	"reflect"
	"testing"
)

func TestParseMountInfo(t *testing.T) {
	in := `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
30 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
31 22 0:27 /sub /mnt/with\040space rw master:3 propagate_from:2 - tmpfs none rw
32 22 0:28 / /x rw - tmpfs tmpfs
`
	got, err := parseMountInfo(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []mountInfo{
		{Root: "/", Mountpoint: "/", Optional: []string{"shared:1"}, FSType: "ext4", Source: "/dev/sda1", SuperOpts: []string{"rw", "errors=remount-ro"}},
		{Root: "/", Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", Optional: []string{"shared:9"}, FSType: "cgroup", Source: "cgroup", SuperOpts: []string{"rw", "cpu", "cpuacct"}},
		{Root: "/sub", Mountpoint: "/mnt/with space", Optional: []string{"master:3", "propagate_from:2"}, FSType: "tmpfs", Source: "none", SuperOpts: []string{"rw"}},
		{Root: "/", Mountpoint: "/x", Optional: []string{}, FSType: "tmpfs", Source: "tmpfs"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMountInfo() = %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"1 2 3", "1 2 0:1 / /a rw shared:1 ext4 x rw", "1 2 0:1 / /a rw -"} {
		if _, err := parseMountInfo(bad); err == nil {
			t.Errorf("parseMountInfo(%q) succeeded, want error", bad)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	tests := map[string]string{
		`/a\040b`:  "/a b",
		`\134`:     `\`,
		`/a\04`:    `/a\04`, // truncated escape kept
		`/a\999`:   `/a\999`,
		`/plain`:   "/plain",
		`\011\012`: "\t\n",
	}
	for in, want := range tests {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n")
	f.Add("31 22 0:27 /sub /mnt/a\\040b rw - tmpfs none rw")
	f.Fuzz(func(t *testing.T, s string) {
		mi, err := parseMountInfo(s)
		if err != nil {
			return
		}
		for _, m := range mi {
			if m.FSType == "" {
				t.Errorf("parseMountInfo(%q): empty fs type in %+v", s, m)
			}
		}
	})
}

func TestParseProcCgroup(t *testing.T) {
	in := "12:cpu,cpuacct:/user/ctr\n1:name=systemd:/ctr\n0::/ctr\n"
	got, err := parseProcCgroup(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []cgroupEntry{
		{Controllers: []string{"cpu", "cpuacct"}, Path: "/user/ctr"},
		{Controllers: []string{"name=systemd"}, Path: "/ctr"},
		{Path: "/ctr"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup() = %+v, want %+v", got, want)
	}
	if _, err := parseProcCgroup("garbage\n"); err == nil {
		t.Error("parseProcCgroup(garbage) succeeded, want error")
	}
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add("12:cpu,cpuacct:/a\n0::/b\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseProcCgroup(s)
	})
}
