package fs2

import "testing"

func TestCPUSharesToWeight(t *testing.T) {
	tests := []struct {
		shares, want uint64
	}{
		{0, 0}, // unset
		{1, 1}, // below the v1 minimum: clamped
		{2, 1}, // v1 minimum -> v2 minimum
		{3, 2},
		{10, 4},
		{100, 17},
		{512, 59},
		{1024, 100}, // v1 default -> v2 default (the linear formula gave 39)
		{2048, 174},
		{4096, 303},
		{102400, 4429},
		{262143, 10000},
		{262144, 10000}, // v1 maximum -> v2 maximum
		{1 << 40, 10000},
	}
	for _, tt := range tests {
		if got := CPUSharesToWeight(tt.shares); got != tt.want {
			t.Errorf("CPUSharesToWeight(%d) = %d, want %d", tt.shares, got, tt.want)
		}
	}
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	tests := []struct {
		weight uint16
		want   uint64
	}{
		{0, 0}, // unset
		{5, 1}, // below the v1 range: clamped, where the formula would underflow
		{10, 1},
		{100, 910},
		{500, 4950},
		{1000, 10000},
	}
	for _, tt := range tests {
		if got := BlkioWeightToIOWeight(tt.weight); got != tt.want {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", tt.weight, got, tt.want)
		}
	}
}

func TestMemorySwapToV2(t *testing.T) {
	tests := []struct {
		name         string
		swap, memory int64
		want         int64
		wantErr      bool
	}{
		{"both unset", 0, 0, 0, false},
		{"unlimited memory, swap unset: unlimited swap", 0, -1, -1, false},
		{"unlimited both", -1, -1, -1, false},
		{"unlimited swap", -1, 1000, -1, false},
		{"swap unset", 0, 1000, 0, false},
		{"unlimited memory keeps swap", 1000, -1, 1000, false},
		{"swap without memory", 1000, 0, 0, true},
		{"negative memory", 1000, -2, 0, true},
		{"swap below memory", 500, 1000, 0, true},
		{"equal: no swap", 1000, 1000, 0, false},
		{"swap part", 3000, 1000, 2000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MemorySwapToV2(tt.swap, tt.memory)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("MemorySwapToV2(%d, %d) = %d, %v; want %d, error %v", tt.swap, tt.memory, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
