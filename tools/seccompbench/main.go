package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/seccomp"
)

// x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl), spelt out so that the tool
// builds and reports the same on any host.
const (
	nrRead        = 0
	nrWrite       = 1
	nrClose       = 3
	nrMmap        = 9
	nrSocket      = 41
	nrPersonality = 135
	nrFutex       = 202
	nrEpollWait   = 232
	nrOpenat      = 257
	nrClone3      = 435
	afInet        = 2
)

// worstMax is the last number of the worst-case sweep.
const worstMax = 600

// probe is one syscall the table reports.
type probe struct {
	name string
	d    seccompData
}

func probes() []probe {
	c := func(name string, nr uint32, args ...uint64) probe {
		p := probe{name: name, d: seccompData{arch: unix.AUDIT_ARCH_X86_64, nr: nr}}
		copy(p.d.args[:], args)
		return p
	}
	return []probe{
		c("read", nrRead), c("write", nrWrite), c("openat", nrOpenat), c("close", nrClose),
		c("futex", nrFutex), c("epoll_wait", nrEpollWait), c("mmap", nrMmap), c("clone3", nrClone3),
		c("personality(0)", nrPersonality, 0), c("socket(AF_INET)", nrSocket, afInet),
		c("nr 1000 (unknown)", 1000),
	}
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain returns 0 when the report was printed (with or without libseccomp's columns) and 1
// when the harness could not run.
func realMain(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("seccompbench", flag.ContinueOnError)
	fset.SetOutput(stderr)
	profile := fset.String("profile", "internal/seccomp/testdata/docker-default-amd64.json",
		"seccomp profile (runtime-spec LinuxSeccomp JSON), relative to the working directory")
	install := fset.Bool("install", true, "as root, apt-get install gcc and libseccomp-dev when missing")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if err := report(*profile, *install, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "seccompbench: %v\n", err)
		return 1
	}
	return 0
}

func report(path string, install bool, stdout, stderr io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read profile (run from the repository root or pass -profile): %w", err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("parse profile %s: %w", path, err)
	}
	runo, _, err := seccomp.Compile(&s, "amd64")
	if err != nil {
		return err
	}
	cols := []column{{name: "runo", prog: runo}}

	dir, err := os.MkdirTemp("", "seccompbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lib, err := buildLibseccomp(&s, dir, install, stderr)
	var notes []string
	switch {
	case errors.Is(err, errSkip):
		notes = append(notes, err.Error())
	case err != nil:
		return err
	default:
		cols = append(cols, column{name: "libseccomp", prog: lib.plain})
		notes = append(notes, fmt.Sprintf("libseccomp %s (pkg-config --modversion); \"libseccomp\" is its default "+
			"optimisation level (SCMP_FLTATR_CTL_OPTIMIZE left at 1: a linear list ordered by priority)", lib.version))
		if len(lib.skipped) > 0 {
			notes = append(notes, fmt.Sprintf("libseccomp %s does not know %d names of the profile and skips them, as runc does: %s",
				lib.version, len(lib.skipped), strings.Join(lib.skipped, " ")))
		}
		if lib.opt2 != nil {
			cols = append(cols, column{name: "libseccomp opt=2", prog: lib.opt2})
			notes = append(notes, "\"libseccomp opt=2\" sets SCMP_FLTATR_CTL_OPTIMIZE=2 (binary tree)")
		} else {
			notes = append(notes, "SCMP_FLTATR_CTL_OPTIMIZE=2 not available: "+lib.opt2Why)
		}
		optimised := "would not"
		if lib.rules > runcOptimizeRules {
			optimised = "would"
		}
		notes = append(notes, fmt.Sprintf("runc %s set SCMP_FLTATR_CTL_OPTIMIZE=2 for this profile (%d rules, threshold > %d)",
			optimised, lib.rules, runcOptimizeRules))
		notes = append(notes, "libseccomp's counts are its raw output; runc prepends its -ENOSYS stub (patchbpf), "+
			"a handful more instructions per syscall (not counted here) that runo's filter already contains")
	}
	for i := range cols {
		if err := cols[i].measure(); err != nil {
			return fmt.Errorf("%s: %w", cols[i].name, err)
		}
	}
	fmt.Fprintf(stdout, "seccomp filter for %s, x86_64 (BPF instructions; ratio = runo/libseccomp)\n\n", path)
	printTable(stdout, cols)
	fmt.Fprintln(stdout)
	for _, c := range cols[1:] {
		fmt.Fprintf(stdout, "returns vs %s over x86_64 numbers 0..%d: %s\n", c.name, worstMax, agreement(cols[0], c))
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return nil
}

// column is one filter's measurements.
type column struct {
	name      string
	prog      []unix.SockFilter
	counts    []int    // per probe
	rets      []uint32 // per probe
	sweep     []uint32 // return for x86_64 numbers 0..worstMax, arguments zero
	worst     int
	worstNr   uint32
	usesLdLen bool
}

func (c *column) measure() error {
	for _, p := range probes() {
		ret, n, err := interpret(c.prog, p.d)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		c.counts, c.rets = append(c.counts, n), append(c.rets, ret)
	}
	for nr := uint32(0); nr <= worstMax; nr++ {
		ret, n, err := interpret(c.prog, seccompData{arch: unix.AUDIT_ARCH_X86_64, nr: nr})
		if err != nil {
			return fmt.Errorf("nr %d: %w", nr, err)
		}
		c.sweep = append(c.sweep, ret)
		if n > c.worst {
			c.worst, c.worstNr = n, nr
		}
	}
	for _, in := range c.prog {
		c.usesLdLen = c.usesLdLen || in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_LEN
	}
	return nil
}

func printTable(w io.Writer, cols []column) {
	// Labels left, numbers right, the returns last and left-aligned.
	var head []string
	for i, c := range cols {
		head = append(head, c.name)
		if i > 0 {
			head = append(head, "ratio")
		}
	}
	line := func(label string, cells []string, ret string) {
		fmt.Fprintf(w, "%-20s", label)
		for i, c := range cells {
			fmt.Fprintf(w, "  %*s", max(len(head[i]), 5), c)
		}
		fmt.Fprintf(w, "  %s\n", ret)
	}
	row := func(label string, get func(c column) int, ret string) {
		cells := []string{fmt.Sprint(get(cols[0]))}
		for _, c := range cols[1:] {
			cells = append(cells, fmt.Sprint(get(c)), ratio(get(cols[0]), get(c)))
		}
		line(label, cells, ret)
	}
	line("", head, "runo returns")
	row("program length", func(c column) int { return len(c.prog) }, "")
	for i, p := range probes() {
		ret := retName(cols[0].rets[i])
		for _, c := range cols[1:] {
			if c.rets[i] != cols[0].rets[i] {
				ret += fmt.Sprintf(" (%s: %s)", c.name, retName(c.rets[i]))
			}
		}
		row(p.name, func(c column) int { return c.counts[i] }, ret)
	}
	row(fmt.Sprintf("worst, nr 0..%d", worstMax), func(c column) int { return c.worst }, "")
	fmt.Fprintln(w)
	for _, c := range cols {
		ldLen := "does not use"
		if c.usesLdLen {
			ldLen = "uses"
		}
		fmt.Fprintf(w, "%s: worst case at nr %d; %s ld len\n", c.name, c.worstNr, ldLen)
	}
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// agreement compares the returns of the sweep. The numbers above the largest one the profile
// names differ by design: runo's filter contains runc's -ENOSYS stub, libseccomp's raw output
// does not.
func agreement(runo, lib column) string {
	var stub, other []string
	for nr := range runo.sweep {
		r, l := runo.sweep[nr], lib.sweep[nr]
		switch {
		case r == l:
		case r == unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS):
			stub = append(stub, fmt.Sprint(nr))
		default:
			other = append(other, fmt.Sprintf("%d (runo %s, libseccomp %s)", nr, retName(r), retName(l)))
		}
	}
	s := fmt.Sprintf("%d of %d agree", len(runo.sweep)-len(stub)-len(other), len(runo.sweep))
	if len(stub) > 0 {
		s += fmt.Sprintf("; %d answered ENOSYS by runo's stub (nr %s..%s)", len(stub), stub[0], stub[len(stub)-1])
	}
	if len(other) > 0 {
		s += fmt.Sprintf("; %d differ: %s", len(other), strings.Join(other[:min(len(other), 10)], ", "))
	}
	return s
}

func retName(r uint32) string {
	data := r & unix.SECCOMP_RET_DATA
	switch r & unix.SECCOMP_RET_ACTION_FULL {
	case unix.SECCOMP_RET_ALLOW:
		return "ALLOW"
	case unix.SECCOMP_RET_ERRNO:
		return fmt.Sprintf("ERRNO(%d)", data)
	case unix.SECCOMP_RET_KILL_THREAD:
		return "KILL_THREAD"
	case unix.SECCOMP_RET_KILL_PROCESS:
		return "KILL_PROCESS"
	case unix.SECCOMP_RET_TRAP:
		return "TRAP"
	case unix.SECCOMP_RET_TRACE:
		return fmt.Sprintf("TRACE(%d)", data)
	case unix.SECCOMP_RET_LOG:
		return "LOG"
	case unix.SECCOMP_RET_USER_NOTIF:
		return "USER_NOTIF"
	}
	return fmt.Sprintf("%#x", r)
}
