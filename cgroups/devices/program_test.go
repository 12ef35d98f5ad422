package devices

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func num(n int64) *int64 { return &n }

func devRule(allow bool, t string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: allow, Type: t, Access: access}
	if major != wildcard {
		r.Major = num(major)
	}
	if minor != wildcard {
		r.Minor = num(minor)
	}
	return r
}

var denyAll = specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}

func char(major, minor uint32, access int32) request {
	return request{devType: devChar, access: access, major: major, minor: minor}
}

func TestProgram(t *testing.T) {
	runcDefaults := append([]specs.LinuxDeviceCgroup{denyAll}, DefaultRules()...)
	tests := []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		req   request
		want  bool
	}{
		{"no rules: deny", nil, char(1, 3, accRead), false},
		{"defaults: read /dev/null", runcDefaults, char(1, 3, accRead|accWrite), true},
		{"defaults: /dev/zero", runcDefaults, char(1, 5, accRead), true},
		{"defaults: /dev/pts/7", runcDefaults, char(136, 7, accRead|accWrite), true},
		{"defaults: mknod any char", runcDefaults, char(10, 200, accMknod), true},
		{"defaults: mknod any block", runcDefaults, request{devBlock, accMknod, 8, 0}, true},
		{"defaults: read a disk", runcDefaults, request{devBlock, accRead, 8, 0}, false},
		{"defaults: open /dev/net/tun", runcDefaults, char(10, 200, accRead|accWrite), false},
		{"defaults: mknod and read /dev/mem", runcDefaults, char(1, 1, accMknod|accRead), false},
		{"allow all", []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, char(1, 1, accRead), true},
		{"type a resets earlier allows", []specs.LinuxDeviceCgroup{devRule(true, "c", 1, 1, "rwm"), denyAll}, char(1, 1, accRead), false},
		{"type a ignores its access", []specs.LinuxDeviceCgroup{{Allow: true, Type: "a", Access: "r"}}, char(1, 1, accWrite), true},
		{"last match wins: deny after allow", []specs.LinuxDeviceCgroup{
			denyAll, devRule(true, "c", 1, 3, "rwm"), devRule(false, "c", 1, 3, "rwm"),
		}, char(1, 3, accRead), false},
		{"last match wins: allow after deny", []specs.LinuxDeviceCgroup{
			devRule(false, "c", 1, 3, "rwm"), devRule(true, "c", 1, 3, "rwm"),
		}, char(1, 3, accRead), true},
		{"partial deny catches one bit of rw", []specs.LinuxDeviceCgroup{
			denyAll, devRule(true, "c", 1, 3, "rwm"), devRule(false, "c", 1, 3, "w"),
		}, char(1, 3, accRead|accWrite), false},
		{"partial deny leaves other bits", []specs.LinuxDeviceCgroup{
			denyAll, devRule(true, "c", 1, 3, "rwm"), devRule(false, "c", 1, 3, "w"),
		}, char(1, 3, accRead), true},
		{"bits allowed by two rules", []specs.LinuxDeviceCgroup{
			denyAll, devRule(true, "c", 1, 3, "r"), devRule(true, "c", 1, wildcard, "w"),
		}, char(1, 3, accRead|accWrite), true},
		{"one bit missing", []specs.LinuxDeviceCgroup{
			denyAll, devRule(true, "c", 1, 3, "r"),
		}, char(1, 3, accRead|accWrite), false},
		{"wildcard minor", []specs.LinuxDeviceCgroup{denyAll, devRule(true, "c", 4, wildcard, "rw")}, char(4, 64, accWrite), true},
		{"wildcard major", []specs.LinuxDeviceCgroup{denyAll, devRule(true, "c", wildcard, 9, "rw")}, char(4, 9, accWrite), true},
		{"type must match", []specs.LinuxDeviceCgroup{denyAll, devRule(true, "b", 1, 3, "rwm")}, char(1, 3, accRead), false},
		{"deny list: others allowed", []specs.LinuxDeviceCgroup{
			{Allow: true, Access: "rwm"}, devRule(false, "c", 1, 1, "rwm"),
		}, char(1, 3, accRead), true},
		{"deny list: denied one", []specs.LinuxDeviceCgroup{
			{Allow: true, Access: "rwm"}, devRule(false, "c", 1, 1, "rwm"),
		}, char(1, 1, accRead), false},
		// The largest numbers Linux can have: 12-bit majors, 20-bit minors.
		{"largest numbers", []specs.LinuxDeviceCgroup{denyAll, devRule(true, "b", 4095, 1<<20-1, "r")},
			request{devBlock, accRead, 4095, 1<<20 - 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insts, err := programFor(tt.rules)
			if err != nil {
				t.Fatalf("programFor: %v", err)
			}
			got, err := interpret(insts, tt.req)
			if err != nil {
				t.Fatalf("interpret: %v\n%v", err, insts)
			}
			if got != tt.want {
				t.Errorf("program(%+v) = %v, want %v\n%v", tt.req, got, tt.want, insts)
			}
		})
	}
}

