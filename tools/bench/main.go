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
	"slices"
	"strconv"
	"strings"
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
	// phases holds the phases to run; every phase when -only is not given.
	phases map[string]bool
	// crowd is how many containers the crowd phase puts in each root, crowdN its iterations.
	crowd, crowdN int
	// lanes are the lane counts of the parallel phase, parallelTotal the runs of one batch and
	// parallelN its iterations.
	lanes                    []int
	parallelTotal, parallelN int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code: 0 when the report was printed (failed measurements show in it),
// 1 when the harness itself could not run, 130 when interrupted.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
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

// parseOptions parses and checks the command line, and explains on stderr what is wrong with it.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	o, err := parseFlags(args, stderr)
	// The flag package has printed its own errors with the usage already.
	if err != nil && !errors.Is(err, errFlagSyntax) {
		fmt.Fprintf(stderr, "bench: %v\n", err)
	}
	return o, err
}

// errFlagSyntax marks an error that the flag package has reported.
var errFlagSyntax = errors.New("flag syntax")

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fset := flag.NewFlagSet("bench", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o options
	var only, lanes string
	fset.StringVar(&o.runo, "runo", "", "path to the runo binary under test")
	fset.StringVar(&o.runc, "runc", "/usr/sbin/runc", "path to runc")
	fset.StringVar(&o.crun, "crun", "/usr/bin/crun", "path to crun")
	fset.StringVar(&o.busybox, "busybox", "/usr/bin/busybox", "static busybox for the container's root filesystem")
	fset.IntVar(&o.n, "n", 30, "recorded iterations of the main loop")
	fset.IntVar(&o.warmup, "warmup", 2, "unrecorded warm-up iterations of every phase")
	fset.StringVar(&only, "only", "", "comma-separated phases to run, of "+strings.Join(phaseNames(), ","))
	fset.IntVar(&o.crowd, "crowd", 100, "created containers in each root for the crowd phase")
	fset.IntVar(&o.crowdN, "crowd-n", 10, "recorded iterations of the crowd phase")
	fset.StringVar(&lanes, "lanes", "2,8", "comma-separated lane counts of the parallel phase")
	fset.IntVar(&o.parallelTotal, "parallel-total", 32, "containers run by one batch of the parallel phase, split across the lanes")
	fset.IntVar(&o.parallelN, "parallel-n", 5, "recorded batches per lane count of the parallel phase")
	if err := fset.Parse(args); err != nil {
		return options{}, fmt.Errorf("%w: %w", errFlagSyntax, err)
	}
	if fset.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fset.Args())
	}
	var err error
	if o.phases, err = parsePhases(only); err != nil {
		return options{}, fmt.Errorf("-only: %w", err)
	}
	if o.lanes, err = parsePositiveInts(lanes); err != nil {
		return options{}, fmt.Errorf("-lanes: %w", err)
	}
	if o.n < 1 || o.crowd < 1 || o.crowdN < 1 || o.parallelN < 1 || o.warmup < 0 {
		return options{}, errors.New("-n, -crowd, -crowd-n and -parallel-n must be at least 1, -warmup not negative")
	}
	if o.parallelTotal < slices.Max(o.lanes) {
		return options{}, errors.New("-parallel-total must be at least the largest of -lanes, or a lane would idle")
	}
	return o, nil
}

// parsePhases returns the set of phases named in the comma-separated list, or every phase for "".
func parsePhases(list string) (map[string]bool, error) {
	known := phaseNames()
	phases := make(map[string]bool)
	if list == "" {
		for _, p := range known {
			phases[p] = true
		}
		return phases, nil
	}
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(known, p) {
			return nil, fmt.Errorf("unknown phase %q, want some of %s", p, strings.Join(known, ","))
		}
		phases[p] = true
	}
	return phases, nil
}

