package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestVersion(t *testing.T) {
	e := newEnv(t)
	r := e.runoIn(nil, "--version")
	if r.code != 0 {
		t.Fatalf("runo --version: %v", r)
	}
	// runc's layout, under the runtime's name (runc says "runc version", runo "runo version").
	name := `(runo|runc|` + regexp.QuoteMeta(filepath.Base(runoBinary)) + `)`
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	// runc leaves out the commit line when built without one.
	if len(lines) > 1 && !strings.HasPrefix(lines[1], "commit:") {
		lines = append(lines[:1], append([]string{"commit: "}, lines[1:]...)...)
	}
	patterns := []string{
		`^` + name + ` version \S+`,
		`^commit: \S*`,
		`^spec: 1\.\d+\.\d+`,
		`^go: go1\.\d+`,
	}
	if len(lines) < len(patterns) {
		t.Fatalf("runo --version = %q, want at least %d lines", r.stdout, len(patterns))
	}
	for i, p := range patterns {
		if !regexp.MustCompile(p).MatchString(lines[i]) {
			t.Errorf("runo --version line %d = %q, want match for %q", i+1, lines[i], p)
		}
	}
}

func TestSpec(t *testing.T) {
	e := newEnv(t)
	dir := e.hostDir("spec")
	e.mustRuno("spec", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	if got, want := strings.Join(s.Process.Args, " "), "sh"; got != want {
		t.Errorf("process.args = %q, want %q", got, want)
	}
	if !s.Process.Terminal {
		t.Errorf("process.terminal = false, want true")
	}
	if got, want := s.Root.Path, "rootfs"; got != want {
		t.Errorf("root.path = %q, want %q", got, want)
	}
	var got []string
	for _, ns := range s.Linux.Namespaces {
		got = append(got, string(ns.Type))
	}
	for _, want := range []string{"pid", "network", "ipc", "uts", "mount"} {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+want+" ") {
			t.Errorf("linux.namespaces = %v, want %s among them", got, want)
		}
	}
	if len(s.Linux.MaskedPaths) == 0 || len(s.Linux.ReadonlyPaths) == 0 {
		t.Errorf("maskedPaths = %v, readonlyPaths = %v, want both non-empty", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if _, ok := findMount(s.Mounts, "/proc"); !ok {
		t.Errorf("mounts have no /proc: %v", s.Mounts)
	}

	// A second spec must not overwrite the first.
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.runo("spec", "--bundle", dir)
	if r.code == 0 {
		t.Errorf("runo spec over an existing config.json: %v, want failure", r)
	}
	if want := "File config.json exists. Remove it first"; !strings.Contains(r.stderr, want) {
		t.Errorf("runo spec over an existing config.json: stderr %q, want it to contain %q", r.stderr, want)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(data) != "keep" {
		t.Errorf("config.json = %q after the refused spec, want it untouched", data)
	}
}

func TestSpecRootless(t *testing.T) {
	e := newEnv(t)
	dir := e.hostDir("spec")
	e.mustRuno("spec", "--rootless", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	hasUserNS := false
	for _, ns := range s.Linux.Namespaces {
		hasUserNS = hasUserNS || ns.Type == specs.UserNamespace
	}
	if !hasUserNS {
		t.Errorf("linux.namespaces = %v, want a user namespace", s.Linux.Namespaces)
	}
	if len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0 {
		t.Errorf("uidMappings = %v, gidMappings = %v, want both set", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
}

func findMount(mounts []specs.Mount, dest string) (specs.Mount, bool) {
	for _, m := range mounts {
		if m.Destination == dest {
			return m, true
		}
	}
	return specs.Mount{}, false
}
