package fs2

import (
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// setHugetlb writes hugetlb.<size>.max and, where the kernel has it (Linux ≥ 5.7),
// hugetlb.<size>.rsvd.max with the same limit, as runc does: limiting reservations too makes
// an over-limit mmap fail at once instead of faulting with SIGBUS later.
func setHugetlb(dir string, limits []specs.LinuxHugepageLimit) error {
	skipRsvd := false
	for _, l := range limits {
		prefix := "hugetlb." + l.Pagesize
		val := strconv.FormatUint(l.Limit, 10)
		if err := writeFile(dir, prefix+".max", val); err != nil {
			return err
		}
		if skipRsvd {
			continue
		}
		if err := writeFile(dir, prefix+".rsvd.max", val); err != nil {
			if !isNotExist(err) {
				return err
			}
			skipRsvd = true
		}
	}
	return nil
}

// hugePageSizes lists the page sizes that the cgroup has hugetlb files for ("2MB", "1GB"): the
// kernel creates hugetlb.<size>.max for each size it supports, so the directory itself says
// which sizes there are.
func hugePageSizes(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var sizes []string
	for _, e := range entries {
		size, ok := strings.CutPrefix(e.Name(), "hugetlb.")
		if !ok {
			continue
		}
		if size, ok = strings.CutSuffix(size, ".max"); ok && !strings.Contains(size, ".") {
			sizes = append(sizes, size)
		}
	}
	sort.Strings(sizes)
	return sizes, nil
}

// statHugetlb fills the usage and failcnt of each page size as runc's fs2: usage from
// hugetlb.<size>.rsvd.current where it exists (reservations, what the limit applies to), else
// .current; failcnt from the "max" count of hugetlb.<size>.events. v2 has no peak, so Max
// stays 0.
func statHugetlb(dir string, st *cgroups.Stats) error {
	sizes, err := hugePageSizes(dir)
	if err != nil {
		return err
	}
	for _, size := range sizes {
		prefix := "hugetlb." + size
		var h cgroups.Hugetlb
		h.Usage, err = readUint(dir, prefix+".rsvd.current")
		if isNotExist(err) {
			h.Usage, err = readUint(dir, prefix+".current")
		}
		if err != nil {
			return err
		}
		events, err := readKeyValues(dir, prefix+".events")
		if err != nil {
			return err
		}
		h.Failcnt = events["max"]
		if st.Hugetlb == nil {
			st.Hugetlb = map[string]cgroups.Hugetlb{}
		}
		st.Hugetlb[size] = h
	}
	return nil
}
