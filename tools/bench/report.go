package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Metric names; the unit is part of the name so that the table needs no separate column, and a
// rate's unit ("…/s") is what marks it as higher-is-better (see higherIsBetter).
const (
	mRunWall            = "run wall [ms]"
	mRunCPU             = "run cpu user+sys [ms]"
	mRunRSS             = "run maxrss [MiB]"
	mCreateWall         = "create wall [ms]"
	mStartWall          = "start wall [ms]"
	mDeleteWall         = "delete wall [ms]"
	mLifecycleWall      = "create+start+delete wall [ms]"
	mCreateCPU          = "create cpu user+sys [ms]"
	mStartCPU           = "start cpu user+sys [ms]"
	mDeleteCPU          = "delete cpu user+sys [ms]"
	mLifecycleCPU       = "create+start+delete cpu [ms]"
	mCreateRSS          = "create maxrss [MiB]"
	mDeleteCreatedWall  = "delete created wall [ms]"
	mDeleteCreatedCPU   = "delete created cpu user+sys [ms]"
	mInitRSS            = "waiting init rss [MiB]"
	mInitRSSAnon        = "waiting init rss anon [MiB]"
	mExecWall           = "exec wall [ms]"
	mExecCPU            = "exec cpu user+sys [ms]"
	mExecRSS            = "exec maxrss [MiB]"
	mStateWall          = "state wall [ms]"
	mStateCPU           = "state cpu user+sys [ms]"
	mListWall           = "list wall [ms] (1 in root)"
	mListCPU            = "list cpu user+sys [ms] (1 in root)"
	mKillWall           = "kill wall [ms]"
	mKillCPU            = "kill cpu user+sys [ms]"
	referenceRuntime    = "runo"
	rateUnitSuffix      = "/s]"
	invertedRatioMarker = " (inverted)"
)

// memoryLimitMetric names the `run` under a memory limit of limit bytes.
func memoryLimitMetric(limit int64) string {
	return fmt.Sprintf("run wall [ms] (memory limit %d MiB)", limit>>20)
}

// crowdMetric names a measurement taken with size created containers in the runtime's --root;
// what is e.g. "list wall".
func crowdMetric(what string, size int) string {
	return fmt.Sprintf("%s [ms] (%d in root)", what, size)
}

// parallelRateMetric and parallelCPUMetric name the throughput of lanes concurrent `run` loops.
func parallelRateMetric(lanes int) string {
	return fmt.Sprintf("parallel run, %d lanes [containers/s]", lanes)
}

func parallelCPUMetric(lanes int) string {
	return fmt.Sprintf("parallel run cpu per container, %d lanes [ms]", lanes)
}

// higherIsBetter reports whether metric is a rate: more containers per second is better, where for
// every duration and size less is.
func higherIsBetter(metric string) bool {
	return strings.HasSuffix(metric, rateUnitSuffix)
}

// seriesKey names one series: a metric of one runtime.
type seriesKey struct {
	metric  string
	runtime string
}

// series holds the samples of one metric of one runtime and how many attempts failed.
type series struct {
	values []float64
	failed int
	// atFloor counts the maxrss samples that may be the harness's own resident set.
	atFloor int
}

// results collects every series of one benchmark run. The rows of the report follow the order in
// which metrics were first recorded, which is the order of the measurements, so that a phase left
// out with -only leaves no empty rows and names built from flags (lanes, root size) need no list.
type results struct {
	series map[seriesKey]*series
	order  []string
}

func newResults() *results {
	return &results{series: make(map[seriesKey]*series)}
}

func (r *results) get(metric, runtime string) *series {
	k := seriesKey{metric: metric, runtime: runtime}
	s, ok := r.series[k]
	if !ok {
		if !slices.Contains(r.order, metric) {
			r.order = append(r.order, metric)
		}
		s = &series{}
		r.series[k] = s
	}
	return s
}

func (r *results) add(metric, runtime string, v float64) {
	s := r.get(metric, runtime)
	s.values = append(s.values, v)
}

func (r *results) fail(runtime string, metrics ...string) {
	for _, m := range metrics {
		r.get(m, runtime).failed++
	}
}

