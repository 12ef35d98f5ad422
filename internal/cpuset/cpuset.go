// Package cpuset parses CPU lists in the kernel's list format ("0-3,5,7-8").
package cpuset

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Parse turns a list such as "0-3,5" into a CPU set.
func Parse(list string) (unix.CPUSet, error) {
	var set unix.CPUSet
	if strings.TrimSpace(list) == "" {
		return set, fmt.Errorf("empty cpu list")
	}
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 {
			return set, fmt.Errorf("cpu list %q: bad cpu %q", list, lo)
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil || last < first {
				return set, fmt.Errorf("cpu list %q: bad range %q", list, part)
			}
		}
		if last >= len(set)*64 {
			return set, fmt.Errorf("cpu list %q: cpu %d out of range", list, last)
		}
		for cpu := first; cpu <= last; cpu++ {
			set.Set(cpu)
		}
	}
	return set, nil
}
