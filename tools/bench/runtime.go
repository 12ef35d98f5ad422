package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runtime is one OCI runtime under test, with its own --root.
type runtime struct {
	name string
	path string
	root string
	// extraArgs go between --root and the subcommand (crun's --cgroup-manager=disabled).
	extraArgs []string
	// stderr receives the runtime's stderr; a regular file, not a pipe, so that a container
	// process that inherits it cannot keep Wait blocked after `create` returns.
	stderr *os.File
	// rssFloorKiB is the largest resident set the harness had when it spawned this runtime through
	// invoke: none of the runtime's maxrss samples can read lower (see lowerRSSFloor).
	rssFloorKiB int64
}

// outcome is what one runtime invocation cost.
type outcome struct {
	wall time.Duration
	// cpu is user+sys of the runtime process and of the children it reaped (wait4's rusage).
	cpu time.Duration
	// maxRSSKiB is ru_maxrss: the peak of the runtime process and of its reaped children.
	maxRSSKiB int64
	// rssFloorKiB is the harness's resident set right before the spawn, which maxRSSKiB cannot
	// read below (see lowerRSSFloor); 0 where it was not taken.
	rssFloorKiB int64
}

// rssFloorSlackKiB is how far above the floor a maxrss still counts as possibly the floor: the
// harness touches a few pages between measuring its resident set and the exec.
const rssFloorSlackKiB = 256

// maxRSSAtFloor reports whether maxRSSKiB may be the harness's resident set rather than the
// runtime's, so only an upper bound of the runtime's peak.
func (o outcome) maxRSSAtFloor() bool {
	return o.maxRSSKiB <= o.rssFloorKiB+rssFloorSlackKiB
}

// invokeError carries the runtime's stderr so that it can be shown once per failing step.
type invokeError struct {
	args   []string
	err    error
	stderr string
}

func (e *invokeError) Error() string {
	return fmt.Sprintf("%s: %v", strings.Join(e.args, " "), e.err)
}

func (e *invokeError) Unwrap() error { return e.err }

// invoke runs the runtime with args and measures it, its stderr going to r.stderr. It first
// lowers the floor under the maxrss it measures; the parallel phase calls invokeLogged directly,
// records no maxrss and should not have the harness collect garbage while its batch is timed.
func (r *runtime) invoke(args ...string) (outcome, error) {
	floor, err := lowerRSSFloor()
	if err != nil {
		return outcome{}, err
	}
	r.rssFloorKiB = max(r.rssFloorKiB, floor)
	out, err := r.invokeLogged(r.stderr, args...)
	out.rssFloorKiB = floor
	return out, err
}

// invokeLogged runs the runtime with args and measures it. stdin and stdout are /dev/null, stderr
// is the file log, which it truncates first: concurrent invocations need one each. The runtime
// gets its own process group so that a Ctrl-C on the terminal reaches only the harness, which then
// finishes the current step and cleans up instead of leaving half-created containers.
func (r *runtime) invokeLogged(log *os.File, args ...string) (outcome, error) {
	full := append([]string{r.path, "--root", r.root}, r.extraArgs...)
	full = append(full, args...)
	if err := log.Truncate(0); err != nil {
		return outcome{}, fmt.Errorf("truncate stderr file %s: %w", log.Name(), err)
	}
	if _, err := log.Seek(0, io.SeekStart); err != nil {
		return outcome{}, fmt.Errorf("rewind stderr file %s: %w", log.Name(), err)
	}
	cmd := &exec.Cmd{
		Path:        r.path,
		Args:        full,
		Stderr:      log,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var out outcome
	if cmd.ProcessState != nil {
		out.wall = wall
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			out.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			out.maxRSSKiB = ru.Maxrss
		}
	}
	if err != nil {
		return out, &invokeError{args: full, err: err, stderr: readStderr(log)}
	}
	return out, nil
}

// output runs the runtime with args, untimed, and returns its stdout.
func (r *runtime) output(args ...string) ([]byte, error) {
	full := append([]string{"--root", r.root}, r.extraArgs...)
	full = append(full, args...)
	cmd := exec.Command(r.path, full...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &invokeError{args: append([]string{r.path}, full...), err: err, stderr: stderr.String()}
	}
	return out, nil
}

func readStderr(log *os.File) string {
	raw, err := os.ReadFile(log.Name())
	if err != nil {
		return fmt.Sprintf("(stderr unreadable: %v)", err)
	}
	return strings.TrimSpace(string(raw))
}

// version returns the first line of `<runtime> --version`, for the report header.
func (r *runtime) version() string {
	out, err := exec.Command(r.path, "--version").Output()
	if err != nil {
		return "version unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// checkExecutable says why path cannot be run, or nil when it can.
func checkExecutable(path string) error {
	if path == "" {
		return errors.New("no path given")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// firstLines returns at most n lines of s, so that a runtime that dumps a long trace does not
// bury the report.
func firstLines(s string, n int) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for i := 0; sc.Scan(); i++ {
		if i == n {
			b.WriteString("    ...\n")
			break
		}
		b.WriteString("    " + sc.Text() + "\n")
	}
	return b.String()
}
