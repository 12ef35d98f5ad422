package main

import "testing"

func TestParseProcStatus(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    memoryUse
		wantErr bool
	}{
		{
			name:   "process",
			status: "Name:\tcrun\nVmHWM:\t    2200 kB\nVmRSS:\t    2132 kB\nRssAnon:\t     296 kB\nRssFile:\t    1836 kB\n",
			want:   memoryUse{rssKiB: 2132, anonKiB: 296},
		},
		// A zombie or a kernel thread has no memory lines.
		{name: "no memory lines", status: "Name:\tsleep\nState:\tZ (zombie)\n", wantErr: true},
		{name: "RssAnon missing", status: "VmRSS:\t 10 kB\n", wantErr: true},
		{name: "unexpected unit", status: "VmRSS:\t 10 MB\nRssAnon:\t 1 kB\n", wantErr: true},
		{name: "not a number", status: "VmRSS:\t ten kB\nRssAnon:\t 1 kB\n", wantErr: true},
		{name: "line without colon is skipped", status: "garbage\nVmRSS: 1 kB\nRssAnon: 0 kB\n",
			want: memoryUse{rssKiB: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatus(tt.status)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseProcStatus(%q) = %+v, %v, want %+v, error %v", tt.status, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMaxRSSAtFloor(t *testing.T) {
	tests := []struct {
		name string
		out  outcome
		want bool
	}{
		{name: "below the floor", out: outcome{maxRSSKiB: 4000, rssFloorKiB: 4100}, want: true},
		// The last KiB that still counts: the harness may have touched a few pages since.
		{name: "at the slack's edge", out: outcome{maxRSSKiB: 4100 + rssFloorSlackKiB, rssFloorKiB: 4100}, want: true},
		{name: "above the slack", out: outcome{maxRSSKiB: 4101 + rssFloorSlackKiB, rssFloorKiB: 4100}, want: false},
		{name: "runtime larger than the harness", out: outcome{maxRSSKiB: 9700, rssFloorKiB: 4100}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.out.maxRSSAtFloor(); got != tt.want {
				t.Errorf("%+v.maxRSSAtFloor() = %v, want %v", tt.out, got, tt.want)
			}
		})
	}
}
