package main

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{name: "single value", sorted: []float64{7}, p: 50, want: 7},
		{name: "median odd", sorted: []float64{1, 2, 3}, p: 50, want: 2},
		{name: "median even is mean of middle two", sorted: []float64{1, 2, 3, 4}, p: 50, want: 2.5},
		{name: "p0 is minimum", sorted: []float64{1, 2, 3, 4}, p: 0, want: 1},
		{name: "p100 is maximum", sorted: []float64{1, 2, 3, 4}, p: 100, want: 4},
		// 11 values 0..10: rank 1 exactly, no interpolation.
		{name: "p10 on exact rank", sorted: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p: 10, want: 1},
		// 5 values: pos = 0.4, between 10 and 20.
		{name: "p10 interpolated", sorted: []float64{10, 20, 30, 40, 50}, p: 10, want: 14},
		{name: "p90 interpolated", sorted: []float64{10, 20, 30, 40, 50}, p: 90, want: 46},
		{name: "p below range clamps", sorted: []float64{1, 2}, p: -5, want: 1},
		{name: "p above range clamps", sorted: []float64{1, 2}, p: 150, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := percentile(tt.sorted, tt.p)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		want   summary
		wantOK bool
	}{
		{name: "empty is not ok", values: nil, wantOK: false},
		{name: "unsorted input", values: []float64{50, 10, 40, 20, 30},
			want: summary{n: 5, median: 30, p10: 14, p90: 46}, wantOK: true},
		{name: "all equal", values: []float64{3, 3, 3},
			want: summary{n: 3, median: 3, p10: 3, p90: 3}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := summarize(tt.values)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("summarize(%v) = %+v, %v, want %+v, %v", tt.values, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSummarizeDoesNotReorderInput(t *testing.T) {
	values := []float64{3, 1, 2}
	summarize(values)
	if values[0] != 3 || values[1] != 1 || values[2] != 2 {
		t.Errorf("summarize reordered its input: got %v, want [3 1 2]", values)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name   string
		a, b   float64
		want   float64
		wantOK bool
	}{
		{name: "plain", a: 3, b: 2, want: 1.5, wantOK: true},
		{name: "zero numerator", a: 0, b: 2, want: 0, wantOK: true},
		{name: "zero denominator", a: 3, b: 0, want: 0, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ratio(tt.a, tt.b)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ratio(%v, %v) = %v, %v, want %v, %v", tt.a, tt.b, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
