package devices

import (
	"errors"
	"fmt"
	"os"

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
	insns, err := programFor(rules)
	if err != nil {
		return err
	}
	cgroup, err := openCgroup(dir)
	if err != nil {
		return err
	}
	defer unix.Close(cgroup)

	old, err := attached(cgroup)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	defer closeAll(old)

	prog, err := load(insns, ProgramName)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	// The attachment holds its own reference to the program.
	defer unix.Close(prog)
	if err := attachProgram(cgroup, prog); err != nil {
		return fmt.Errorf("attach device filter to %s (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI): %w", dir, err)
	}
	if err := detachAll(cgroup, old); err != nil {
		return fmt.Errorf("detach old device filter from %s: %w", dir, err)
	}
	return nil
}

// Remove detaches runo's device programs from the cgroup v2 directory dir.
func Remove(dir string) error {
	cgroup, err := openCgroup(dir)
	if err != nil {
		return err
	}
	defer unix.Close(cgroup)
	old, err := attached(cgroup)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	defer closeAll(old)
	if err := detachAll(cgroup, old); err != nil {
		return fmt.Errorf("detach device filter from %s: %w", dir, err)
	}
	return nil
}

func openCgroup(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("device filter: open %s: %w", dir, err)
	}
	return fd, nil
}

// load loads the program. Before Linux 5.11 BPF memory is charged to RLIMIT_MEMLOCK, whose
// default is too small, so on EPERM the limit is lifted and the load retried, as runc does (the
// container does not inherit runo's limit: init sets the spec's rlimits).
func load(insns []insn, name string) (int, error) {
	prog, err := loadProgram(insns, name)
	if errors.Is(err, unix.EPERM) {
		inf := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
		if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &inf) == nil {
			prog, err = loadProgram(insns, name)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("load BPF_PROG_TYPE_CGROUP_DEVICE program: %w", err)
	}
	return prog, nil
}

// attached returns file descriptors of runo's device programs attached to the cgroup. Programs
// that cannot be opened (an LSM may forbid it) or that are not runo's are left alone: another
// device program can only restrict further.
func attached(cgroup int) ([]int, error) {
	ids, err := queryPrograms(cgroup)
	if err != nil {
		return nil, fmt.Errorf("query BPF_CGROUP_DEVICE programs: %w", err)
	}
	var progs []int
	for _, id := range ids {
		p, err := programByID(id)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			closeAll(progs)
			return nil, fmt.Errorf("open BPF program %d: %w", id, err)
		}
		if name, err := programName(p); err != nil || name != ProgramName {
			unix.Close(p)
			continue
		}
		progs = append(progs, p)
	}
	return progs, nil
}

// detachAll detaches progs from the cgroup; one detached meanwhile, by a concurrent Apply or
// the cgroup's removal, is no error.
func detachAll(cgroup int, progs []int) error {
	for _, p := range progs {
		if err := detachProgram(cgroup, p); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

func closeAll(progs []int) {
	for _, p := range progs {
		unix.Close(p)
	}
}
