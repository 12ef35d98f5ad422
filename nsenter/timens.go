package nsenter

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// clocks are the clocks a time namespace can offset, by the names the spec and
// /proc/<pid>/timens_offsets use. Read-only.
var clocks = map[string]bool{"monotonic": true, "boottime": true}

// UnshareTime makes a new time namespace with the given offsets for the calling process's
// next execve. unshare(CLONE_NEWTIME) only sets the namespace of the thread's future
// children; the offsets can be written only while no process is in the namespace, and the
// execve of this same thread then moves the process in. (Start makes a new time namespace in
// its single-threaded child instead: before Linux 6.x a process whose time namespace for
// children differs from its own may not create threads, which a Go program does at will.)
//
// Preconditions: the calling goroutine is locked to its OS thread, that thread is the main
// thread (the kernel keeps timens_offsets only at /proc/<tgid>), and it is the thread that
// calls execve next. The thread must not be unlocked afterwards.
func UnshareTime(offsets map[string]specs.LinuxTimeOffset) error {
	text, err := formatTimeOffsets(offsets)
	if err != nil {
		return err
	}
	if unix.Gettid() != unix.Getpid() {
		return fmt.Errorf("unshare time namespace: %w", ErrNotMainThread)
	}
	if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
		return fmt.Errorf("unshare time namespace: %w", err)
	}
	if len(text) == 0 {
		return nil
	}
	const path = "/proc/self/timens_offsets"
	// One write: the kernel parses each write as a whole.
	if err := os.WriteFile(path, text, 0); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// formatTimeOffsets renders offsets as timens_offsets lines, "<clock> <secs> <nanosecs>", in a
// fixed order.
func formatTimeOffsets(offsets map[string]specs.LinuxTimeOffset) ([]byte, error) {
	names := make([]string, 0, len(offsets))
	for name := range offsets {
		if !clocks[name] {
			return nil, fmt.Errorf("time offset %q: %w", name, ErrUnknownClock)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		o := offsets[name]
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(o.Secs, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(o.Nanosecs), 10))
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}
