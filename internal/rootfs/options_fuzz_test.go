package rootfs

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// keywordOptions are the options ParseMountOptions consumes outside its three tables; they
// never reach the data string.
var keywordOptions = map[string]bool{"tmpcopyup": true, "defaults": true, "idmap": true, "ridmap": true}

// FuzzParseMountOptionsList checks ParseMountOptions on option lists whose elements may hold
// any byte, commas included (the input is split on NUL, so an element such as "ro,nosuid" or
// "mode=0755,uid=0" reaches the parser whole): no panic and no error, the same answer twice,
// and the answer is the option list's: for each MS_* flag and each recursive attribute the
// last option naming it wins, propagation options come out in order, and the data string is
// exactly the unknown options in order.
func FuzzParseMountOptionsList(f *testing.F) {
	for _, s := range []string{
		"", "ro\x00rw", "rw\x00ro", "bind\x00rbind", "rbind\x00ro\x00nosuid\x00rprivate",
		"ro,nosuid", "mode=0755,uid=0\x00size=1k", "rro\x00rrw\x00rnoatime\x00rrelatime",
		"shared\x00rslave\x00private", "nosuid\x00suid\x00nosuid", "remount\x00ro",
		"strictatime\x00norelatime\x00relatime", "\x00\x00", "x-foo\x00defaults\x00tmpcopyup",
		"ro\x00\xff\xfe\x00rw", "lowerdir=/a:/b,upperdir=/c\x00workdir=/d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts := strings.Split(s, "\x00")
		got, err := ParseMountOptions(opts)
		if err != nil {
			t.Fatalf("ParseMountOptions(%q) error: %v", opts, err)
		}
		again, _ := ParseMountOptions(opts)
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("ParseMountOptions(%q) = %+v, then %+v", opts, got, again)
		}

		var flags, cleared uintptr
		var recSet, recClr uint64
		var prop []uintptr
		var data []string
		for _, o := range opts {
			if fo, ok := mountFlags[o]; ok {
				if fo.clear {
					flags &^= fo.flag
					cleared |= fo.flag
				} else {
					flags |= fo.flag
					cleared &^= fo.flag
				}
				continue
			}
			if p, ok := propagationFlags[o]; ok {
				prop = append(prop, p)
				continue
			}
			if r, ok := recAttrFlags[o]; ok {
				if r.clear {
					recClr |= r.flag
					recSet &^= r.flag
				} else {
					recSet |= r.flag
					recClr &^= r.flag
				}
				continue
			}
			if !keywordOptions[o] {
				data = append(data, o)
			}
		}
		if got.Flags != flags || got.ClearedFlags != cleared {
			t.Errorf("ParseMountOptions(%q): flags %#x cleared %#x, want %#x %#x (the last option naming a flag wins)",
				opts, got.Flags, got.ClearedFlags, flags, cleared)
		}
		// The atime modes share one field: setting one also clears the field, so compare
		// the other attributes exactly and the atime field only where it is set.
		const atime = unix.MOUNT_ATTR__ATIME
		if got.RecAttrSet&^atime != recSet&^atime || got.RecAttrClr&^atime != recClr&^atime {
			t.Errorf("ParseMountOptions(%q): rec attrs set %#x clr %#x, want %#x %#x",
				opts, got.RecAttrSet, got.RecAttrClr, recSet, recClr)
		}
		if got.RecAttrSet&atime != recSet&atime {
			t.Errorf("ParseMountOptions(%q): rec atime mode %#x, want %#x", opts, got.RecAttrSet&atime, recSet&atime)
		}
		if len(prop) == 0 {
			prop = nil
		}
		if !reflect.DeepEqual(got.Propagation, prop) {
			t.Errorf("ParseMountOptions(%q): propagation %#x, want %#x in order", opts, got.Propagation, prop)
		}
		if want := strings.Join(data, ","); got.Data != want {
			t.Errorf("ParseMountOptions(%q): data %q, want %q", opts, got.Data, want)
		}
		if got.Flags&got.ClearedFlags != 0 {
			t.Errorf("ParseMountOptions(%q): flags %#x and cleared %#x overlap", opts, got.Flags, got.ClearedFlags)
		}
		// A bind is a bind whatever follows: nothing clears MS_BIND.
		isBind := false
		for _, o := range opts {
			isBind = isBind || o == "bind" || o == "rbind"
		}
		if got.isBind() != isBind {
			t.Errorf("ParseMountOptions(%q).isBind() = %v, want %v", opts, got.isBind(), isBind)
		}
	})
}
