package rootfs

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptionsFlags(t *testing.T) {
	// Each single flag option: what it sets, or what it clears.
	tests := []struct {
		opt          string
		flags, clear uintptr
	}{
		{"ro", unix.MS_RDONLY, 0},
		{"rw", 0, unix.MS_RDONLY},
		{"suid", 0, unix.MS_NOSUID},
		{"nosuid", unix.MS_NOSUID, 0},
		{"dev", 0, unix.MS_NODEV},
		{"nodev", unix.MS_NODEV, 0},
		{"exec", 0, unix.MS_NOEXEC},
		{"noexec", unix.MS_NOEXEC, 0},
		{"sync", unix.MS_SYNCHRONOUS, 0},
		{"async", 0, unix.MS_SYNCHRONOUS},
		{"dirsync", unix.MS_DIRSYNC, 0},
		{"remount", unix.MS_REMOUNT, 0},
		{"mand", unix.MS_MANDLOCK, 0},
		{"nomand", 0, unix.MS_MANDLOCK},
		{"atime", 0, unix.MS_NOATIME},
		{"noatime", unix.MS_NOATIME, 0},
		{"diratime", 0, unix.MS_NODIRATIME},
		{"nodiratime", unix.MS_NODIRATIME, 0},
		{"relatime", unix.MS_RELATIME, 0},
		{"norelatime", 0, unix.MS_RELATIME},
		{"strictatime", unix.MS_STRICTATIME, 0},
		{"nostrictatime", 0, unix.MS_STRICTATIME},
		{"bind", unix.MS_BIND, 0},
		{"rbind", unix.MS_BIND | unix.MS_REC, 0},
		{"nosymfollow", unix.MS_NOSYMFOLLOW, 0},
		{"symfollow", 0, unix.MS_NOSYMFOLLOW},
		{"silent", unix.MS_SILENT, 0},
		{"loud", 0, unix.MS_SILENT},
		{"acl", unix.MS_POSIXACL, 0},
		{"noacl", 0, unix.MS_POSIXACL},
		{"iversion", unix.MS_I_VERSION, 0},
		{"noiversion", 0, unix.MS_I_VERSION},
		{"lazytime", unix.MS_LAZYTIME, 0},
		{"nolazytime", 0, unix.MS_LAZYTIME},
	}
	for _, tt := range tests {
		t.Run(tt.opt, func(t *testing.T) {
			got, err := ParseMountOptions([]string{tt.opt})
			if err != nil {
				t.Fatalf("ParseMountOptions(%q) error: %v", tt.opt, err)
			}
			if got.Flags != tt.flags || got.ClearedFlags != tt.clear || got.Data != "" {
				t.Errorf("ParseMountOptions(%q) = flags %#x cleared %#x data %q, want %#x %#x \"\"",
					tt.opt, got.Flags, got.ClearedFlags, got.Data, tt.flags, tt.clear)
			}
		})
	}
}

