package fs2

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// pidsMax returns the pids.max value for the spec's limit as runc ≥ 1.3: a positive limit as
// is, 0 as 1 (systemd cannot set 0, and runc keeps its drivers alike), negative as "max".
func pidsMax(limit int64) string {
	switch {
	case limit > 0:
		return strconv.FormatInt(limit, 10)
	case limit == 0:
		return "1"
	}
	return "max"
}

func setPids(dir string, p *specs.LinuxPids) error {
	if p == nil || p.Limit == nil {
		return nil
	}
	return writeFile(dir, "pids.max", pidsMax(*p.Limit))
}

// statPids reads pids.current and pids.max ("max" reads as 0, runc's "no limit"). Without the
// pids controller it counts cgroup.procs, as runc does.
func statPids(dir string, st *cgroups.Stats) error {
	current, err := readUint(dir, "pids.current")
	if isNotExist(err) {
		return statPidsFromProcs(dir, st)
	}
	if err != nil {
		return err
	}
	limit, err := readUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if limit == math.MaxUint64 {
		limit = 0
	}
	st.Pids = cgroups.Pids{Current: current, Limit: limit}
	return nil
}

func statPidsFromProcs(dir string, st *cgroups.Stats) error {
	data, err := readFile(dir, "cgroup.procs")
	if errors.Is(err, unix.ENOTSUP) {
		data, err = readFile(dir, "cgroup.threads") // a threaded cgroup
	}
	if err != nil {
		return err
	}
	st.Pids = cgroups.Pids{Current: uint64(len(strings.Fields(data)))}
	return nil
}
