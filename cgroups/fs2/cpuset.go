package fs2

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func setCpuset(dir string, c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if c.Cpus != "" {
		if err := writeFile(dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if err := writeFile(dir, "cpuset.mems", c.Mems); err != nil {
			return err
		}
	}
	return nil
}

// statCpuset reports the CPUs and memory nodes the cgroup may use: cpuset.cpus.effective and
// cpuset.mems.effective, which unlike v2's cpuset.cpus are never empty (v1's cpuset.cpus, which
// runc's v1 stats read, has that meaning).
func statCpuset(dir string, st *cgroups.Stats) error {
	for _, f := range []struct {
		file string
		dst  *[]uint16
	}{
		{"cpuset.cpus.effective", &st.CPUSet.CPUs},
		{"cpuset.mems.effective", &st.CPUSet.Mems},
	} {
		data, err := readFile(dir, f.file)
		if err != nil {
			return err
		}
		list, err := parseCPUList(data)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", dir, f.file, err)
		}
		*f.dst = list
	}
	return nil
}

// maxCPUListLen bounds what a list expands to: a corrupt "0-65535" must not allocate without
// limit (the kernel's own lists stay far below).
const maxCPUListLen = 1 << 16

// parseCPUList parses the kernel's list format: "0-3,8,10-11"; "" is the empty list.
func parseCPUList(s string) ([]uint16, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []uint16
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("parse cpu list %q: %w", s, err)
		}
		end := start
		if isRange {
			if end, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("parse cpu list %q: %w", s, err)
			}
		}
		if end < start {
			return nil, fmt.Errorf("parse cpu list %q: range %s is reversed", s, part)
		}
		if len(out)+int(end-start)+1 > maxCPUListLen {
			return nil, fmt.Errorf("parse cpu list %q: too long", s)
		}
		for v := start; v <= end; v++ {
			out = append(out, uint16(v))
		}
	}
	return out, nil
}
