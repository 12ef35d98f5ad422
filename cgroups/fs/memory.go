package fs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

const (
	memLimit = "memory.limit_in_bytes"
	memswLim = "memory.memsw.limit_in_bytes"
	memUsage = "memory.usage_in_bytes"
)

func memoryWanted(m *specs.LinuxMemory) bool {
	return m != nil && (m.Limit != nil || m.Reservation != nil || m.Swap != nil || m.Kernel != nil ||
		m.KernelTCP != nil || m.Swappiness != nil || (m.DisableOOMKiller != nil && *m.DisableOOMKiller))
}

func i64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// setMemory writes linux.resources.memory in runc's order: limit and swap, kernel, reservation,
// kernel TCP, OOM killer, swappiness. 0 means "leave as is", as in runc. useHierarchy is
// ignored as runc does: kernels since 5.x keep it at 1 and refuse 0.
func setMemory(dir string, m *specs.LinuxMemory) error {
	limit, swap := i64(m.Limit), i64(m.Swap)
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate && limit > 0 {
		if err := checkBeforeUpdate(dir, limit); err != nil {
			return err
		}
	}
	if err := setMemoryAndSwap(dir, limit, swap); err != nil {
		return err
	}
	if err := setKmem(dir, "kernel", "memory.kmem.limit_in_bytes", m.Kernel); err != nil {
		return err
	}
	if v := i64(m.Reservation); v != 0 {
		if err := cgroups.WriteFile(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(v, 10)); err != nil {
			return err
		}
	}
	if err := setKmem(dir, "kernelTCP", "memory.kmem.tcp.limit_in_bytes", m.KernelTCP); err != nil {
		return err
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		if err := cgroups.WriteFile(dir, "memory.oom_control", "1"); err != nil {
			return err
		}
	}
	if s := m.Swappiness; s != nil && int64(*s) != -1 { // -1 (as uint64) is "unset", as in runc
		if *s > 100 {
			return fmt.Errorf("invalid memory swappiness value %d: valid range is 0-100", *s)
		}
		if err := cgroups.WriteFile(dir, "memory.swappiness", strconv.FormatUint(*s, 10)); err != nil {
			return err
		}
	}
	return nil
}

// checkBeforeUpdate refuses a limit below the current usage. cgroup v1 would otherwise try to
// reclaim down to the limit first, which is what the spec's checkBeforeUpdate asks to avoid.
func checkBeforeUpdate(dir string, limit int64) error {
	usage, err := readUint(dir, memUsage)
	if err != nil {
		return err
	}
	if uint64(limit) < usage {
		return fmt.Errorf("memory limit %d is below the current usage %d (checkBeforeUpdate)", limit, usage)
	}
	return nil
}

// setMemoryAndSwap writes the limit and memory+swap limit. The kernel keeps memsw >= limit at
// every moment, so the order depends on the direction of the change (runc's rule): when the
// new memsw is unlimited or above the current limit, memsw goes first, otherwise the limit.
func setMemoryAndSwap(dir string, limit, swap int64) error {
	// An unlimited memory with no swap given also lifts swap, where the kernel has swap
	// accounting.
	if limit == -1 && swap == 0 {
		if exists(dir, memswLim) {
			swap = -1
		}
	}
	if limit != 0 && swap != 0 {
		cur, err := readUint(dir, memLimit)
		if err != nil {
			return err
		}
		if swap == -1 || cur < uint64(swap) {
			if err := writeSwap(dir, swap); err != nil {
				return err
			}
			return writeLimit(dir, limit)
		}
	}
	if err := writeLimit(dir, limit); err != nil {
		return err
	}
	return writeSwap(dir, swap)
}

func writeLimit(dir string, v int64) error {
	if v == 0 {
		return nil
	}
	err := cgroups.WriteFile(dir, memLimit, strconv.FormatInt(v, 10))
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	// EBUSY: the kernel could not reclaim down to the new limit. Say so with the numbers.
	usage, uerr := readUint(dir, memUsage)
	peak, perr := readUint(dir, "memory.max_usage_in_bytes")
	if uerr != nil || perr != nil {
		return err
	}
	return fmt.Errorf("unable to set memory limit to %d (current usage: %d, peak usage: %d): %w", v, usage, peak, err)
}

func writeSwap(dir string, v int64) error {
	if v == 0 {
		return nil
	}
	if !exists(dir, memswLim) {
		return fmt.Errorf("memory.swap: the kernel has no swap accounting (%s): %w", memswLim, cgroups.ErrNotSupported)
	}
	return cgroups.WriteFile(dir, memswLim, strconv.FormatInt(v, 10))
}

// setKmem writes a kernel memory limit. The kmem files are gone from recent kernels (and the
// spec deprecates the fields): an unset or zero value is then no error, a limit is.
func setKmem(dir, field, file string, p *int64) error {
	if p == nil || *p == 0 {
		return nil
	}
	if !exists(dir, file) {
		return fmt.Errorf("memory.%s: this kernel has no %s: %w", field, file, cgroups.ErrNotSupported)
	}
	return cgroups.WriteFile(dir, file, strconv.FormatInt(*p, 10))
}

// memoryStats reads the memory controller's counters as runc does.
func memoryStats(dir string, s *cgroups.Stats) error {
	raw, err := readFlatKeyed(dir, "memory.stat")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["cache"]
	for _, e := range []struct {
		name string
		to   *cgroups.MemoryEntry
	}{{"", &s.Memory.Usage}, {"memsw", &s.Memory.Swap}, {"kmem", &s.Memory.Kernel}, {"kmem.tcp", &s.Memory.KernelTCP}} {
		if *e.to, err = memoryEntry(dir, e.name); err != nil {
			return err
		}
	}
	return nil
}

// memoryEntry reads usage, peak, failcnt and limit of memory (name "") or memory.<name>. The
// swap and kmem files are optional in the kernel: missing ones give a zero entry.
func memoryEntry(dir, name string) (cgroups.MemoryEntry, error) {
	prefix := "memory."
	if name != "" {
		prefix += name + "."
	}
	var e cgroups.MemoryEntry
	for _, f := range []struct {
		file string
		to   *uint64
	}{{"usage_in_bytes", &e.Usage}, {"max_usage_in_bytes", &e.Max}, {"failcnt", &e.Failcnt}, {"limit_in_bytes", &e.Limit}} {
		v, err := readUint(dir, prefix+f.file)
		if err != nil {
			if name != "" && errors.Is(err, os.ErrNotExist) {
				return cgroups.MemoryEntry{}, nil
			}
			return cgroups.MemoryEntry{}, err
		}
		*f.to = v
	}
	return e, nil
}

// oomKillCount reads the "oom_kill" counter of memory.oom_control (0 on kernels before 4.13,
// which do not count).
func oomKillCount(dir string) (uint64, error) {
	m, err := readFlatKeyed(dir, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	return m["oom_kill"], nil
}
