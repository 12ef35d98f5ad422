package faultaround

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// TestReadOnlySegments checks the test binary's own read-only segments, found from its
// program headers, against /proc/self/maps: each lies within a read-only, private mapping of
// a file, and together they cover its text.
func TestReadOnlySegments(t *testing.T) {
	got := Segments()
	if len(got) == 0 {
		t.Fatal("Segments() found no segment")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var fileRO []Mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || f[1][1] == 'w' || f[1][3] != 'p' || string(f[4]) == "0" {
			continue
		}
		lo, hi, _ := bytes.Cut(f[0], []byte("-"))
		start, _ := strconv.ParseUint(string(lo), 16, 64)
		end, _ := strconv.ParseUint(string(hi), 16, 64)
		fileRO = append(fileRO, Mapping{Start: uintptr(start), End: uintptr(end)})
	}
	inFileRO := func(addr uintptr) bool {
		for _, f := range fileRO {
			if f.Start <= addr && addr < f.End {
				return true
			}
		}
		return false
	}
	pc := reflect.ValueOf(TestReadOnlySegments).Pointer()
	text := Mapping{}
	for _, m := range got {
		for addr := m.Start; addr < m.End; addr += uintptr(os.Getpagesize()) {
			if !inFileRO(addr) {
				t.Fatalf("segment %#x-%#x: page %#x is not in a read-only file mapping of\n%s", m.Start, m.End, addr, maps)
			}
		}
		if m.Start <= pc && pc < m.End {
			text = m
		}
	}
	if text.End == 0 || !text.Exec {
		t.Errorf("no executable segment of %v holds the code", got)
	}
	if ReadOnlySegments(nil, os.Getpagesize()) != nil {
		t.Errorf("ReadOnlySegments of an empty auxiliary vector found segments")
	}
}

// TestHasArg checks the command line as /proc/self/cmdline gives it: the test binary's own
// arguments are found, its name and anything else are not.
func TestHasArg(t *testing.T) {
	if len(os.Args) < 2 {
		t.Skip("the test binary has no arguments")
	}
	if !hasArg(os.Args[len(os.Args)-1]) {
		t.Errorf("hasArg(%q) = false for the last argument", os.Args[len(os.Args)-1])
	}
	if hasArg(os.Args[0]) {
		t.Errorf("hasArg(%q) = true for the program's name", os.Args[0])
	}
	if hasArg("no-such-argument") {
		t.Errorf(`hasArg("no-such-argument") = true`)
	}
}

// TestRegister registers the test binary's read-only segments and checks that the kernel
// marks their mappings for userfaultfd write protection ("uw" in smaps' VmFlags), which turns
// fault-around off for them, and that the code still runs.
func TestRegister(t *testing.T) {
	if !sysUserfaultfdSupported {
		t.Skip("not on amd64")
	}
	segs := Segments()
	if err := register(segs); err != nil {
		t.Skipf("no asynchronous userfaultfd write protection here (Linux 6.7): %v", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var start uint64
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) > 0 && bytes.Contains(f[0], []byte("-")) && !bytes.HasSuffix(f[0], []byte(":")) {
			lo, _, _ := bytes.Cut(f[0], []byte("-"))
			start, _ = strconv.ParseUint(string(lo), 16, 64)
			continue
		}
		if len(f) > 0 && string(f[0]) == "VmFlags:" && uintptr(start) == segs[0].Start {
			if !bytes.Contains(sc.Bytes(), []byte(" uw")) {
				t.Errorf("text mapping at %#x: %s, want uw", start, sc.Bytes())
			}
			return
		}
	}
	t.Errorf("no mapping starts at the first segment %#x", segs[0].Start)
}

// TestSectionStart checks the function table's first page against debug/elf's reading of the
// test binary: found, page-aligned, inside a read-only data segment.
func TestSectionStart(t *testing.T) {
	segs := Segments()
	got, ok := sectionStart(segs, ".gopclntab")
	if !ok {
		t.Fatal("sectionStart(.gopclntab) found nothing")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(".gopclntab")
	if s == nil {
		t.Fatal("no .gopclntab in the test binary")
	}
	page := uintptr(os.Getpagesize())
	if want := (segs[0].Bias + uintptr(s.Addr)) &^ (page - 1); got != want {
		t.Errorf("sectionStart(.gopclntab) = %#x, want %#x", got, want)
	}
	inData := false
	for _, m := range segs {
		inData = inData || (!m.Exec && m.Start <= got && got < m.End)
	}
	if !inData {
		t.Errorf("%#x is in no read-only data segment of %v", got, segs)
	}
	if _, ok := sectionStart(segs, ".no-such-section"); ok {
		t.Errorf("sectionStart found .no-such-section")
	}
}
