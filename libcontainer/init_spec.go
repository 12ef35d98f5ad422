package libcontainer

import "github.com/opencontainers/runtime-spec/specs-go"

// receivedConfig is the initConfig as init decodes it: with the spec in initSpec's shape. Its
// Spec field hides initConfig's, so encoding/json never looks at specs.Spec in init.
type receivedConfig struct {
	initConfig
	Spec *initSpec `json:"spec"`
}

// initSpec is the part of the runtime spec that init reads. Decoding a whole specs.Spec builds
// encoding/json's caches for every type it contains, cgroup resources and other platforms
// included: 0.2-0.3 ms of init's CPU (measured in a fresh process) for types init never reads.
// The parent sends the whole spec; what this shape lacks is skipped unread.
type initSpec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *initLinux        `json:"linux,omitempty"`
}

// initLinux is specs.Linux without what the parent alone applies: resources, network devices,
// Intel RDT and the memory policy; and without the seccomp profile, which init gets compiled.
type initLinux struct {
	UIDMappings       []specs.LinuxIDMapping           `json:"uidMappings,omitempty"`
	GIDMappings       []specs.LinuxIDMapping           `json:"gidMappings,omitempty"`
	Sysctl            map[string]string                `json:"sysctl,omitempty"`
	CgroupsPath       string                           `json:"cgroupsPath,omitempty"`
	Namespaces        []specs.LinuxNamespace           `json:"namespaces,omitempty"`
	Devices           []specs.LinuxDevice              `json:"devices,omitempty"`
	RootfsPropagation string                           `json:"rootfsPropagation,omitempty"`
	MaskedPaths       []string                         `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string                         `json:"readonlyPaths,omitempty"`
	MountLabel        string                           `json:"mountLabel,omitempty"`
	Personality       *specs.LinuxPersonality          `json:"personality,omitempty"`
	TimeOffsets       map[string]specs.LinuxTimeOffset `json:"timeOffsets,omitempty"`
}

// config returns the received initConfig with its spec as a specs.Spec.
func (r *receivedConfig) config() *initConfig {
	cfg := r.initConfig
	if s := r.Spec; s != nil {
		cfg.Spec = &specs.Spec{
			Version:     s.Version,
			Process:     s.Process,
			Root:        s.Root,
			Hostname:    s.Hostname,
			Domainname:  s.Domainname,
			Mounts:      s.Mounts,
			Hooks:       s.Hooks,
			Annotations: s.Annotations,
		}
		if l := s.Linux; l != nil {
			cfg.Spec.Linux = &specs.Linux{
				UIDMappings:       l.UIDMappings,
				GIDMappings:       l.GIDMappings,
				Sysctl:            l.Sysctl,
				CgroupsPath:       l.CgroupsPath,
				Namespaces:        l.Namespaces,
				Devices:           l.Devices,
				RootfsPropagation: l.RootfsPropagation,
				MaskedPaths:       l.MaskedPaths,
				ReadonlyPaths:     l.ReadonlyPaths,
				MountLabel:        l.MountLabel,
				Personality:       l.Personality,
				TimeOffsets:       l.TimeOffsets,
			}
		}
	}
	return &cfg
}
