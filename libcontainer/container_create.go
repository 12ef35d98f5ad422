package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/cgroups/devices"
	"github.com/runo-project/runo/cgroups/manager"
	"github.com/runo-project/runo/internal/cpuset"
	"github.com/runo-project/runo/internal/sysfile"
	"github.com/runo-project/runo/nsenter"
	"github.com/runo-project/runo/specconv"
)

// CreateOptions are the inputs of Create besides the state root.
type CreateOptions struct {
	ID     string
	Config *specconv.Config
	// Console, when the process has a terminal, is a connected unix socket that receives the
	// pty master (runc's --console-socket protocol).
	Console      *os.File
	NoPivot      bool
	NoNewKeyring bool
	// SystemdCgroup selects the systemd cgroup driver (--systemd-cgroup).
	SystemdCgroup bool
	// Rootless is set for a runo run by an unprivileged user: cgroups are used only where
	// they were delegated to that user, and a user namespace's setgroups is denied.
	Rootless bool
	// PreserveFDs passes the caller's fds 3 .. 3+PreserveFDs-1 to the container's process.
	PreserveFDs int
	// StartsNext says that the caller starts the container right after Create (runo run):
	// init then keeps what it mapped of runo's binary while it waits, rather than dropping
	// it and faulting it back in a moment later (see initProcess.shedMemory).
	StartsNext            bool
	Stdin, Stdout, Stderr *os.File
	Log                   *slog.Logger
}

