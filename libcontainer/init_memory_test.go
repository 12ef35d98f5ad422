package libcontainer

import (
	"reflect"
	"testing"
)

func TestReadOnlyFileMappings(t *testing.T) {
	maps := `00400000-00783000 r-xp 00000000 00:2b 1234                               /
00783000-00b74000 r--p 00383000 00:2b 1234                               /
00b74000-00bc1000 rw-p 00774000 00:2b 1234                               /
00bc1000-00c0a000 rw-p 00000000 00:00 0
c000000000-c000400000 rw-p 00000000 00:00 0
7f0000000000-7f0000001000 r--s 00000000 00:05 99                         /dev/zero
7ffd00000000-7ffd00002000 r--p 00000000 00:00 0                          [vvar]
7ffd00002000-7ffd00004000 r-xp 00000000 00:00 0                          [vdso]
garbage line
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`
	got := readOnlyFileMappings([]byte(maps))
	want := []mapping{{0x400000, 0x783000}, {0x783000, 0xb74000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readOnlyFileMappings() = %#v, want %#v", got, want)
	}
}
