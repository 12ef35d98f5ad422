package libcontainer

import (
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/faultaround"
)

// shedMemory unmaps what a created container's init has mapped of runo's binary: it needs
// those pages again only when `runo start` comes, which may be much later (an engine creates,
// then starts once the network is up). Faulting the binary in mapped most of it, 5-6 MiB of
// the resident set, because the kernel maps the neighbouring page-cache pages at each fault;
// the pages stay in the page cache, shared with every other runo process, and the few that
// the wait and the exec touch fault back in from there.
//
// Go's heap is left alone: a collection to return its free pages touches more than it frees.
// Only the binary's read-only segments are dropped: MADV_DONTNEED on its writable one would
// throw its changes away. They are found in the program headers the kernel left in memory,
// not in /proc (a procfs of its own costs init a mount). It is best effort: a failure costs
// memory, not correctness.
func (p *initProcess) shedMemory() {
	for _, m := range faultaround.Segments() {
		unix.Syscall(unix.SYS_MADVISE, m.Start, m.End-m.Start, unix.MADV_DONTNEED)
	}
}
