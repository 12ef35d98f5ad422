package fs2

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// statPSI reads a pressure file (cpu.pressure, memory.pressure). It returns nil, nil when the
// kernel has no PSI (before 4.20, or booted without psi=1, where reading fails with ENOTSUP).
func statPSI(dir, file string) (*cgroups.PSIStats, error) {
	data, err := readFile(dir, file)
	if isNotExist(err) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	psi, err := parsePSI(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return psi, nil
}

// parsePSI parses
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//
// Unknown lines and keys are skipped, so that later kernels can add some.
func parsePSI(data string) (*cgroups.PSIStats, error) {
	var psi cgroups.PSIStats
	for _, line := range strings.Split(data, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		var d *cgroups.PSIData
		switch fields[0] {
		case "some":
			d = &psi.Some
		case "full":
			d = &psi.Full
		default:
			continue
		}
		for _, kv := range fields[1:] {
			key, val, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("parse PSI %q: want key=value", kv)
			}
			var err error
			switch key {
			case "avg10":
				d.Avg10, err = strconv.ParseFloat(val, 64)
			case "avg60":
				d.Avg60, err = strconv.ParseFloat(val, 64)
			case "avg300":
				d.Avg300, err = strconv.ParseFloat(val, 64)
			case "total":
				d.Total, err = strconv.ParseUint(val, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("parse PSI %q: %w", kv, err)
			}
		}
	}
	return &psi, nil
}
