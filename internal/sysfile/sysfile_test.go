package sysfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // grows past the first buffer
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("max\n")},
		{"big", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := Write(path, tt.data, unix.O_CREAT|unix.O_TRUNC, 0o600); err != nil {
				t.Fatalf("Write() = %v", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read() = %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("Read() = %d bytes, want %d", len(got), len(tt.data))
			}
		})
	}
}

func TestReadProcFile(t *testing.T) {
	// /proc files report size 0: Read must not trust the size.
	got, err := Read("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("Pid:")) {
		t.Errorf("Read(/proc/self/status) = %q, want the status", got)
	}
}

func TestErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Read(missing)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want a *fs.PathError for %s that is fs.ErrNotExist", err, missing)
	}
	if err := Write(missing, []byte("x"), 0, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write(missing) without O_CREAT = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write without O_CREAT created %s", missing)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	f, err := Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	defer f.Close()
	if f.Name() != dir {
		t.Errorf("Name() = %q, want %q", f.Name(), dir)
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("fd flags = %#x, %v; want close-on-exec", flags, err)
	}
	_, err = Open(filepath.Join(dir, "missing"), unix.O_RDONLY, 0)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want an open *fs.PathError wrapping ErrNotExist", err)
	}
}
