package libcontainer

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/internal/rootfs"
	"github.com/runo-project/runo/internal/sysprog"
	"github.com/runo-project/runo/nsenter"
)

// A container that is started right after its creation (CreateOptions.StartsNext: `runo run`)
// can do without `runo init`, and so without a second Go program's start: a thread of runo
// unshares the container's namespaces for itself and forks the container's process, nsenter's
// raw child, born as pid 1 of the new pid namespace. The child enters its cgroups and waits
// (nsenter's Config.Hold) while the thread builds the rootfs with init's own steps and pivots
// into it (the child's root follows: pivot_root moves every root that was the old one), then
// looks the executable up there and sends its path. The child then runs the program an exec'd
// process runs (childProgram) and execs. The thread ends with its goroutine, which never
// unlocks it.
//
// The thread is in the container's mount, network, ipc and uts namespaces, not in its pid
// namespace nor in its cgroups: procfs is mounted with the pidns option (Linux 6.18) for the
// child's, cgroup mounts bind the container's directories, and the child makes the cgroup
// namespace once it is in its cgroups (rootfs.Outside). The held child shares runo's memory
// on a stack of its own (nsenter), so the fork copies no page tables. Until its execve the
// child is runo (CVE-2019-5736): nothing else runs in its new pid namespace yet that could
// reach it, and the memory is non-dumpable meanwhile (CVE-2016-9962).

// runsDirectly says whether Create may start the container's process without init. What needs
// the container's first process to be runo's keeps init: hooks that run between the steps or
// in the container, a terminal (its pty becomes /dev/console), LSM labels, a seccomp listener
// (filter is linux.seccomp compiled), a user or time namespace or one joined by path, a shared
// pid or mount namespace, --no-pivot, an unbindable root, a rootless runo, the pid namespace's
// own sysctl; so do kernels without close_range or procfs's pidns option.
func runsDirectly(o CreateOptions, filter *seccompFilter) bool {
	s := o.Config.Spec
	if !o.StartsNext || o.Rootless || o.NoPivot || s.Process.Terminal ||
		s.Process.ApparmorProfile != "" || s.Process.SelinuxLabel != "" || s.Linux.MountLabel != "" ||
		(filter != nil && filter.Notify) {
		return false
	}
	if h := s.Hooks; h != nil && len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer) > 0 { //nolint:staticcheck // prestart is deprecated, still run
		return false
	}
	// An unbindable root makes the binds of the container's cgroups fail, where init mounts
	// fresh cgroup filesystems in its cgroup namespace.
	if strings.Contains(s.Linux.RootfsPropagation, "unbindable") {
		return false
	}
	for key := range s.Linux.Sysctl {
		if strings.ReplaceAll(key, ".", "/") == "kernel/ns_last_pid" {
			return false
		}
	}
	var newPid, newMount bool
	for _, ns := range s.Linux.Namespaces {
		if ns.Path != "" || ns.Type == specs.UserNamespace || ns.Type == specs.TimeNamespace {
			return false
		}
		newPid = newPid || ns.Type == specs.PIDNamespace
		newMount = newMount || ns.Type == specs.MountNamespace
	}
	return newPid && newMount && haveCloseRange() && procfsTakesPidNS()
}

// procfsTakesPidNS reports whether procfs has the pidns mount option (Linux 6.18).
func procfsTakesPidNS() bool {
	fd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.FsconfigSetString(fd, "pidns", "/proc/self/ns/pid") == nil
}

// startDirect builds the container and starts its process without init, on a thread of its
// own that ends with it. cg is the container's cgroup, dirs its directories as in
// cgroups.Saved.
func (c *Container) startDirect(o CreateOptions, filter *seccompFilter, mountFiles []*os.File, cg *cgroups.Entrance, dirs map[string]string) (*os.Process, error) {
	type result struct {
		proc *os.Process
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread's namespaces, root and credentials are the container's
		// from here on, and the runtime ends a locked thread whose goroutine returns.
		runtime.LockOSThread()
		proc, err := c.buildDirect(o, filter, mountFiles, cg, dirs)
		done <- result{proc, err}
	}()
	r := <-done
	return r.proc, r.err
}

