package libcontainer

import (
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/internal/wire"
)

// What runo processes hand each other of a runtime spec, in package wire's encoding: decoding
// spec types with encoding/json builds its caches for every type they reach, a cost paid at
// each process's first decode. init's config (0.3 ms of every init's start, measured in a
// fresh process), and exec's part of the state (stateDetails.Exec, 0.2 ms of every exec).
// init gets the spec without what only the parent applies: cgroup resources, network devices,
// Intel RDT, the memory policy, other platforms; and linux.seccomp compiled
// (initConfig.Seccomp).

// encodeInitConfig writes cfg for decodeInitConfig.
func encodeInitConfig(cfg *initConfig) []byte {
	w := &wire.Writer{}
	if w.Present(cfg.Spec != nil) {
		putSpec(w, cfg.Spec)
	}
	w.String(cfg.Rootfs)
	w.String(cfg.Bundle)
	w.Bool(cfg.NoPivot)
	w.Bool(cfg.NoNewKeyring)
	w.Int(int64(cfg.PreserveFDs))
	if w.Present(cfg.State != nil) {
		s := cfg.State
		w.String(s.Version)
		w.String(s.ID)
		w.String(string(s.Status))
		w.Int(int64(s.Pid))
		w.String(s.Bundle)
		wire.StringMap(w, s.Annotations)
	}
	putSeccompFilter(w, cfg.Seccomp)
	w.Bool(cfg.Exec)
	w.Bool(cfg.KeepMemory)
	return w.Bytes()
}

// encodeExecDetails writes what exec needs of a container for decodeExecDetails
// (stateDetails.Exec).
func encodeExecDetails(d *execDetails) []byte {
	w := &wire.Writer{}
	if w.Present(d.Process != nil) {
		putProcess(w, d.Process)
	}
	wire.List(w, d.Namespaces, putNamespace)
	putSeccompFilter(w, d.SeccompFilter)
	return w.Bytes()
}

// decodeExecDetails reads what encodeExecDetails wrote.
func decodeExecDetails(b []byte) (*execDetails, error) {
	r := wire.NewReader(b)
	d := &execDetails{}
	if r.Present() {
		d.Process = getProcess(r)
	}
	d.Namespaces = wire.ReadList(r, getNamespace)
	d.SeccompFilter = getSeccompFilter(r)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("decode exec details: %w", err)
	}
	return d, nil
}

// decodeInitConfig reads what encodeInitConfig wrote.
func decodeInitConfig(b []byte) (*initConfig, error) {
	r := wire.NewReader(b)
	cfg := &initConfig{}
	if r.Present() {
		cfg.Spec = getSpec(r)
	}
	cfg.Rootfs = r.String()
	cfg.Bundle = r.String()
	cfg.NoPivot = r.Bool()
	cfg.NoNewKeyring = r.Bool()
	cfg.PreserveFDs = int(r.Int())
	if r.Present() {
		cfg.State = &specs.State{
			Version: r.String(), ID: r.String(), Status: specs.ContainerState(r.String()),
			Pid: int(r.Int()), Bundle: r.String(), Annotations: wire.ReadStringMap(r),
		}
	}
	cfg.Seccomp = getSeccompFilter(r)
	cfg.Exec = r.Bool()
	cfg.KeepMemory = r.Bool()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("decode init config: %w", err)
	}
	return cfg, nil
}

func putSpec(w *wire.Writer, s *specs.Spec) {
	w.String(s.Version)
	if w.Present(s.Process != nil) {
		putProcess(w, s.Process)
	}
	if w.Present(s.Root != nil) {
		w.String(s.Root.Path)
		w.Bool(s.Root.Readonly)
	}
	w.String(s.Hostname)
	w.String(s.Domainname)
	wire.List(w, s.Mounts, func(w *wire.Writer, m *specs.Mount) {
		w.String(m.Destination)
		w.String(m.Type)
		w.String(m.Source)
		wire.Strings(w, m.Options)
		wire.List(w, m.UIDMappings, putIDMapping)
		wire.List(w, m.GIDMappings, putIDMapping)
	})
	if w.Present(s.Hooks != nil) {
		h := s.Hooks
		for _, list := range [][]specs.Hook{h.Prestart, h.CreateRuntime, h.CreateContainer, h.StartContainer, h.Poststart, h.Poststop} { //nolint:staticcheck // Prestart is deprecated, not gone
			wire.List(w, list, putHook)
		}
	}
	wire.StringMap(w, s.Annotations)
	if w.Present(s.Linux != nil) {
		l := s.Linux
		wire.List(w, l.UIDMappings, putIDMapping)
		wire.List(w, l.GIDMappings, putIDMapping)
		wire.StringMap(w, l.Sysctl)
		w.String(l.CgroupsPath)
		wire.List(w, l.Namespaces, putNamespace)
		wire.List(w, l.Devices, func(w *wire.Writer, d *specs.LinuxDevice) {
			w.String(d.Path)
			w.String(d.Type)
			w.Int(d.Major)
			w.Int(d.Minor)
			if w.Present(d.FileMode != nil) {
				w.Uint(uint64(*d.FileMode))
			}
			putUint32(w, d.UID)
			putUint32(w, d.GID)
		})
		w.String(l.RootfsPropagation)
		wire.Strings(w, l.MaskedPaths)
		wire.Strings(w, l.ReadonlyPaths)
		w.String(l.MountLabel)
		if w.Present(l.Personality != nil) {
			w.String(string(l.Personality.Domain))
			wire.Strings(w, l.Personality.Flags)
		}
		wire.Map(w, l.TimeOffsets, func(w *wire.Writer, o specs.LinuxTimeOffset) {
			w.Int(o.Secs)
			w.Uint(uint64(o.Nanosecs))
		})
	}
}

