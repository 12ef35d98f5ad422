package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/manager"
	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/specconv"
)

// Container is one container under a state root.
type Container struct {
	id    string
	dir   string // <root>/<id>
	state *savedState
	log   *slog.Logger
	// exec is what execDetails returned, kept: exec asks twice (DefaultProcess, Exec).
	exec *execDetails

	// init is the container's first process when this runo process started it (create, run).
	init *os.Process
	// running says that Create has already started the container's process itself
	// (CreateOptions.StartsNext): Start then only runs the poststart hooks.
	running bool
}

// ID returns the container's id.
func (c *Container) ID() string { return c.id }

// Load returns the container id under root, or an error wrapping ErrNotExist.
func Load(root, id string, log *slog.Logger) (*Container, error) {
	if err := specconv.ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	s, err := readState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, id)
	}
	if err != nil {
		return nil, err
	}
	return &Container{id: id, dir: dir, state: s, log: orDiscard(log)}, nil
}

// List loads every container under root, sorted by id. Entries that are not containers (or are
// being created or removed right now) are skipped.
func List(root string, log *slog.Logger) ([]*Container, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	var list []*Container
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := Load(root, e.Name(), log)
		if err != nil {
			continue
		}
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list, nil
}

// Status derives the container's status from its init process: stopped once the process is gone
// (or its pid was reused), created while the exec fifo exists, paused while its cgroup is
// frozen, running otherwise.
func (c *Container) Status() Status {
	if !c.state.alive() {
		return Stopped
	}
	if _, err := os.Lstat(filepath.Join(c.dir, fifoName)); err == nil {
		return Created
	}
	if cg := c.cgroup(); cg != nil {
		if frozen, err := cg.Frozen(); err == nil && frozen {
			return Paused
		}
	}
	return Running
}

// State returns the container's state as `runo state` prints it.
func (c *Container) State() *State {
	st := &State{
		OCIVersion:  specs.Version,
		ID:          c.id,
		Status:      c.Status(),
		Bundle:      c.state.Bundle,
		Rootfs:      c.state.Rootfs,
		Created:     c.state.Created,
		Annotations: c.state.Annotations,
	}
	if st.Status != Stopped {
		st.Pid = c.state.Pid
	}
	return st
}

// ociState is the state handed to hooks on stdin.
func (c *Container) ociState(status Status) *specs.State {
	return &specs.State{
		Version:     specs.Version,
		ID:          c.id,
		Status:      specs.ContainerState(status),
		Pid:         c.state.Pid,
		Bundle:      c.state.Bundle,
		Annotations: c.state.Annotations,
	}
}

// OwnerUID returns the uid of the user who owns the container's state, whom `list` reports
// (runc's `state` leaves the owner empty, and so does State).
func (c *Container) OwnerUID() (int, error) {
	fi, err := os.Stat(c.dir)
	if err != nil {
		return 0, err
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid), nil
}

// details returns the state's details, decoding them on first use.
func (c *Container) details() (*stateDetails, error) {
	if c.state.stateDetails == nil {
		d := &stateDetails{}
		if err := c.decodeDetails(d); err != nil {
			return nil, err
		}
		c.state.stateDetails = d
	}
	return c.state.stateDetails, nil
}

// decodeDetails decodes from the state's details the fields that v has.
func (c *Container) decodeDetails(v any) error {
	data, path, err := readDetails(c.dir)
	if err != nil {
		return fmt.Errorf("read details of container %s: %w", c.id, err)
	}
	if err := fastjson.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// execDetails are the details that exec reads.
type execDetails struct {
	Process       *specs.Process         `json:"process,omitempty"`
	Namespaces    []specs.LinuxNamespace `json:"namespaces,omitempty"`
	SeccompFilter *seccompFilter         `json:"seccompFilter,omitempty"`
	Seccomp       *specs.LinuxSeccomp    `json:"seccomp,omitempty"` // see stateDetails.Seccomp
}

// execDetails returns what exec needs, without decoding the resources and devices for it.
func (c *Container) execDetails() (*execDetails, error) {
	if c.exec != nil {
		return c.exec, nil
	}
	e := &execDetails{}
	if d := c.state.stateDetails; d != nil {
		e = &execDetails{Process: d.Process, Namespaces: d.Namespaces, SeccompFilter: d.SeccompFilter, Seccomp: d.Seccomp}
	} else {
		var encoded struct {
			Exec []byte `json:"exec"`
		}
		if err := c.decodeDetails(&encoded); err != nil {
			return nil, err
		}
		var err error
		if encoded.Exec != nil {
			e, err = decodeExecDetails(encoded.Exec)
		} else {
			err = c.decodeDetails(e) // a state from before stateDetails.Exec
		}
		if err != nil {
			return nil, err
		}
	}
	if e.SeccompFilter == nil && e.Seccomp != nil {
		f, _, err := compileSeccomp(e.Seccomp)
		if err != nil {
			return nil, err
		}
		e.SeccompFilter = f
	}
	c.exec = e
	return e, nil
}

// hooks returns the container's hooks, without decoding the other details for them.
func (c *Container) hooks() (*specs.Hooks, error) {
	if c.state.stateDetails != nil {
		return c.state.Hooks, nil
	}
	var h struct {
		Hooks *specs.Hooks `json:"hooks"`
	}
	if err := c.decodeDetails(&h); err != nil {
		return nil, err
	}
	return h.Hooks, nil
}

// cgroup rebuilds the container's cgroup manager from its state, or returns nil.
func (c *Container) cgroup() cgroups.Manager {
	if c.state.Cgroup == nil {
		return nil
	}
	saved, err := c.state.Cgroup.get()
	if err != nil {
		c.log.Warn(err.Error())
		return nil
	}
	m, err := manager.Load(*saved)
	if err != nil {
		c.log.Warn(err.Error())
		return nil
	}
	return m
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// InitProcess returns the container's init when this runo process started it, else nil.
func (c *Container) InitProcess() *os.Process { return c.init }
