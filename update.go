package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli"
)

var updateCommand = cli.Command{
	Name:      "update",
	Usage:     "change the resource limits of a container",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "resources, r", Usage: "a linux.resources JSON file, or - for stdin"},
		cli.StringFlag{Name: "blkio-weight", Usage: "block IO weight (10-1000)"},
		cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period in microseconds"},
		cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS quota in microseconds"},
		cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		cli.StringFlag{Name: "cpu-rt-period", Usage: "CPU realtime period in microseconds"},
		cli.StringFlag{Name: "cpu-rt-runtime", Usage: "CPU realtime runtime in microseconds"},
		cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3, 0,1)"},
		cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use (0-3, 0,1)"},
		cli.StringFlag{Name: "cpu-idle", Usage: "1 to give the cgroup SCHED_IDLE"},
		cli.StringFlag{Name: "kernel-memory", Usage: "kernel memory limit (deprecated by the kernel)"},
		cli.StringFlag{Name: "kernel-memory-tcp", Usage: "kernel TCP buffer limit"},
		cli.StringFlag{Name: "memory", Usage: "memory limit, bytes or with a k/m/g suffix; -1 for none"},
		cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit; -1 for none"},
		cli.IntFlag{Name: "pids-limit", Usage: "maximum number of processes; -1 or 0 for none"},
		cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT L3 cache schema (not supported)"},
		cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT memory bandwidth schema (not supported)"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		r, err := updateResources(ctx)
		if err != nil {
			return err
		}
		c, err := loadContainer(ctx)
		if err != nil {
			return err
		}
		return c.Update(r)
	},
}

// updateResources builds the update from --resources and then the single-value flags.
func updateResources(ctx *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if path := ctx.String("resources"); path != "" {
		var in io.Reader = os.Stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
			in = f
		}
		if err := json.NewDecoder(in).Decode(r); err != nil {
			return nil, fmt.Errorf("--resources %s: decode linux.resources: %w", path, err)
		}
	}
	for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if ctx.IsSet(name) {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported", name)
		}
	}
	u := flagReader{ctx: ctx}
	if mem := (specs.LinuxMemory{
		Limit: u.bytes("memory"), Reservation: u.bytes("memory-reservation"), Swap: u.bytes("memory-swap"),
		Kernel: u.bytes("kernel-memory"), KernelTCP: u.bytes("kernel-memory-tcp"),
	}); mem != (specs.LinuxMemory{}) {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		setIf(&r.Memory.Limit, mem.Limit)
		setIf(&r.Memory.Reservation, mem.Reservation)
		setIf(&r.Memory.Swap, mem.Swap)
		setIf(&r.Memory.Kernel, mem.Kernel) //nolint:staticcheck // deprecated, still accepted
		setIf(&r.Memory.KernelTCP, mem.KernelTCP)
	}
	cpu := specs.LinuxCPU{
		Shares: u.uint64("cpu-share"), Quota: u.int64("cpu-quota"), Period: u.uint64("cpu-period"),
		RealtimeRuntime: u.int64("cpu-rt-runtime"), RealtimePeriod: u.uint64("cpu-rt-period"),
		Cpus: ctx.String("cpuset-cpus"), Mems: ctx.String("cpuset-mems"), Idle: u.int64("cpu-idle"),
	}
	if cpu.Shares != nil || cpu.Quota != nil || cpu.Period != nil || cpu.RealtimeRuntime != nil ||
		cpu.RealtimePeriod != nil || cpu.Cpus != "" || cpu.Mems != "" || cpu.Idle != nil {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		r.CPU = mergeCPUFlags(r.CPU, &cpu)
	}
	if w := u.uint64("blkio-weight"); w != nil {
		weight := uint16(*w)
		if r.BlockIO == nil {
			r.BlockIO = &specs.LinuxBlockIO{}
		}
		r.BlockIO.Weight = &weight
	}
	if ctx.IsSet("pids-limit") {
		limit := int64(ctx.Int("pids-limit"))
		r.Pids = &specs.LinuxPids{Limit: &limit}
	}
	return r, u.err
}

func mergeCPUFlags(dst, src *specs.LinuxCPU) *specs.LinuxCPU {
	if src.Shares != nil {
		dst.Shares = src.Shares
	}
	setIf(&dst.Quota, src.Quota)
	if src.Period != nil {
		dst.Period = src.Period
	}
	setIf(&dst.RealtimeRuntime, src.RealtimeRuntime)
	if src.RealtimePeriod != nil {
		dst.RealtimePeriod = src.RealtimePeriod
	}
	if src.Cpus != "" {
		dst.Cpus = src.Cpus
	}
	if src.Mems != "" {
		dst.Mems = src.Mems
	}
	setIf(&dst.Idle, src.Idle)
	return dst
}

func setIf(dst **int64, v *int64) {
	if v != nil {
		*dst = v
	}
}

// flagReader parses optional numeric flags, keeping the first error, which names its flag.
type flagReader struct {
	ctx *cli.Context
	err error
}

func (f *flagReader) value(name string) (string, bool) {
	if !f.ctx.IsSet(name) || f.err != nil {
		return "", false
	}
	return f.ctx.String(name), true
}

func (f *flagReader) int64(name string) *int64 {
	s, ok := f.value(name)
	if !ok {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.err = fmt.Errorf("--%s: %q is not an integer", name, s)
		return nil
	}
	return &v
}

func (f *flagReader) uint64(name string) *uint64 {
	s, ok := f.value(name)
	if !ok {
		return nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		f.err = fmt.Errorf("--%s: %q is not a non-negative integer", name, s)
		return nil
	}
	return &v
}

func (f *flagReader) bytes(name string) *int64 {
	s, ok := f.value(name)
	if !ok {
		return nil
	}
	v, err := parseBytes(s)
	if err != nil {
		f.err = fmt.Errorf("--%s: %w", name, err)
		return nil
	}
	return &v
}

// parseBytes reads a size as runc does (docker's RAMInBytes): a number with an optional binary
// suffix k, m, g, t or p (case-insensitive, an optional trailing b), or -1 for no limit.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	t := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	shift := 0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("kmgtp", t[n-1]); i >= 0 {
			shift = 10 * (i + 1)
			t = t[:n-1]
		}
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64>>shift {
			return 0, fmt.Errorf("invalid size %q: out of range", s)
		}
		return n << shift, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	v *= float64(int64(1) << shift)
	if v >= math.MaxInt64 { // float64(MaxInt64) rounds up to 2^63
		return 0, fmt.Errorf("invalid size %q: out of range", s)
	}
	return int64(v), nil
}
