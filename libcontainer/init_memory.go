package libcontainer

import (
	"unsafe"

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
// Only the binary's read-only segments are dropped: MADV_DONTNEED on its writable one would
// throw its changes away. They are found in the program headers the kernel left in memory,
// not in /proc (a procfs of its own costs init a mount). It is best effort: a failure costs
// memory, not correctness.
func (p *initProcess) shedMemory() {
	auxv, err := unix.Auxv()
	if err != nil {
		return
	}
	for _, m := range readOnlySegments(auxv, unix.Getpagesize()) {
		unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED)
	}
}

type mapping struct{ start, end uintptr }

// elfPhdr is an ELF64 program header (Elf64_Phdr).
type elfPhdr struct {
	Type, Flags                                 uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Alignment uint64
}

// ELF constants of the program headers, and the auxiliary vector's entries for them.
const (
	ptLoad  = 1
	ptPhdr  = 6
	pfW     = 2
	atPhdr  = 3 // address of the program headers
	atPhent = 4 // size of one
	atPhnum = 5 // their number
)

// readOnlySegments returns the page ranges of the running binary's loaded segments that are
// not writable, from the program headers auxv points at. A position-independent binary is
// loaded at a bias: the address of the headers minus their PT_PHDR address. Nothing for a
// binary whose headers are not 64-bit ones.
func readOnlySegments(auxv [][2]uintptr, pageSize int) []mapping {
	var phdr, phent, phnum uintptr
	for _, kv := range auxv {
		switch kv[0] {
		case atPhdr:
			phdr = kv[1]
		case atPhent:
			phent = kv[1]
		case atPhnum:
			phnum = kv[1]
		}
	}
	if phdr == 0 || phent != unsafe.Sizeof(elfPhdr{}) {
		return nil
	}
	// The headers are in the binary's image, not in Go's heap: the address is taken as a
	// pointer the way vet accepts for memory the garbage collector does not manage.
	headers := unsafe.Slice(*(**elfPhdr)(unsafe.Pointer(&phdr)), phnum)
	var bias uintptr
	for _, h := range headers {
		if h.Type == ptPhdr {
			bias = phdr - uintptr(h.Vaddr)
		}
	}
	page := uintptr(pageSize)
	var out []mapping
	for _, h := range headers {
		if h.Type != ptLoad || h.Flags&pfW != 0 || h.Memsz == 0 {
			continue
		}
		start := (bias + uintptr(h.Vaddr)) &^ (page - 1)
		end := (bias + uintptr(h.Vaddr+h.Memsz) + page - 1) &^ (page - 1)
		out = append(out, mapping{start, end})
	}
	return out
}