// Create makes the container and leaves its init blocked until Start. On error nothing is left
// behind: no state directory, no cgroup, no process.
func Create(root string, o CreateOptions) (c *Container, err error) {
	if err := specconv.ValidateID(o.ID); err != nil {
		return nil, err
	}
	spec := o.Config.Spec
	if spec.Process.Terminal && o.Console == nil {
		return nil, errors.New("process.terminal is true but no console socket was given")
	}
	if spec.Linux.IntelRdt != nil {
		if err := checkResctrl(); err != nil {
			return nil, err
		}
	}
	// Compiled here, once, for init and every exec; a bad profile fails before anything exists.
	filter, unknownSyscalls, err := compileSeccomp(spec.Linux.Seccomp)
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	// Idmapped mounts are made here, while we are privileged in the host's namespaces; init
	// attaches them. Ours are closed once init has its copies.
	mountFiles, err := openIDMappedMounts(spec, o.Config.Bundle)
	if err != nil {
		return nil, err
	}
	defer closeFiles(mountFiles)
	if err := os.MkdirAll(root, 0o711); err != nil {
		return nil, fmt.Errorf("create state root: %w", err)
	}
	dir := filepath.Join(root, o.ID)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s", ErrExist, o.ID)
		}
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	var undo cleanup
	defer func() {
		if err != nil {
			undo.run()
		}
	}()
	undo.add(func() { os.RemoveAll(dir) })
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()

	c = &Container{id: o.ID, dir: dir, log: orDiscard(o.Log), state: &savedState{
		stateHeader: stateHeader{
			ID:          o.ID,
			Bundle:      o.Config.Bundle,
			Rootfs:      o.Config.Rootfs,
			Created:     time.Now().UTC(),
			Annotations: spec.Annotations,
			SharedPidNS: !hasNamespace(spec, specs.PIDNamespace),
		},
		stateDetails: &stateDetails{
			Hooks:         spec.Hooks,
			Resources:     withDeviceRules(spec),
			Devices:       spec.Linux.Devices,
			SeccompFilter: filter,
			Process:       spec.Process,
			Namespaces:    spec.Linux.Namespaces,
			Exec: encodeExecDetails(&execDetails{
				Process: spec.Process, Namespaces: spec.Linux.Namespaces, SeccompFilter: filter,
			}),
		},
	}}
	uid, gid := containerRoot(spec)
	if len(unknownSyscalls) > 0 {
		// At debug level, as runc does.
		c.log.Debug("seccomp: skipping syscalls unknown to runo: " + strings.Join(unknownSyscalls, ", "))
	}
	cg, err := manager.New(cgroups.Options{Path: spec.Linux.CgroupsPath, ID: o.ID, Systemd: o.SystemdCgroup})
	if err != nil {
		return nil, err
	}
	saved := cg.Saved()
	c.state.Cgroup = newSavedCgroup(saved)
	undo.add(func() { cg.Destroy() }) // runs after init is killed: a cgroup with processes stays
	entrance, err := cg.Create()
	if err != nil {
		if !runsWithoutCgroup(o, err) {
			return nil, err
		}
		c.state.Cgroup = nil
		cg.Destroy()
	}
	var laterLimits *specs.LinuxResources
	if entrance != nil {
		defer entrance.Close()
		// The limits come first: init enters its cgroup as it starts, and is then charged
		// and restricted from its first page and its first open. All but the task limits.
		var first *specs.LinuxResources
		first, laterLimits = splitTaskLimits(c.state.Resources)
		if err := cg.Set(first); err != nil {
			return nil, err
		}
	}

	// Without an entrance (a new systemd unit) the process is moved into its cgroup after its
	// start, which only init waits for.
	if entrance != nil && runsDirectly(o, filter) {
		// The process is single-threaded until its execve: it takes the task limits now.
		if err := cg.Set(laterLimits); err != nil {
			return nil, err
		}
		proc, err := c.startDirect(o, filter, mountFiles, entrance, saved.Paths)
		if err != nil {
			return nil, err
		}
		c.log.Debug("run: started " + spec.Process.Args[0] + " without runo init")
		undo.add(func() {
			proc.Kill()
			proc.Wait()
		})
		if err := c.setInit(proc); err != nil {
			return nil, err
		}
		return c.created(proc, true)
	}
	fifo, err := makeFifo(dir, uid, gid)
	if err != nil {
		return nil, err
	}
	defer fifo.Close()
	proc, sync, err := c.startInit(o, fifo, mountFiles, entrance)
	if err != nil && entrance != nil && runsWithoutCgroup(o, err) {
		// Rootless: the cgroup could be made but not entered (delegated only partly). The
		// deferred Close closes the entrance's files.
		entrance, laterLimits, c.state.Cgroup = nil, nil, nil
		cg.Destroy()
		proc, sync, err = c.startInit(o, fifo, mountFiles, nil)
	}
	if err != nil {
		return nil, err
	}
	defer sync.Close()
	undo.add(func() {
		proc.Kill()
		proc.Wait()
	})
	if err := setInitialAffinity(proc.Pid, spec.Process); err != nil {
		return nil, err
	}
	// Without an entrance init is moved now: it waits for its config before doing anything,
	// so it is in its cgroup, under its limits, before it runs a single step of the set-up.
	if c.state.Cgroup != nil && entrance == nil {
		if err := cg.Apply(proc.Pid); err != nil {
			if !runsWithoutCgroup(o, err) {
				return nil, err
			}
			c.state.Cgroup = nil
			cg.Destroy()
		} else if err := cg.Set(c.state.Resources); err != nil {
			return nil, err
		}
	}
	// The hooks get the pid in their state.
	if err := c.setInit(proc); err != nil {
		return nil, err
	}
	if err := c.bootstrap(o, newSyncConn(sync)); err != nil {
		return nil, err
	}
	if laterLimits != nil {
		// init is ready and only waits for start: it will start no more threads.
		if err := cg.Set(laterLimits); err != nil {
			return nil, err
		}
	}
	return c.created(proc, false)
}

// setInit records the container's first process in its state: pid and start time.
func (c *Container) setInit(proc *os.Process) error {
	st, err := readProcStat(proc.Pid)
	if err != nil {
		return fmt.Errorf("read start time of init %d: %w", proc.Pid, err)
	}
	c.state.Pid, c.state.StartTime = proc.Pid, st.startTime
	return nil
}

