package main

import (
	"encoding/json"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/capabilities"
	"github.com/runo-project/runo/internal/rootfs"
)

var featuresCommand = cli.Command{
	Name:  "features",
	Usage: "print what this runtime supports, as the runtime-spec's features document",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, ""); err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(supportedFeatures())
	},
}

// supportedFeatures states only what runo implements: engines switch features on from it
// (containerd enables user namespaces only with idmapped mounts reported here).
func supportedFeatures() *features.Features {
	yes, no := true, false
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks: []string{"prestart", "createRuntime", "createContainer", "startContainer",
			"poststart", "poststop"},
		MountOptions: rootfs.KnownMountOptions(),
		Linux: &features.Linux{
			Namespaces:      []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
			Capabilities:    capabilities.Names(),
			Cgroup:          &features.Cgroup{V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no},
			Seccomp:         &features.Seccomp{Enabled: &no},
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
		},
		Annotations: map[string]string{"org.opencontainers.runo.version": version},
	}
}
