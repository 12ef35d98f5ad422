package libcontainer

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/specconv"
)

// TestReceivedConfig: what init decodes equals what the parent sent, less the parts of the
// spec that only the parent applies.
func TestReceivedConfig(t *testing.T) {
	spec := specconv.Example()
	limit := int64(1 << 20)
	spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}
	sent := &initConfig{Spec: spec, Rootfs: "/r", Bundle: "/b", PreserveFDs: 2, State: &specs.State{ID: "c"}}
	data, err := json.Marshal(sent)
	if err != nil {
		t.Fatal(err)
	}
	var got receivedConfig
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := *sent
	wantSpec := *spec
	wantLinux := *spec.Linux
	wantLinux.Resources = nil
	wantLinux.Seccomp = nil
	wantSpec.Linux = &wantLinux
	want.Spec = &wantSpec
	if cfg := got.config(); !reflect.DeepEqual(cfg, &want) {
		t.Errorf("received config differs from the one sent:\ngot  %+v\nwant %+v", cfg.Spec.Linux, want.Spec.Linux)
	}
}

// TestInitSpecFields: every field of specs.Spec and specs.Linux is either in init's shape or
// known to be the parent's alone, so that a new field of the runtime-spec cannot be dropped on
// its way to init unnoticed.
func TestInitSpecFields(t *testing.T) {
	tests := []struct {
		full, shape reflect.Type
		parentOnly  []string
	}{
		{reflect.TypeFor[specs.Spec](), reflect.TypeFor[initSpec](), []string{"solaris", "windows", "vm", "zos", "freebsd"}},
		{reflect.TypeFor[specs.Linux](), reflect.TypeFor[initLinux](), []string{"resources", "netDevices", "intelRdt", "memoryPolicy", "seccomp"}},
	}
	for _, tt := range tests {
		have := jsonNames(tt.shape)
		for name := range jsonNames(tt.full) {
			if !have[name] && !slices.Contains(tt.parentOnly, name) {
				t.Errorf("%s.%s is neither in %s nor known to be the parent's alone", tt.full, name, tt.shape)
			}
		}
	}
}

func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}