func getSpec(r *wire.Reader) *specs.Spec {
	s := &specs.Spec{Version: r.String()}
	if r.Present() {
		s.Process = getProcess(r)
	}
	if r.Present() {
		s.Root = &specs.Root{Path: r.String(), Readonly: r.Bool()}
	}
	s.Hostname = r.String()
	s.Domainname = r.String()
	s.Mounts = wire.ReadList(r, func(r *wire.Reader, m *specs.Mount) {
		m.Destination, m.Type, m.Source = r.String(), r.String(), r.String()
		m.Options = wire.ReadStrings[string](r)
		m.UIDMappings = wire.ReadList(r, getIDMapping)
		m.GIDMappings = wire.ReadList(r, getIDMapping)
	})
	if r.Present() {
		h := &specs.Hooks{}
		for _, list := range []*[]specs.Hook{&h.Prestart, &h.CreateRuntime, &h.CreateContainer, &h.StartContainer, &h.Poststart, &h.Poststop} { //nolint:staticcheck // Prestart is deprecated, not gone
			*list = wire.ReadList(r, getHook)
		}
		s.Hooks = h
	}
	s.Annotations = wire.ReadStringMap(r)
	if r.Present() {
		l := &specs.Linux{}
		l.UIDMappings = wire.ReadList(r, getIDMapping)
		l.GIDMappings = wire.ReadList(r, getIDMapping)
		l.Sysctl = wire.ReadStringMap(r)
		l.CgroupsPath = r.String()
		l.Namespaces = wire.ReadList(r, getNamespace)
		l.Devices = wire.ReadList(r, func(r *wire.Reader, d *specs.LinuxDevice) {
			d.Path, d.Type, d.Major, d.Minor = r.String(), r.String(), r.Int(), r.Int()
			if r.Present() {
				mode := os.FileMode(r.Uint32())
				d.FileMode = &mode
			}
			d.UID = getUint32(r)
			d.GID = getUint32(r)
		})
		l.RootfsPropagation = r.String()
		l.MaskedPaths = wire.ReadStrings[string](r)
		l.ReadonlyPaths = wire.ReadStrings[string](r)
		l.MountLabel = r.String()
		if r.Present() {
			l.Personality = &specs.LinuxPersonality{
				Domain: specs.LinuxPersonalityDomain(r.String()),
				Flags:  wire.ReadStrings[specs.LinuxPersonalityFlag](r),
			}
		}
		l.TimeOffsets = wire.ReadMap(r, func(r *wire.Reader) specs.LinuxTimeOffset {
			return specs.LinuxTimeOffset{Secs: r.Int(), Nanosecs: r.Uint32()}
		})
		s.Linux = l
	}
	return s
}

func putProcess(w *wire.Writer, p *specs.Process) {
	w.Bool(p.Terminal)
	if w.Present(p.ConsoleSize != nil) {
		w.Uint(uint64(p.ConsoleSize.Height))
		w.Uint(uint64(p.ConsoleSize.Width))
	}
	u := &p.User
	w.Uint(uint64(u.UID))
	w.Uint(uint64(u.GID))
	putUint32(w, u.Umask)
	wire.List(w, u.AdditionalGids, func(w *wire.Writer, g *uint32) { w.Uint(uint64(*g)) })
	w.String(u.Username)
	wire.Strings(w, p.Args)
	w.String(p.CommandLine)
	wire.Strings(w, p.Env)
	w.String(p.Cwd)
	if w.Present(p.Capabilities != nil) {
		c := p.Capabilities
		for _, set := range [][]string{c.Bounding, c.Effective, c.Inheritable, c.Permitted, c.Ambient} {
			wire.Strings(w, set)
		}
	}
	wire.List(w, p.Rlimits, func(w *wire.Writer, l *specs.POSIXRlimit) {
		w.String(l.Type)
		w.Uint(l.Hard)
		w.Uint(l.Soft)
	})
	w.Bool(p.NoNewPrivileges)
	w.String(p.ApparmorProfile)
	if w.Present(p.OOMScoreAdj != nil) {
		w.Int(int64(*p.OOMScoreAdj))
	}
	if w.Present(p.Scheduler != nil) {
		s := p.Scheduler
		w.String(string(s.Policy))
		w.Int(int64(s.Nice))
		w.Int(int64(s.Priority))
		wire.Strings(w, s.Flags)
		w.Uint(s.Runtime)
		w.Uint(s.Deadline)
		w.Uint(s.Period)
	}
	w.String(p.SelinuxLabel)
	if w.Present(p.IOPriority != nil) {
		w.String(string(p.IOPriority.Class))
		w.Int(int64(p.IOPriority.Priority))
	}
	if w.Present(p.ExecCPUAffinity != nil) {
		w.String(p.ExecCPUAffinity.Initial)
		w.String(p.ExecCPUAffinity.Final)
	}
}