// parsePositiveInts parses a non-empty comma-separated list of integers of at least 1.
func parsePositiveInts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", f, err)
		}
		if n < 1 {
			return nil, fmt.Errorf("%d is less than 1", n)
		}
		out = append(out, n)
	}
	return out, nil
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
	if msg, err = mountWorkTmpfs(workDir); err != nil {
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
	b := newBench(ctx, bnd, runtimes, workDir, "/"+cgroupParentName(tag), stdout)
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

// measure runs the preflight and the selected phases, and prints the report.
func measure(ctx context.Context, b *bench, o options, stdout, stderr io.Writer) int {
	b.preflight()
	runPhases(b, o, stdout, stderr)
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
	fmt.Fprintln(stdout)
	var floorKiB int64
	for _, r := range b.runtimes {
		floorKiB = max(floorKiB, r.rssFloorKiB)
	}
	for _, line := range legend(o, mib(floorKiB)) {
		fmt.Fprintln(stdout, line)
	}
	for _, n := range b.footnotes {
		fmt.Fprintln(stdout, n)
	}
	return code
}

// runPhases runs the main loop over the selected loop phases, then the crowd and the parallel
// phase when selected. Progress goes to stderr.
func runPhases(b *bench, o options, stdout, progress io.Writer) {
	var steps []step
	for _, s := range b.loopSteps() {
		if o.phases[s.phase] {
			steps = append(steps, s)
		}
	}
	if len(steps) > 0 {
		fmt.Fprintf(stdout, "main loop: %d iterations after %d warm-up, runtimes interleaved\n", o.n, o.warmup)
		b.iterate("main loop", b.runtimes, steps, o.warmup, o.n, progress)
	}
	if o.phases[phaseCrowd] && b.ctx.Err() == nil {
		fmt.Fprintf(stdout, "crowd: %d iterations after %d warm-up with %d containers in each root\n", o.crowdN, o.warmup, o.crowd)
		b.crowd(o.crowd, o.warmup, o.crowdN, progress)
	}
	if o.phases[phaseParallel] && b.ctx.Err() == nil {
		fmt.Fprintf(stdout, "parallel: %d batches of %d runs after %d warm-up per lane count %v\n", o.parallelN, o.parallelTotal, o.warmup, o.lanes)
		b.iterate(phaseParallel, b.runtimes, b.parallelSteps(o.lanes, o.parallelTotal), o.warmup, o.parallelN, progress)
	}
}

// legend explains the metrics of the phases that ran; floorMiB is the largest resident set the
// harness had when it spawned a runtime, below which no maxrss can read.
func legend(o options, floorMiB float64) []string {
	lines := []string{
		"wall: around the runtime process, fork/exec included; cpu: user+sys of the runtime and the",
		"children it reaped (wait4 rusage); maxrss: peak resident set of the same, as wait4 reports it.",
	}
	for _, e := range []struct {
		// phases: the line is shown when any of them ran.
		phases []string
		text   string
	}{
		{[]string{phaseRun, phaseLifecycle, phaseExec}, fmt.Sprintf(
			"maxrss includes the harness's own resident set at spawn (Go spawns with vfork), at most %.2f MiB.", floorMiB)},
		{[]string{phaseCreated}, "delete created: plain `delete` of a created, never started container (all three accept it)."},
		{[]string{phaseCreated}, "waiting init rss: VmRSS and RssAnon of a created container's init, from /proc/<pid>/status."},
		{[]string{phaseExec, phaseState, phaseList},
			"exec, state, list (1 in root): against one running busybox sleep per runtime, kept for the run."},
		{[]string{phaseKill}, "kill: `kill <id> KILL` of a running sleep; the wait for stopped and the delete are untimed."},
		{[]string{phaseMemory}, "memory limit: `run` of /bin/true with linux.resources.memory.limit; ok/n counts the runs that worked."},
		{[]string{phaseCrowd}, fmt.Sprintf("(%d in root): %d created containers in the --root besides the running sleep.", o.crowd, o.crowd)},
		{[]string{phaseParallel}, fmt.Sprintf(
			"parallel: N lanes `run` /bin/true back to back, %d runs per batch; containers/s over the batch's wall time.", o.parallelTotal)},
	} {
		if slices.ContainsFunc(e.phases, func(p string) bool { return o.phases[p] }) {
			lines = append(lines, e.text)
		}
	}
	return lines
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
