// Package manager picks the cgroup driver for a host and rebuilds saved managers. It is the
// only cgroups package that imports every driver.
package manager

import (
	"errors"
	"fmt"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/fs"
	"github.com/runo-project/runo/cgroups/fs2"
	"github.com/runo-project/runo/cgroups/systemd"
)

// New returns the driver for the host: systemd when asked for (--systemd-cgroup), else fs2 on
// a pure cgroup v2 host and fs on v1 and hybrid hosts.
func New(o cgroups.Options) (cgroups.Manager, error) {
	if o.Systemd {
		return systemd.New(o)
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
	case "systemd":
		if s.Unit == "" {
			return nil, errors.New("cgroup driver systemd in state: no unit name")
		}
		return systemd.Load(s), nil
	default:
		return nil, fmt.Errorf("unknown cgroup driver %q in state", s.Driver)
	}
}
