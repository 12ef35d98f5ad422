package nsenter

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestKindsCoverSpec(t *testing.T) {
	if got, want := len(kinds), len(order); got != want {
		t.Fatalf("len(kinds) = %d, want %d (len(order))", got, want)
	}
	seen := map[uintptr]bool{}
	for _, typ := range order {
		k, ok := kinds[typ]
		if !ok {
			t.Fatalf("kinds[%q] missing", typ)
		}
		if seen[k.flag] {
			t.Errorf("kinds[%q].flag %#x used twice", typ, k.flag)
		}
		seen[k.flag] = true
	}
}

func TestProcName(t *testing.T) {
	tests := []struct {
		typ     specs.LinuxNamespaceType
		want    string
		wantErr error
	}{
		{specs.NetworkNamespace, "net", nil},
		{specs.MountNamespace, "mnt", nil},
		{specs.PIDNamespace, "pid", nil},
		{specs.UserNamespace, "user", nil},
		{specs.CgroupNamespace, "cgroup", nil},
		{specs.TimeNamespace, "time", nil},
		{"bogus", "", ErrUnknownNamespace},
	}
	for _, tt := range tests {
		got, err := ProcName(tt.typ)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ProcName(%q) = %q, %v, want %q, %v", tt.typ, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNewPlan(t *testing.T) {
	newNS := func(types ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
		var out []specs.LinuxNamespace
		for _, typ := range types {
			out = append(out, specs.LinuxNamespace{Type: typ})
		}
		return out
	}
	join := func(typ specs.LinuxNamespaceType) specs.LinuxNamespace {
		return specs.LinuxNamespace{Type: typ, Path: "/proc/1/ns/" + kinds[typ].proc}
	}
	const (
		allButUserTime = unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWNS |
			unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP
	)
	tests := []struct {
		name    string
		ns      []specs.LinuxNamespace
		want    plan
		wantErr error
	}{
		{
			name: "none",
			want: plan{},
		},
		{
			// The usual root container: one fork, born in its pid namespace; the cgroup
			// namespace is unshared by the child (after CLONE_INTO_CGROUP).
			name: "all new without user",
			ns:   newNS(specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace),
			want: plan{
				cloneFlags:   allButUserTime &^ unix.CLONE_NEWCGROUP,
				unshareFlags: unix.CLONE_NEWCGROUP,
			},
		},
		{
			name: "new time is made by the child, with its offsets",
			ns:   newNS(specs.TimeNamespace, specs.NetworkNamespace),
			want: plan{unshareFlags: unix.CLONE_NEWNET, newTime: true, fork2: true},
		},
		{
			name: "joined net, new rest, no user",
			ns:   append(newNS(specs.PIDNamespace, specs.MountNamespace), join(specs.NetworkNamespace)),
			want: plan{
				cloneFlags: unix.CLONE_NEWPID | unix.CLONE_NEWNS,
				joins:      []specs.LinuxNamespace{join(specs.NetworkNamespace)},
			},
		},
		{
			// setns(CLONE_NEWPID) moves only children: a second fork is needed.
			name: "joined pid",
			ns:   []specs.LinuxNamespace{join(specs.PIDNamespace)},
			want: plan{joins: []specs.LinuxNamespace{join(specs.PIDNamespace)}, fork2: true},
		},
		{
			// Everything after the user namespace so that it owns the new namespaces.
			name: "all new with user",
			ns:   newNS(specs.UserNamespace, specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace, specs.TimeNamespace),
			want: plan{
				newUser:      true,
				enterUser:    true,
				unshareFlags: allButUserTime,
				newTime:      true,
				fork2:        true,
			},
		},
		{
			name: "new user without pid",
			ns:   newNS(specs.UserNamespace, specs.MountNamespace),
			want: plan{newUser: true, enterUser: true, unshareFlags: unix.CLONE_NEWNS},
		},
		{
			// The user namespace is joined last, whatever the order given.
			name: "joined user first in list",
			ns: []specs.LinuxNamespace{
				join(specs.UserNamespace), join(specs.NetworkNamespace), join(specs.MountNamespace),
				{Type: specs.PIDNamespace},
			},
			want: plan{
				joins:        []specs.LinuxNamespace{join(specs.NetworkNamespace), join(specs.MountNamespace), join(specs.UserNamespace)},
				enterUser:    true,
				unshareFlags: unix.CLONE_NEWPID,
				fork2:        true,
			},
		},
		{
			name: "new user with joined time and net",
			ns:   append(newNS(specs.UserNamespace, specs.UTSNamespace), join(specs.TimeNamespace), join(specs.NetworkNamespace)),
			want: plan{
				joins:        []specs.LinuxNamespace{join(specs.TimeNamespace), join(specs.NetworkNamespace)},
				newUser:      true,
				enterUser:    true,
				unshareFlags: unix.CLONE_NEWUTS,
			},
		},
		{
			name:    "unknown type",
			ns:      newNS("bogus"),
			wantErr: ErrUnknownNamespace,
		},
		{
			name:    "duplicate type",
			ns:      []specs.LinuxNamespace{{Type: specs.NetworkNamespace}, join(specs.NetworkNamespace)},
			wantErr: ErrDuplicateNamespace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newPlan(tt.ns)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("newPlan() error = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("newPlan() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMayShareMemory(t *testing.T) {
	join := func(typ specs.LinuxNamespaceType) specs.LinuxNamespace {
		return specs.LinuxNamespace{Type: typ, Path: "/proc/1/ns/" + kinds[typ].proc}
	}
	tests := []struct {
		name string
		ns   []specs.LinuxNamespace
		want bool
	}{
		{"none", nil, true},
		{"new pid, net, mount", []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.MountNamespace}}, true},
		{"joined pid, net, mount (exec)", []specs.LinuxNamespace{join(specs.PIDNamespace), join(specs.NetworkNamespace), join(specs.MountNamespace)}, true},
		{"new user: waits for its maps", []specs.LinuxNamespace{{Type: specs.UserNamespace}}, false},
		{"joined user", []specs.LinuxNamespace{join(specs.UserNamespace), join(specs.MountNamespace)}, false},
		{"new time", []specs.LinuxNamespace{{Type: specs.TimeNamespace}}, false},
		{"joined time", []specs.LinuxNamespace{join(specs.TimeNamespace), join(specs.PIDNamespace)}, false},
	}
	for _, tt := range tests {
		p, err := newPlan(tt.ns)
		if err != nil {
			t.Fatalf("%s: newPlan: %v", tt.name, err)
		}
		if got := p.mayShareMemory(); got != tt.want {
			t.Errorf("%s: mayShareMemory() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFormatIDMap(t *testing.T) {
	tests := []struct {
		name string
		m    []specs.LinuxIDMapping
		want string
	}{
		{"empty", nil, ""},
		{"one", []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}, "0 100000 65536\n"},
		{
			"two, max uint32",
			[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 4294967294, Size: 1}},
			"0 1000 1\n1 4294967294 1\n",
		},
	}
	for _, tt := range tests {
		if got := string(formatIDMap(tt.m)); got != tt.want {
			t.Errorf("%s: formatIDMap() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMapsRoot(t *testing.T) {
	tests := []struct {
		name string
		m    []specs.LinuxIDMapping
		want bool
	}{
		{"none", nil, false},
		{"root", []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}, true},
		{"empty range", []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 0}}, false},
		{"no root", []specs.LinuxIDMapping{{ContainerID: 1, HostID: 1000, Size: 10}}, false},
	}
	for _, tt := range tests {
		if got := mapsRoot(tt.m); got != tt.want {
			t.Errorf("%s: mapsRoot() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFormatTimeOffsets(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]specs.LinuxTimeOffset
		want    string
		wantErr error
	}{
		{"empty", nil, "", nil},
		{
			"both, sorted, negative seconds",
			map[string]specs.LinuxTimeOffset{"monotonic": {Secs: -5, Nanosecs: 1}, "boottime": {Secs: 86400}},
			"boottime 86400 0\nmonotonic -5 1\n",
			nil,
		},
		{"realtime cannot be offset", map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}, "", ErrUnknownClock},
	}
	for _, tt := range tests {
		got, err := formatTimeOffsets(tt.in)
		if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: formatTimeOffsets() = %q, %v, want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFlagNames(t *testing.T) {
	tests := []struct {
		flags uintptr
		want  string
	}{
		{0, ""},
		{unix.CLONE_NEWNET, "network"},
		{unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWPID, "mount, pid, uts"},
	}
	for _, tt := range tests {
		if got := flagNames(tt.flags); got != tt.want {
			t.Errorf("flagNames(%#x) = %q, want %q", tt.flags, got, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	var b []byte
	for _, v := range []int32{msgError, stepJoin, 2, int32(unix.EPERM)} {
		b = binary.NativeEndian.AppendUint32(b, uint32(v))
	}
	if got, want := decode(b), (message{msgError, stepJoin, 2, int32(unix.EPERM)}); got != want {
		t.Errorf("decode() = %+v, want %+v", got, want)
	}
	if got, want := len(b), msgSize; got != want {
		t.Errorf("len(message) = %d, want msgSize %d", got, want)
	}
}

func TestChildErrorKeepsErrno(t *testing.T) {
	s := &start{joins: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/7/ns/net"}}}
	c := &Config{Path: "/bin/runo"}
	tests := []struct {
		m    message
		want string
		is   error
	}{
		{message{msgError, stepJoin, 0, int32(unix.EPERM)}, "join network namespace /proc/7/ns/net: operation not permitted", unix.EPERM},
		{message{msgError, stepExec, -1, int32(unix.ENOENT)}, "exec /bin/runo: no such file or directory", unix.ENOENT},
		{message{msgError, stepJoin, 5, int32(unix.EINVAL)}, "join namespace 5: invalid argument", unix.EINVAL},
	}
	for _, tt := range tests {
		err := s.childError(tt.m, c)
		if err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("childError(%+v) = %q, want %q wrapping %v", tt.m, err, tt.want, tt.is)
		}
	}
}
