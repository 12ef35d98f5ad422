package fs

import (
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

func TestSetNil(t *testing.T) {
	if err := (&Manager{}).Set(nil); err != nil {
		t.Errorf("Set(nil) = %v, want nil", err)
	}
	if err := (&Manager{}).Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}); err != nil {
		t.Errorf("Set(empty parts) = %v, want nil: nothing is asked of any controller", err)
	}
}

// TestSetDispatch checks that each part of the resources reaches its controller's directory,
// found by controller name in co-mounted hierarchies too.
func TestSetDispatch(t *testing.T) {
	cpu := cgroupDir(t, map[string]string{"cpu.shares": "1024"})
	pids := cgroupDir(t, map[string]string{"pids.max": "max"})
	netcls := cgroupDir(t, map[string]string{"net_cls.classid": "0"})
	m := &Manager{dirs: map[string]string{"cpu,cpuacct": cpu, "pids": pids, "net_cls,net_prio": netcls}}
	err := m.Set(&specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Shares: pu64(1024)},
		Pids:    &specs.LinuxPids{Limit: p64(10)},
		Network: &specs.LinuxNetwork{ClassID: pu32(7)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(t, pids)["pids.max"]; got != "10" {
		t.Errorf("pids.max = %q, want 10", got)
	}
	if got := contents(t, netcls)["net_cls.classid"]; got != "7" {
		t.Errorf("net_cls.classid = %q, want 7", got)
	}
}

func TestSetMissingController(t *testing.T) {
	m := &Manager{dirs: map[string]string{"memory": t.TempDir(), "": t.TempDir()}}
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		want string
	}{
		{"net_cls", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: pu32(1)}}, "linux.resources.network.classID: the net_cls cgroup controller is not mounted"},
		{"net_prio", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo"}}}}, "linux.resources.network.priorities"},
		{"devices", specs.LinuxResources{Devices: runcDefaults}, "linux.resources.devices: the devices cgroup controller"},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: p64(1)}}, "linux.resources.pids"},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx": {}}}, "linux.resources.rdma"},
		{"blkio", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: pu16(10)}}, "linux.resources.blockIO"},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}},
			"linux.resources.hugepageLimits: no cgroup hierarchy of the container has the hugetlb controller"},
		{"unified key absent", specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, `linux.resources.unified["memory.high"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Set(&tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, cgroups.ErrNotSupported) {
				t.Errorf("Set() = %v, want ErrNotSupported containing %q", err, tc.want)
			}
		})
	}
}

func TestSetUnified(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dir     bool // whether there is a cgroup2 directory
		unified map[string]string
		want    map[string]string
		err     string
	}{
		{name: "hybrid", dir: true, unified: map[string]string{"hugetlb.2MB.max": "2097152"}, want: map[string]string{"hugetlb.2MB.max": "2097152"}},
		{name: "pure v1", unified: map[string]string{"memory.max": "1"}, err: "linux.resources.unified"},
		{name: "path in key", dir: true, unified: map[string]string{"../x": "1"}, err: "not a cgroup file name"},
		{name: "absent file", dir: true, unified: map[string]string{"memory.max": "1"}, err: "no such file in the cgroup2 directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.dir {
				dir = cgroupDir(t, map[string]string{"hugetlb.2MB.max": "max"})
			}
			err := setUnified(dir, tc.unified)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("setUnified() = %v, want error containing %q", err, tc.err)
			}
			if tc.want != nil {
				if got := contents(t, dir); !equalJSON(got, tc.want) {
					t.Errorf("files = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestFreezeFakeDir(t *testing.T) {
	// A plain file reads back what was written, as a freezer that freezes at once.
	dir := cgroupDir(t, map[string]string{"freezer.state": "THAWED"})
	m := &Manager{dirs: map[string]string{"freezer": dir}}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); !frozen || err != nil {
		t.Errorf("Frozen() = %v, %v, want true", frozen, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); frozen || err != nil {
		t.Errorf("Frozen() after Thaw = %v, %v, want false", frozen, err)
	}
	if err := (&Manager{}).Freeze(); !errors.Is(err, cgroups.ErrNotSupported) {
		t.Errorf("Freeze() without freezer = %v, want ErrNotSupported", err)
	}
}
