package devices

import (
	"encoding/json"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzProgram feeds device rule lists, as config.json carries them, to the generator: it must
// refuse or produce a program that the interpreter runs to an exit, and that agrees with the
// model.
func FuzzProgram(f *testing.F) {
	f.Add([]byte(`[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]`), uint32(0x20002), uint32(1), uint32(3))
	f.Add([]byte(`[{"allow":true,"type":"b","major":-1,"access":"m"},{"allow":false,"type":"c","minor":5,"access":"w"}]`), uint32(0x40001), uint32(8), uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, accessType, major, minor uint32) {
		var rules []specs.LinuxDeviceCgroup
		if json.Unmarshal(data, &rules) != nil {
			return
		}
		insts, err := programFor(rules)
		if err != nil {
			return
		}
		req := request{devType: int32(accessType & 0xFFFF), access: int32(accessType >> 16 & accAll), major: major, minor: minor}
		got, err := interpret(insts, req)
		if err != nil {
			t.Fatalf("interpret: %v", err)
		}
		if req.access != 0 && (req.devType == devChar || req.devType == devBlock) {
			if want := model(rules, req); got != want {
				t.Fatalf("program(%+v) = %v, model says %v", req, got, want)
			}
		}
	})
}
