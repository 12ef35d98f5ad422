package cgroups

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysfile"
)

// Entrance is what a process needs to enter a container's cgroup by itself as it is created,
// instead of being moved there afterwards (Manager.Apply).
//
// Moving another process writes its pid to cgroup.procs, and the kernel then takes its global
// threadgroup lock for writing, which waits for an RCU grace period: several milliseconds per
// container start, whichever runtime does it. A single-threaded process that moves itself into
// a v1 hierarchy (by writing "0" to "tasks"), and a process cloned into a cgroup2 directory
// (clone3 with CLONE_INTO_CGROUP), do not take that lock.
type Entrance struct {
	// Tasks are the v1 "tasks" files of the cgroup, open for writing.
	Tasks []*os.File
	// Dir is the cgroup2 directory to clone into, or nil on a pure cgroup v1 host.
	Dir *os.File
}

// Close closes the files.
func (e *Entrance) Close() {
	for _, f := range e.Tasks {
		f.Close()
	}
	if e.Dir != nil {
		e.Dir.Close()
	}
}

// OpenEntrance opens the entrance of the cgroup whose directories are dirs, keyed as in Saved:
// "" is the cgroup2 directory, every other key a v1 hierarchy. The directories must exist.
func OpenEntrance(dirs map[string]string) (*Entrance, error) {
	e := &Entrance{}
	for key, dir := range dirs {
		if key == "" {
			f, err := sysfile.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
			if err != nil {
				e.Close()
				return nil, err
			}
			e.Dir = f
			continue
		}
		f, err := sysfile.Open(filepath.Join(dir, "tasks"), unix.O_WRONLY, 0)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.Tasks = append(e.Tasks, f)
	}
	return e, nil
}
