package libcontainer

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadOnlySegments checks the test binary's own read-only segments, found from its
// program headers, against /proc/self/maps: each lies within a read-only, private mapping of
// a file, and together they cover its text.
func TestReadOnlySegments(t *testing.T) {
	auxv, err := unix.Auxv()
	if err != nil {
		t.Skipf("no auxiliary vector: %v", err)
	}
	got := readOnlySegments(auxv, os.Getpagesize())
	if len(got) == 0 {
		t.Fatal("readOnlySegments() found no segment")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var fileRO []mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || f[1][1] == 'w' || f[1][3] != 'p' || string(f[4]) == "0" {
			continue
		}
		lo, hi, _ := bytes.Cut(f[0], []byte("-"))
		start, _ := strconv.ParseUint(string(lo), 16, 64)
		end, _ := strconv.ParseUint(string(hi), 16, 64)
		fileRO = append(fileRO, mapping{uintptr(start), uintptr(end)})
	}
	inFileRO := func(addr uintptr) bool {
		for _, f := range fileRO {
			if f.start <= addr && addr < f.end {
				return true
			}
		}
		return false
	}
	pc := reflect.ValueOf(TestReadOnlySegments).Pointer()
	text := mapping{}
	for _, m := range got {
		for addr := m.start; addr < m.end; addr += uintptr(os.Getpagesize()) {
			if !inFileRO(addr) {
				t.Fatalf("segment %#x-%#x: page %#x is not in a read-only file mapping of\n%s", m.start, m.end, addr, maps)
			}
		}
		if m.start <= pc && pc < m.end {
			text = m
		}
	}
	if text.end == 0 {
		t.Errorf("no segment %v holds the code", got)
	}
	if readOnlySegments(nil, os.Getpagesize()) != nil {
		t.Errorf("readOnlySegments of an empty auxiliary vector found segments")
	}
}
