package devices

import (
	"fmt"
	"math"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Access bits as the kernel passes them to a BPF_PROG_TYPE_CGROUP_DEVICE program
// (BPF_DEVCG_ACC_*).
const (
	accMknod = 1 << 0
	accRead  = 1 << 1
	accWrite = 1 << 2
	accAll   = accMknod | accRead | accWrite
)

// Device types as the kernel passes them (BPF_DEVCG_DEV_*).
const (
	devBlock = 1
	devChar  = 2
)

// wildcard stands for a major or minor number that matches every device.
const wildcard = -1

// rule is one validated allow or deny entry for a block or char device.
type rule struct {
	allow        bool
	devType      int32 // devBlock or devChar
	major, minor int64 // or wildcard
	access       int32 // accRead | accWrite | accMknod
}

// ruleSet is a rule list reduced to what a program must check: the rules after the last type
// "a" rule, in the listed order, and the default that the last "a" rule set.
type ruleSet struct {
	defaultAllow bool
	rules        []rule
}

// DefaultRules returns the device rules runc allows for every container, in runc's order:
// mknod of any char or block device, then read, write and mknod of /dev/null, /dev/random,
// /dev/full, /dev/tty, /dev/zero, /dev/urandom, /dev/console (5:1), /dev/pts/* (136:*) and
// /dev/ptmx (5:2).
func DefaultRules() []specs.LinuxDeviceCgroup {
	dev := func(t string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		r := specs.LinuxDeviceCgroup{Allow: true, Type: t, Access: access}
		if major != wildcard {
			r.Major = &major
		}
		if minor != wildcard {
			r.Minor = &minor
		}
		return r
	}
	return []specs.LinuxDeviceCgroup{
		dev("c", wildcard, wildcard, "m"),
		dev("b", wildcard, wildcard, "m"),
		dev("c", 1, 3, "rwm"),          // /dev/null
		dev("c", 1, 8, "rwm"),          // /dev/random
		dev("c", 1, 7, "rwm"),          // /dev/full
		dev("c", 5, 0, "rwm"),          // /dev/tty
		dev("c", 1, 5, "rwm"),          // /dev/zero
		dev("c", 1, 9, "rwm"),          // /dev/urandom
		dev("c", 5, 1, "rwm"),          // /dev/console
		dev("c", 136, wildcard, "rwm"), // /dev/pts/*
		dev("c", 5, 2, "rwm"),          // /dev/ptmx
	}
}

// ContainerRules composes a container's full rule list as runc does: the rules of
// linux.resources.devices first, then an allow-rwm rule for each device of linux.devices, then
// DefaultRules. The later rules win, so a container can never be denied its own devices nor
// the default ones. Fifos (type "p") are not governed by the device cgroup and get no rule.
func ContainerRules(resources []specs.LinuxDeviceCgroup, devs []specs.LinuxDevice) []specs.LinuxDeviceCgroup {
	out := append([]specs.LinuxDeviceCgroup(nil), resources...)
	for _, d := range devs {
		t := d.Type
		switch t {
		case "u":
			t = "c"
		case "c", "b":
		default:
			continue
		}
		major, minor := d.Major, d.Minor
		out = append(out, specs.LinuxDeviceCgroup{Allow: true, Type: t, Major: &major, Minor: &minor, Access: "rwm"})
	}
	return append(out, DefaultRules()...)
}

// compile validates rules and reduces them to a ruleSet. Errors name the rule by its index, in
// runc's words where runc has them.
func compile(rules []specs.LinuxDeviceCgroup) (ruleSet, error) {
	var set ruleSet
	for i, r := range rules {
		if r.Access == "" {
			return ruleSet{}, fmt.Errorf("device access at %d field cannot be empty", i)
		}
		access, err := parseAccess(r.Access)
		if err != nil {
			return ruleSet{}, fmt.Errorf("device rule %d: %w", i, err)
		}
		var devType int32
		switch r.Type {
		case "", "a":
			// cgroup v1 semantics: "a" switches the default and forgets every earlier rule.
			set = ruleSet{defaultAllow: r.Allow}
			continue
		case "c":
			devType = devChar
		case "b":
			devType = devBlock
		default:
			return ruleSet{}, fmt.Errorf("device rule %d: invalid cgroup device type %q", i, r.Type)
		}
		major, err := deviceNumber(r.Major)
		if err != nil {
			return ruleSet{}, fmt.Errorf("device rule %d: major: %w", i, err)
		}
		minor, err := deviceNumber(r.Minor)
		if err != nil {
			return ruleSet{}, fmt.Errorf("device rule %d: minor: %w", i, err)
		}
		set.rules = append(set.rules, rule{allow: r.Allow, devType: devType, major: major, minor: minor, access: access})
	}
	return set, nil
}

func parseAccess(s string) (int32, error) {
	var access int32
	for _, c := range s {
		switch c {
		case 'r':
			access |= accRead
		case 'w':
			access |= accWrite
		case 'm':
			access |= accMknod
		default:
			return 0, fmt.Errorf("invalid device access %q: only r, w and m are allowed", s)
		}
	}
	return access, nil
}

// deviceNumber returns a major or minor number, wildcard for nil or -1 (runc's "*"). The
// program compares against a 32-bit immediate, so larger numbers cannot be expressed; Linux's
// own are at most 12 (major) and 20 (minor) bits wide.
func deviceNumber(p *int64) (int64, error) {
	if p == nil || *p == wildcard {
		return wildcard, nil
	}
	if *p < 0 || *p > math.MaxInt32 {
		return 0, fmt.Errorf("invalid device number %d", *p)
	}
	return *p, nil
}
