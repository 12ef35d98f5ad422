package main

import (
	"math"
	"slices"
)

// summary describes one series of samples.
type summary struct {
	n      int
	median float64
	p10    float64
	p90    float64
}

// summarize returns the median, p10 and p90 of values; ok is false for an empty series so that a
// runtime whose every attempt failed shows as failed instead of as zero.
func summarize(values []float64) (s summary, ok bool) {
	if len(values) == 0 {
		return summary{}, false
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return summary{
		n:      len(sorted),
		median: percentile(sorted, 50),
		p10:    percentile(sorted, 10),
		p90:    percentile(sorted, 90),
	}, true
}

// percentile interpolates linearly between the closest ranks of sorted (the R-7 method, numpy's
// default), so the median of an even count is the mean of the middle two. p is clamped to [0,100].
// Preconditions: sorted is sorted ascending and not empty.
func percentile(sorted []float64, p float64) float64 {
	p = math.Max(0, math.Min(100, p))
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}

// ratio returns a/b, or ok false when b is zero so that no Inf reaches the table.
func ratio(a, b float64) (float64, bool) {
	if b == 0 {
		return 0, false
	}
	return a / b, true
}
