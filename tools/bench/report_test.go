package main

import (
	"bytes"
	"slices"
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
	res.add(mRunCPU, "runc", 5)

	var b bytes.Buffer
	if err := renderReport(&b, res, []string{"runo", "runc", "crun"}); err != nil {
		t.Fatalf("renderReport() = %v, want nil", err)
	}
	out := collapseBlanks(b.String())
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

func TestRenderReportRowOrderFollowsFirstRecord(t *testing.T) {
	res := newResults()
	res.add(mExecWall, "runc", 1)
	res.fail("runo", mStateWall, mExecWall)
	res.add(mStateWall, "runo", 1)
	res.add(mRunWall, "crun", 1)

	want := []string{mExecWall, mStateWall, mRunWall}
	if got := res.order; !slices.Equal(got, want) {
		t.Errorf("results.order = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := renderReport(&b, res, []string{"runo", "runc", "crun"}); err != nil {
		t.Fatalf("renderReport() = %v, want nil", err)
	}
	out := b.String()
	if strings.Contains(out, mCreateWall) {
		t.Errorf("renderReport() shows %q, which was never recorded:\n%s", mCreateWall, out)
	}
	exec, state, run := strings.Index(out, mExecWall), strings.Index(out, mStateWall), strings.Index(out, mRunWall)
	if !(exec < state && state < run) {
		t.Errorf("renderReport() rows not in recording order (exec %d, state %d, run %d):\n%s", exec, state, run, out)
	}
}

func TestHigherIsBetter(t *testing.T) {
	tests := []struct {
		metric string
		want   bool
	}{
		{metric: parallelRateMetric(8), want: true},
		{metric: parallelCPUMetric(8), want: false},
		{metric: mRunWall, want: false},
		{metric: mRunRSS, want: false},
		{metric: memoryLimitMetric(2 << 20), want: false},
		{metric: crowdMetric("list wall", 100), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			if got := higherIsBetter(tt.metric); got != tt.want {
				t.Errorf("higherIsBetter(%q) = %v, want %v", tt.metric, got, tt.want)
			}
		})
	}
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "memory limit in MiB", got: memoryLimitMetric(2 << 20), want: "run wall [ms] (memory limit 2 MiB)"},
		{name: "crowd", got: crowdMetric("state wall", 100), want: "state wall [ms] (100 in root)"},
		{name: "parallel rate", got: parallelRateMetric(2), want: "parallel run, 2 lanes [containers/s]"},
		{name: "parallel cpu", got: parallelCPUMetric(2), want: "parallel run cpu per container, 2 lanes [ms]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("metric name = %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// A rate's ratio is inverted, so that below 1.00 means runo is better in every row.
func TestRatioTableDirection(t *testing.T) {
	rate := parallelRateMetric(8)
	tests := []struct {
		name       string
		metric     string
		runo, runc float64
		wantRow    string
	}{
		{name: "duration, runo faster", metric: mRunWall, runo: 10, runc: 20, wantRow: mRunWall + " 0.50"},
		{name: "duration, runo slower", metric: mRunWall, runo: 30, runc: 20, wantRow: mRunWall + " 1.50"},
		{name: "rate, runo faster", metric: rate, runo: 200, runc: 100, wantRow: rate + invertedRatioMarker + " 0.50"},
		{name: "rate, runo slower", metric: rate, runo: 100, runc: 200, wantRow: rate + invertedRatioMarker + " 2.00"},
		// A rate of zero would divide by zero once inverted.
		{name: "rate, runo zero", metric: rate, runo: 0, runc: 200, wantRow: rate + invertedRatioMarker + " n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newResults()
			res.add(tt.metric, "runo", tt.runo)
			res.add(tt.metric, "runc", tt.runc)
			got := collapseBlanks(ratioTable(res, []string{"runo", "runc"}))
			if !strings.Contains(got, tt.wantRow) {
				t.Errorf("ratioTable() = \n%s\nwant a row %q", got, tt.wantRow)
			}
		})
	}
}

func TestFloorNote(t *testing.T) {
	res := newResults()
	res.add(mRunRSS, "runo", 7.7)
	for range 3 {
		res.add(mRunRSS, "crun", 4.1)
	}
	res.get(mRunRSS, "crun").atFloor = 2
	got := collapseBlanks(floorNote(res, []string{"runo", "crun"}))
	if want := mRunRSS + " crun 2/3"; !strings.Contains(got, want) {
		t.Errorf("floorNote() = \n%s\nwant a row %q", got, want)
	}
	if strings.Contains(got, " runo ") {
		t.Errorf("floorNote() = \n%s\nlists runo, which has no sample at the floor", got)
	}
	if got := floorNote(newResults(), []string{"runo"}); got != "" {
		t.Errorf("floorNote() without samples at the floor = %q, want empty", got)
	}
}

// collapseBlanks joins each line's fields with one blank: the column widths are formatTable's
// business.
func collapseBlanks(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}
