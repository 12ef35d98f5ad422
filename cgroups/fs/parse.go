package fs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/runo-project/runo/cgroups"
)

// The parsers below take a file's contents, not a path, so that tests and fuzzers feed them
// strings. They never panic on malformed input: the kernel's formats change between versions,
// and a stats reader must fail with an error, not take the runtime down.

// parseUint parses one cgroup value the way runc reads it: "max" is the largest value and a
// negative number (memory.soft_limit_in_bytes is -1 on some kernels) reads as 0.
func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		return v, nil
	}
	if iv, ierr := strconv.ParseInt(s, 10, 64); (ierr == nil || errors.Is(ierr, strconv.ErrRange)) && iv < 0 {
		return 0, nil
	}
	return 0, err
}

// readUint reads a single-value file such as memory.usage_in_bytes.
func readUint(dir, file string) (uint64, error) {
	s, err := cgroups.ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("parse %s/%s: %w", dir, file, err)
	}
	return v, nil
}

// readInt reads a single signed value such as cpuset.sched_relax_domain_level.
func readInt(dir, file string) (int64, error) {
	s, err := cgroups.ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s/%s: %w", dir, file, err)
	}
	return v, nil
}

// parseFlatKeyed parses "key value" lines (memory.stat, cpu.stat, memory.oom_control). Blank
// lines are skipped; a line that is not two fields with a number is an error.
func parseFlatKeyed(data string) (map[string]uint64, error) {
	m := map[string]uint64{}
	for _, line := range strings.Split(data, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: line %q: want \"key value\"", errMalformed, line)
		}
		v, err := parseUint(f[1])
		if err != nil {
			return nil, fmt.Errorf("%w: line %q: %w", errMalformed, line, err)
		}
		m[f[0]] = v
	}
	return m, nil
}

// readFlatKeyed reads and parses a flat keyed file.
func readFlatKeyed(dir, file string) (map[string]uint64, error) {
	s, err := cgroups.ReadFile(dir, file)
	if err != nil {
		return nil, err
	}
	m, err := parseFlatKeyed(s)
	if err != nil {
		return nil, fmt.Errorf("parse %s/%s: %w", dir, file, err)
	}
	return m, nil
}

// parseNestedKeyed parses "name key=value key=value" lines (rdma.max, rdma.current, and
// cgroup2's io.stat on hybrid hosts). Values stay strings: "max" is common in them.
func parseNestedKeyed(data string) (map[string]map[string]string, error) {
	m := map[string]map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		kv := map[string]string{}
		for _, pair := range f[1:] {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: line %q: %q is not key=value", errMalformed, line, pair)
			}
			kv[k] = v
		}
		m[f[0]] = kv
	}
	return m, nil
}

// parseRanges parses a cpu or memory node list such as "0-3,5" (cpuset.cpus). The result is
// sorted as the kernel writes it; an empty list is nil. Ranges are capped at 65536 entries,
// the most a uint16 can name, so that "0-4294967295" cannot exhaust memory.
func parseRanges(s string) ([]uint16, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []uint16
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: range list %q: %w", errMalformed, s, err)
		}
		end := start
		if isRange {
			if end, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("%w: range list %q: %w", errMalformed, s, err)
			}
		}
		if end < start {
			return nil, fmt.Errorf("%w: range list %q: %d-%d runs backwards", errMalformed, s, start, end)
		}
		if len(out)+int(end-start) > math.MaxUint16 {
			return nil, fmt.Errorf("%w: range list %q: too many entries", errMalformed, s)
		}
		for v := start; v <= end; v++ {
			out = append(out, uint16(v))
		}
	}
	return out, nil
}

// parseBlkio parses blkio's per-device statistics:
//
//	8:0 Read 4096
//	8:0 Total 4096
//	8:16 1024        (files without an operation, blkio.sectors_recursive)
//	Total 4096       (the grand total, skipped as runc does)
func parseBlkio(data string) ([]cgroups.BlkioEntry, error) {
	var out []cgroups.BlkioEntry
	for _, line := range strings.Split(data, "\n") {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ':' })
		if len(f) == 0 || (len(f) == 2 && f[0] == "Total") {
			continue
		}
		if len(f) != 3 && len(f) != 4 {
			return nil, fmt.Errorf("%w: blkio line %q", errMalformed, line)
		}
		var nums [3]uint64
		for i, s := range []string{f[0], f[1], f[len(f)-1]} {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: blkio line %q: %w", errMalformed, line, err)
			}
			nums[i] = v
		}
		e := cgroups.BlkioEntry{Major: nums[0], Minor: nums[1], Value: nums[2]}
		if len(f) == 4 {
			e.Op = f[2]
		}
		out = append(out, e)
	}
	return out, nil
}

// parseUints parses a space-separated list of numbers (cpuacct.usage_percpu).
func parseUints(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", errMalformed, f, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseUsageAll parses cpuacct.usage_all, a header and then "cpu user system" rows in
// nanoseconds, into per-cpu kernel and user times.
func parseUsageAll(data string) (kernel, user []uint64, err error) {
	lines := strings.Split(data, "\n")
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "cpu user system" {
		return nil, nil, fmt.Errorf("%w: cpuacct.usage_all header %q", errMalformed, lines[0])
	}
	kernel, user = []uint64{}, []uint64{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("%w: cpuacct.usage_all line %q", errMalformed, line)
		}
		u, uerr := strconv.ParseUint(f[1], 10, 64)
		k, kerr := strconv.ParseUint(f[2], 10, 64)
		if err := errors.Join(uerr, kerr); err != nil {
			return nil, nil, fmt.Errorf("%w: cpuacct.usage_all line %q: %w", errMalformed, line, err)
		}
		kernel, user = append(kernel, k), append(user, u)
	}
	return kernel, user, nil
}
