package systemd

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// deviceAllow is one DeviceAllow= entry; D-Bus signature (ss).
type deviceAllow struct {
	Path  string // "/dev/char/1:3", "char-136", "block-*"
	Perms string // a subset of "rwm"
}

// devKey names the devices a rule covers; -1 is any major or minor.
type devKey struct {
	typ          byte // 'c' or 'b'
	major, minor int64
}

// devPerms is a set of accesses: bits devRead, devWrite, devMknod.
type devPerms uint8

const (
	devRead devPerms = 1 << iota
	devWrite
	devMknod
)

func (p devPerms) String() string {
	s := ""
	for _, a := range []struct {
		bit devPerms
		c   string
	}{{devRead, "r"}, {devWrite, "w"}, {devMknod, "m"}} {
		if p&a.bit != 0 {
			s += a.c
		}
	}
	return s
}

// devEmulator replays device rules the way the cgroup v1 devices controller (and runc's
// emulator) would, to learn the final allow or deny list: a type "a" rule resets everything
// and sets the default; any other rule adds an exception to the default, or takes one away.
type devEmulator struct {
	defaultAllow bool
	except       map[devKey]devPerms // exceptions to the default
}

func (e *devEmulator) apply(i int, r specs.LinuxDeviceCgroup) error {
	if r.Access == "" {
		return fmt.Errorf("device access at %d field cannot be empty", i)
	}
	var perms devPerms
	for _, c := range r.Access {
		switch c {
		case 'r':
			perms |= devRead
		case 'w':
			perms |= devWrite
		case 'm':
			perms |= devMknod
		default:
			return fmt.Errorf("device rule %d: invalid device access %q: only r, w and m are allowed", i, r.Access)
		}
	}
	var key devKey
	switch r.Type {
	case "", "a":
		*e = devEmulator{defaultAllow: r.Allow, except: map[devKey]devPerms{}}
		return nil
	case "c", "b":
		key.typ = r.Type[0]
	default:
		return fmt.Errorf("device rule %d: invalid cgroup device type %q", i, r.Type)
	}
	var err error
	if key.major, err = devNumber(r.Major); err != nil {
		return fmt.Errorf("device rule %d: major: %w", i, err)
	}
	if key.minor, err = devNumber(r.Minor); err != nil {
		return fmt.Errorf("device rule %d: minor: %w", i, err)
	}
	if e.except == nil {
		e.except = map[devKey]devPerms{}
	}
	if r.Allow != e.defaultAllow {
		e.except[key] |= perms
		return nil
	}
	// Taking an access away from a wildcard exception for one device would need the exception
	// split in two, which the list form cannot express (cgroup v1 silently ignores the
	// request; runc refuses it, and so does runo rather than grant what was denied).
	for _, wide := range []devKey{{key.typ, -1, key.minor}, {key.typ, key.major, -1}, {key.typ, -1, -1}} {
		if wide != key && e.except[wide]&perms != 0 {
			return fmt.Errorf("device rule %d: cannot take %q from %s %s, which an earlier wildcard rule %q covers: systemd's device list cannot express it", i, r.Access, string(key.typ), devName(key), e.except[wide])
		}
	}
	if left := e.except[key] &^ perms; left != 0 {
		e.except[key] = left
	} else {
		delete(e.except, key)
	}
	return nil
}

func devNumber(p *int64) (int64, error) {
	if p == nil || *p == -1 {
		return -1, nil
	}
	if *p < 0 {
		return 0, fmt.Errorf("invalid device number %d", *p)
	}
	return *p, nil
}

func devName(k devKey) string {
	n := func(v int64) string {
		if v == -1 {
			return "*"
		}
		return strconv.FormatInt(v, 10)
	}
	return n(k.major) + ":" + n(k.minor)
}

// deviceProperties converts device rules, in the order the spec lists them, to DevicePolicy=
// and DeviceAllow=, as runc does. An empty DeviceAllow= comes first because systemd appends
// to a unit's list: the empty value clears what an earlier Set left there.
//
// What systemd cannot express is left out, which only narrows its list: the fs driver (v1)
// writes the full rules after systemd, and on v2 the fs2 driver's eBPF program runs beside
// systemd's, and a device access needs every program's consent.
func deviceProperties(rules []specs.LinuxDeviceCgroup, t target) ([]sddbus.Property, error) {
	var e devEmulator // deny all until a rule says otherwise, as the spec's default
	for i, r := range rules {
		if err := e.apply(i, r); err != nil {
			return nil, err
		}
	}
	if e.defaultAllow {
		// An allow list cannot say "all but these". With no exceptions, or on v2 where the
		// fs2 program enforces the exceptions anyway, let systemd allow everything. On v1 the
		// fs driver's devices.deny writes come after systemd's: deny everything meanwhile, as
		// runc does, rather than leave a window with the denied devices open.
		if len(e.except) == 0 || t.unified {
			return []sddbus.Property{newProp("DevicePolicy", "auto"), newProp("DeviceAllow", []deviceAllow{})}, nil
		}
		return []sddbus.Property{newProp("DevicePolicy", "strict"), newProp("DeviceAllow", []deviceAllow{})}, nil
	}
	keys := make([]devKey, 0, len(e.except))
	for k := range e.except {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b devKey) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.major, b.major), cmp.Compare(a.minor, b.minor))
	})
	allow := []deviceAllow{}
	for _, k := range keys {
		if p, ok := devicePath(k, t.version); ok {
			allow = append(allow, deviceAllow{Path: p, Perms: e.except[k].String()})
		}
	}
	return []sddbus.Property{
		newProp("DevicePolicy", "strict"),
		newProp("DeviceAllow", []deviceAllow{}),
		newProp("DeviceAllow", allow),
	}, nil
}

// devicePath returns the DeviceAllow= path for devices k, or false when systemd has no way to
// name them: "*:n" (any major, one minor), and "n:*" before v240, which took only the group
// names of /proc/devices.
func devicePath(k devKey, version int) (string, bool) {
	group := map[byte]string{'c': "char-", 'b': "block-"}[k.typ]
	switch {
	case k.major == -1 && k.minor == -1:
		return group + "*", true
	case k.major == -1:
		return "", false
	case k.minor == -1:
		if version < versionDeviceMajorGlob {
			return "", false
		}
		return group + strconv.FormatInt(k.major, 10), true
	}
	dir := map[byte]string{'c': "/dev/char/", 'b': "/dev/block/"}[k.typ]
	p := dir + strconv.FormatInt(k.major, 10) + ":" + strconv.FormatInt(k.minor, 10)
	if version < versionDeviceMajorGlob {
		// Before v240 systemd stat()ed the path and dropped the rule when it was missing.
		if _, err := os.Stat(p); err != nil {
			return "", false
		}
	}
	return p, true
}
