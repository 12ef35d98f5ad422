package devices

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bpf(2) commands runo uses, each with the part of union bpf_attr it reads. The kernel
// accepts an attr shorter than its own union and takes the missing fields as zero.

type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [unix.BPF_OBJ_NAME_LEN]byte
}

type progAttachAttr struct {
	targetFd    uint32
	attachBpfFd uint32
	attachType  uint32
	attachFlags uint32
}

type progQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type getFdByIDAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

type objInfoAttr struct {
	bpfFd   uint32
	infoLen uint32
	info    uint64
}

// progInfo is struct bpf_prog_info up to its name, the field runo reads.
type progInfo struct {
	progType        uint32
	id              uint32
	tag             [8]byte
	jitedProgLen    uint32
	xlatedProgLen   uint32
	jitedProgInsns  uint64
	xlatedProgInsns uint64
	loadTime        uint64
	createdByUID    uint32
	nrMapIDs        uint32
	mapIDs          uint64
	name            [unix.BPF_OBJ_NAME_LEN]byte
}

// maxCgroupProgs is how many programs the kernel lets a cgroup have attached for one attach
// type (BPF_CGROUP_MAX_PROGS).
const maxCgroupProgs = 64

// address pins what p points to and returns its address for a __aligned_u64 field of
// bpf_attr: pinned, it is on the heap and stays put until pin is unpinned, where a stack object
// known only by a number could move when the stack grows.
func address(pin *runtime.Pinner, p unsafe.Pointer) uint64 {
	pin.Pin(p)
	return uint64(uintptr(p))
}

func bpf[T any](cmd uintptr, attr *T) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// loadProgram loads insns as a BPF_PROG_TYPE_CGROUP_DEVICE program called name and returns
// its file descriptor. When the kernel refuses the program, the load is repeated with the
// verifier's log, whose end then explains the error.
func loadProgram(insns []insn, name string) (int, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	license := []byte(License + "\x00")
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(insns)),
		insns:    address(&pin, unsafe.Pointer(unsafe.SliceData(insns))),
		license:  address(&pin, unsafe.Pointer(unsafe.SliceData(license))),
	}
	copy(attr.progName[:len(attr.progName)-1], name)
	fd, err := loadRetrying(&attr)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) {
		log := make([]byte, 64<<10)
		attr.logLevel, attr.logSize = 1, uint32(len(log))
		attr.logBuf = address(&pin, unsafe.Pointer(unsafe.SliceData(log)))
		if _, err2 := loadRetrying(&attr); err2 != nil {
			if msg := verifierReason(log); msg != "" {
				err = fmt.Errorf("%w (verifier: %s)", err, msg)
			}
		}
	}
	return fd, err
}

// loadRetrying loads a program; the verifier gives up with EAGAIN when a signal arrives
// (Go's runtime sends them to preempt), and a new try is all it takes.
func loadRetrying(attr *progLoadAttr) (int, error) {
	for {
		fd, err := bpf(unix.BPF_PROG_LOAD, attr)
		if err != unix.EAGAIN {
			return fd, err
		}
	}
}

// verifierReason returns the end of a verifier log, where the kernel says why it refused a
// program, on one line: the last two lines before the statistics that close every log.
func verifierReason(log []byte) string {
	if i := bytes.IndexByte(log, 0); i >= 0 {
		log = log[:i]
	}
	var lines []string
	for _, l := range strings.Split(string(log), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "processed ") && !strings.HasPrefix(l, "verification time") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-2):], "; ")
}

// attachProgram attaches the program prog to the cgroup directory cgroup as a device filter,
// next to the ones there (BPF_F_ALLOW_MULTI).
func attachProgram(cgroup, prog int) error {
	_, err := bpf(unix.BPF_PROG_ATTACH, &progAttachAttr{
		targetFd:    uint32(cgroup),
		attachBpfFd: uint32(prog),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	})
	return err
}

func detachProgram(cgroup, prog int) error {
	_, err := bpf(unix.BPF_PROG_DETACH, &progAttachAttr{
		targetFd:    uint32(cgroup),
		attachBpfFd: uint32(prog),
		attachType:  unix.BPF_CGROUP_DEVICE,
	})
	return err
}

// queryPrograms returns the IDs of the device programs attached to the cgroup directory.
func queryPrograms(cgroup int) ([]uint32, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	ids := make([]uint32, maxCgroupProgs)
	attr := progQueryAttr{
		targetFd:   uint32(cgroup),
		attachType: unix.BPF_CGROUP_DEVICE,
		progIDs:    address(&pin, unsafe.Pointer(unsafe.SliceData(ids))),
		progCnt:    uint32(len(ids)),
	}
	_, err := bpf(unix.BPF_PROG_QUERY, &attr)
	if err != nil {
		return nil, err
	}
	return ids[:attr.progCnt], nil
}

// programByID opens the program with the kernel-wide ID id.
func programByID(id uint32) (int, error) {
	return bpf(unix.BPF_PROG_GET_FD_BY_ID, &getFdByIDAttr{id: id})
}

// programName returns the name the program prog was loaded with.
func programName(prog int) (string, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	info := new(progInfo)
	attr := objInfoAttr{
		bpfFd:   uint32(prog),
		infoLen: uint32(unsafe.Sizeof(*info)),
		info:    address(&pin, unsafe.Pointer(info)),
	}
	_, err := bpf(unix.BPF_OBJ_GET_INFO_BY_FD, &attr)
	if err != nil {
		return "", err
	}
	return unix.ByteSliceToString(info.name[:]), nil
}
