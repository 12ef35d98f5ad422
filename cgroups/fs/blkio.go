package fs

import (
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func blkioWanted(b *specs.LinuxBlockIO) bool {
	return b != nil && (b.Weight != nil || b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

func u16(p *uint16) uint16 {
	if p == nil {
		return 0
	}
	return *p
}

// setBlkio writes linux.resources.blockIO as runc does: weights (0 leaves them as is), then
// one "major:minor value" line per device and file. The CFQ weight files went with CFQ in
// 5.0; BFQ has its own, which runc falls back to.
func setBlkio(dir string, b *specs.LinuxBlockIO) error {
	weight, weightDevice := "blkio.weight", "blkio.weight_device"
	if !exists(dir, weight) {
		weight, weightDevice = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if w := u16(b.Weight); w != 0 {
		if err := cgroups.WriteFile(dir, weight, fmt.Sprint(w)); err != nil {
			return err
		}
	}
	if w := u16(b.LeafWeight); w != 0 {
		if err := cgroups.WriteFile(dir, "blkio.leaf_weight", fmt.Sprint(w)); err != nil {
			return err
		}
	}
	for _, d := range b.WeightDevice {
		if w := u16(d.Weight); w != 0 {
			if err := cgroups.WriteFile(dir, weightDevice, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, w)); err != nil {
				return err
			}
		}
		if w := u16(d.LeafWeight); w != 0 {
			if err := cgroups.WriteFile(dir, "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, w)); err != nil {
				return err
			}
		}
	}
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			if err := cgroups.WriteFile(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// blkioStats reads the recursive I/O counters. As runc, it takes the first group of files the
// kernel has, in order: BFQ with debug counters, BFQ, CFQ, throttle recursive, throttle.
func blkioStats(dir string, s *cgroups.Stats) error {
	b := &s.Blkio
	type stat struct {
		file string
		to   *[]cgroups.BlkioEntry
	}
	cfqLike := func(prefix string) []stat {
		return []stat{
			{prefix + "sectors_recursive", &b.SectorsRecursive},
			{prefix + "io_service_time_recursive", &b.IoServiceTimeRecursive},
			{prefix + "io_wait_time_recursive", &b.IoWaitTimeRecursive},
			{prefix + "io_merged_recursive", &b.IoMergedRecursive},
			{prefix + "io_queued_recursive", &b.IoQueuedRecursive},
			{prefix + "time_recursive", &b.IoTimeRecursive},
			{prefix + "io_serviced_recursive", &b.IoServicedRecursive},
			{prefix + "io_service_bytes_recursive", &b.IoServiceBytesRecursive},
		}
	}
	groups := [][]stat{
		cfqLike("blkio.bfq."),
		{{"blkio.bfq.io_serviced_recursive", &b.IoServicedRecursive}, {"blkio.bfq.io_service_bytes_recursive", &b.IoServiceBytesRecursive}},
		cfqLike("blkio."),
		{{"blkio.throttle.io_serviced_recursive", &b.IoServicedRecursive}, {"blkio.throttle.io_service_bytes_recursive", &b.IoServiceBytesRecursive}},
		{{"blkio.throttle.io_serviced", &b.IoServicedRecursive}, {"blkio.throttle.io_service_bytes", &b.IoServiceBytesRecursive}},
	}
	for _, g := range groups {
		for i, st := range g {
			entries, err := readBlkio(dir, st.file)
			if err != nil || entries == nil {
				if i == 0 { // the group's first file is missing or empty: try the next group
					break
				}
				return err
			}
			*st.to = entries
			if i == len(g)-1 {
				return nil
			}
		}
	}
	return nil
}

// readBlkio returns nil for a missing file, which tells blkioStats to look further.
func readBlkio(dir, file string) ([]cgroups.BlkioEntry, error) {
	data, err := cgroups.ReadFile(dir, file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e, err := parseBlkio(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s/%s: %w", dir, file, err)
	}
	return e, nil
}
