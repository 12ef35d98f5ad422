package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParsePhases(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr bool
	}{
		{name: "empty selects every phase", list: "", want: phaseNames()},
		{name: "one", list: "exec", want: []string{phaseExec}},
		{name: "several with blanks", list: "run, parallel", want: []string{phaseRun, phaseParallel}},
		{name: "unknown", list: "run,warp", wantErr: true},
		{name: "empty item", list: "run,", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePhases(tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parsePhases(%q) error = %v, want error %v", tt.list, err, tt.wantErr)
			}
			var names []string
			for _, p := range phaseNames() {
				if got[p] {
					names = append(names, p)
				}
			}
			if len(got) != len(names) || !slices.Equal(names, tt.want) {
				t.Errorf("parsePhases(%q) = %v, want %v", tt.list, got, tt.want)
			}
		})
	}
}

func TestParsePositiveInts(t *testing.T) {
	tests := []struct {
		list    string
		want    []int
		wantErr bool
	}{
		{list: "2,8", want: []int{2, 8}},
		{list: " 4 ", want: []int{4}},
		{list: "1", want: []int{1}},
		{list: "0", wantErr: true},
		{list: "2,-1", wantErr: true},
		{list: "", wantErr: true},
		{list: "two", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			got, err := parsePositiveInts(tt.list)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Errorf("parsePositiveInts(%q) = %v, %v, want %v, error %v", tt.list, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{name: "defaults", args: nil},
		{name: "small run", args: []string{"-n", "3", "-crowd", "10", "-only", "crowd,parallel"}},
		{name: "zero iterations", args: []string{"-n", "0"}, wantErr: true},
		{name: "negative warm-up", args: []string{"-warmup", "-1"}, wantErr: true},
		// 8 lanes cannot share 4 runs.
		{name: "more lanes than runs", args: []string{"-lanes", "8", "-parallel-total", "4"}, wantErr: true},
		{name: "bad lanes", args: []string{"-lanes", "2,x"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
		{name: "unknown flag", args: []string{"-bogus"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Errorf("parseOptions(%q) = %v, want error %v", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestLegendFollowsPhases(t *testing.T) {
	o := options{phases: map[string]bool{phaseParallel: true}, parallelTotal: 32, crowd: 100}
	got := strings.Join(legend(o, 4), "\n")
	for _, want := range []string{"parallel:", "32 runs per batch"} {
		if !strings.Contains(got, want) {
			t.Errorf("legend() = \n%s\nwant a line with %q", got, want)
		}
	}
	for _, unwanted := range []string{"kill:", "(100 in root)", "maxrss includes"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("legend() = \n%s\nexplains %q, a phase that did not run", got, unwanted)
		}
	}
}