// renderReport writes one row per metric and runtime, then the ratios of the medians of runo to
// every other runtime. runtimes gives the column order; the first table keeps failed series
// visible as "FAILED" so that a broken runtime cannot pass unnoticed.
func renderReport(w io.Writer, res *results, runtimes []string) error {
	header := []string{"metric", "runtime", "ok/n", "median", "p10", "p90"}
	var rows [][]string
	for _, m := range res.order {
		for i, rt := range runtimes {
			s := res.get(m, rt)
			label := ""
			if i == 0 {
				label = m
			}
			okN := fmt.Sprintf("%d/%d", len(s.values), len(s.values)+s.failed)
			sum, ok := summarize(s.values)
			switch {
			case !ok && s.failed == 0:
				rows = append(rows, []string{label, rt, okN, "-", "-", "-"})
				continue
			case !ok:
				rows = append(rows, []string{label, rt, okN, "FAILED", "-", "-"})
				continue
			}
			rows = append(rows, []string{label, rt, okN, num(sum.median), num(sum.p10), num(sum.p90)})
		}
	}
	table := formatTable(header, rows, []bool{false, false, true, true, true, true}) + floorNote(res, runtimes)
	if _, err := io.WriteString(w, table); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	ratios := ratioTable(res, runtimes)
	if ratios == "" {
		return nil
	}
	note := "\nratios of medians, runo/other (below 1.00: runo is faster or smaller); rows marked" +
		invertedRatioMarker + "\nare rates, higher is better, shown as other/runo so that below 1.00 still means runo is better\n"
	if _, err := io.WriteString(w, note+ratios); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// floorNote lists the series with maxrss samples that may be the harness's own resident set, or
// returns "" when there are none.
func floorNote(res *results, runtimes []string) string {
	var rows [][]string
	for _, m := range res.order {
		for _, rt := range runtimes {
			if s := res.get(m, rt); s.atFloor > 0 {
				rows = append(rows, []string{m, rt, fmt.Sprintf("%d/%d", s.atFloor, len(s.values))})
			}
		}
	}
	if len(rows) == 0 {
		return ""
	}
	return "\nupper bounds: these maxrss samples read no more than the harness's own resident set at spawn,\n" +
		"which the kernel counts as the child's (Go spawns with vfork); the runtime's true peak may be lower\n" +
		formatTable([]string{"metric", "runtime", "samples"}, rows, []bool{false, false, true})
}

// ratioTable returns the runo/<other> table, or "" when runo or every other runtime is absent.
func ratioTable(res *results, runtimes []string) string {
	var others []string
	hasRef := false
	for _, rt := range runtimes {
		if rt == referenceRuntime {
			hasRef = true
		} else {
			others = append(others, rt)
		}
	}
	if !hasRef || len(others) == 0 {
		return ""
	}
	header := []string{"metric"}
	align := []bool{false}
	for _, o := range others {
		header = append(header, referenceRuntime+"/"+o)
		align = append(align, true)
	}
	var rows [][]string
	for _, m := range res.order {
		row := []string{m}
		if higherIsBetter(m) {
			row[0] += invertedRatioMarker
		}
		for _, o := range others {
			row = append(row, medianRatio(res, m, o))
		}
		rows = append(rows, row)
	}
	return formatTable(header, rows, align)
}

// medianRatio formats runo's median of metric over other's, inverted for a rate so that the cost
// ratio reads the same way in every row: runo's seconds per container over other's. "n/a" when
// either has no sample or the divisor is zero.
func medianRatio(res *results, metric, other string) string {
	ref, refOK := summarize(res.get(metric, referenceRuntime).values)
	oth, othOK := summarize(res.get(metric, other).values)
	dividend, divisor := ref.median, oth.median
	if higherIsBetter(metric) {
		dividend, divisor = divisor, dividend
	}
	r, ok := ratio(dividend, divisor)
	if !refOK || !othOK || !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", r)
}

// num formats a sample value; two decimals suit both milliseconds and MiB at these magnitudes.
func num(v float64) string {
	return fmt.Sprintf("%.2f", v)
}

// formatTable lays rows out in columns separated by two spaces under a header and a rule.
// rightAlign[i] right-aligns column i (numbers); missing entries mean left.
func formatTable(header []string, rows [][]string, rightAlign []bool) string {
	widths := make([]int, len(header))
	measure := func(cells []string) {
		for i, c := range cells {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	var b strings.Builder
	writeRow := func(cells []string) {
		var line strings.Builder
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i < len(rightAlign) && rightAlign[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	writeRow(header)
	rule := make([]string, len(widths))
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	writeRow(rule)
	for _, r := range rows {
		writeRow(r)
	}
	return b.String()
}
