package fs

import (
	"slices"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// setRdma writes one "device hca_handle=N hca_object=N" line to rdma.max per device, naming
// only the limits given. Devices go in name order so that a run is repeatable (runc walks its
// map in random order).
func setRdma(dir string, limits map[string]specs.LinuxRdma) error {
	names := make([]string, 0, len(limits))
	for name := range limits {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := cgroups.WriteFile(dir, "rdma.max", rdmaLine(name, limits[name])); err != nil {
			return err
		}
	}
	return nil
}

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
