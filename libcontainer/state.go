package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/internal/sysfile"
)

// Status of a container, as the runtime-spec and runc name them.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

const (
	stateFile   = "state.json"
	detailsFile = "details.json"
	fifoName    = "exec.fifo"
)

// savedState is everything a later runo command needs about the container, in two files:
// state.json holds the header, which every command reads, and details.json the details, which
// only some do (Container.details). Decoding the details builds encoding/json's caches for most
// of the runtime-spec types, about half a millisecond of CPU that state, kill, start and delete
// need not pay, and scanning them (a seccomp profile alone can be tens of kilobytes) would be
// most of the time of a list.
type savedState struct {
	stateHeader
	*stateDetails
}

// stateDetails are the parts of the state that only some commands use: details.json.
type stateDetails struct {
	Hooks *specs.Hooks `json:"hooks,omitempty"`
	// Process is the container's process: `exec` starts from it when no process is given.
	Process *specs.Process `json:"process,omitempty"`
	// Namespaces are the container's namespaces, which `exec` joins.
	Namespaces []specs.LinuxNamespace `json:"namespaces,omitempty"`
	// SeccompFilter is linux.seccomp compiled: exec'd processes get the same filter.
	SeccompFilter *seccompFilter `json:"seccompFilter,omitempty"`
	// Seccomp is the profile itself, as a runo from before SeccompFilter kept it: exec compiles
	// it then. Kept as found, so that an update does not drop it.
	Seccomp *specs.LinuxSeccomp `json:"seccomp,omitempty"`
	// Devices are linux.devices: an update of the device rules keeps them accessible.
	Devices []specs.LinuxDevice `json:"devices,omitempty"`
	// Resources are the limits in force, updated by Update.
	Resources *specs.LinuxResources `json:"resources,omitempty"`
	// Exec is Process, Namespaces and SeccompFilter again, in package wire's encoding
	// (encodeExecDetails): exec reads them without encoding/json, whose first decode of a
	// process builds the caches of all its types (0.2 ms). Absent in states of runo before it.
	Exec []byte `json:"exec,omitempty"`
}

// stateHeader is the part of the state that describes a container, which is all that List
// reads: state.json.
type stateHeader struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Pid         int               `json:"pid"`
	StartTime   uint64            `json:"pidStartTime"` // guards Pid against reuse
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Cgroup      *savedCgroup      `json:"cgroup,omitempty"`
	// SharedPidNS is set when the container has no pid namespace of its own: its processes do not
	// die with its init, so kill and delete reach them through the cgroup.
	SharedPidNS bool `json:"sharedPidNS,omitempty"`
}

// savedCgroup is the container's cgroup in the state: kept as read, decoded on first use. List,
// state and kill never look at it for a created or stopped container, and its paths (one per
// v1 hierarchy) are most of state.json: decoding them was a fifth of a listing's time.
type savedCgroup struct {
	raw   []byte
	saved *cgroups.Saved
}

func newSavedCgroup(s cgroups.Saved) *savedCgroup { return &savedCgroup{saved: &s} }

// UnmarshalJSON keeps the JSON for get.
func (c *savedCgroup) UnmarshalJSON(b []byte) error {
	c.raw, c.saved = append([]byte(nil), b...), nil
	return nil
}

// MarshalJSON writes the cgroup as read, or as given to newSavedCgroup.
func (c *savedCgroup) MarshalJSON() ([]byte, error) {
	if c.saved == nil {
		return c.raw, nil
	}
	return fastjson.Marshal(c.saved)
}

// get returns the cgroup, decoding it on first use.
func (c *savedCgroup) get() (*cgroups.Saved, error) {
	if c.saved == nil {
		var s cgroups.Saved
		if err := fastjson.Unmarshal(c.raw, &s); err != nil {
			return nil, fmt.Errorf("parse the cgroup of the state: %w", err)
		}
		c.saved = &s
	}
	return c.saved, nil
}

// State is what `runo state` prints: the runtime-spec state plus runc's extra fields, in runc's
// field order.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      Status            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// writeState writes a new container's state: details.json, then state.json, so that a reader
// who finds state.json finds its details.
func writeState(dir string, s *savedState) error {
	if s.stateDetails == nil {
		// Written without them, the state would lose the container's process and hooks.
		return errors.New("write state: details of the state not loaded")
	}
	if err := writeDetails(dir, s.stateDetails); err != nil {
		return err
	}
	return writeJSON(dir, stateFile, &s.stateHeader)
}

// writeDetails replaces the state's details.
func writeDetails(dir string, d *stateDetails) error { return writeJSON(dir, detailsFile, d) }

// writeJSON replaces dir/name with v encoded, atomically: a reader sees the old or the new
// file, never a part.
//
// Preconditions: the caller holds the container's lock (lockDir), which makes the temporary
// file's name its own.
func writeJSON(dir, name string, v any) error {
	data, err := fastjson.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := sysfile.Write(tmp, data, unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// readState returns the header of dir's state.
func readState(dir string) (*savedState, error) {
	path := filepath.Join(dir, stateFile)
	data, err := sysfile.Read(path)
	if err != nil {
		return nil, err
	}
	var s savedState
	if err := fastjson.Unmarshal(data, &s.stateHeader); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &s, nil
}

// readDetails returns the JSON that holds the details of dir's state, and its path:
// details.json, or state.json itself for a container that a runo from before details.json
// created (its state.json has every field, and decoding the details from it works alike).
func readDetails(dir string) ([]byte, string, error) {
	path := filepath.Join(dir, detailsFile)
	data, err := sysfile.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		path = filepath.Join(dir, stateFile)
		data, err = sysfile.Read(path)
	}
	if err != nil {
		return nil, "", err
	}
	return data, path, nil
}

// procStat is what runo needs from /proc/<pid>/stat.
type procStat struct {
	state     byte
	startTime uint64
}

func readProcStat(pid int) (procStat, error) {
	data, err := sysfile.Read("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(data))
}

// parseProcStat parses a /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so the fields are counted from its last ')'.
func parseProcStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("parse stat %q: no command name", s)
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); the start time is field 22.
	if len(fields) < 20 {
		return procStat{}, fmt.Errorf("parse stat %q: too few fields", s)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse stat start time: %w", err)
	}
	return procStat{state: fields[0][0], startTime: start}, nil
}

// alive reports whether the container's init is still the process saved in the state.
func (s *savedState) alive() bool {
	if s.Pid <= 0 {
		return false
	}
	st, err := readProcStat(s.Pid)
	if err != nil || st.startTime != s.StartTime {
		return false
	}
	return st.state != 'Z' && st.state != 'X'
}

// lockDir takes an exclusive flock on the container's directory, serialising runo commands on
// one container. The lock goes with the returned file.
func lockDir(dir string) (*os.File, error) {
	return flock(dir, unix.O_RDONLY|unix.O_DIRECTORY, unix.LOCK_EX)
}

// flock opens path with flag and takes a flock (LOCK_EX or LOCK_SH) on it.
func flock(path string, flag, how int) (*os.File, error) {
	f, err := sysfile.Open(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
