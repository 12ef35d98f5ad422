package fs

import (
	"testing"

	"github.com/runo-project/runo/cgroups"
)

func TestSetPids(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		want  string
	}{
		{"limit", 100, "100"},
		{"one", 1, "1"},
		{"zero is no limit", 0, "max"},
		{"negative is no limit", -1, "max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := cgroupDir(t, map[string]string{"pids.max": "max"})
			if err := setPids(dir, tc.limit); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, dir)["pids.max"]; got != tc.want {
				t.Errorf("setPids(%d): pids.max = %q, want %q", tc.limit, got, tc.want)
			}
		})
	}
}

func TestPidsStats(t *testing.T) {
	for _, tc := range []struct {
		name, max string
		want      cgroups.Pids
	}{
		{"limited", "64\n", cgroups.Pids{Current: 3, Limit: 64}},
		{"unlimited", "max\n", cgroups.Pids{Current: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s cgroups.Stats
			if err := pidsStats(cgroupDir(t, map[string]string{"pids.current": "3\n", "pids.max": tc.max}), &s); err != nil {
				t.Fatal(err)
			}
			if s.Pids != tc.want {
				t.Errorf("pidsStats() = %+v, want %+v", s.Pids, tc.want)
			}
		})
	}
}
