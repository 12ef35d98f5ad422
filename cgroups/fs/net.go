package fs

import (
	"fmt"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// setNetCls writes linux.resources.network.classID; 0 leaves it as is, as in runc.
func setNetCls(dir string, classID uint32) error {
	if classID == 0 {
		return nil
	}
	return cgroups.WriteFile(dir, "net_cls.classid", strconv.FormatUint(uint64(classID), 10))
}

// setNetPrio writes one "interface priority" line per entry of network.priorities.
func setNetPrio(dir string, prios []specs.LinuxInterfacePriority) error {
	for _, p := range prios {
		if err := cgroups.WriteFile(dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return err
		}
	}
	return nil
}
