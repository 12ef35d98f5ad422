// Package faultaround stops the kernel from mapping runo's function table 64 KiB at a time
// while `runo create` runs.
//
// At a page fault on a file mapping the kernel maps the page and, with it, the neighbouring
// pages it has in the page cache ("fault-around", 64 KiB by default): fewer faults, but a
// runo that runs a little code in each of its packages' inits ends up with nearly all of its
// binary resident, 2.8 MB of text and 2.2 of its 3.3 MB of read-only data (type data, the
// function table): most of the peak resident set of `runo create` (5.9 MiB, of which 1 MiB is
// its own memory), which engines start for every container. The kernel skips fault-around
// for a mapping registered with a userfaultfd for write protection, and asynchronous write
// protection (Linux 6.7) lets a registration cover any mapping without a thread to serve it;
// read-only segments are never written, so it never acts. Importing this package registers
// the function table (.gopclntab, 2.5 of the 3.3 MB of read-only data, read here and there
// for stack maps and function names) as early as the package initialisation order allows (it
// needs nothing but syscall), and drops what is mapped of it so far: from then on a page of it
// is mapped when it is used. Measured on a create: peak 5.9 -> 4.7 MiB for some 40 more page
// faults. The type data and strings before the table would save 0.2 MiB more for 160 more
// faults, the text 1.5 MiB for 330: too many for the CPU a create may cost. For the same
// reason only a command line with a "create" argument registers (a run would pay 0.9 ms with
// the text; a false match costs its command the faults, nothing else). On an older kernel,
// where userfaultfd is refused, or on another architecture than amd64, nothing changes; where
// the section headers cannot be read, the whole read-only data segment is registered.
package faultaround

import (
	"syscall"
	"unsafe"
)

//go:linkname runtimeAuxv runtime.getAuxv
func runtimeAuxv() []uintptr

// ioctl_userfaultfd(2), not in package syscall.
const (
	uffdUserModeOnly   = 1 // UFFD_USER_MODE_ONLY: user faults only, allowed unprivileged
	uffdAPI            = 0xAA
	uffdFeatureWPAsync = 1 << 15
	uffdioAPI          = 0xC018AA3F // _IOWR(0xAA, 0x3F, struct uffdio_api)
	uffdioRegister     = 0xC020AA00 // _IOWR(0xAA, 0x00, struct uffdio_register)
	uffdioRegisterWP   = 1 << 1
)

// highFD is the lowest fd the userfaultfd is moved to: above those a caller hands over
// (--preserve-fds counts from 3), below 64, the fd table's first size (growing the table of a
// process with threads waits for an RCU grace period, milliseconds).
const highFD = 32

// uffdioAPIArg is struct uffdio_api; uffdioRegisterArg is struct uffdio_register.
type (
	uffdioAPIArg      struct{ api, features, ioctls uint64 }
	uffdioRegisterArg struct{ start, len, mode, ioctls uint64 }
)

func init() {
	if !sysUserfaultfdSupported || !hasArg("create") {
		return
	}
	segs := Segments()
	var data []Mapping
	for _, m := range segs {
		if !m.Exec {
			data = append(data, m)
		}
	}
	// Only the function table (see the package comment).
	if table, ok := sectionStart(segs, ".gopclntab"); ok {
		for i, m := range data {
			if m.Start <= table && table < m.End {
				data[i].Start = table
			}
		}
	}
	_ = register(data) // best effort: without it the kernel maps as before
}

