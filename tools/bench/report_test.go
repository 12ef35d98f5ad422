package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestFormatTable(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		rows   [][]string
		align  []bool
		want   string
	}{
		{
			name:   "left and right alignment",
			header: []string{"name", "value"},
			rows:   [][]string{{"a", "1.00"}, {"longer", "12.50"}},
			align:  []bool{false, true},
			want: "" +
				"name    value\n" +
				"------  -----\n" +
				"a        1.00\n" +
				"longer  12.50\n",
		},
		{
			name:   "short row is padded and trailing blanks trimmed",
			header: []string{"a", "b"},
			rows:   [][]string{{"x"}},
			want: "" +
				"a  b\n" +
				"-  -\n" +
				"x\n",
		},
		{
			name:   "no rows",
			header: []string{"metric"},
			want:   "metric\n------\n",
		},
		{
			// Width counts runes, not bytes.
			name:   "multibyte cells",
			header: []string{"k", "v"},
			rows:   [][]string{{"µs", "1"}},
			align:  []bool{false, true},
			want:   "k   v\n--  -\nµs  1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatTable(tt.header, tt.rows, tt.align)
			if got != tt.want {
				t.Errorf("formatTable() = \n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderReport(t *testing.T) {
	res := newResults()
	for _, v := range []float64{10, 20, 30} {
		res.add(mRunWall, "runo", v)
		res.add(mRunWall, "runc", 2*v)
	}
	res.fail("runo", mRunWall)
	res.fail("crun", mRunWall)

	var b bytes.Buffer
	if err := renderReport(&b, res, []string{"runo", "runc", "crun"}); err != nil {
		t.Fatalf("renderReport() = %v, want nil", err)
	}
	// Compare with runs of blanks collapsed: the column widths are formatTable's business.
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		"run wall [ms] runo 3/4 20.00 12.00 28.00",
		"\nrunc 3/3 40.00 24.00 56.00",
		"\ncrun 0/1 FAILED - -",
		// Never attempted is not a failure.
		"run cpu user+sys [ms] runo 0/0 - - -",
		"metric runo/runc runo/crun",
		// runo's median 20 over runc's 40; crun failed, so its ratio is n/a.
		"run wall [ms] 0.50 n/a",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("renderReport() output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRatioTableWithoutReference(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string
	}{
		{name: "runo missing", runtimes: []string{"runc", "crun"}},
		{name: "runo alone", runtimes: []string{"runo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratioTable(newResults(), tt.runtimes); got != "" {
				t.Errorf("ratioTable(%v) = %q, want empty", tt.runtimes, got)
			}
		})
	}
}
