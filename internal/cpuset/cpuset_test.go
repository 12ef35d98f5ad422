package cpuset

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		list    string
		want    []int
		wantErr bool
	}{
		{"0", []int{0}, false},
		{"0-3,5", []int{0, 1, 2, 3, 5}, false},
		{" 1 , 3-4", []int{1, 3, 4}, false},
		{"", nil, true},
		{"3-1", nil, true},     // reversed range
		{"a", nil, true},       // not a number
		{"-1", nil, true},      // negative
		{"0-99999", nil, true}, // beyond the set
	}
	for _, tt := range tests {
		set, err := Parse(tt.list)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, wantErr %v", tt.list, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got := set.Count(); got != len(tt.want) {
			t.Errorf("Parse(%q) has %d cpus, want %d", tt.list, got, len(tt.want))
		}
		for _, cpu := range tt.want {
			if !set.IsSet(cpu) {
				t.Errorf("Parse(%q) lacks cpu %d", tt.list, cpu)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("0-3,5")
	f.Fuzz(func(t *testing.T, s string) { Parse(s) })
}
