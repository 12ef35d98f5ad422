package main

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzParseSignal checks parseSignal (kill's argument) on any string: no panic, and what it
// accepts is a real signal number, 1 to 64, that names itself back.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{
		"9", "KILL", "kill", "SIGKILL", "sigterm", "0", "-1", "65", "64", "1", "SIG", "",
		"+9", "09", "0x9", "9999999999999999999999", "SIGRTMIN", "RTMIN+1", "SIGKILL\x00",
		"ſigkill", "SIGſTOP",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := parseSignal(s)
		if err != nil {
			if sig != 0 {
				t.Errorf("parseSignal(%q) = %d, %v: a signal with an error", s, sig, err)
			}
			return
		}
		if sig < 1 || sig > 64 {
			t.Fatalf("parseSignal(%q) = %d, want 1..64", s, sig)
		}
		if n, err := strconv.Atoi(s); err == nil {
			if int(sig) != n {
				t.Errorf("parseSignal(%q) = %d, want %d", s, sig, n)
			}
			return
		}
		// A name: it is the kernel's name of sig, with or without SIG, in any case.
		name := unix.SignalName(sig)
		if name == "" || !strings.EqualFold(strings.TrimPrefix(name, "SIG"), strings.TrimPrefix(strings.ToUpper(s), "SIG")) {
			t.Errorf("parseSignal(%q) = %d (%s): the name does not match", s, sig, name)
		}
		if again, err := parseSignal(name); err != nil || again != sig {
			t.Errorf("parseSignal(%q) = %d, %v, want %d", name, again, err, sig)
		}
	})
}

// TestParseSignal pins the boundaries of the numeric range and a few names.
func TestParseSignal(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want unix.Signal
		ok   bool
	}{
		{"1", unix.SIGHUP, true},
		{"64", 64, true}, // SIGRTMAX: the highest
		{"65", 0, false}, // one past
		{"0", 0, false},  // "signal 0" probes, it is not a signal to send
		{"-9", 0, false}, // negative
		{"kill", unix.SIGKILL, true},
		{"SigTerm", unix.SIGTERM, true},
		{"SIGNOPE", 0, false},
		{"", 0, false},
		{"99999999999999999999", 0, false}, // overflows int
	} {
		got, err := parseSignal(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseSignal(%q) = %d, %v, want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseBytes checks parseBytes (update's sizes) on any string: no panic, -1 only for
// "-1" (no limit), and never another negative size: a huge, infinite or NaN number must be an
// error, not a wrapped-around limit written to a cgroup file.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{
		"-1", "0", "1", "1k", "1K", "1kb", "1.5m", "2g", "3T", "4p", "1b", "b", "k", "", " 1m ",
		"-2", "-1k", "1e3", "0x10", "8191p",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseBytes(s)
		if err != nil {
			return
		}
		if v == -1 && s != "-1" {
			t.Errorf("parseBytes(%q) = -1 (no limit), want that only for \"-1\"", s)
		}
		if v < -1 {
			t.Errorf("parseBytes(%q) = %d, want a size >= 0 or an error", s, v)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n >= 0 && v != n {
			t.Errorf("parseBytes(%q) = %d, want %d", s, v, n)
		}
	})
}

// TestParseBytes pins units and the edges of int64.
func TestParseBytes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"-1", -1, true},
		{"0", 0, true},
		{"1k", 1 << 10, true},
		{"1KB", 1 << 10, true},
		{"1.5m", 3 << 19, true},
		{"8191p", 8191 << 50, true}, // fits in int64
		{"-2", 0, false},
		{"k", 0, false},
		{"", 0, false},
		{"1x", 0, false},
	} {
		got, err := parseBytes(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseBytes(%q) = %d, %v, want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