// buildDirect runs on the locked thread of startDirect.
func (c *Container) buildDirect(o CreateOptions, filter *seccompFilter, mountFiles []*os.File, cg *cgroups.Entrance, dirs map[string]string) (*os.Process, error) {
	spec := o.Config.Spec
	proc := spec.Process
	// A root and cwd of the thread's own, and every new namespace but the cgroup one, which
	// is the process's to make (childProgram); runsDirectly let no other kind through.
	flags := uintptr(unix.CLONE_FS)
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.CgroupNamespace {
			continue
		}
		flag, err := nsenter.CloneFlag(ns.Type)
		if err != nil {
			return nil, err
		}
		flags |= flag
	}
	if err := unix.Unshare(int(flags)); err != nil {
		return nil, fmt.Errorf("unable to start container process: unshare namespaces: %w", err)
	}
	p := &initProcess{
		cfg: &initConfig{
			Spec:         spec,
			Rootfs:       o.Config.Rootfs,
			Bundle:       o.Config.Bundle,
			NoNewKeyring: o.NoNewKeyring,
			PreserveFDs:  o.PreserveFDs,
			State:        c.ociState(Creating),
			Seccomp:      filter,
		},
		spec:       spec,
		mountFiles: mountFiles,
		fifo:       -1,
		outside:    &rootfs.Outside{CgroupDirs: dirs},
	}
	defer func() {
		if p.rootfs != nil {
			p.rootfs.Release()
		}
		if p.proc != nil {
			p.proc.close()
		}
	}()
	// The child inherits the keyring: joined before the fork.
	if err := p.joinKeyring(); err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("unable to start container process: make path pipe: %w", err)
	}
	pathR, pathW := os.NewFile(uintptr(pipe[0]), "path-child"), os.NewFile(uintptr(pipe[1]), "path-parent")
	defer pathR.Close()
	defer pathW.Close()
	path := &pathReader{fd: 3 + o.PreserveFDs, buf: make([]byte, unix.PathMax)}
	env, err := processEnv(proc.Env)
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	prog, err := childProgram(proc, spec.Linux.Personality, filter, o.PreserveFDs,
		hasNewNamespace(spec, specs.CgroupNamespace), execPath{From: path}, env)
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	passed := newInitFiles(o.PreserveFDs)
	passed.extra = append(passed.extra, pathR) // fd 3+PreserveFDs, as path.fd says
	cfg := nsenter.Config{
		Path:        proc.Args[0],
		Program:     prog,
		Stdin:       o.Stdin,
		Stdout:      o.Stdout,
		Stderr:      o.Stderr,
		ExtraFiles:  passed.extra,
		CgroupTasks: cg.Tasks,
		Cgroup:      cg.Dir,
		Hold: func(pid int) error {
			p.outside.PidNS = "/proc/" + strconv.Itoa(pid) + "/ns/pid"
			if err := p.buildRootfs(); err != nil {
				return err
			}
			if path.sent, err = lookPathDirect(proc, env); err != nil {
				return err
			}
			if len(path.sent) >= len(path.buf) {
				return fmt.Errorf("exec %s: %w", path.sent, unix.ENAMETOOLONG)
			}
			if _, err := pathW.WriteString(path.sent); err != nil {
				return fmt.Errorf("send the path of the executable: %w", err)
			}
			return nil
		},
	}
	if adj := proc.OOMScoreAdj; adj != nil {
		// The child writes its score to runo's procfs, where it is "self": the container's
		// /proc may be missing or read-only.
		hostProc, err := os.OpenFile("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("unable to start container process: %w", err)
		}
		defer hostProc.Close()
		cfg.Early = &sysprog.Program{}
		if err := addOOMScoreAdj(cfg.Early, hostProc.Fd(), "self/oom_score_adj", *adj); err != nil {
			return nil, err
		}
		if err := cfg.Early.Prepare(); err != nil {
			return nil, err
		}
	}
	// A kernel without CLONE_INTO_CGROUP (5.7) has no pidns option for procfs either.
	started, err := startNonDumpable(&cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("unable to start container process: %w", err)
	}
	return started, nil
}

// buildRootfs runs init's steps that build the container around the held child.
func (p *initProcess) buildRootfs() error {
	steps := []func() error{
		p.setupNetwork, p.prepareRootfs, p.setHostname, p.enterRootfs, p.applySysctl, p.finalizeRootfs,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// lookPathDirect looks the container's executable up in the thread's root, the container's by
// now.
func lookPathDirect(proc *specs.Process, env []string) (string, error) {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(root)
	return lookPath(root, proc.Cwd, proc.Args[0], env)
}