func getProcess(r *wire.Reader) *specs.Process {
	p := &specs.Process{Terminal: r.Bool()}
	if r.Present() {
		p.ConsoleSize = &specs.Box{Height: uint(r.Uint()), Width: uint(r.Uint())}
	}
	p.User.UID = r.Uint32()
	p.User.GID = r.Uint32()
	p.User.Umask = getUint32(r)
	p.User.AdditionalGids = wire.ReadList(r, func(r *wire.Reader, g *uint32) { *g = r.Uint32() })
	p.User.Username = r.String()
	p.Args = wire.ReadStrings[string](r)
	p.CommandLine = r.String()
	p.Env = wire.ReadStrings[string](r)
	p.Cwd = r.String()
	if r.Present() {
		c := &specs.LinuxCapabilities{}
		for _, set := range []*[]string{&c.Bounding, &c.Effective, &c.Inheritable, &c.Permitted, &c.Ambient} {
			*set = wire.ReadStrings[string](r)
		}
		p.Capabilities = c
	}
	p.Rlimits = wire.ReadList(r, func(r *wire.Reader, l *specs.POSIXRlimit) {
		l.Type, l.Hard, l.Soft = r.String(), r.Uint(), r.Uint()
	})
	p.NoNewPrivileges = r.Bool()
	p.ApparmorProfile = r.String()
	if r.Present() {
		adj := int(r.Int())
		p.OOMScoreAdj = &adj
	}
	if r.Present() {
		p.Scheduler = &specs.Scheduler{
			Policy: specs.LinuxSchedulerPolicy(r.String()), Nice: int32(r.Int()), Priority: int32(r.Int()),
			Flags:   wire.ReadStrings[specs.LinuxSchedulerFlag](r),
			Runtime: r.Uint(), Deadline: r.Uint(), Period: r.Uint(),
		}
	}
	p.SelinuxLabel = r.String()
	if r.Present() {
		p.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPriorityClass(r.String()), Priority: int(r.Int())}
	}
	if r.Present() {
		p.ExecCPUAffinity = &specs.CPUAffinity{Initial: r.String(), Final: r.String()}
	}
	return p
}

func putSeccompFilter(w *wire.Writer, f *seccompFilter) {
	if w.Present(f != nil) {
		w.Blob(f.Program)
		wire.Strings(w, f.Flags)
		w.Bool(f.Notify)
		w.String(f.ListenerPath)
		w.String(f.ListenerMetadata)
	}
}

func getSeccompFilter(r *wire.Reader) *seccompFilter {
	if !r.Present() {
		return nil
	}
	return &seccompFilter{
		Program: r.Blob(), Flags: wire.ReadStrings[specs.LinuxSeccompFlag](r),
		Notify: r.Bool(), ListenerPath: r.String(), ListenerMetadata: r.String(),
	}
}

func putNamespace(w *wire.Writer, n *specs.LinuxNamespace) {
	w.String(string(n.Type))
	w.String(n.Path)
}

func getNamespace(r *wire.Reader, n *specs.LinuxNamespace) {
	n.Type, n.Path = specs.LinuxNamespaceType(r.String()), r.String()
}

func putIDMapping(w *wire.Writer, m *specs.LinuxIDMapping) {
	w.Uint(uint64(m.ContainerID))
	w.Uint(uint64(m.HostID))
	w.Uint(uint64(m.Size))
}

func getIDMapping(r *wire.Reader, m *specs.LinuxIDMapping) {
	m.ContainerID, m.HostID, m.Size = r.Uint32(), r.Uint32(), r.Uint32()
}

func putHook(w *wire.Writer, h *specs.Hook) {
	w.String(h.Path)
	wire.Strings(w, h.Args)
	wire.Strings(w, h.Env)
	if w.Present(h.Timeout != nil) {
		w.Int(int64(*h.Timeout))
	}
}

func getHook(r *wire.Reader, h *specs.Hook) {
	h.Path = r.String()
	h.Args = wire.ReadStrings[string](r)
	h.Env = wire.ReadStrings[string](r)
	if r.Present() {
		t := int(r.Int())
		h.Timeout = &t
	}
}

func putUint32(w *wire.Writer, v *uint32) {
	if w.Present(v != nil) {
		w.Uint(uint64(*v))
	}
}

func getUint32(r *wire.Reader) *uint32 {
	if !r.Present() {
		return nil
	}
	v := r.Uint32()
	return &v
}
