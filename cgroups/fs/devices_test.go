package fs

import (
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func devRuleSpec(allow bool, typ string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: major, Minor: minor, Access: access}
}

// runcDefaults is the head of a typical container's rule list: deny all, then the usual
// character devices.
var runcDefaults = []specs.LinuxDeviceCgroup{
	devRuleSpec(false, "", nil, nil, "rwm"),
	devRuleSpec(true, "c", p64(1), p64(3), "rwm"), // /dev/null
	devRuleSpec(true, "c", p64(1), p64(5), "rwm"), // /dev/zero
	devRuleSpec(true, "c", p64(136), nil, "rwm"),  // /dev/pts/*
	devRuleSpec(true, "c", nil, nil, "m"),         // mknod of any char device
}

func TestDevicesTransition(t *testing.T) {
	for _, tc := range []struct {
		name  string
		list  string // devices.list before
		rules []specs.LinuxDeviceCgroup
		want  []string // "allow|deny rule", in order
		err   string
	}{
		{name: "fresh cgroup: deny all first, then the allow list", list: "a *:* rwm\n", rules: runcDefaults,
			want: []string{"deny a *:* rwm", "allow c *:* m", "allow c 1:3 rwm", "allow c 1:5 rwm", "allow c 136:* rwm"}},
		{name: "update of an allow list writes only the difference", list: "c *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\n",
			rules: append(slices.Clone(runcDefaults[:3]), devRuleSpec(true, "c", p64(1), p64(9), "rw"), devRuleSpec(false, "c", p64(1), p64(5), "w")),
			want:  []string{"deny c *:* m", "deny c 1:5 w", "deny c 136:* rwm", "allow c 1:9 rw"}},
		{name: "same rules again write nothing", list: "c *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\n", rules: runcDefaults},
		{name: "allow all", list: "c 1:3 rwm\n", rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "a", nil, nil, "rwm")},
			want: []string{"allow a *:* rwm"}},
		{name: "deny list: allow all, then deny some", list: "a *:* rwm\n",
			rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "a", nil, nil, "rwm"), devRuleSpec(false, "b", p64(8), nil, "w")},
			want:  []string{"allow a *:* rwm", "deny b 8:* w"}},
		{name: "no reset rule still starts from deny all", list: "a *:* rwm\n",
			rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "c", p64(10), p64(200), "rw")},
			want:  []string{"deny a *:* rwm", "allow c 10:200 rw"}},
		{name: "cannot punch a hole in a wildcard", list: "a *:* rwm\n",
			rules: []specs.LinuxDeviceCgroup{devRuleSpec(false, "a", nil, nil, "rwm"), devRuleSpec(true, "c", p64(136), nil, "rwm"),
				devRuleSpec(false, "c", p64(136), p64(2), "r")},
			err: "punch a hole"},
		{name: "bad type", list: "a *:* rwm\n", rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "p", nil, nil, "rwm")}, err: "invalid device type"},
		{name: "bad access", list: "a *:* rwm\n", rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "c", nil, nil, "rx")}, err: "invalid device access"},
		{name: "empty access", list: "a *:* rwm\n", rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "c", nil, nil, "")}, err: "must not be empty"},
		{name: "bad major", list: "a *:* rwm\n", rules: []specs.LinuxDeviceCgroup{devRuleSpec(true, "c", p64(-5), nil, "r")}, err: "invalid device number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := parseDevicesList(tc.list)
			if err != nil {
				t.Fatal(err)
			}
			target, err := targetDevices(tc.rules)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("targetDevices() = %v, want error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range cur.transition(target) {
				verb := "deny"
				if r.allow {
					verb = "allow"
				}
				got = append(got, verb+" "+r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("transition() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteDevices(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"devices.list": "a *:* rwm\n", "devices.allow": "", "devices.deny": ""})
	if _, err := writeDevices(dir, runcDefaults[:2]); err != nil {
		t.Fatal(err)
	}
	// A temporary file keeps only the last write of each.
	want := map[string]string{"devices.list": "a *:* rwm", "devices.deny": "a *:* rwm", "devices.allow": "c 1:3 rwm"}
	if got := contents(t, dir); !equalJSON(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestSetDevicesChecksTheResult(t *testing.T) {
	// devices.list does not change in a temporary directory, as if the kernel ignored the
	// rules: setDevices must notice.
	dir := cgroupDir(t, map[string]string{"devices.list": "a *:* rwm\n", "devices.allow": "", "devices.deny": ""})
	if err := setDevices(dir, runcDefaults); err == nil {
		t.Error("setDevices() with an unchanged devices.list = nil, want error")
	}
}

func TestParseDevicesList(t *testing.T) {
	s, err := parseDevicesList("c 1:3 rwm\nc 1:3 r\nb *:* m\nc 4294967295:0 w\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.defaultAllow || len(s.exceptions) != 3 || s.exceptions[devKey{'c', 1, 3}] != permRead|permWrite|permMknod ||
		s.exceptions[devKey{'b', wildcard, wildcard}] != permMknod {
		t.Errorf("parseDevicesList() = %+v", s)
	}
	for _, bad := range []string{"x 1:3 rwm", "c 1-3 rwm", "c 1:3", "c 1:3 rwx", "c a:3 r", "c 1:3 "} {
		if _, err := parseDevicesList(bad); err == nil {
			t.Errorf("parseDevicesList(%q) = nil error, want error", bad)
		}
	}
}

func FuzzParseDevicesList(f *testing.F) {
	f.Add("a *:* rwm\n")
	f.Add("c 1:3 rwm\nb *:* m\n")
	f.Add("c 136:* rw\nc 1:5 m")
	f.Fuzz(func(t *testing.T, data string) {
		s, err := parseDevicesList(data)
		if err != nil {
			return
		}
		// Whatever parsed must round-trip: the rules that rebuild it from deny-all lead to it.
		fresh := &devState{exceptions: map[devKey]devPerms{}}
		for _, r := range fresh.transition(s) {
			if err := fresh.apply(r); err != nil {
				t.Fatalf("apply(%v): %v", r, err)
			}
		}
		if fresh.defaultAllow != s.defaultAllow || len(fresh.exceptions) != len(s.exceptions) {
			t.Fatalf("transition from deny-all to %+v gave %+v", s, fresh)
		}
	})
}
