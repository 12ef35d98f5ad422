package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// busyboxApplets are the names linked to busybox in rootfs/bin: true and sleep are what the
// containers run, the rest make the bundle usable when a measurement is debugged by hand.
var busyboxApplets = []string{"true", "false", "sh", "ls", "cat", "echo", "sleep", "ps"}

// bundle is the root filesystem every container runs from and the spec each one's config.json is
// derived from. The config is written before each container, outside the timed part, so that
// each container gets its own cgroup below the bench-owned parent and the process and limits its
// measurement asks for.
type bundle struct {
	dir string
	// base is the prepared spec as JSON. Each config is decoded from it afresh, so no setting of
	// one container can leak into the next, and the spec stays a generic map so that no field
	// of the runtime's template is lost on the round trip.
	base []byte
}

// containerConfig is what one container's config.json asks for beyond the base spec.
type containerConfig struct {
	args []string
	// memoryLimit is linux.resources.memory.limit in bytes; 0 leaves it unset.
	memoryLimit int64
}

// trueProcess is the short-lived container most measurements use.
func trueProcess() containerConfig {
	return containerConfig{args: []string{"/bin/true"}}
}

// sleepProcess is a container that keeps running until it is killed: far longer than any bench.
func sleepProcess() containerConfig {
	return containerConfig{args: []string{"/bin/sleep", "1000000"}}
}

// newBundle writes rootfs (busybox and its applet links) into dir and prepares the spec generated
// by `<specTool> spec`.
func newBundle(dir, busybox, specTool string) (*bundle, error) {
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return nil, fmt.Errorf("create bundle directory: %w", err)
		}
	}
	if err := copyFile(busybox, filepath.Join(rootfs, "bin", "busybox"), 0o755); err != nil {
		return nil, err
	}
	for _, a := range busyboxApplets {
		link := filepath.Join(rootfs, "bin", a)
		if err := os.Symlink("busybox", link); err != nil {
			return nil, fmt.Errorf("link applet %s: %w", link, err)
		}
	}
	out, err := exec.Command(specTool, "spec", "--bundle", dir).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s spec --bundle %s: %w: %s", specTool, dir, err, out)
	}
	cfgPath := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("read generated spec: %w", err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parse generated spec %s: %w", cfgPath, err)
	}
	if err := prepareSpec(spec, rootfs); err != nil {
		return nil, fmt.Errorf("edit spec %s: %w", cfgPath, err)
	}
	base, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec %s: %w", cfgPath, err)
	}
	return &bundle{dir: dir, base: base}, nil
}

// prepareSpec makes the runtime's interactive template non-interactive and points root.path at
// rootfs by its absolute path, so that a config.json in another directory (one per concurrent
// container in the parallel phase) shares the one root filesystem.
func prepareSpec(spec map[string]any, rootfs string) error {
	process, ok := spec["process"].(map[string]any)
	if !ok {
		return fmt.Errorf("spec has no process object")
	}
	process["terminal"] = false
	root, ok := spec["root"].(map[string]any)
	if !ok {
		return fmt.Errorf("spec has no root object")
	}
	root["path"] = rootfs
	if _, ok := spec["linux"].(map[string]any); !ok {
		return fmt.Errorf("spec has no linux object")
	}
	return nil
}

// writeConfig writes dir/config.json for a container in cgroupsPath that runs c.
func (b *bundle) writeConfig(dir, cgroupsPath string, c containerConfig) error {
	raw, err := configJSON(b.base, cgroupsPath, c)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "config.json")
	tmp := cfgPath + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("write spec %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, cfgPath); err != nil {
		return fmt.Errorf("replace spec %s: %w", cfgPath, err)
	}
	return nil
}

// configJSON returns the base spec with linux.cgroupsPath = cgroupsPath and what c asks for.
// Preconditions: base passed prepareSpec.
func configJSON(base []byte, cgroupsPath string, c containerConfig) ([]byte, error) {
	var spec map[string]any
	if err := json.Unmarshal(base, &spec); err != nil {
		return nil, fmt.Errorf("decode base spec: %w", err)
	}
	spec["process"].(map[string]any)["args"] = c.args
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = cgroupsPath
	if c.memoryLimit > 0 {
		resources, ok := linux["resources"].(map[string]any)
		if !ok {
			resources = make(map[string]any)
			linux["resources"] = resources
		}
		resources["memory"] = map[string]any{"limit": c.memoryLimit}
	}
	raw, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	return raw, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}
