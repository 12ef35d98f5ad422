package fs

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestRdmaLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    specs.LinuxRdma
		want string
	}{
		{"both", specs.LinuxRdma{HcaHandles: pu32(2), HcaObjects: pu32(2000)}, "mlx4_0 hca_handle=2 hca_object=2000"},
		{"handles", specs.LinuxRdma{HcaHandles: pu32(0)}, "mlx4_0 hca_handle=0"},
		{"objects", specs.LinuxRdma{HcaObjects: pu32(7)}, "mlx4_0 hca_object=7"},
		{"neither", specs.LinuxRdma{}, "mlx4_0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rdmaLine("mlx4_0", tc.l)
			if got != tc.want {
				t.Errorf("rdmaLine() = %q, want %q", got, tc.want)
			}
			// The line is what rdma.max reads back as: a nested keyed line.
			if _, err := parseNestedKeyed(got); err != nil {
				t.Errorf("parseNestedKeyed(%q) = %v", got, err)
			}
		})
	}
}

func TestSetRdmaInNameOrder(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"rdma.max": ""})
	err := setRdma(dir, map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: pu32(1)}, "mlx5_0": {HcaHandles: pu32(3)}, "a": {}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := contents(t, dir)["rdma.max"], "mlx5_1 hca_handle=1"; got != want {
		t.Errorf("rdma.max = %q, want %q (the last device by name)", got, want)
	}
}
