package fs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// setHugetlb writes v1 limits: hugetlb.<size>.limit_in_bytes, and the reservation limit
// (.rsvd., 5.7+) to the same value where the kernel has it, as runc does, so that a limit
// holds for pages reserved by mmap and not yet faulted in.
func setHugetlb(dir string, limits []specs.LinuxHugepageLimit) error {
	for _, l := range limits {
		prefix, val := "hugetlb."+l.Pagesize, strconv.FormatUint(l.Limit, 10)
		if !exists(dir, prefix+".limit_in_bytes") {
			return fmt.Errorf("huge page size %q: not supported by this host: %w", l.Pagesize, cgroups.ErrNotSupported)
		}
		if err := cgroups.WriteFile(dir, prefix+".limit_in_bytes", val); err != nil {
			return err
		}
		if exists(dir, prefix+".rsvd.limit_in_bytes") {
			if err := cgroups.WriteFile(dir, prefix+".rsvd.limit_in_bytes", val); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHugetlbV2 writes the limits to a cgroup2 directory (a hybrid host whose hugetlb
// controller is bound to cgroup2): hugetlb.<size>.max and .rsvd.max.
func setHugetlbV2(dir string, limits []specs.LinuxHugepageLimit) error {
	for _, l := range limits {
		prefix, val := "hugetlb."+l.Pagesize, strconv.FormatUint(l.Limit, 10)
		if !exists(dir, prefix+".max") {
			return fmt.Errorf("huge page size %q: not supported by this host: %w", l.Pagesize, cgroups.ErrNotSupported)
		}
		if err := cgroups.WriteFile(dir, prefix+".max", val); err != nil {
			return err
		}
		if exists(dir, prefix+".rsvd.max") {
			if err := cgroups.WriteFile(dir, prefix+".rsvd.max", val); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasHugetlbV2 reports whether the cgroup2 directory dir has the hugetlb controller enabled.
func hasHugetlbV2(dir string, sizes []string) bool {
	if dir == "" || len(sizes) == 0 {
		return false
	}
	return exists(dir, "hugetlb."+sizes[0]+".max")
}

// hugePageSizes lists the host's huge page sizes in the spec's and the kernel's notation
// ("2MB", "1GB").
func hugePageSizes() ([]string, error) {
	ents, err := os.ReadDir("/sys/kernel/mm/hugepages")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list huge page sizes: %w", err)
	}
	var sizes []string
	for _, e := range ents {
		if s, ok := pageSizeName(e.Name()); ok {
			sizes = append(sizes, s)
		}
	}
	return sizes, nil
}

// pageSizeName turns "hugepages-2048kB" into "2MB", the name the kernel gives the size in
// hugetlb file names.
func pageSizeName(dirName string) (string, bool) {
	kb, ok := strings.CutPrefix(dirName, "hugepages-")
	if !ok {
		return "", false
	}
	kb, ok = strings.CutSuffix(kb, "kB")
	if !ok {
		return "", false
	}
	n, err := strconv.ParseUint(kb, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	// The kernel's mem_fmt: whole GB, else whole MB, else KB.
	switch {
	case n >= 1<<20:
		return strconv.FormatUint(n>>20, 10) + "GB", true
	case n >= 1<<10:
		return strconv.FormatUint(n>>10, 10) + "MB", true
	}
	return strconv.FormatUint(n, 10) + "KB", true
}

// hugetlbStats reads usage, peak and failcnt per page size from a v1 directory, preferring
// the reservation counters where the kernel has them, as runc does.
func hugetlbStats(dir string, sizes []string, s *cgroups.Stats) error {
	rsvd := ".rsvd"
	for _, size := range sizes {
		var h cgroups.Hugetlb
		for {
			prefix := "hugetlb." + size + rsvd
			v, err := readUint(dir, prefix+".usage_in_bytes")
			if err != nil && rsvd != "" && errors.Is(err, os.ErrNotExist) {
				rsvd = ""
				continue
			}
			if err != nil {
				return err
			}
			h.Usage = v
			if h.Max, err = readUint(dir, prefix+".max_usage_in_bytes"); err != nil {
				return err
			}
			if h.Failcnt, err = readUint(dir, prefix+".failcnt"); err != nil {
				return err
			}
			break
		}
		s.Hugetlb[size] = h
	}
	return nil
}

// hugetlbStatsV2 reads a cgroup2 directory's hugetlb counters: usage and the "max" count of
// hugetlb.<size>.events as failcnt (cgroup2 keeps no peak).
func hugetlbStatsV2(dir string, sizes []string, s *cgroups.Stats) error {
	for _, size := range sizes {
		usage, err := readUint(dir, "hugetlb."+size+".current")
		if err != nil {
			return err
		}
		ev, err := readFlatKeyed(dir, "hugetlb."+size+".events")
		if err != nil {
			return err
		}
		s.Hugetlb[size] = cgroups.Hugetlb{Usage: usage, Failcnt: ev["max"]}
	}
	return nil
}
