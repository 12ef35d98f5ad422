package fs2

import (
	"math"
	"reflect"
	"testing"

	"github.com/runo-project/runo/cgroups"
)

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]uint64
		wantErr bool
	}{
		{"empty", "", map[string]uint64{}, false},
		{"values", "a 1\nb 2\n", map[string]uint64{"a": 1, "b": 2}, false},
		{"max", "limit max\n", map[string]uint64{"limit": math.MaxUint64}, false},
		{"blank lines", "\na 1\n\n", map[string]uint64{"a": 1}, false},
		{"three fields", "a 1 2\n", nil, true},
		{"not a number", "a x\n", nil, true},
		{"negative", "a -1\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKeyValues(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseKeyValues(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseKeyValues(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseIOStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    cgroups.Blkio
		wantErr bool
	}{
		{"empty", "", cgroups.Blkio{}, false},
		{"two devices", "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n253:1 rbytes=7\n", cgroups.Blkio{
			IoServiceBytesRecursive: []cgroups.BlkioEntry{entry(8, 0, "Read", 1), entry(8, 0, "Write", 2), entry(253, 1, "Read", 7)},
			IoServicedRecursive:     []cgroups.BlkioEntry{entry(8, 0, "Read", 3), entry(8, 0, "Write", 4)},
		}, false},
		{"device without counters", "8:0\n", cgroups.Blkio{}, false},
		{"not a device", "sda rbytes=1\n", cgroups.Blkio{}, false},
		{"bad major", "x:0 rbytes=1\n", cgroups.Blkio{}, true},
		{"bad value", "8:0 rbytes=x\n", cgroups.Blkio{}, true},
		{"unknown key with bad value", "8:0 cost.usage=x\n", cgroups.Blkio{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIOStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseIOStat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseIOStat(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePSI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *cgroups.PSIStats
		wantErr bool
	}{
		{"some only (cpu before 5.13)", "some avg10=0.10 avg60=0.20 avg300=0.30 total=40\n",
			&cgroups.PSIStats{Some: cgroups.PSIData{Avg10: 0.1, Avg60: 0.2, Avg300: 0.3, Total: 40}}, false},
		{"some and full", "some avg10=1 avg60=2 avg300=3 total=4\nfull avg10=5 avg60=6 avg300=7 total=8\n",
			&cgroups.PSIStats{Some: cgroups.PSIData{Avg10: 1, Avg60: 2, Avg300: 3, Total: 4}, Full: cgroups.PSIData{Avg10: 5, Avg60: 6, Avg300: 7, Total: 8}}, false},
		{"unknown line and key", "other x\nsome avg5=1 total=2\n", &cgroups.PSIStats{Some: cgroups.PSIData{Total: 2}}, false},
		{"empty", "", &cgroups.PSIStats{}, false},
		{"no equals", "some avg10\n", nil, true},
		{"bad float", "some avg10=x\n", nil, true},
		{"bad total", "full total=-1\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePSI(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parsePSI(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parsePSI(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint16
		wantErr bool
	}{
		{"", nil, false},
		{"0", []uint16{0}, false},
		{"0-3", []uint16{0, 1, 2, 3}, false},
		{"0-1,4,6-7\n", []uint16{0, 1, 4, 6, 7}, false},
		{"65535", []uint16{65535}, false}, // the largest that fits the stats' uint16
		{"65536", nil, true},
		{"3-1", nil, true},
		{"1,", nil, true},
		{"a", nil, true},
		{"-1", nil, true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCPUList(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseCPUList(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