// created writes the state of the container whose first process this runo started (running
// once it has exec'd the container's process).
func (c *Container) created(proc *os.Process, running bool) (*Container, error) {
	if err := writeState(c.dir, c.state); err != nil {
		return nil, err
	}
	c.init, c.running = proc, running
	return c, nil
}

// runsWithoutCgroup reports whether a container may go on without a cgroup after err: a
// rootless one that asks for no limits, where no cgroup was delegated, as runc does.
func runsWithoutCgroup(o CreateOptions, err error) bool {
	return o.Rootless && errors.Is(err, fs.ErrPermission) && !hasLimits(o.Config.Spec.Linux.Resources)
}

// startInit starts `runo init` in the container's namespaces. The sync socket's other end and
// the fifo become fds of init after the preserved ones, then the console socket and the
// detached idmapped mounts.
func (c *Container) startInit(o CreateOptions, fifo *os.File, mountFiles []*os.File, cg *cgroups.Entrance) (*os.Process, *os.File, error) {
	files := newInitFiles(o.PreserveFDs)
	files.add(envFifoFD, fifo)
	if o.Console != nil {
		files.add(envConsoleFD, o.Console)
	}
	if e := mountFDsEnv(mountFiles, 3+len(files.extra), &files.extra); e != "" {
		files.env = append(files.env, e)
	}
	spec := o.Config.Spec
	return startRunoInit(files, cg, nsenter.Config{
		Stdin:         o.Stdin,
		Stdout:        o.Stdout,
		Stderr:        o.Stderr,
		Namespaces:    namespacesForStart(spec.Linux.Namespaces),
		UIDMappings:   spec.Linux.UIDMappings,
		GIDMappings:   spec.Linux.GIDMappings,
		DenySetgroups: o.Rootless,
		TimeOffsets:   spec.Linux.TimeOffsets,
	})
}

// bootstrap drives init through the sync protocol (see sync.go) until it is ready.
func (c *Container) bootstrap(o CreateOptions, s *syncConn) error {
	spec := o.Config.Spec
	// init gets the seccomp filter compiled, and the spec without the profile.
	sent, linux := *spec, *spec.Linux
	linux.Seccomp = nil
	sent.Linux = &linux
	cfg := &initConfig{
		Spec:         &sent,
		Seccomp:      c.state.SeccompFilter,
		Rootfs:       o.Config.Rootfs,
		Bundle:       o.Config.Bundle,
		NoPivot:      o.NoPivot,
		NoNewKeyring: o.NoNewKeyring,
		KeepMemory:   o.StartsNext,
		PreserveFDs:  o.PreserveFDs,
		State:        c.ociState(Creating),
	}
	if err := s.sendConfig(cfg); err != nil {
		return err
	}
	if hasParentHooks(spec.Hooks) {
		if err := s.expect(msgHooks); err != nil {
			return fmt.Errorf("unable to start container process: %w", err)
		}
		h, state := spec.Hooks, c.ociState(Creating)
		if err := runHooks("prestart", h.Prestart, state); err != nil { //nolint:staticcheck // deprecated, still run
			s.sendError(err)
			return err
		}
		if err := runHooks("createRuntime", h.CreateRuntime, state); err != nil {
			s.sendError(err)
			return err
		}
		if err := s.send(syncMsg{Type: msgHooksDone}); err != nil {
			return err
		}
	}
	if err := c.awaitInit(s, msgReady, c.state.SeccompFilter); err != nil {
		return fmt.Errorf("unable to start container process: %w", err)
	}
	return nil
}

