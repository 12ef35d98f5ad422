package rootfs

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestAllDevices(t *testing.T) {
	mode := os.FileMode(0o600)
	user := []specs.LinuxDevice{
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: &mode},
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
	}
	got := allDevices(user)
	paths := map[string]int{}
	for _, d := range got {
		paths[d.Path]++
	}
	for _, p := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/fuse"} {
		if paths[p] != 1 {
			t.Errorf("allDevices() has %s %d times, want once", p, paths[p])
		}
	}
	if got[0].FileMode != &mode {
		t.Errorf("allDevices() dropped the user's /dev/null")
	}
}

func TestDeviceMode(t *testing.T) {
	m := os.FileMode(0o640)
	tests := []struct {
		d       specs.LinuxDevice
		want    uint32
		wantErr bool
	}{
		{specs.LinuxDevice{Type: "c"}, unix.S_IFCHR | 0o666, false},
		{specs.LinuxDevice{Type: "u", FileMode: &m}, unix.S_IFCHR | 0o640, false},
		{specs.LinuxDevice{Type: "b", FileMode: &m}, unix.S_IFBLK | 0o640, false},
		{specs.LinuxDevice{Type: "p"}, unix.S_IFIFO | 0o666, false},
		{specs.LinuxDevice{Type: "x"}, 0, true},
	}
	for _, tt := range tests {
		got, err := deviceMode(tt.d)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("deviceMode(%q) = %#o, %v, want %#o", tt.d.Type, got, err, tt.want)
		}
	}
}

func TestStatfsToMountFlags(t *testing.T) {
	got := statfsToMountFlags(unix.ST_RDONLY | unix.ST_NODEV | unix.ST_RELATIME | stNoSymfollow)
	want := uintptr(unix.MS_RDONLY | unix.MS_NODEV | unix.MS_RELATIME | unix.MS_NOSYMFOLLOW)
	if got != want {
		t.Errorf("statfsToMountFlags() = %#x, want %#x", got, want)
	}
}
