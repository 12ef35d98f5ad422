package fs

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func TestSetHugetlb(t *testing.T) {
	limits := []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}, {Pagesize: "1GB", Limit: 0}}
	for _, tc := range []struct {
		name  string
		files []string
		want  map[string]string
	}{
		{"with reservations", []string{"hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes", "hugetlb.1GB.limit_in_bytes", "hugetlb.1GB.rsvd.limit_in_bytes"},
			map[string]string{"hugetlb.2MB.limit_in_bytes": "4194304", "hugetlb.2MB.rsvd.limit_in_bytes": "4194304",
				"hugetlb.1GB.limit_in_bytes": "0", "hugetlb.1GB.rsvd.limit_in_bytes": "0"}},
		{"before 5.7", []string{"hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"},
			map[string]string{"hugetlb.2MB.limit_in_bytes": "4194304", "hugetlb.1GB.limit_in_bytes": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = ""
			}
			dir := cgroupDir(t, files)
			if err := setHugetlb(dir, limits); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, dir); !equalJSON(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
	if err := setHugetlb(cgroupDir(t, nil), limits); err == nil {
		t.Error("setHugetlb() with an unknown page size = nil, want error")
	}
}

func TestSetHugetlbV2(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max"})
	if err := setHugetlbV2(dir, []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2097152}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"hugetlb.2MB.max": "2097152", "hugetlb.2MB.rsvd.max": "2097152"}
	if got := contents(t, dir); !equalJSON(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if !hasHugetlbV2(dir, []string{"2MB"}) || hasHugetlbV2(dir, []string{"1GB"}) || hasHugetlbV2("", []string{"2MB"}) {
		t.Error("hasHugetlbV2() does not follow the files")
	}
}

func TestPageSizeName(t *testing.T) {
	for in, want := range map[string]string{
		"hugepages-2048kB": "2MB", "hugepages-1048576kB": "1GB", "hugepages-64kB": "64KB",
		"hugepages-32768kB": "32MB", "hugepages-16777216kB": "16GB", "hugepages-524288kB": "512MB",
		"hugepages-0kB": "", "hugepages-2048": "", "other": "", "hugepages-xkB": "",
	} {
		got, ok := pageSizeName(in)
		if got != want || ok != (want != "") {
			t.Errorf("pageSizeName(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
}

func TestHugetlbStats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  cgroups.Hugetlb
	}{
		{"reservations", map[string]string{"hugetlb.2MB.rsvd.usage_in_bytes": "4096", "hugetlb.2MB.rsvd.max_usage_in_bytes": "8192",
			"hugetlb.2MB.rsvd.failcnt": "1", "hugetlb.2MB.usage_in_bytes": "1"}, cgroups.Hugetlb{Usage: 4096, Max: 8192, Failcnt: 1}},
		{"usage only", map[string]string{"hugetlb.2MB.usage_in_bytes": "4096", "hugetlb.2MB.max_usage_in_bytes": "8192",
			"hugetlb.2MB.failcnt": "2"}, cgroups.Hugetlb{Usage: 4096, Max: 8192, Failcnt: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := cgroups.Stats{Hugetlb: map[string]cgroups.Hugetlb{}}
			if err := hugetlbStats(cgroupDir(t, tc.files), []string{"2MB"}, &s); err != nil {
				t.Fatal(err)
			}
			if s.Hugetlb["2MB"] != tc.want {
				t.Errorf("hugetlbStats() = %+v, want %+v", s.Hugetlb["2MB"], tc.want)
			}
		})
	}
	s := cgroups.Stats{Hugetlb: map[string]cgroups.Hugetlb{}}
	dir := cgroupDir(t, map[string]string{"hugetlb.2MB.current": "4096", "hugetlb.2MB.events": "max 3\n"})
	if err := hugetlbStatsV2(dir, []string{"2MB"}, &s); err != nil {
		t.Fatal(err)
	}
	if want := (cgroups.Hugetlb{Usage: 4096, Failcnt: 3}); s.Hugetlb["2MB"] != want {
		t.Errorf("hugetlbStatsV2() = %+v, want %+v", s.Hugetlb["2MB"], want)
	}
}
