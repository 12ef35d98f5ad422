package devices

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ProgramName is the name runo's device programs are loaded with; Apply replaces only programs
// of this name (the kernel keeps the first 15 bytes of a name).
const ProgramName = "runo_devices"

// Apply loads the program for rules and attaches it to the cgroup v2 directory dir with
// BPF_F_ALLOW_MULTI, then detaches the programs a previous Apply attached there. The new program
// is attached before the old ones go, so the cgroup is never without a filter; meanwhile both
// run and a device must pass both.
func Apply(dir string, rules []specs.LinuxDeviceCgroup) error {
	insts, err := Program(rules)
	if err != nil {
		return err
	}
	return attach(dir, insts)
}

func attach(dir string, insts asm.Instructions) error {
	f, err := os.OpenFile(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("device filter: %w", err)
	}
	defer f.Close()
	fd := int(f.Fd())

	old, err := attached(fd)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	defer closeAll(old)

	prog, err := load(insts)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	// The attachment holds its own reference to the program.
	defer prog.Close()
	if err := link.RawAttachProgram(link.RawAttachProgramOptions{
		Target:  fd,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	}); err != nil {
		return fmt.Errorf("attach device filter to %s (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI): %w", dir, err)
	}
	for _, p := range old {
		if err := detach(fd, p); err != nil {
			return fmt.Errorf("detach old device filter from %s: %w", dir, err)
		}
	}
	return nil
}

// load loads the program. Before Linux 5.11 BPF memory is charged to RLIMIT_MEMLOCK, whose
// default is too small, so on EPERM the limit is lifted and the load retried, as runc does (the
// container does not inherit runo's limit: init sets the spec's rlimits).
func load(insts asm.Instructions) (*ebpf.Program, error) {
	spec := &ebpf.ProgramSpec{
		Name:         ProgramName,
		Type:         ebpf.CGroupDevice,
		Instructions: insts,
		License:      License,
	}
	prog, err := ebpf.NewProgram(spec)
	if errors.Is(err, unix.EPERM) {
		inf := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
		if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &inf) == nil {
			prog, err = ebpf.NewProgram(spec)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load BPF_PROG_TYPE_CGROUP_DEVICE program: %w", err)
	}
	return prog, nil
}

// attached returns runo's device programs attached to the cgroup fd. Programs that cannot be
// opened (an LSM may forbid it) or that are not runo's are left alone: another device program
// can only restrict further.
func attached(fd int) ([]*ebpf.Program, error) {
	res, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, fmt.Errorf("query BPF_CGROUP_DEVICE programs: %w", err)
	}
	var progs []*ebpf.Program
	for _, ap := range res.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			closeAll(progs)
			return nil, fmt.Errorf("open BPF program %d: %w", ap.ID, err)
		}
		if info, err := p.Info(); err != nil || info.Name != ProgramName {
			p.Close()
			continue
		}
		progs = append(progs, p)
	}
	return progs, nil
}

func detach(fd int, p *ebpf.Program) error {
	err := link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
	if errors.Is(err, unix.ENOENT) {
		return nil // detached meanwhile, by a concurrent Apply or the cgroup's removal
	}
	return err
}

func closeAll(progs []*ebpf.Program) {
	for _, p := range progs {
		p.Close()
	}
}

// Remove detaches runo's device programs from the cgroup v2 directory dir.
func Remove(dir string) error {
	f, err := os.OpenFile(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("device filter: %w", err)
	}
	defer f.Close()
	old, err := attached(int(f.Fd()))
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	defer closeAll(old)
	for _, p := range old {
		if err := detach(int(f.Fd()), p); err != nil {
			return fmt.Errorf("detach device filter from %s: %w", dir, err)
		}
	}
	return nil
}
