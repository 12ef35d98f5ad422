package fs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// The v1 devices controller keeps a default (allow all or deny all) and a list of exceptions,
// changed one rule at a time through devices.allow and devices.deny, and shows only the allowed
// exceptions in devices.list. As runc does, runo models that state (devState), computes the
// state the spec's rules ask for, and writes the fewest rules that go from the one to the
// other: a running container keeps access to its devices across `runo update` unless the
// default itself changes.

const wildcard = -1

// devKey names the devices a rule covers: type 'a', 'b' or 'c', and major and minor numbers
// or wildcard.
type devKey struct {
	typ          byte
	major, minor int64
}

// devPerms is a set of the access bits r, w and m.
type devPerms uint8

const (
	permRead devPerms = 1 << iota
	permWrite
	permMknod
)

func parsePerms(s string) (devPerms, error) {
	var p devPerms
	for _, c := range s {
		switch c {
		case 'r':
			p |= permRead
		case 'w':
			p |= permWrite
		case 'm':
			p |= permMknod
		default:
			return 0, fmt.Errorf("invalid device access %q: want a combination of r, w and m", s)
		}
	}
	if p == 0 {
		return 0, fmt.Errorf("invalid device access %q: must not be empty", s)
	}
	return p, nil
}

func (p devPerms) String() string {
	var b strings.Builder
	for i, c := range "rwm" {
		if p&(1<<i) != 0 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// devRule is one line written to devices.allow (allow) or devices.deny.
type devRule struct {
	key   devKey
	perms devPerms
	allow bool
}

// String is the rule as the kernel reads it: "c 1:5 rwm", "a *:* rwm".
func (r devRule) String() string {
	num := func(n int64) string {
		if n == wildcard {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%c %s:%s %s", r.key.typ, num(r.key.major), num(r.key.minor), r.perms)
}

// specDevRule converts a spec rule. The spec's unset type, major and minor mean "all".
func specDevRule(d specs.LinuxDeviceCgroup) (devRule, error) {
	r := devRule{key: devKey{typ: 'a', major: wildcard, minor: wildcard}, allow: d.Allow}
	switch d.Type {
	case "", "a":
	case "b", "c":
		r.key.typ = d.Type[0]
	default:
		return devRule{}, fmt.Errorf("invalid device type %q: want a, b or c", d.Type)
	}
	for _, n := range []struct {
		p  *int64
		to *int64
	}{{d.Major, &r.key.major}, {d.Minor, &r.key.minor}} {
		if n.p == nil {
			continue
		}
		if *n.p < 0 && *n.p != wildcard {
			return devRule{}, fmt.Errorf("invalid device number %d", *n.p)
		}
		*n.to = *n.p
	}
	var err error
	r.perms, err = parsePerms(d.Access)
	return r, err
}

// devState is the devices controller's state: a default and its exceptions.
type devState struct {
	defaultAllow bool
	exceptions   map[devKey]devPerms
}

// apply changes s as the kernel does for one rule written to devices.allow or .deny.
func (s *devState) apply(r devRule) error {
	if r.key.typ == 'a' {
		// Any "a" rule resets: the kernel ignores its numbers and access.
		s.defaultAllow, s.exceptions = r.allow, map[devKey]devPerms{}
		return nil
	}
	if s.exceptions == nil {
		s.exceptions = map[devKey]devPerms{}
	}
	if r.allow != s.defaultAllow {
		s.exceptions[r.key] |= r.perms
		return nil
	}
	return s.remove(r.key, r.perms)
}

// remove takes perms away from the exception for key. The kernel removes only exact matches
// and silently keeps a wildcard exception that covers key: runc refuses such a rule rather
// than let the user believe the hole was punched, and so does runo.
func (s *devState) remove(key devKey, perms devPerms) error {
	for _, partial := range []devKey{
		{key.typ, wildcard, key.minor}, {key.typ, key.major, wildcard}, {key.typ, wildcard, wildcard},
	} {
		if partial == key {
			continue
		}
		if p, ok := s.exceptions[partial]; ok && p&perms != 0 {
			return fmt.Errorf("device rule %v cannot be applied by cgroup v1: it would punch a hole in the wildcard rule %v",
				devRule{key: key, perms: perms}, devRule{key: partial, perms: p})
		}
	}
	if left := s.exceptions[key] &^ perms; left != 0 {
		s.exceptions[key] = left
	} else {
		delete(s.exceptions, key)
	}
	return nil
}

// parseDevicesList reads devices.list, which shows the allowed exceptions of a deny-all
// cgroup, or "a *:* rwm" alone for an allow-all one (whose deny exceptions it cannot show).
func parseDevicesList(data string) (*devState, error) {
	s := &devState{exceptions: map[devKey]devPerms{}}
	for _, line := range strings.Split(data, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		r, err := parseDevicesLine(line)
		if err != nil {
			return nil, err
		}
		if err := s.apply(r); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parseDevicesLine parses "c 1:3 rwm" or "b *:* m" as an allow rule.
func parseDevicesLine(line string) (devRule, error) {
	f := strings.Fields(line)
	if len(f) != 3 || len(f[0]) != 1 || !strings.Contains("abc", f[0]) {
		return devRule{}, fmt.Errorf("%w: devices.list line %q", errMalformed, line)
	}
	ma, mi, ok := strings.Cut(f[1], ":")
	if !ok {
		return devRule{}, fmt.Errorf("%w: devices.list line %q", errMalformed, line)
	}
	r := devRule{key: devKey{typ: f[0][0]}, allow: true}
	for _, n := range []struct {
		s  string
		to *int64
	}{{ma, &r.key.major}, {mi, &r.key.minor}} {
		if n.s == "*" {
			*n.to = wildcard
			continue
		}
		v, err := strconv.ParseUint(n.s, 10, 32)
		if err != nil {
			return devRule{}, fmt.Errorf("%w: devices.list line %q: %w", errMalformed, line, err)
		}
		*n.to = int64(v)
	}
	var err error
	if r.perms, err = parsePerms(f[2]); err != nil {
		return devRule{}, fmt.Errorf("%w: devices.list line %q: %w", errMalformed, line, err)
	}
	return r, nil
}

// transition returns the rules that take the cgroup from s to target. A change of default
// needs a reset rule ("a"), and so does an allow-all cgroup, whose deny exceptions
// devices.list does not show.
func (s *devState) transition(target *devState) []devRule {
	var rules []devRule
	old := s.exceptions
	if s.defaultAllow || s.defaultAllow != target.defaultAllow {
		rules = append(rules, devRule{key: devKey{'a', wildcard, wildcard}, perms: permRead | permWrite | permMknod, allow: target.defaultAllow})
		old = nil
	}
	for _, k := range sortedKeys(old) { // exceptions to drop, wholly or in part
		if dropped := old[k] &^ target.exceptions[k]; dropped != 0 {
			rules = append(rules, devRule{key: k, perms: dropped, allow: target.defaultAllow})
		}
	}
	for _, k := range sortedKeys(target.exceptions) { // exceptions to add
		if gained := target.exceptions[k] &^ old[k]; gained != 0 {
			rules = append(rules, devRule{key: k, perms: gained, allow: !target.defaultAllow})
		}
	}
	return rules
}

// sortedKeys orders by major, minor, then type, as runc writes them (wildcards first).
func sortedKeys(m map[devKey]devPerms) []devKey {
	return slices.SortedFunc(maps.Keys(m), func(a, b devKey) int {
		if a.major != b.major {
			return cmpInt(a.major, b.major)
		}
		if a.minor != b.minor {
			return cmpInt(a.minor, b.minor)
		}
		return int(a.typ) - int(b.typ)
	})
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	return 1
}

// targetDevices is the state the spec's rules, applied in order to a fresh deny-all cgroup,
// lead to. runc starts from deny-all too: a list that does not begin with a reset rule
// still yields an allow list.
func targetDevices(rules []specs.LinuxDeviceCgroup) (*devState, error) {
	t := &devState{exceptions: map[devKey]devPerms{}}
	for i, d := range rules {
		r, err := specDevRule(d)
		if err != nil {
			return nil, fmt.Errorf("devices[%d]: %w", i, err)
		}
		if err := t.apply(r); err != nil {
			return nil, fmt.Errorf("devices[%d]: %w", i, err)
		}
	}
	return t, nil
}

// writeDevices writes the transition from the cgroup's devices.list to the spec's rules and
// returns the target state.
func writeDevices(dir string, rules []specs.LinuxDeviceCgroup) (*devState, error) {
	target, err := targetDevices(rules)
	if err != nil {
		return nil, err
	}
	cur, err := readDevices(dir)
	if err != nil {
		return nil, err
	}
	for _, r := range cur.transition(target) {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		if err := cgroups.WriteFile(dir, file, r.String()); err != nil {
			return nil, err
		}
	}
	return target, nil
}

func readDevices(dir string) (*devState, error) {
	data, err := cgroups.ReadFile(dir, "devices.list")
	if err != nil {
		return nil, err
	}
	s, err := parseDevicesList(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s/devices.list: %w", dir, err)
	}
	return s, nil
}

// setDevices applies the rules and checks the kernel's resulting list: exactly the target for
// an allow list, at least the right default for a deny list (whose entries the kernel hides).
// A device cgroup that silently differs from the spec is a hole in the container's isolation.
func setDevices(dir string, rules []specs.LinuxDeviceCgroup) error {
	target, err := writeDevices(dir, rules)
	if err != nil {
		return err
	}
	after, err := readDevices(dir)
	if err != nil {
		return err
	}
	if after.defaultAllow != target.defaultAllow {
		return errors.New("the devices cgroup's default after the update does not match the rules")
	}
	if !target.defaultAllow && !maps.Equal(after.exceptions, target.exceptions) {
		return errors.New("the devices cgroup's allow list after the update does not match the rules")
	}
	return nil
}