func TestParseMountOptionsPropagation(t *testing.T) {
	tests := map[string]uintptr{
		"private":     unix.MS_PRIVATE,
		"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
		"shared":      unix.MS_SHARED,
		"rshared":     unix.MS_SHARED | unix.MS_REC,
		"slave":       unix.MS_SLAVE,
		"rslave":      unix.MS_SLAVE | unix.MS_REC,
		"unbindable":  unix.MS_UNBINDABLE,
		"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	}
	for opt, want := range tests {
		got, err := ParseMountOptions([]string{opt})
		if err != nil || got.Flags != 0 || !reflect.DeepEqual(got.Propagation, []uintptr{want}) {
			t.Errorf("ParseMountOptions(%q) = %+v, %v, want propagation [%#x]", opt, got, err, want)
		}
	}
}

func TestParseMountOptionsRecAttr(t *testing.T) {
	const atime = unix.MOUNT_ATTR__ATIME
	tests := []struct {
		opt      string
		set, clr uint64
	}{
		{"rro", unix.MOUNT_ATTR_RDONLY, 0},
		{"rrw", 0, unix.MOUNT_ATTR_RDONLY},
		{"rnosuid", unix.MOUNT_ATTR_NOSUID, 0},
		{"rsuid", 0, unix.MOUNT_ATTR_NOSUID},
		{"rnodev", unix.MOUNT_ATTR_NODEV, 0},
		{"rdev", 0, unix.MOUNT_ATTR_NODEV},
		{"rnoexec", unix.MOUNT_ATTR_NOEXEC, 0},
		{"rexec", 0, unix.MOUNT_ATTR_NOEXEC},
		{"rnodiratime", unix.MOUNT_ATTR_NODIRATIME, 0},
		{"rdiratime", 0, unix.MOUNT_ATTR_NODIRATIME},
		// Setting an atime mode clears the whole atime field first.
		{"rrelatime", unix.MOUNT_ATTR_RELATIME, atime},
		{"rnorelatime", 0, unix.MOUNT_ATTR_RELATIME},
		{"rnoatime", unix.MOUNT_ATTR_NOATIME, atime},
		{"ratime", 0, unix.MOUNT_ATTR_NOATIME},
		{"rstrictatime", unix.MOUNT_ATTR_STRICTATIME, atime},
		{"rnostrictatime", 0, unix.MOUNT_ATTR_STRICTATIME},
		{"rnosymfollow", unix.MOUNT_ATTR_NOSYMFOLLOW, 0},
		{"rsymfollow", 0, unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
	for _, tt := range tests {
		got, err := ParseMountOptions([]string{tt.opt})
		if err != nil || got.RecAttrSet != tt.set || got.RecAttrClr != tt.clr || got.Flags != 0 {
			t.Errorf("ParseMountOptions(%q) = set %#x clr %#x flags %#x (%v), want set %#x clr %#x",
				tt.opt, got.RecAttrSet, got.RecAttrClr, got.Flags, err, tt.set, tt.clr)
		}
	}
}

func TestParseMountOptionsCombined(t *testing.T) {
	tests := []struct {
		name string
		opts []string
		want MountOptions
	}{
		{name: "empty", opts: nil, want: MountOptions{}},
		{
			name: "docker /dev tmpfs",
			opts: []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			want: MountOptions{Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		},
		{
			name: "devpts data keeps order",
			opts: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			want: MountOptions{Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		},
		{
			name: "later option wins: ro then rw",
			opts: []string{"ro", "rw"},
			want: MountOptions{ClearedFlags: unix.MS_RDONLY},
		},
		{
			name: "later option wins: rw then ro",
			opts: []string{"rw", "ro"},
			want: MountOptions{Flags: unix.MS_RDONLY},
		},
		{
			name: "rbind ro with propagation",
			opts: []string{"rbind", "ro", "rprivate", "rslave"},
			want: MountOptions{
				Flags:       unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY,
				Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SLAVE | unix.MS_REC},
			},
		},
		{
			name: "rro then rrw",
			opts: []string{"rro", "rrw"},
			want: MountOptions{RecAttrClr: unix.MOUNT_ATTR_RDONLY},
		},
		{
			name: "overlay data",
			opts: []string{"lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "index=off"},
			want: MountOptions{Data: "lowerdir=/a:/b,upperdir=/u,workdir=/w,index=off"},
		},
		{
			name: "tmpcopyup accepted, defaults ignored",
			opts: []string{"tmpcopyup", "defaults", "mode=1777"},
			want: MountOptions{CopyUp: true, Data: "mode=1777"},
		},
		{
			name: "unknown and case-sensitive names are data",
			opts: []string{"RO", "x-foo", "IDMAP"},
			want: MountOptions{Data: "RO,x-foo,IDMAP"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountOptions(tt.opts)
			if err != nil {
				t.Fatalf("ParseMountOptions(%q) error: %v", tt.opts, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMountOptions(%q) = %+v, want %+v", tt.opts, got, tt.want)
			}
		})
	}
}

func FuzzParseMountOptions(f *testing.F) {
	for _, s := range []string{"", "ro,nosuid", "rbind,rprivate,rro", "mode=755,size=1k", "rw,ro,,x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts := strings.Split(s, ",")
		got, err := ParseMountOptions(opts)
		if err != nil {
			t.Fatalf("ParseMountOptions(%q) error: %v", opts, err)
		}
		// A flag is never both set and explicitly cleared.
		if got.Flags&got.ClearedFlags != 0 {
			t.Errorf("ParseMountOptions(%q): flags %#x and cleared %#x overlap", opts, got.Flags, got.ClearedFlags)
		}
		// Only data options reach the data string, and none are lost.
		known := 0
		for _, o := range opts {
			_, f := mountFlags[o]
			_, p := propagationFlags[o]
			_, r := recAttrFlags[o]
			if f || p || r || o == "tmpcopyup" || o == "defaults" {
				known++
			}
		}
		if n := len(opts) - known; n > 0 && strings.Count(got.Data, ",")+1 < n {
			t.Errorf("ParseMountOptions(%q): data %q lost options", opts, got.Data)
		}
		if got.RecAttrSet&got.RecAttrClr&^unix.MOUNT_ATTR__ATIME != 0 {
			t.Errorf("ParseMountOptions(%q): rec attrs set %#x and cleared %#x overlap", opts, got.RecAttrSet, got.RecAttrClr)
		}
	})
}

func TestWithMountLabel(t *testing.T) {
	// Without SELinux (as on the test hosts) the label is ignored, as runc does.
	if selinuxEnabled() {
		t.Skip("the host has SELinux")
	}
	if got := withMountLabel("size=1m", "system_u:object_r:container_file_t:s0"); got != "size=1m" {
		t.Errorf("withMountLabel() = %q, want the data unchanged without SELinux", got)
	}
}
