package main

import (
	"encoding/json"
	"slices"
	"testing"
)

// baseSpec returns a prepared spec as `runc spec` would generate it, trimmed to what the harness
// touches.
func baseSpec(t *testing.T) []byte {
	t.Helper()
	spec := map[string]any{
		"ociVersion": "1.0.2-dev",
		"process":    map[string]any{"terminal": true, "args": []string{"sh"}, "cwd": "/"},
		"root":       map[string]any{"path": "rootfs", "readonly": true},
		"linux": map[string]any{
			"resources": map[string]any{"devices": []any{map[string]any{"allow": false, "access": "rwm"}}},
		},
	}
	if err := prepareSpec(spec, "/work/bundle/rootfs"); err != nil {
		t.Fatalf("prepareSpec() = %v, want nil", err)
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatalf("encode spec: %v", err)
	}
	return raw
}

// configView is what the tests read back from a generated config.json.
type configView struct {
	Process struct {
		Terminal bool     `json:"terminal"`
		Args     []string `json:"args"`
		Cwd      string   `json:"cwd"`
	} `json:"process"`
	Root struct {
		Path string `json:"path"`
	} `json:"root"`
	Linux struct {
		CgroupsPath string `json:"cgroupsPath"`
		Resources   struct {
			Devices []any `json:"devices"`
			Memory  *struct {
				Limit int64 `json:"limit"`
			} `json:"memory"`
		} `json:"resources"`
	} `json:"linux"`
}

func TestConfigJSON(t *testing.T) {
	base := baseSpec(t)
	limited := trueProcess()
	limited.memoryLimit = 2 << 20
	tests := []struct {
		name      string
		config    containerConfig
		wantArgs  []string
		wantLimit int64
	}{
		{name: "true, no limit", config: trueProcess(), wantArgs: []string{"/bin/true"}},
		{name: "sleep", config: sleepProcess(), wantArgs: []string{"/bin/sleep", "1000000"}},
		{name: "memory limit", config: limited, wantArgs: []string{"/bin/true"}, wantLimit: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := configJSON(base, "/runo-bench-1/c1", tt.config)
			if err != nil {
				t.Fatalf("configJSON() = %v, want nil", err)
			}
			var got configView
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("parse configJSON() output: %v", err)
			}
			if got.Process.Terminal || got.Process.Cwd != "/" || !slices.Equal(got.Process.Args, tt.wantArgs) {
				t.Errorf("configJSON() process = %+v, want terminal false, cwd kept, args %q", got.Process, tt.wantArgs)
			}
			if got.Root.Path != "/work/bundle/rootfs" {
				t.Errorf("configJSON() root.path = %q, want the absolute rootfs", got.Root.Path)
			}
			if got.Linux.CgroupsPath != "/runo-bench-1/c1" {
				t.Errorf("configJSON() cgroupsPath = %q, want /runo-bench-1/c1", got.Linux.CgroupsPath)
			}
			if len(got.Linux.Resources.Devices) != 1 {
				t.Errorf("configJSON() lost the template's device rules: %+v", got.Linux.Resources)
			}
			var limit int64
			if got.Linux.Resources.Memory != nil {
				limit = got.Linux.Resources.Memory.Limit
			}
			if limit != tt.wantLimit {
				t.Errorf("configJSON() memory limit = %d, want %d", limit, tt.wantLimit)
			}
		})
	}
}

// Each config starts from the base again: a limit set for one container must not reach the next.
func TestConfigJSONDoesNotCarryOver(t *testing.T) {
	base := baseSpec(t)
	limited := trueProcess()
	limited.memoryLimit = 4 << 20
	if _, err := configJSON(base, "/p/a", limited); err != nil {
		t.Fatalf("configJSON() = %v, want nil", err)
	}
	raw, err := configJSON(base, "/p/b", trueProcess())
	if err != nil {
		t.Fatalf("configJSON() = %v, want nil", err)
	}
	var got configView
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("parse configJSON() output: %v", err)
	}
	if got.Linux.Resources.Memory != nil {
		t.Errorf("configJSON() after a limited config has memory %+v, want none", *got.Linux.Resources.Memory)
	}
}

func TestPrepareSpecRejectsIncompleteSpec(t *testing.T) {
	tests := []struct {
		name string
		spec map[string]any
	}{
		{name: "no process", spec: map[string]any{"root": map[string]any{}, "linux": map[string]any{}}},
		{name: "no root", spec: map[string]any{"process": map[string]any{}, "linux": map[string]any{}}},
		{name: "no linux", spec: map[string]any{"process": map[string]any{}, "root": map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := prepareSpec(tt.spec, "/rootfs"); err == nil {
				t.Errorf("prepareSpec(%v) = nil, want an error", tt.spec)
			}
		})
	}
}
