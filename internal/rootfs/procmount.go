package rootfs

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// procOverMounts are the only files under /proc a mount may cover: those
// lxcfs emulates (runc's list). Covering anything else could hide a mask or
// replace a kernel interface such as /proc/sys/kernel/core_pattern.
var procOverMounts = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
	"/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
	"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
}

// checkProcMount refuses mounts over /proc or inside it, as runc does:
// /proc itself only takes a procfs, inside it only procOverMounts. A procfs
// goes on /proc and nowhere else, and the image may not turn /proc into a
// symlink that moves it (onto the root itself, say: CVE-2023-28642).
func checkProcMount(root string, m *specs.Mount, typ string) error {
	full, err := resolveInRoot(root, m.Destination)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, full)
	if err != nil {
		return fmt.Errorf("resolve %s in %s: %w", m.Destination, root, err)
	}
	dest := path.Join("/", rel)
	if dest == "/" {
		return fmt.Errorf("mount destination %s resolves to the container's root: %w", m.Destination, ErrProcMount)
	}
	srcIsProc := typ == "proc" || (typ == "bind" && isProcFS(m.Source))
	if srcIsProc && (dest != "/proc" || path.Clean("/"+m.Destination) != "/proc") {
		return fmt.Errorf("procfs on %s (resolved to %s): only /proc, not through a symlink: %w", m.Destination, dest, ErrProcMount)
	}
	return procMountAllowed(dest, srcIsProc)
}

// procMountAllowed decides for a destination already resolved inside the
// rootfs.
func procMountAllowed(dest string, srcIsProc bool) error {
	switch {
	case dest != "/proc" && !strings.HasPrefix(dest, "/proc/"):
		return nil
	case dest == "/proc" && srcIsProc:
		return nil
	case slices.Contains(procOverMounts, dest):
		return nil
	}
	return fmt.Errorf("mount on %s: %w", dest, ErrProcMount)
}

func isProcFS(p string) bool {
	var st unix.Statfs_t
	return unix.Statfs(p, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}
