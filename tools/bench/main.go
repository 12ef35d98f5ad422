package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The outer harness passes its work directory and cgroup tag to the re-executed inner one.
const (
	envWorkDir = "RUNO_BENCH_WORKDIR"
	envTag     = "RUNO_BENCH_TAG"
)

type options struct {
	runo, runc, crun string
	busybox          string
	n, warmup        int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code: 0 when the report was printed (failed measurements show in it),
// 1 when the harness itself could not run, 130 when interrupted.
func run(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("bench", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o options
	fset.StringVar(&o.runo, "runo", "", "path to the runo binary under test")
	fset.StringVar(&o.runc, "runc", "/usr/sbin/runc", "path to runc")
	fset.StringVar(&o.crun, "crun", "/usr/bin/crun", "path to crun")
	fset.StringVar(&o.busybox, "busybox", "/usr/bin/busybox", "static busybox for the container's root filesystem")
	fset.IntVar(&o.n, "n", 30, "recorded iterations")
	fset.IntVar(&o.warmup, "warmup", 2, "unrecorded warm-up iterations")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if o.n < 1 || o.warmup < 0 {
		fmt.Fprintln(stderr, "bench: -n must be at least 1 and -warmup not negative")
		return 2
	}
	if isInner() {
		return inner(o, os.Getenv(envWorkDir), os.Getenv(envTag), stdout, stderr)
	}
	if err := outer(args, stderr); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() > 0 {
			return exitErr.ExitCode()
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// outer creates the work directory, re-executes the harness in a new mount namespace and, when
// that returns however it ends, removes the bench cgroups and the work directory: the inner
// harness cleans up too, this is the net for one that was killed.
func outer(args []string, stderr io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root: it creates containers, cgroups and a mount namespace")
	}
	workDir, err := os.MkdirTemp("", "runo-bench-")
	if err != nil {
		return fmt.Errorf("create work directory: %w", err)
	}
	tag := strconv.Itoa(os.Getpid())
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Env = append(os.Environ(), envWorkDir+"="+workDir, envTag+"="+tag)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Go makes / recursively private in the child right after unshare, before exec.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(sigs)
	runErr := cmd.Start()
	if runErr == nil {
		done := make(chan struct{})
		go func() {
			// Forward, so that a SIGTERM sent to this pid alone also stops the inner harness.
			for {
				select {
				case s := <-sigs:
					_ = cmd.Process.Signal(s)
				case <-done:
					return
				}
			}
		}()
		runErr = cmd.Wait()
		close(done)
	} else {
		runErr = fmt.Errorf("re-execute in a mount namespace: %w", runErr)
	}
	for _, err := range removeCgroupParents(tag) {
		fmt.Fprintf(stderr, "bench: cleanup: %v\n", err)
	}
	if err := os.RemoveAll(workDir); err != nil {
		fmt.Fprintf(stderr, "bench: cleanup: remove %s: %v\n", workDir, err)
	}
	return runErr
}

// inner runs in the private mount namespace: it prepares the bundle and the runtimes, measures,
// prints the report and cleans up whatever it created, also after SIGINT/SIGTERM.
func inner(o options, workDir, tag string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer stop()
	msg, err := coverUnified()
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, msg)
	// Containers' processes outlive `create`; as subreaper the harness collects them instead of
	// leaving zombies to whatever the host's PID 1 is.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(stderr, "bench: become child subreaper: %v\n", err)
		return 1
	}
	runtimes, err := setupRuntimes(o, workDir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	defer func() {
		for _, r := range runtimes {
			r.stderr.Close()
		}
	}()
	if len(runtimes) == 0 {
		fmt.Fprintln(stderr, "bench: no runtime to measure")
		return 1
	}
	specTool := o.runc
	if checkExecutable(specTool) != nil {
		specTool = o.crun
	}
	bnd, err := newBundle(filepath.Join(workDir, "bundle"), o.busybox, specTool)
	if err != nil {
		fmt.Fprintf(stderr, "bench: create bundle: %v\n", err)
		return 1
	}
	b := newBench(ctx, bnd, runtimes, "/"+cgroupParentName(tag), stdout)
	code := measure(ctx, b, o, stdout, stderr)
	for _, err := range b.cleanup() {
		fmt.Fprintf(stderr, "bench: cleanup: %v\n", err)
		code = 1
	}
	for _, err := range removeCgroupParents(tag) {
		fmt.Fprintf(stderr, "bench: cleanup: %v\n", err)
		code = 1
	}
	return code
}

// measure runs the preflight, the iterations and prints the report.
func measure(ctx context.Context, b *bench, o options, stdout, stderr io.Writer) int {
	b.preflight()
	fmt.Fprintf(stdout, "measuring %d iterations after %d warm-up, runtimes interleaved round-robin\n", o.n, o.warmup)
	b.loop(o.warmup, o.n, stderr)
	code := 0
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted: report of the iterations completed so far")
		code = 130
	}
	names := make([]string, 0, len(b.runtimes))
	for _, r := range b.runtimes {
		names = append(names, r.name)
	}
	fmt.Fprintln(stdout)
	if err := renderReport(stdout, b.res, names); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "\nwall: around the runtime process, fork/exec included; cpu: user+sys of the runtime and the")
	fmt.Fprintln(stdout, "children it reaped (wait4 rusage); maxrss: peak resident set of the same, as wait4 reports it.")
	for _, n := range b.footnotes {
		fmt.Fprintln(stdout, n)
	}
	return code
}

// setupRuntimes returns the runtimes that exist, each with its own --root, and says which are
// skipped and why.
func setupRuntimes(o options, workDir string, stdout io.Writer) ([]*runtime, error) {
	var out []*runtime
	for _, c := range []struct{ name, path string }{{"runo", o.runo}, {"runc", o.runc}, {"crun", o.crun}} {
		if err := checkExecutable(c.path); err != nil {
			fmt.Fprintf(stdout, "skipping %s: %v\n", c.name, err)
			continue
		}
		path, err := filepath.Abs(c.path)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", c.path, err)
		}
		root := filepath.Join(workDir, "root-"+c.name)
		if err := os.Mkdir(root, 0o700); err != nil {
			return nil, fmt.Errorf("create root for %s: %w", c.name, err)
		}
		f, err := os.Create(filepath.Join(workDir, c.name+".stderr"))
		if err != nil {
			return nil, fmt.Errorf("create stderr file for %s: %w", c.name, err)
		}
		r := &runtime{name: c.name, path: path, root: root, stderr: f}
		fmt.Fprintf(stdout, "%s: %s (%s), --root %s\n", c.name, path, r.version(), root)
		out = append(out, r)
	}
	return out, nil
}
