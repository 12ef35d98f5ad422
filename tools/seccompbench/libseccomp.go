package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

//go:embed csrc/export.c
var exportC []byte

// runcOptimizeRules is runc's threshold: with more rules than this (one per syscall name) it sets
// SCMP_FLTATR_CTL_OPTIMIZE=2.
const runcOptimizeRules = 32

// libResult is libseccomp's side of the comparison.
type libResult struct {
	version string // pkg-config --modversion libseccomp
	plain   []unix.SockFilter
	opt2    []unix.SockFilter // nil when the level is not available
	opt2Why string            // why opt2 is nil
	rules   int               // rules runc would add, one per name
	skipped []string          // names libseccomp does not know
}

// errSkip says that libseccomp's side cannot be built here; its text says why.
var errSkip = errors.New("libseccomp columns left out")

// buildLibseccomp compiles csrc/export.c in dir and runs it on s at both optimisation levels.
func buildLibseccomp(s *specs.LinuxSeccomp, dir string, install bool, log io.Writer) (*libResult, error) {
	if err := ensureTools(install, log); err != nil {
		return nil, err
	}
	out, err := exec.Command("pkg-config", "--modversion", "libseccomp").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: pkg-config --modversion libseccomp: %w", errSkip, err)
	}
	res := &libResult{version: strings.TrimSpace(string(out))}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libseccomp").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: pkg-config --cflags --libs libseccomp: %w", errSkip, err)
	}
	src, bin := filepath.Join(dir, "export.c"), filepath.Join(dir, "export")
	if err := os.WriteFile(src, exportC, 0o644); err != nil {
		return nil, err
	}
	args := append([]string{"-O2", "-Wall", "-o", bin, src}, strings.Fields(string(flags))...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: gcc %s: %w\n%s", errSkip, strings.Join(args, " "), err, out)
	}

	text, n, err := rulesText(s)
	if err != nil {
		return nil, err
	}
	res.rules = n
	rules := filepath.Join(dir, "rules")
	if err := os.WriteFile(rules, []byte(text), 0o644); err != nil {
		return nil, err
	}
	if res.plain, res.skipped, err = export(bin, rules, dir, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", errSkip, err)
	}
	if res.opt2, _, err = export(bin, rules, dir, 2); err != nil {
		res.opt2Why = err.Error()
	}
	return res, nil
}

// export runs the helper at one optimisation level and reads back the BPF it wrote and the names
// it skipped.
func export(bin, rules, dir string, optimize int) (prog []unix.SockFilter, skipped []string, err error) {
	out := filepath.Join(dir, fmt.Sprintf("filter-opt%d.bpf", optimize))
	cmd := exec.Command(bin, rules, out, fmt.Sprint(optimize))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("export optimize=%d: %w: %s", optimize, err, strings.TrimSpace(stderr.String()))
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if name, ok := strings.CutPrefix(l, "export: skipping unknown syscall "); ok {
			skipped = append(skipped, name)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, nil, err
	}
	prog, err = decode(b)
	return prog, skipped, err
}

// ensureTools makes sure gcc and libseccomp's headers are there, installing them with apt-get
// when allowed.
func ensureTools(install bool, log io.Writer) error {
	missing := func() []string {
		var m []string
		if _, err := exec.LookPath("gcc"); err != nil {
			m = append(m, "gcc", "libc6-dev")
		}
		if _, err := exec.LookPath("pkg-config"); err != nil {
			m = append(m, "pkg-config")
		}
		if exec.Command("pkg-config", "--exists", "libseccomp").Run() != nil {
			m = append(m, "libseccomp-dev")
		}
		return m
	}
	m := missing()
	if len(m) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || !install || os.Geteuid() != 0 {
		return fmt.Errorf("%w: missing %s (install them as root with apt-get, or run this as root with -install)",
			errSkip, strings.Join(m, " "))
	}
	fmt.Fprintf(log, "seccompbench: apt-get install %s\n", strings.Join(m, " "))
	aptInstall := func() error {
		cmd := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, m...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		return cmd.Run()
	}
	if aptInstall() != nil {
		update := exec.Command("apt-get", "update")
		update.Stdout, update.Stderr = log, log
		if err := update.Run(); err != nil {
			return fmt.Errorf("%w: apt-get update: %w", errSkip, err)
		}
		if err := aptInstall(); err != nil {
			return fmt.Errorf("%w: apt-get install %s: %w", errSkip, strings.Join(m, " "), err)
		}
	}
	if m = missing(); len(m) > 0 {
		return fmt.Errorf("%w: still missing after apt-get: %s", errSkip, strings.Join(m, " "))
	}
	return nil
}

// rulesText writes s in the helper's line format, making the calls runc makes: one rule per
// syscall name, rules whose action equals the default dropped (libseccomp refuses them), and,
// when two conditions name the same argument, one rule per condition. n is the number of rules
// runc counts for its optimisation threshold: every name, dropped or not.
func rulesText(s *specs.LinuxSeccomp) (text string, n int, err error) {
	var b strings.Builder
	def, err := action(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return "", 0, fmt.Errorf("default action: %w", err)
	}
	fmt.Fprintf(&b, "default %#x\n", def)
	for _, a := range s.Architectures {
		fmt.Fprintf(&b, "arch %s\n", strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
	}
	for i, sc := range s.Syscalls {
		ret, err := action(sc.Action, sc.ErrnoRet)
		if err != nil {
			return "", 0, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		for _, name := range sc.Names {
			n++
			if ret == def {
				continue
			}
			for _, group := range condGroups(sc.Args) {
				fmt.Fprintf(&b, "rule %#x %s %d", ret, name, len(group))
				for _, c := range group {
					fmt.Fprintf(&b, " %d %s %d %d", c.Index, strings.TrimPrefix(string(c.Op), "SCMP_CMP_"), c.Value, c.ValueTwo)
				}
				b.WriteByte('\n')
			}
		}
	}
	return b.String(), n, nil
}

// condGroups is runc's handling of conditions: one AND group, or one group per condition when an
// argument is named twice.
func condGroups(args []specs.LinuxSeccompArg) [][]specs.LinuxSeccompArg {
	seen := map[uint]bool{}
	for _, a := range args {
		if seen[a.Index] {
			groups := make([][]specs.LinuxSeccompArg, len(args))
			for i, a := range args {
				groups[i] = []specs.LinuxSeccompArg{a}
			}
			return groups
		}
		seen[a.Index] = true
	}
	return [][]specs.LinuxSeccompArg{args}
}

// action is the SECCOMP_RET_* value runc asks libseccomp for (SCMP_ACT_* values equal them).
func action(act specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(unix.EPERM) // runc's default for ERRNO and TRACE
	if errnoRet != nil {
		data = uint32(*errnoRet) & unix.SECCOMP_RET_DATA
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF, nil
	}
	return 0, fmt.Errorf("unknown action %q", act)
}
