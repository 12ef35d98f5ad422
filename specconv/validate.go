package specconv

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/internal/capabilities"
)

var namespaceTypes = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// Validate checks what runo needs from a spec before it creates anything. Every error names the
// field at fault.
func Validate(s *specs.Spec) error {
	if s.Root == nil || s.Root.Path == "" {
		return invalid("root.path", "must be set")
	}
	if s.Process == nil {
		return invalid("process", "must be set")
	}
	if err := validateProcess(s.Process); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		if m.Destination == "" {
			return invalid(fieldf("mounts[%d].destination", i), "must be set")
		}
		// The spec: "This value MUST be an absolute path." runc still accepts relative ones
		// against the rootfs with a warning; so do we, since they resolve inside the rootfs.
	}
	if s.Linux == nil {
		return invalid("linux", "must be set")
	}
	if err := validateNamespaces(s); err != nil {
		return err
	}
	return validateHooks(s.Hooks)
}

func validateProcess(p *specs.Process) error {
	if len(p.Args) == 0 || p.Args[0] == "" {
		return invalid("process.args", "must not be empty")
	}
	if p.Cwd == "" {
		return invalid("process.cwd", "must be set")
	}
	if !filepath.IsAbs(p.Cwd) {
		return invalid("process.cwd", "%q is not an absolute path", p.Cwd)
	}
	for i, e := range p.Env {
		if !strings.Contains(e, "=") {
			return invalid(fieldf("process.env[%d]", i), "%q is not of the form NAME=value", e)
		}
	}
	for i, r := range p.Rlimits {
		if _, ok := rlimitNames[r.Type]; !ok {
			return invalid(fieldf("process.rlimits[%d].type", i), "unknown rlimit %q", r.Type)
		}
		if r.Soft > r.Hard {
			return invalid(fieldf("process.rlimits[%d]", i), "soft limit %d exceeds hard limit %d", r.Soft, r.Hard)
		}
	}
	if c := p.Capabilities; c != nil {
		sets := []struct {
			name  string
			names []string
		}{
			{"bounding", c.Bounding}, {"effective", c.Effective}, {"permitted", c.Permitted},
			{"inheritable", c.Inheritable}, {"ambient", c.Ambient},
		}
		for _, set := range sets {
			for i, name := range set.names {
				// The spec: "Any value which cannot be mapped to a relevant kernel interface
				// MUST cause an error."
				if _, ok := capabilities.Number(strings.ToUpper(name)); !ok {
					return invalid(fieldf("process.capabilities.%s[%d]", set.name, i), "unknown capability %q", name)
				}
			}
		}
	}
	if p.Terminal && p.ConsoleSize != nil && (p.ConsoleSize.Width == 0 && p.ConsoleSize.Height == 0) {
		p.ConsoleSize = nil
	}
	return nil
}

func validateNamespaces(s *specs.Spec) error {
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range s.Linux.Namespaces {
		field := fieldf("linux.namespaces[%d]", i)
		if !namespaceTypes[ns.Type] {
			return invalid(field+".type", "unknown namespace type %q", ns.Type)
		}
		if seen[ns.Type] {
			return invalid(field+".type", "duplicate namespace type %q", ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" && !filepath.IsAbs(ns.Path) {
			return invalid(field+".path", "%q is not an absolute path", ns.Path)
		}
	}
	if !seen[specs.MountNamespace] {
		return invalid("linux.namespaces", "a mount namespace is required")
	}
	if hasNew(s, specs.UserNamespace) && (len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return invalid("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings")
	}
	// With a joined user namespace the mappings describe it (engines pass them, runc wants
	// them); without a user namespace they mean nothing.
	if !seen[specs.UserNamespace] && (len(s.Linux.UIDMappings) != 0 || len(s.Linux.GIDMappings) != 0) {
		return invalid("linux.uidMappings", "mappings are set but no user namespace is configured")
	}
	if (s.Hostname != "" || s.Domainname != "") && !seen[specs.UTSNamespace] {
		return invalid("hostname", "cannot be set without a UTS namespace")
	}
	if len(s.Linux.TimeOffsets) != 0 && !hasNew(s, specs.TimeNamespace) {
		return invalid("linux.timeOffsets", "need a new time namespace")
	}
	for key := range s.Linux.Sysctl {
		if key == "" || strings.Contains(key, "..") || strings.ContainsRune(key, 0) {
			return invalid("linux.sysctl", "invalid key %q", key)
		}
	}
	return nil
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	lists := []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer}, {"startContainer", h.StartContainer},
		{"poststart", h.Poststart}, {"poststop", h.Poststop},
	}
	for _, l := range lists {
		for i, hook := range l.hooks {
			if !filepath.IsAbs(hook.Path) {
				return invalid(fieldf("hooks.%s[%d].path", l.name, i), "%q is not an absolute path", hook.Path)
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return invalid(fieldf("hooks.%s[%d].timeout", l.name, i), "must be positive")
			}
		}
	}
	return nil
}

// hasNew reports whether the spec asks for a new namespace of type t.
func hasNew(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t && ns.Path == "" {
			return true
		}
	}
	return false
}

func fieldf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
