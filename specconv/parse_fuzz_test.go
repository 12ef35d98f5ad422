package specconv

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// minimalConfig is the smallest config.json Parse accepts; %s is spliced into its top level.
const minimalConfig = `{"root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},` +
	`"linux":{"namespaces":[{"type":"mount"}]%s}%s}`

// withLinux returns minimalConfig with extra fields in "linux" (linuxExtra, starting with a
// comma) and at the top level (topExtra, starting with a comma).
func withLinux(linuxExtra, topExtra string) []byte {
	return []byte(fmt.Sprintf(minimalConfig, linuxExtra, topExtra))
}

// repeatJSON returns n copies of item joined by commas.
func repeatJSON(item string, n int) string {
	var b strings.Builder
	b.Grow((len(item) + 1) * n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	return b.String()
}

// TestParseMaliciousInputs feeds Parse hostile config.json documents: huge arrays, deep
// nesting, absurd numbers, giant strings. Each must give a clear error or a valid spec, never
// a panic, and within a bounded time. ok says which; a valid spec must pass Validate again.
func TestParseMaliciousInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds documents of tens of MiB")
	}
	const deep = 100000
	tests := []struct {
		name string
		doc  func() []byte
		ok   bool
		// errHas is a substring of the error (case-insensitive) when !ok.
		errHas string
	}{
		{"1e6 mounts", func() []byte {
			return withLinux("", `,"mounts":[`+repeatJSON(`{"destination":"/m","type":"tmpfs"}`, 1_000_000)+`]`)
		}, true, ""},
		{"1e6 mounts, the last without destination", func() []byte {
			return withLinux("", `,"mounts":[`+repeatJSON(`{"destination":"/m"}`, 999_999)+`,{"type":"tmpfs"}]`)
		}, false, "mounts[999999].destination"},
		{"1e6 env entries", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","env":[` +
				repeatJSON(`"A=b"`, 1_000_000) + `]},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, true, ""},
		{"1e5 namespaces, duplicated", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[` +
				repeatJSON(`{"type":"mount"}`, 100_000) + `]}}`)
		}, false, "duplicate namespace"},
		{"1e6 sysctls", func() []byte {
			var b strings.Builder
			for i := 0; i < 1_000_000; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `"k.%d":"1"`, i)
			}
			return withLinux(`,"sysctl":{`+b.String()+`}`, "")
		}, true, ""},
		{"deep arrays in an unknown field", func() []byte {
			return withLinux("", `,"x":`+strings.Repeat("[", deep)+strings.Repeat("]", deep))
		}, false, "depth"},
		{"deep objects in an annotation", func() []byte {
			return withLinux("", `,"annotations":`+strings.Repeat(`{"a":`, deep)+`"v"`+strings.Repeat("}", deep))
		}, false, ""},
		{"deep nesting, unterminated", func() []byte {
			return []byte(strings.Repeat("[", deep))
		}, false, ""},
		{"negative memory limit", func() []byte {
			return withLinux(`,"resources":{"memory":{"limit":-9223372036854775808,"swap":-5}}`, "")
		}, true, ""},
		{"memory limit beyond int64", func() []byte {
			return withLinux(`,"resources":{"memory":{"limit":9223372036854775808}}`, "")
		}, false, "parse"},
		{"rlimit at uint64 max", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","rlimits":[` +
				`{"type":"RLIMIT_NOFILE","soft":18446744073709551615,"hard":18446744073709551615}]},` +
				`"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, true, ""},
		{"rlimit beyond uint64", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","rlimits":[` +
				`{"type":"RLIMIT_NOFILE","soft":1,"hard":18446744073709551616}]},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "parse"},
		{"rlimit soft above hard", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","rlimits":[` +
				`{"type":"RLIMIT_NOFILE","soft":18446744073709551615,"hard":0}]},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "process.rlimits[0]"},
		{"negative rlimit", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","rlimits":[` +
				`{"type":"RLIMIT_NOFILE","soft":-1,"hard":-1}]},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "parse"},
		{"negative uid", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","user":{"uid":-1,"gid":0}},` +
				`"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "parse"},
		{"float pids limit", func() []byte {
			return withLinux(`,"resources":{"pids":{"limit":1e400}}`, "")
		}, false, "parse"},
		{"oomScoreAdj out of int range", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","oomScoreAdj":1e30},` +
				`"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "parse"},
		{"negative hook timeout", func() []byte {
			return withLinux("", `,"hooks":{"prestart":[{"path":"/bin/true","timeout":-1}]}`)
		}, false, "timeout"},
		{"giant arg", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["` + strings.Repeat("a", 64<<20) +
				`"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, true, ""},
		{"giant hostname without UTS namespace", func() []byte {
			return withLinux("", `,"hostname":"`+strings.Repeat("h", 16<<20)+`"`)
		}, false, "hostname"},
		{"giant mount destination", func() []byte {
			return withLinux("", `,"mounts":[{"destination":"/`+strings.Repeat("d/", 8<<20)+`"}]`)
		}, true, ""},
		{"NUL in sysctl key", func() []byte {
			return withLinux(`,"sysctl":{"kernel.x\u0000":"1"}`, "")
		}, false, "linux.sysctl"},
		{"dot-dot sysctl key", func() []byte {
			return withLinux(`,"sysctl":{"kernel/../../etc":"1"}`, "")
		}, false, "linux.sysctl"},
		{"invalid UTF-8 and escapes", func() []byte {
			return withLinux("", ",\"hostname\":\"\xff\xfe\\ud800\"")
		}, false, "hostname"},
		{"numbers as strings", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","user":{"uid":"0"}},` +
				`"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "parse"},
		{"null everywhere", func() []byte {
			return []byte(`{"root":null,"process":null,"linux":null,"mounts":null,"hooks":null}`)
		}, false, "root.path"},
		{"huge capability list with an unknown name last", func() []byte {
			return []byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","capabilities":{"bounding":[` +
				repeatJSON(`"CAP_KILL"`, 1_000_000) + `,"CAP_PWN"]}},"linux":{"namespaces":[{"type":"mount"}]}}`)
		}, false, "unknown capability"},
		{"uid mappings at uint32 max", func() []byte {
			return withLinux(`,"uidMappings":[{"containerID":4294967295,"hostID":4294967295,"size":4294967295}],`+
				`"gidMappings":[{"containerID":0,"hostID":0,"size":1}],"namespaces":[{"type":"mount"},{"type":"user"}]`, "")
		}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc()
			start := time.Now()
			var spec *specs.Spec
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Parse panicked: %v", p)
					}
				}()
				spec, err = Parse(doc)
			}()
			// Bounded: linear work on tens of MiB takes well under this even with -race.
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("Parse took %v on %d bytes", d, len(doc))
			}
			if (err == nil) != tt.ok {
				t.Fatalf("Parse() error = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if tt.errHas != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.errHas)) {
					t.Errorf("Parse() error = %q, want it to mention %q", truncate(err.Error()), tt.errHas)
				}
				return
			}
			if err := Validate(spec); err != nil {
				t.Errorf("Validate(Parse()) = %v on an accepted spec", err)
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// FuzzParseRoundTrip checks what Parse promises about any spec it accepts: the fields runo
// relies on are valid (args, an absolute cwd, rlimits with soft <= hard, a mount namespace,
// sysctl keys without ".." or NUL), the spec encodes back to JSON and that JSON is accepted
// again, and validation errors are ErrInvalid or parse errors, never a panic.
func FuzzParseRoundTrip(f *testing.F) {
	example, _ := json.Marshal(Example())
	f.Add(example)
	f.Add(withLinux("", ""))
	f.Add(withLinux(`,"sysctl":{"net.ipv4.ip_forward":"1"}`, `,"mounts":[{"destination":"proc"}]`))
	f.Add(withLinux(`,"uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"namespaces":[{"type":"user"},{"type":"mount"}]`, ""))
	f.Add([]byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","soft":1,"hard":2}]},"linux":{"namespaces":[{"type":"mount","path":"/proc/1/ns/mnt"}]}}`))
	f.Add([]byte(`{"root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}],"sysctl":{"a..b":"1"}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"process":{"args":[""]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data)
		if err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if !errors.Is(err, ErrInvalid) && !errors.As(err, &syn) && !errors.As(err, &typ) && !strings.HasPrefix(err.Error(), "parse: ") {
				t.Errorf("Parse() error %q is neither ErrInvalid nor a parse error", truncate(err.Error()))
			}
			return
		}
		p := spec.Process
		if len(p.Args) == 0 || p.Args[0] == "" || !filepath.IsAbs(p.Cwd) {
			t.Errorf("accepted process args %q cwd %q", p.Args, p.Cwd)
		}
		for _, r := range p.Rlimits {
			if r.Soft > r.Hard {
				t.Errorf("accepted rlimit %s soft %d > hard %d", r.Type, r.Soft, r.Hard)
			}
		}
		mountNS := false
		for _, ns := range spec.Linux.Namespaces {
			mountNS = mountNS || ns.Type == specs.MountNamespace
		}
		if !mountNS {
			t.Errorf("accepted a spec without a mount namespace")
		}
		for k := range spec.Linux.Sysctl {
			if strings.Contains(k, "..") || strings.ContainsRune(k, 0) || k == "" {
				t.Errorf("accepted sysctl key %q", k)
			}
		}
		for i, m := range spec.Mounts {
			if m.Destination == "" {
				t.Errorf("accepted mounts[%d] without a destination", i)
			}
		}
		again, err := json.Marshal(spec)
		if err != nil {
			// Only a float that JSON cannot carry could fail here; the spec has none.
			t.Fatalf("marshal accepted spec: %v", err)
		}
		if _, err := Parse(again); err != nil {
			t.Errorf("Parse(marshal(Parse(x))) = %v, want the accepted spec accepted again", err)
		}
	})
}
