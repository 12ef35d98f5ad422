package fs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/runo-project/runo/cgroups"
)

// setPids writes pids.max. A limit of 0 or below means no limit ("max"), as the spec's
// default is "no limit" and runc writes "max" for it.
func setPids(dir string, limit int64) error {
	v := "max"
	if limit > 0 {
		v = strconv.FormatInt(limit, 10)
	}
	return cgroups.WriteFile(dir, "pids.max", v)
}

// pidsStats reads pids.current and pids.max; an unlimited pids.max is reported as 0.
func pidsStats(dir string, s *cgroups.Stats) error {
	cur, err := readUint(dir, "pids.current")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	max, err := cgroups.ReadFile(dir, "pids.max")
	if err != nil {
		return err
	}
	s.Pids.Current = cur
	if max == "max" {
		return nil
	}
	if s.Pids.Limit, err = strconv.ParseUint(max, 10, 64); err != nil {
		return fmt.Errorf("parse %s/pids.max: %w", dir, err)
	}
	return nil
}
