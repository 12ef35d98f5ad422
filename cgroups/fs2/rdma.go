package fs2

import (
	"sort"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// rdmaLine returns one rdma.max entry as runc writes it; unset limits are left out, so they keep
// their current value.
func rdmaLine(device string, l specs.LinuxRdma) string {
	s := device
	if l.HcaHandles != nil {
		s += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
	}
	if l.HcaObjects != nil {
		s += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
	}
	return s
}

// setRdma writes one rdma.max entry per device, in device order so that errors are stable.
func setRdma(dir string, limits map[string]specs.LinuxRdma) error {
	devs := make([]string, 0, len(limits))
	for d := range limits {
		devs = append(devs, d)
	}
	sort.Strings(devs)
	for _, d := range devs {
		if err := writeFile(dir, "rdma.max", rdmaLine(d, limits[d])); err != nil {
			return err
		}
	}
	return nil
}
