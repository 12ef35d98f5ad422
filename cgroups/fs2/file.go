package fs2

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/runo-project/runo/cgroups"
)

// writeFile writes value to dir/file in one write (cgroups.WriteFile): it never creates the
// file, so that a missing controller file reads as os.ErrNotExist (kernfs answers O_CREAT with
// EACCES) and a test directory does not grow files it lacks.
func writeFile(dir, file, value string) error { return cgroups.WriteFile(dir, file, value) }

// unwrap drops the *PathError the callers replace with their own path and value.
func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeLines writes each line of value to dir/file with its own write: files such as io.max
// and rdma.max take one entry per write.
func writeLines(dir, file, value string) error {
	for _, line := range strings.Split(value, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := writeFile(dir, file, line); err != nil {
			return err
		}
	}
	return nil
}

// readFile returns dir/file without its trailing newline.
func readFile(dir, file string) (string, error) { return cgroups.ReadFile(dir, file) }

// parseUint parses a cgroup value: a decimal number, or "max" for no limit (math.MaxUint64).
func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse cgroup value %q: %w", s, err)
	}
	return v, nil
}

// readUint reads a single-value file such as memory.current or pids.max.
func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// parseKeyValues parses a flat-keyed file ("key value" per line: cpu.stat, memory.stat,
// memory.events, cgroup.events). Values may be "max".
func parseKeyValues(data string) (map[string]uint64, error) {
	m := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("parse %q: want \"key value\"", line)
		}
		v, err := parseUint(fields[1])
		if err != nil {
			return nil, err
		}
		m[fields[0]] = v
	}
	return m, sc.Err()
}

// readKeyValues reads and parses a flat-keyed file.
func readKeyValues(dir, file string) (map[string]uint64, error) {
	data, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	m, err := parseKeyValues(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return m, nil
}

// isNotExist reports whether err says that a file is missing, which for cgroupfs means that a
// controller is not enabled or the kernel lacks the feature.
func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
