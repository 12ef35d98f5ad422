package fs

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/runo-project/runo/cgroups"
)

func TestParseUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  bool
	}{
		{"0", 0, false},
		{"9223372036854771712\n", 9223372036854771712, false},
		{"18446744073709551615", math.MaxUint64, false},
		{"max", math.MaxUint64, false},
		{"-1", 0, false},                    // negative reads as 0, as in runc
		{"-99999999999999999999", 0, false}, // below MinInt64 too
		{"18446744073709551616", 0, true},   // above MaxUint64
		{"", 0, true},
		{"1.5", 0, true},
		{"max2", 0, true},
	} {
		got, err := parseUint(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseUint(%q) = %d, %v, want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseFlatKeyed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]uint64
		err      bool
	}{
		{"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", map[string]uint64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 2}, false},
		{"blank lines", "\na 1\n\n", map[string]uint64{"a": 1}, false},
		{"empty", "", map[string]uint64{}, false},
		{"three fields", "a 1 2\n", nil, true},
		{"no value", "a\n", nil, true},
		{"not a number", "a b\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlatKeyed(tc.in)
			if (err != nil) != tc.err || !maps.Equal(got, tc.want) {
				t.Errorf("parseFlatKeyed(%q) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.err)
			}
			if err != nil && !errors.Is(err, errMalformed) {
				t.Errorf("parseFlatKeyed(%q) error %v is not errMalformed", tc.in, err)
			}
		})
	}
}

func TestParseNestedKeyed(t *testing.T) {
	got, err := parseNestedKeyed("mlx4_0 hca_handle=2 hca_object=max\nocrdma1 hca_handle=3\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["mlx4_0"]["hca_object"] != "max" || got["ocrdma1"]["hca_handle"] != "3" {
		t.Errorf("parseNestedKeyed() = %v", got)
	}
	for _, bad := range []string{"dev key", "dev =1", "dev a=1 b"} {
		if _, err := parseNestedKeyed(bad); err == nil {
			t.Errorf("parseNestedKeyed(%q) = nil error, want error", bad)
		}
	}
}

func TestParseRanges(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []uint16
		err  bool
	}{
		{"0-3,5\n", []uint16{0, 1, 2, 3, 5}, false},
		{"0", []uint16{0}, false},
		{"", nil, false},
		{"\n", nil, false},
		{"7-7", []uint16{7}, false},
		{"65535", []uint16{65535}, false},
		{"65536", nil, true}, // beyond uint16, as runc's stats type
		{"3-1", nil, true},
		{"1,,2", nil, true},
		{"a-b", nil, true},
		{"1-", nil, true},
		{"-1", nil, true},
	} {
		got, err := parseRanges(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("parseRanges(%q) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseBlkio(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []cgroups.BlkioEntry
		err      bool
	}{
		{"ops", "8:0 Read 10\n8:0 Discard 0\n253:1 Total 5\nTotal 15\n",
			[]cgroups.BlkioEntry{{Major: 8, Op: "Read", Value: 10}, {Major: 8, Op: "Discard"}, {Major: 253, Minor: 1, Op: "Total", Value: 5}}, false},
		{"no op", "8:16 1024\n", []cgroups.BlkioEntry{{Major: 8, Minor: 16, Value: 1024}}, false},
		{"only total", "Total 0\n", nil, false},
		{"empty", "", nil, false},
		{"short", "8:0\n", nil, true},
		{"long", "8:0 Read 1 2\n", nil, true},
		{"bad number", "8:x Read 1\n", nil, true},
		{"bad value", "8:0 Read -1\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseBlkio(tc.in)
			if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
				t.Errorf("parseBlkio(%q) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseCpuacct(t *testing.T) {
	if u, s, err := parseCpuacctStat("user 58269\nsystem 42085\n"); err != nil || u != 582690000000 || s != 420850000000 {
		t.Errorf("parseCpuacctStat() = %d, %d, %v", u, s, err)
	}
	for _, bad := range []string{"", "system 1\nuser 2", "user x\nsystem 1", "user 1"} {
		if _, _, err := parseCpuacctStat(bad); err == nil {
			t.Errorf("parseCpuacctStat(%q) = nil error, want error", bad)
		}
	}
	k, u, err := parseUsageAll("cpu user system\n0 270698889530 191093708444\n1 5 6\n")
	if err != nil || !slices.Equal(k, []uint64{191093708444, 6}) || !slices.Equal(u, []uint64{270698889530, 5}) {
		t.Errorf("parseUsageAll() = %v, %v, %v", k, u, err)
	}
	for _, bad := range []string{"", "cpu user\n0 1", "cpu user system\n0 1", "cpu user system\n0 1 x"} {
		if _, _, err := parseUsageAll(bad); err == nil {
			t.Errorf("parseUsageAll(%q) = nil error, want error", bad)
		}
	}
	if got, err := parseUints(" 1 2  3 \n"); err != nil || !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("parseUints() = %v, %v", got, err)
	}
}

// The fuzzers check that no input panics, and what each parser promises of its output.

func FuzzParseUint(f *testing.F) {
	for _, s := range []string{"0", "max", "-1", "18446744073709551615", " 12\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _, _ = parseUint(s) })
}

func FuzzParseFlatKeyed(f *testing.F) {
	f.Add("cache 4096\nrss 0\n")
	f.Add("oom_kill_disable 0\nunder_oom 0\noom_kill 1")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseFlatKeyed(s)
		if err == nil && len(m) > strings.Count(s, "\n")+1 {
			t.Fatalf("parseFlatKeyed(%q) has %d keys for fewer lines", s, len(m))
		}
	})
}

func FuzzParseNestedKeyed(f *testing.F) {
	f.Add("mlx4_0 hca_handle=2 hca_object=max\n")
	f.Fuzz(func(t *testing.T, s string) { _, _ = parseNestedKeyed(s) })
}

func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"0-3,5", "", "0-65535", "1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseRanges(s)
		if err == nil && len(got) > math.MaxUint16+1 {
			t.Fatalf("parseRanges(%q) gave %d entries", s, len(got))
		}
	})
}

func FuzzParseBlkio(f *testing.F) {
	f.Add("8:0 Read 4096\n8:0 Total 4096\nTotal 4096\n")
	f.Add("8:16 1024\n")
	f.Fuzz(func(t *testing.T, s string) { _, _ = parseBlkio(s) })
}

func FuzzParseCpuacct(f *testing.F) {
	f.Add("user 1\nsystem 2\n", "cpu user system\n0 1 2\n")
	f.Fuzz(func(t *testing.T, stat, all string) {
		_, _, _ = parseCpuacctStat(stat)
		k, u, err := parseUsageAll(all)
		if err == nil && len(k) != len(u) {
			t.Fatalf("parseUsageAll(%q): %d kernel and %d user entries", all, len(k), len(u))
		}
		_, _ = parseUints(stat)
	})
}

func FuzzPageSizeName(f *testing.F) {
	f.Add("hugepages-2048kB")
	f.Fuzz(func(t *testing.T, s string) { _, _ = pageSizeName(s) })
}
