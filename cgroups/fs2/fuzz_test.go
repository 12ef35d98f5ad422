package fs2

import (
	"testing"
)

// The parsers read files that a container's processes cannot write but a buggy or future
// kernel could shape differently: they must return an error, never panic.

func FuzzParseKeyValues(f *testing.F) {
	f.Add("usage_usec 1000\nuser_usec 600\n")
	f.Add("populated 1\nfrozen 0\n")
	f.Add("max max\n")
	f.Fuzz(func(t *testing.T, s string) { parseKeyValues(s) })
}

func FuzzParseIOStat(f *testing.F) {
	f.Add("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n")
	f.Add("253:1 rbytes=1\n:\n")
	f.Fuzz(func(t *testing.T, s string) { parseIOStat(s) })
}

func FuzzParsePSI(f *testing.F) {
	f.Add("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	f.Fuzz(func(t *testing.T, s string) { parsePSI(s) })
}

func FuzzParseCPUList(f *testing.F) {
	f.Add("0-3,8,10-11")
	f.Add("65535")
	f.Fuzz(func(t *testing.T, s string) {
		list, err := parseCPUList(s)
		if err == nil && len(list) > maxCPUListLen {
			t.Errorf("parseCPUList(%q) has %d entries, more than %d", s, len(list), maxCPUListLen)
		}
	})
}

// FuzzOOMEvents feeds arbitrary bytes to the inotify event decoder.
func FuzzOOMEvents(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255})
	dir := fakeCgroup(f, map[string]string{"memory.events": "oom 0\noom_kill 0\n", "cgroup.events": "populated 1\n"})
	f.Fuzz(func(t *testing.T, buf []byte) {
		w := oomWatch{dir: dir, memWd: 1, cgWd: 2, out: make(chan struct{}, 1), stop: make(chan struct{})}
		w.handle(buf)
	})
}