// model decides a request from the rule list directly: for each requested access bit the last
// rule that covers it decides, a type "a" rule deciding everything before it.
func model(rules []specs.LinuxDeviceCgroup, req request) bool {
	matches := func(p *int64, v uint32) bool { return p == nil || *p == wildcard || *p == int64(v) }
	for bit := int32(1); bit <= accAll; bit <<= 1 {
		if req.access&bit == 0 {
			continue
		}
		allowed := false
		for i := len(rules) - 1; i >= 0; i-- {
			r := rules[i]
			if r.Type == "" || r.Type == "a" {
				allowed = r.Allow
				break
			}
			acc, _ := parseAccess(r.Access)
			t := int32(devChar)
			if r.Type == "b" {
				t = devBlock
			}
			if t == req.devType && matches(r.Major, req.major) && matches(r.Minor, req.minor) && acc&bit != 0 {
				allowed = r.Allow
				break
			}
		}
		if !allowed {
			return false
		}
	}
	return true
}

// TestProgramMatchesModel checks the program against the model on random rule lists over a
// small device space, so that rules overlap often.
func TestProgramMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"c", "c", "b", "a"}
	accesses := []string{"r", "w", "m", "rw", "rm", "wm", "rwm"}
	pick := func() int64 {
		if rng.IntN(3) == 0 {
			return wildcard
		}
		return int64(rng.IntN(3))
	}
	for iter := 0; iter < 2000; iter++ {
		rules := make([]specs.LinuxDeviceCgroup, rng.IntN(6))
		for i := range rules {
			rules[i] = devRule(rng.IntN(2) == 0, types[rng.IntN(len(types))], pick(), pick(), accesses[rng.IntN(len(accesses))])
		}
		insts, err := programFor(rules)
		if err != nil {
			t.Fatalf("programFor(%+v): %v", rules, err)
		}
		for j := 0; j < 20; j++ {
			req := request{devType: int32(1 + rng.IntN(2)), access: int32(1 + rng.IntN(accAll)),
				major: uint32(rng.IntN(3)), minor: uint32(rng.IntN(3))}
			got, err := interpret(insts, req)
			if err != nil {
				t.Fatalf("interpret: %v", err)
			}
			if want := model(rules, req); got != want {
				t.Fatalf("rules %s: program(%+v) = %v, want %v\n%v", describe(rules), req, got, want, insts)
			}
		}
	}
}

func describe(rules []specs.LinuxDeviceCgroup) string {
	var b strings.Builder
	for _, r := range rules {
		n := func(p *int64) string {
			if p == nil {
				return "*"
			}
			return strconv.FormatInt(*p, 10)
		}
		verb := "deny"
		if r.Allow {
			verb = "allow"
		}
		b.WriteString("[" + verb + " " + r.Type + " " + n(r.Major) + ":" + n(r.Minor) + " " + r.Access + "] ")
	}
	return b.String()
}

func TestProgramErrors(t *testing.T) {
	tests := []struct {
		name string
		rule specs.LinuxDeviceCgroup
		want string
	}{
		{"empty access", specs.LinuxDeviceCgroup{Type: "c"}, "device access at 0 field cannot be empty"},
		{"bad access", devRule(true, "c", 1, 1, "rx"), `invalid device access "rx"`},
		{"bad type", devRule(true, "p", 1, 1, "r"), `invalid cgroup device type "p"`},
		{"negative major", devRule(true, "c", -2, 1, "r"), "invalid device number -2"},
		{"huge minor", devRule(true, "c", 1, 1<<32, "r"), "invalid device number 4294967296"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := programFor([]specs.LinuxDeviceCgroup{tt.rule})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("programFor(%+v) = %v, want an error containing %q", tt.rule, err, tt.want)
			}
		})
	}
}
