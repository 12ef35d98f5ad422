package fs

import (
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestSetNet(t *testing.T) {
	dir := cgroupDir(t, map[string]string{"net_cls.classid": "0", "net_prio.ifpriomap": ""})
	if err := setNetCls(dir, 0x100001); err != nil {
		t.Fatal(err)
	}
	if err := setNetPrio(dir, []specs.LinuxInterfacePriority{{Name: "lo", Priority: 1}, {Name: "eth0", Priority: 5}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"net_cls.classid": "1048577", "net_prio.ifpriomap": "eth0 5"} // one write per interface: the last shows
	if got := contents(t, dir); !equalJSON(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if err := setNetCls(cgroupDir(t, nil), 0); err != nil {
		t.Errorf("setNetCls(0) = %v, want nil: 0 leaves the class as is", err)
	}
}
