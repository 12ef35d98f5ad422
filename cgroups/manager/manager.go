// Package manager picks the cgroup driver for a host and rebuilds saved managers. It is the
// only cgroups package that imports every driver.
package manager

import (
	"errors"
	"fmt"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/fs"
	"github.com/runo-project/runo/cgroups/fs2"
)

// New returns the driver for the host: fs2 on a pure cgroup v2 host, fs on v1 and hybrid hosts.
func New(o cgroups.Options) (cgroups.Manager, error) {
	if o.Systemd {
		return nil, errors.New("--systemd-cgroup: the systemd cgroup driver is not implemented yet; use the default cgroupfs driver")
	}
	if cgroups.IsUnified() {
		return fs2.New(o)
	}
	return fs.New(o)
}

// Load rebuilds the manager saved by Saved.
func Load(s cgroups.Saved) (cgroups.Manager, error) {
	switch s.Driver {
	case "fs":
		return fs.Load(s), nil
	case "fs2":
		return fs2.Load(s), nil
	default:
		return nil, fmt.Errorf("unknown cgroup driver %q in state", s.Driver)
	}
}
