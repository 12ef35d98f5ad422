package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Metric names; the unit is part of the name so that the table needs no separate column.
const (
	mRunWall         = "run wall [ms]"
	mRunCPU          = "run cpu user+sys [ms]"
	mRunRSS          = "run maxrss [MiB]"
	mCreateWall      = "create wall [ms]"
	mStartWall       = "start wall [ms]"
	mDeleteWall      = "delete wall [ms]"
	mLifecycleWall   = "create+start+delete wall [ms]"
	mCreateCPU       = "create cpu user+sys [ms]"
	mStartCPU        = "start cpu user+sys [ms]"
	mDeleteCPU       = "delete cpu user+sys [ms]"
	mLifecycleCPU    = "create+start+delete cpu [ms]"
	mCreateRSS       = "create maxrss [MiB]"
	referenceRuntime = "runo"
)

// metricOrder is the order of the rows in the report.
var metricOrder = []string{
	mRunWall, mRunCPU, mRunRSS,
	mCreateWall, mStartWall, mDeleteWall, mLifecycleWall,
	mCreateCPU, mStartCPU, mDeleteCPU, mLifecycleCPU,
	mCreateRSS,
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
}

// results collects every series of one benchmark run.
type results struct {
	series map[seriesKey]*series
}

func newResults() *results {
	return &results{series: make(map[seriesKey]*series)}
}

func (r *results) get(metric, runtime string) *series {
	k := seriesKey{metric: metric, runtime: runtime}
	s, ok := r.series[k]
	if !ok {
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
	for _, m := range metricOrder {
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
	if _, err := io.WriteString(w, formatTable(header, rows, []bool{false, false, true, true, true, true})); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	ratios := ratioTable(res, runtimes)
	if ratios == "" {
		return nil
	}
	if _, err := io.WriteString(w, "\nratios of medians (below 1.00: runo is faster or smaller)\n"+ratios); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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
	for _, m := range metricOrder {
		row := []string{m}
		ref, refOK := summarize(res.get(m, referenceRuntime).values)
		for _, o := range others {
			other, otherOK := summarize(res.get(m, o).values)
			r, ok := ratio(ref.median, other.median)
			if !refOK || !otherOK || !ok {
				row = append(row, "n/a")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f", r))
		}
		rows = append(rows, row)
	}
	return formatTable(header, rows, align)
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