// makeFifo creates exec.fifo and opens it O_PATH: init reopens it for writing through
// /proc/self/fd, which blocks until `start` opens it for reading. It belongs to the container's
// root, whom init runs as when it opens it.
func makeFifo(dir string, uid, gid int) (*os.File, error) {
	path := filepath.Join(dir, fifoName)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		return nil, fmt.Errorf("chown %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// containerRoot returns the host uid and gid of the container's root: init runs as that user
// until it execs. They come from the spec's mappings, or, for a joined user namespace given as
// /proc/<pid>/ns/user without them, from that process's maps; else they are runo's own.
func containerRoot(s *specs.Spec) (int, int) {
	uid, gid := os.Geteuid(), os.Getegid()
	uidMap, gidMap := s.Linux.UIDMappings, s.Linux.GIDMappings
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != specs.UserNamespace || ns.Path == "" || len(uidMap) > 0 {
			continue
		}
		if dir, ok := strings.CutSuffix(ns.Path, "/ns/user"); ok && strings.HasPrefix(dir, "/proc/") {
			uidMap, gidMap = readIDMap(dir+"/uid_map"), readIDMap(dir+"/gid_map")
		}
	}
	for _, m := range uidMap {
		if m.ContainerID == 0 {
			uid = int(m.HostID)
		}
	}
	for _, m := range gidMap {
		if m.ContainerID == 0 {
			gid = int(m.HostID)
		}
	}
	return uid, gid
}

// readIDMap parses a /proc/<pid>/uid_map or gid_map file; unreadable files give no mappings.
func readIDMap(path string) []specs.LinuxIDMapping {
	data, err := sysfile.Read(path)
	if err != nil {
		return nil
	}
	var out []specs.LinuxIDMapping
	for _, line := range strings.Split(string(data), "\n") {
		var m specs.LinuxIDMapping
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// namespacesForStart drops a new cgroup namespace: init unshares it itself once the parent has
// moved it into the container's cgroup, so that the namespace is rooted there (on cgroup v1
// there is no clone flag that creates a process inside a cgroup).
func namespacesForStart(all []specs.LinuxNamespace) []specs.LinuxNamespace {
	var out []specs.LinuxNamespace
	for _, ns := range all {
		if ns.Type == specs.CgroupNamespace && ns.Path == "" {
			continue
		}
		out = append(out, ns)
	}
	return out
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// cleanup collects undo steps as resources are taken and runs them in reverse on failure.
type cleanup struct{ steps []func() }

func (u *cleanup) add(f func()) { u.steps = append(u.steps, f) }

func (u *cleanup) run() {
	for i := len(u.steps) - 1; i >= 0; i-- {
		u.steps[i]()
	}
}

// setInitialAffinity pins runo's init to process.execCPUAffinity.initial while it sets the
// container up; init applies the final affinity itself before execve.
func setInitialAffinity(pid int, p *specs.Process) error {
	if p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Initial == "" {
		return nil
	}
	set, err := cpuset.Parse(p.ExecCPUAffinity.Initial)
	if err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial: %w", err)
	}
	if err := unix.SchedSetaffinity(pid, &set); err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial: set affinity of %d: %w", pid, err)
	}
	return nil
}

// checkResctrl refuses linux.intelRdt: runo does not manage resctrl groups yet, and on a host
// without resctrl they cannot exist at all.
func checkResctrl() error {
	var st unix.Statfs_t
	const rdtGroupMagic = 0x7655821
	if err := unix.Statfs("/sys/fs/resctrl", &st); err != nil || st.Type != rdtGroupMagic {
		return errors.New("linux.intelRdt: resctrl is not mounted at /sys/fs/resctrl on this host")
	}
	return errors.New("linux.intelRdt: Intel RDT is not supported by runo yet")
}

// withDeviceRules returns linux.resources with the complete device rule list, as runc builds
// it: the spec's rules, then access to the container's own linux.devices and to the devices
// every container gets. The spec's resources are not changed.
func withDeviceRules(s *specs.Spec) *specs.LinuxResources {
	r := &specs.LinuxResources{}
	if s.Linux.Resources != nil {
		copied := *s.Linux.Resources
		r = &copied
	}
	r.Devices = devices.ContainerRules(r.Devices, s.Linux.Devices)
	return r
}

// hasLimits reports whether resources ask for any limit (device rules aside, which a rootless
// container cannot have enforced anyway).
func hasLimits(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	limits := *r
	limits.Devices = nil
	return !reflect.ValueOf(limits).IsZero()
}
