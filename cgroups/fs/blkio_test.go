package fs

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func dev(major, minor int64) specs.LinuxBlockIODevice {
	return specs.LinuxBlockIODevice{Major: major, Minor: minor}
}

func TestSetBlkio(t *testing.T) {
	throttle := []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 1048576}}
	for _, tc := range []struct {
		name  string
		files []string
		b     specs.LinuxBlockIO
		want  map[string]string
	}{
		{name: "cfq weights", files: []string{"blkio.weight", "blkio.weight_device", "blkio.leaf_weight", "blkio.leaf_weight_device"},
			b: specs.LinuxBlockIO{Weight: pu16(500), LeafWeight: pu16(300),
				WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 16), Weight: pu16(200), LeafWeight: pu16(100)}}},
			want: map[string]string{"blkio.weight": "500", "blkio.leaf_weight": "300", "blkio.weight_device": "8:16 200", "blkio.leaf_weight_device": "8:16 100"}},
		{name: "bfq weights", files: []string{"blkio.bfq.weight", "blkio.bfq.weight_device"},
			b:    specs.LinuxBlockIO{Weight: pu16(100), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(254, 0), Weight: pu16(50)}}},
			want: map[string]string{"blkio.bfq.weight": "100", "blkio.bfq.weight_device": "254:0 50"}},
		{name: "zero weight leaves as is", files: []string{"blkio.bfq.weight"}, b: specs.LinuxBlockIO{Weight: pu16(0)},
			want: map[string]string{"blkio.bfq.weight": ""}},
		{name: "throttles", files: []string{"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
			"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"},
			b: specs.LinuxBlockIO{ThrottleReadBpsDevice: throttle, ThrottleWriteBpsDevice: throttle,
				ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 100}},
				ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 0}}},
			want: map[string]string{"blkio.throttle.read_bps_device": "8:0 1048576", "blkio.throttle.write_bps_device": "8:0 1048576",
				"blkio.throttle.read_iops_device": "8:0 100", "blkio.throttle.write_iops_device": "8:0 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = ""
			}
			dir := cgroupDir(t, files)
			if err := setBlkio(dir, &tc.b); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, dir); !equalJSON(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBlkioStats(t *testing.T) {
	const bytes = "8:0 Read 4096\n8:0 Write 0\n8:0 Sync 4096\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4096\nTotal 4096\n"
	const ios = "8:0 Read 1\n8:0 Total 1\nTotal 1\n"
	e := func(op string, v uint64) cgroups.BlkioEntry {
		return cgroups.BlkioEntry{Major: 8, Minor: 0, Op: op, Value: v}
	}
	wantBytes := []cgroups.BlkioEntry{e("Read", 4096), e("Write", 0), e("Sync", 4096), e("Async", 0), e("Discard", 0), e("Total", 4096)}
	wantIOs := []cgroups.BlkioEntry{e("Read", 1), e("Total", 1)}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  cgroups.Blkio
	}{
		{"throttle recursive", map[string]string{
			"blkio.throttle.io_service_bytes_recursive": bytes, "blkio.throttle.io_serviced_recursive": ios,
			"blkio.throttle.io_service_bytes": "Total 0\n", "blkio.throttle.io_serviced": "Total 0\n",
		}, cgroups.Blkio{IoServiceBytesRecursive: wantBytes, IoServicedRecursive: wantIOs}},
		{"bfq before throttle", map[string]string{
			"blkio.bfq.io_service_bytes_recursive": bytes, "blkio.bfq.io_serviced_recursive": ios,
			"blkio.throttle.io_service_bytes_recursive": "8:0 Read 1\n", "blkio.throttle.io_serviced_recursive": "8:0 Read 1\n",
		}, cgroups.Blkio{IoServiceBytesRecursive: wantBytes, IoServicedRecursive: wantIOs}},
		{"throttle, not recursive (old kernels)", map[string]string{
			"blkio.throttle.io_service_bytes": bytes, "blkio.throttle.io_serviced": ios,
		}, cgroups.Blkio{IoServiceBytesRecursive: wantBytes, IoServicedRecursive: wantIOs}},
		{"nothing", map[string]string{}, cgroups.Blkio{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s cgroups.Stats
			if err := blkioStats(cgroupDir(t, tc.files), &s); err != nil {
				t.Fatal(err)
			}
			if !equalJSON(s.Blkio, tc.want) {
				t.Errorf("blkioStats() = %+v, want %+v", s.Blkio, tc.want)
			}
		})
	}
}
