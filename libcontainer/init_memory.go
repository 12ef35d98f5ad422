package libcontainer

import (
	"bufio"
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

// shedMemory unmaps what a created container's init has mapped of runo's binary: it needs
// those pages again only when `runo start` comes, which may be much later (an engine creates,
// then starts once the network is up). Faulting the binary in mapped most of it, 5-6 MiB of
// the resident set, because the kernel maps the neighbouring page-cache pages at each fault;
// the pages stay in the page cache, shared with every other runo process, and the few that
// the wait and the exec touch fault back in from there.
//
// Go's heap is left alone: a collection to return its free pages touches more than it frees.
// Only read-only file mappings are dropped: MADV_DONTNEED on a private writable one would
// throw its changes away. It is best effort: a failure costs memory, not correctness.
func (p *initProcess) shedMemory() {
	proc, err := p.procfs()
	if err != nil {
		return
	}
	maps, err := proc.read(p.proc.self() + "/maps")
	if err != nil {
		return
	}
	for _, m := range readOnlyFileMappings(maps) {
		unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED)
	}
}

type mapping struct{ start, end uintptr }

// readOnlyFileMappings returns the mappings of /proc/<pid>/maps that are backed by a file
// and cannot be written: "start-end perms offset dev inode path", perms such as "r-xp".
func readOnlyFileMappings(maps []byte) []mapping {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || len(f[1]) != 4 || f[1][1] == 'w' || f[1][3] != 'p' || string(f[4]) == "0" {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, mapping{uintptr(start), uintptr(end)})
	}
	return out
}
