package rootfs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/runo-project/runo/internal/sysfile"
)

// mountInfo is one line of /proc/<pid>/mountinfo (proc(5)), the fields
// rootfs needs.
type mountInfo struct {
	Root       string // path of the mount's root inside its filesystem
	Mountpoint string
	Optional   []string // "shared:N", "master:N", ...
	FSType     string
	Source     string
	SuperOpts  []string
}

// readMountInfo parses the calling thread's mountinfo: the thread's, not the
// process's, for a caller whose thread alone is in the container's mount
// namespace (Config.Outside).
func readMountInfo() ([]mountInfo, error) {
	data, err := sysfile.Read("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	mi, err := parseMountInfo(string(data))
	if err != nil {
		return nil, fmt.Errorf("read /proc/thread-self/mountinfo: %w", err)
	}
	return mi, nil
}

// parseMountInfo parses the mountinfo format, a mount per line:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountInfo(data string) ([]mountInfo, error) {
	var out []mountInfo
	for line := range strings.Lines(data) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		// Six fixed fields, the separator, then type and source at least.
		if sep < 0 || len(fields) < sep+3 {
			return nil, fmt.Errorf("malformed mountinfo line %q", strings.TrimSuffix(line, "\n"))
		}
		m := mountInfo{
			Root:       unescapeOctal(fields[3]),
			Mountpoint: unescapeOctal(fields[4]),
			Optional:   fields[6:sep],
			FSType:     fields[sep+1],
			Source:     unescapeOctal(fields[sep+2]),
		}
		if len(fields) > sep+3 {
			m.SuperOpts = strings.Split(fields[sep+3], ",")
		}
		out = append(out, m)
	}
	return out, nil
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mountinfo paths. Anything that is not a valid escape is kept.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupEntry is one line of /proc/self/cgroup: "ID:controllers:path".
type cgroupEntry struct {
	Controllers []string // empty for the cgroup v2 line "0::/path"
	Path        string
}

// readProcCgroup parses /proc/self/cgroup.
func readProcCgroup() ([]cgroupEntry, error) {
	data, err := sysfile.Read("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read cgroup membership: %w", err)
	}
	c, err := parseProcCgroup(string(data))
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	return c, nil
}

func parseProcCgroup(data string) ([]cgroupEntry, error) {
	var out []cgroupEntry
	for line := range strings.Lines(data) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("malformed cgroup line %q", line)
		}
		e := cgroupEntry{Path: parts[2]}
		if parts[1] != "" {
			e.Controllers = strings.Split(parts[1], ",")
		}
		out = append(out, e)
	}
	return out, nil
}
