package fs2

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/cgroups"
)

// numToStr converts a spec value for a .max, .low or .high file as runc does: 0 is unset (""),
// -1 is "max" (cgroup v1 wrote -1 to remove a limit).
func numToStr(v int64) string {
	switch v {
	case 0:
		return ""
	case -1:
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// MemorySwapToV2 converts the spec's memory+swap limit to cgroup v2's swap-only
// memory.swap.max value, as runc's ConvertMemorySwapToCgroupV2Value: 0 unset, -1 unlimited.
func MemorySwapToV2(swap, memory int64) (int64, error) {
	switch {
	case memory == -1 && swap == 0:
		// Unlimited memory with no swap given: unlimited swap too, as cgroup v1 did.
		return -1, nil
	case swap == -1, swap == 0:
		return swap, nil
	case memory == -1:
		return swap, nil
	case memory == 0:
		return 0, errors.New("unable to set swap limit without memory limit")
	case memory < 0:
		return 0, fmt.Errorf("invalid memory value: %d", memory)
	case swap < memory:
		return 0, errors.New("memory+swap limit should be >= memory limit")
	}
	return swap - memory, nil
}

// setMemory writes memory.swap.max, memory.max and memory.low (from the reservation) as runc
// does. Kernel, KernelTCP, Swappiness and DisableOOMKiller have no v2 file and are ignored, as by
// runc; memory.oom.group is left to the kernel's default (runc does not set it either: use
// linux.resources.unified to set it).
func setMemory(dir string, m *specs.LinuxMemory) error {
	if m == nil {
		return nil
	}
	var limit, swap, reservation int64
	if m.Limit != nil {
		limit = *m.Limit
	}
	if m.Swap != nil {
		swap = *m.Swap
	}
	if m.Reservation != nil {
		reservation = *m.Reservation
	}
	if limit == 0 && swap == 0 && reservation == 0 {
		return nil
	}
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate {
		if err := checkMemoryUsage(dir, limit, swap); err != nil {
			return err
		}
	}
	v2swap, err := MemorySwapToV2(swap, limit)
	if err != nil {
		return fmt.Errorf("memory.swap.max for %s: %w", dir, err)
	}
	swapStr := numToStr(v2swap)
	if swapStr == "" && v2swap == 0 && swap > 0 {
		swapStr = "0" // memory and memory+swap equal: no swap
	}
	// Never write "" to memory.swap.max: the kernel would read it as 0.
	if swapStr != "" {
		if err := writeFile(dir, "memory.swap.max", swapStr); err != nil {
			// Without swap accounting there is no file; "max" and "0" then hold anyway.
			if !(isNotExist(err) && (swapStr == "max" || swapStr == "0")) {
				return err
			}
		}
	}
	if s := numToStr(limit); s != "" {
		if err := writeFile(dir, "memory.max", s); err != nil {
			return err
		}
	}
	if s := numToStr(reservation); s != "" {
		if err := writeFile(dir, "memory.low", s); err != nil {
			return err
		}
	}
	return nil
}

// checkMemoryUsage refuses limits at or below the current usage (memory.checkBeforeUpdate). It
// is best effort, as runc's: an unreadable usage lets the update through.
func checkMemoryUsage(dir string, limit, swap int64) error {
	if limit <= 0 && swap <= 0 {
		return nil
	}
	usage, err := readUint(dir, "memory.current")
	if err != nil {
		return nil
	}
	if swap > 0 && uint64(swap) <= usage {
		return fmt.Errorf("rejecting memory+swap limit %d <= usage %d", swap, usage)
	}
	if limit > 0 && uint64(limit) <= usage {
		return fmt.Errorf("rejecting memory limit %d <= usage %d", limit, usage)
	}
	return nil
}

// statMemory fills the memory stats as runc's fs2: memory.stat raw (cache is its "file"),
// usage, limit and peak from memory.{current,max,peak}, and swap reported as memory+swap (the
// v1 meaning that runc's events keep), its limit too unless unlimited.
func statMemory(dir string, st *cgroups.Stats) error {
	raw, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	st.Memory.Raw = raw
	st.Memory.Cache = raw["file"]
	usage, err := memoryEntry(dir, "memory")
	if err != nil {
		return err
	}
	st.Memory.Usage = usage
	swap, err := memoryEntry(dir, "memory.swap")
	if err != nil {
		if !isNotExist(err) {
			return err
		}
		swap = cgroups.MemoryEntry{} // no swap accounting
	}
	swap.Usage += usage.Usage
	if swap.Limit != math.MaxUint64 {
		swap.Limit += usage.Limit
	}
	swap.Max = 0 // the peak of memory+swap is not the sum of the peaks
	st.Memory.Swap = swap
	return nil
}

// memoryEntry reads <prefix>.current, .max and, where the kernel has it, .peak (memory.peak
// since 5.19, memory.swap.peak since 6.5).
func memoryEntry(dir, prefix string) (cgroups.MemoryEntry, error) {
	var e cgroups.MemoryEntry
	var err error
	if e.Usage, err = readUint(dir, prefix+".current"); err != nil {
		return e, err
	}
	if e.Limit, err = readUint(dir, prefix+".max"); err != nil {
		return e, err
	}
	if e.Max, err = readUint(dir, prefix+".peak"); err != nil && !isNotExist(err) {
		return e, err
	}
	return e, nil
}
