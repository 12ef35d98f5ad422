package systemd

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func dev(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major != -1 {
		r.Major = &major
	}
	if minor != -1 {
		r.Minor = &minor
	}
	return r
}

// runcDefaults are runc's default rules after the spec's usual "deny all".
var runcDefaults = []specs.LinuxDeviceCgroup{
	dev(false, "a", -1, -1, "rwm"),
	dev(true, "c", -1, -1, "m"),
	dev(true, "b", -1, -1, "m"),
	dev(true, "c", 1, 3, "rwm"),
	dev(true, "c", 1, 8, "rwm"),
	dev(true, "c", 1, 7, "rwm"),
	dev(true, "c", 5, 0, "rwm"),
	dev(true, "c", 1, 5, "rwm"),
	dev(true, "c", 1, 9, "rwm"),
	dev(true, "c", 5, 1, "rwm"),
	dev(true, "c", 136, -1, "rwm"),
	dev(true, "c", 5, 2, "rwm"),
}

func TestDeviceProperties(t *testing.T) {
	strict := prop{"DevicePolicy", "strict"}
	auto := prop{"DevicePolicy", "auto"}
	clear := prop{"DeviceAllow", []deviceAllow{}}
	allow := func(e ...deviceAllow) prop { return prop{"DeviceAllow", append([]deviceAllow{}, e...)} }
	tests := []struct {
		name    string
		rules   []specs.LinuxDeviceCgroup
		t       target
		want    []prop
		wantErr string
	}{
		{"runc defaults", runcDefaults, v2, []prop{strict, clear, allow(
			deviceAllow{"block-*", "m"},
			deviceAllow{"char-*", "m"},
			deviceAllow{"/dev/char/1:3", "rwm"},
			deviceAllow{"/dev/char/1:5", "rwm"},
			deviceAllow{"/dev/char/1:7", "rwm"},
			deviceAllow{"/dev/char/1:8", "rwm"},
			deviceAllow{"/dev/char/1:9", "rwm"},
			deviceAllow{"/dev/char/5:0", "rwm"},
			deviceAllow{"/dev/char/5:1", "rwm"},
			deviceAllow{"/dev/char/5:2", "rwm"},
			deviceAllow{"char-136", "rwm"},
		)}, ""},
		{"no rules is deny all", nil, v2, []prop{strict, clear, allow()}, ""},
		{"deny all", []specs.LinuxDeviceCgroup{dev(false, "", -1, -1, "rwm")}, v1, []prop{strict, clear, allow()}, ""},
		{"allow all", []specs.LinuxDeviceCgroup{dev(true, "a", -1, -1, "rwm")}, v1, []prop{auto, clear}, ""},
		// An "a" rule forgets what came before it.
		{"reset", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rwm"), dev(false, "a", -1, -1, "rwm"), dev(true, "b", 8, 0, "r")}, v2,
			[]prop{strict, clear, allow(deviceAllow{"/dev/block/8:0", "r"})}, ""},
		{"merged accesses", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "r"), dev(true, "c", 1, 3, "m"), dev(true, "c", 1, 3, "w")}, v2,
			[]prop{strict, clear, allow(deviceAllow{"/dev/char/1:3", "rwm"})}, ""},
		{"deny takes an access away", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rwm"), dev(false, "c", 1, 3, "w")}, v2,
			[]prop{strict, clear, allow(deviceAllow{"/dev/char/1:3", "rm"})}, ""},
		{"deny removes the entry", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rw"), dev(false, "c", 1, 3, "rwm")}, v2,
			[]prop{strict, clear, allow()}, ""},
		{"deny of something never allowed", []specs.LinuxDeviceCgroup{dev(false, "c", 1, 3, "rwm")}, v2,
			[]prop{strict, clear, allow()}, ""},
		{"hole in a wildcard", []specs.LinuxDeviceCgroup{dev(true, "c", -1, -1, "m"), dev(false, "c", 1, 3, "m")}, v2,
			nil, "cannot take \"m\" from c 1:3"},
		{"hole with other accesses is fine", []specs.LinuxDeviceCgroup{dev(true, "c", -1, -1, "m"), dev(false, "c", 1, 3, "rw")}, v2,
			[]prop{strict, clear, allow(deviceAllow{"char-*", "m"})}, ""},
		// systemd cannot name "any major, minor 5": left out, which only narrows its list.
		{"wildcard major", []specs.LinuxDeviceCgroup{dev(true, "c", -1, 5, "r"), dev(true, "b", 7, -1, "rw")}, v2,
			[]prop{strict, clear, allow(deviceAllow{"block-7", "rw"})}, ""},
		{"wildcard minor before v240", []specs.LinuxDeviceCgroup{dev(true, "c", 136, -1, "rwm")}, v2at(239),
			[]prop{strict, clear, allow()}, ""},
		{"unknown version", []specs.LinuxDeviceCgroup{dev(true, "c", 136, -1, "rwm")}, v2at(-1),
			[]prop{strict, clear, allow()}, ""},
		// A deny list: systemd cannot express it. v2 lets systemd allow all (the fs2 program
		// denies); v1 denies all until the fs driver writes the list.
		{"deny list on v2", []specs.LinuxDeviceCgroup{dev(true, "a", -1, -1, "rwm"), dev(false, "c", 1, 3, "rwm")}, v2, []prop{auto, clear}, ""},
		{"deny list on v1", []specs.LinuxDeviceCgroup{dev(true, "a", -1, -1, "rwm"), dev(false, "c", 1, 3, "rwm")}, v1, []prop{strict, clear}, ""},
		{"allow all after deny list", []specs.LinuxDeviceCgroup{dev(true, "a", -1, -1, "rwm"), dev(false, "c", 1, 3, "rwm"), dev(true, "c", 1, 3, "rwm")}, v1,
			[]prop{auto, clear}, ""},
		{"empty access", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "")}, v2, nil, "device access at 0 field cannot be empty"},
		{"bad access", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rx")}, v2, nil, `device rule 0: invalid device access "rx"`},
		{"bad type", []specs.LinuxDeviceCgroup{dev(false, "a", -1, -1, "rwm"), dev(true, "p", 1, 3, "r")}, v2, nil, `device rule 1: invalid cgroup device type "p"`},
		{"bad number", []specs.LinuxDeviceCgroup{dev(true, "c", -2, 3, "r")}, v2, nil, "device rule 0: major: invalid device number -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, err := deviceProperties(tt.rules, tt.t)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("deviceProperties() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("deviceProperties(): %v", err)
			}
			if got := simple(props); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("deviceProperties() = %v,\nwant %v", got, tt.want)
			}
		})
	}
}

// DeviceAllow= must reach systemd as a(ss): an array of (path, permissions) pairs.
func TestDeviceAllowSignature(t *testing.T) {
	props, err := deviceProperties(runcDefaults, v2)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range props {
		if p.Name == "DeviceAllow" {
			if got, want := p.Value.Signature().String(), "a(ss)"; got != want {
				t.Errorf("DeviceAllow signature = %s, want %s", got, want)
			}
		}
	}
}