// sectionStart returns the first page of the running binary's section name, found in its ELF
// section headers: read from /proc/self/exe where the ELF header, mapped with the first
// segment right before the program headers (AT_PHDR), says they are.
func sectionStart(segs []Mapping, name string) (uintptr, bool) {
	phdr := auxvValue(runtimeAuxv(), atPhdr)
	if len(segs) == 0 || phdr < 64 {
		return 0, false
	}
	// Go's linker puts the program headers right after the 64-byte ELF header; e_phoff says.
	// In the binary's image, as in ReadOnlySegments.
	ehdr := phdr - 64
	elfHeader := unsafe.Slice(*(**byte)(unsafe.Pointer(&ehdr)), 64)
	if string(elfHeader[:4]) != "\x7fELF" || elfHeader[4] != 2 || le64(elfHeader[0x20:]) != 64 {
		return 0, false
	}
	shoff := int64(le64(elfHeader[0x28:]))
	shentsize, shnum, shstrndx := int(le16(elfHeader[0x3a:])), int(le16(elfHeader[0x3c:])), int(le16(elfHeader[0x3e:]))
	var headers [64 * 64]byte
	if shentsize != 64 || shnum > 64 || shstrndx >= shnum {
		return 0, false
	}
	fd, err := syscall.Open("/proc/self/exe", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer syscall.Close(fd)
	if n, err := syscall.Pread(fd, headers[:shnum*64], shoff); err != nil || n != shnum*64 {
		return 0, false
	}
	strtab := headers[shstrndx*64:]
	var names [1024]byte
	size := min(int(le64(strtab[0x20:])), len(names))
	if n, err := syscall.Pread(fd, names[:size], int64(le64(strtab[0x18:]))); err != nil || n != size {
		return 0, false
	}
	for i := 0; i < shnum; i++ {
		h := headers[i*64:]
		off := int(le32(h))
		if off+len(name) >= size || string(names[off:off+len(name)]) != name || names[off+len(name)] != 0 {
			continue
		}
		addr := uintptr(le64(h[0x10:]))
		return (segs[0].Bias + addr) &^ uintptr(syscall.Getpagesize()-1), addr != 0
	}
	return 0, false
}

// auxvValue returns the value of key in auxv (key, value pairs), or 0.
func auxvValue(auxv []uintptr, key uintptr) uintptr {
	for i := 0; i+1 < len(auxv); i += 2 {
		if auxv[i] == key {
			return auxv[i+1]
		}
	}
	return 0
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// hasArg reports whether one of runo's arguments is arg. The command line is read from
// /proc/self/cmdline: package os, which has it as os.Args, is initialised later. A command
// line longer than cmdline's buffer is looked at as far as it goes.
func hasArg(arg string) bool {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	var buf [4096]byte
	n, err := syscall.Read(fd, buf[:])
	if err != nil || n <= 0 {
		return false
	}
	// NUL-terminated arguments; the first is the program's name.
	args := buf[:n]
	first := true
	for len(args) > 0 {
		end := 0
		for end < len(args) && args[end] != 0 {
			end++
		}
		if !first && string(args[:end]) == arg {
			return true
		}
		first = false
		if end == len(args) {
			break
		}
		args = args[end+1:]
	}
	return false
}

// register registers segs for asynchronous write protection and drops their pages. The
// userfaultfd stays open for the life of the process: closing it would end the registration.
// It is close-on-exec. A segment the kernel refuses is left as it is.
func register(segs []Mapping) error {
	if len(segs) == 0 {
		return syscall.ENOENT
	}
	fd, _, errno := syscall.RawSyscall(sysUserfaultfd, syscall.O_CLOEXEC|syscall.O_NONBLOCK|uffdUserModeOnly, 0, 0)
	if errno != 0 {
		return errno
	}
	// Out of the way of the low fds a caller hands over (--preserve-fds counts from 3).
	if high, _, errno := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, highFD); errno == 0 {
		syscall.Close(int(fd))
		fd = high
	}
	api := uffdioAPIArg{api: uffdAPI, features: uffdFeatureWPAsync}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_IOCTL, fd, uffdioAPI, uintptr(unsafe.Pointer(&api))); errno != 0 {
		syscall.Close(int(fd))
		return errno
	}
	var failed error
	for _, m := range segs {
		reg := uffdioRegisterArg{start: uint64(m.Start), len: uint64(m.End - m.Start), mode: uffdioRegisterWP}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_IOCTL, fd, uffdioRegister, uintptr(unsafe.Pointer(&reg))); errno != 0 {
			failed = errno
			continue
		}
		// Read-only and file-backed: dropped pages come back from the page cache.
		syscall.RawSyscall(syscall.SYS_MADVISE, m.Start, m.End-m.Start, syscall.MADV_DONTNEED)
	}
	return failed
}

// Mapping is a range of pages, [Start, End), of a segment with code (Exec) or without. Bias
// is where the binary is loaded: an address in its ELF headers plus Bias is in memory.
type Mapping struct {
	Start, End uintptr
	Exec       bool
	Bias       uintptr
}

// elfPhdr is an ELF64 program header (Elf64_Phdr).
type elfPhdr struct {
	Type, Flags                                 uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Alignment uint64
}

// ELF constants of the program headers, and the auxiliary vector's entries for them.
const (
	ptLoad  = 1
	ptPhdr  = 6
	pfX     = 1
	pfW     = 2
	atPhdr  = 3 // address of the program headers
	atPhent = 4 // size of one
	atPhnum = 5 // their number
)

// ReadOnlySegments returns the page ranges of the running binary's loaded segments that are
// not writable, from the program headers that auxv (the auxiliary vector as key, value
// pairs) points at: they are in the binary's image, found without /proc. A
// position-independent binary is loaded at a bias: the address of the headers minus their
// PT_PHDR address. Nothing for a binary whose headers are not 64-bit ones.
func ReadOnlySegments(auxv []uintptr, pageSize int) []Mapping {
	phdr, phent, phnum := auxvValue(auxv, atPhdr), auxvValue(auxv, atPhent), auxvValue(auxv, atPhnum)
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
	var out []Mapping
	for _, h := range headers {
		if h.Type != ptLoad || h.Flags&pfW != 0 || h.Memsz == 0 {
			continue
		}
		start := (bias + uintptr(h.Vaddr)) &^ (page - 1)
		end := (bias + uintptr(h.Vaddr+h.Memsz) + page - 1) &^ (page - 1)
		out = append(out, Mapping{start, end, h.Flags&pfX != 0, bias})
	}
	return out
}

// Segments returns the running binary's read-only segments (ReadOnlySegments).
func Segments() []Mapping { return ReadOnlySegments(runtimeAuxv(), syscall.Getpagesize()) }
