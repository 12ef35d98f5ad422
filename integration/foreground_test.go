package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRunTerminal checks run in the foreground with process.terminal and no console
// socket: runo makes the pty and relays it to its own stdio.
func TestRunTerminal(t *testing.T) {
	// runc 1.1 needs a terminal of its own to relay to (it fails with "open /dev/tty: no
	// such device or address"); runo relays to whatever its stdio is.
	t.Run("no terminal", func(t *testing.T) {
		e := newEnv(t)
		b := e.terminalBundle()
		r := e.runo("run", "--bundle", b.dir, b.id)
		checkTerminalRun(t, e, b, r)
	})
	// stdin is a pty slave and runo's controlling terminal, stdout and stderr are files.
	t.Run("controlling terminal", func(t *testing.T) {
		e := newEnv(t)
		b := e.terminalBundle()
		master, slave := openPty(t)
		defer master.Close()
		defer slave.Close()
		before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		r := e.startRuno(func(cmd *exec.Cmd) {
			cmd.Stdin = slave
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		}, "--root", e.root, "run", "--bundle", b.dir, b.id).wait()
		checkTerminalRun(t, e, b, r)
		// runo may put its terminal in raw mode while it relays, and must restore it.
		after, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
			t.Errorf("terminal modes after run: lflag %#x iflag %#x oflag %#x, want them restored to %#x %#x %#x",
				after.Lflag, after.Iflag, after.Oflag, before.Lflag, before.Iflag, before.Oflag)
		}
	})
}

func (e *env) terminalBundle() *bundle {
	e.t.Helper()
	b := e.newBundle("sh", "-c", "tty; echo hello")
	b.spec.Process.Terminal = true
	b.save()
	return b
}

func checkTerminalRun(t *testing.T, e *env, b *bundle, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("runo run with a terminal: %v", r)
	}
	for _, want := range []string{"/dev/pts/", "hello"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout = %q, want it to contain %q", r.stdout, want)
		}
	}
	e.assertGone(b.id, 0)
}

// openPty opens a new pty pair.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m, s
}

// TestRunDetachTerminal checks run --detach refuses a terminal without a console socket.
func TestRunDetachTerminal(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "tty; echo hello")
	b.spec.Process.Terminal = true
	b.save()
	r := e.runo("run", "--detach", "--bundle", b.dir, b.id)
	// runc: "cannot allocate tty if runc will detach without setting console socket"
	checkFailure(t, r, []string{"console socket|console-socket"})
	e.assertGone(b.id, 0)
}

// TestRunForwardsSignal checks that a signal sent to a foreground run reaches the
// container's process, and run then exits with its status and deletes the container.
func TestRunForwardsSignal(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	run := e.startRuno(nil, "--root", e.root, "run", "--bundle", b.dir, b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pid := e.state(b.id).Pid
	if err := run.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got, want := waitFile(t, filepath.Join(sig, "signal")), "SIGTERM"; got != want {
		t.Errorf("signal the probe got = %q, want %q", got, want)
	}
	r := run.wait()
	if r.code != 0 {
		t.Errorf("run after the probe exited 0 on SIGTERM: %v, want exit 0", r)
	}
	if got, want := r.stdout, "SIGTERM\n"; got != want {
		t.Errorf("run's stdout = %q, want the probe's %q", got, want)
	}
	if r := e.runo("state", b.id); r.code == 0 {
		t.Errorf("state after run returned: %v, want failure", r)
	}
	e.assertGone(b.id, pid)
}

// TestRunForwardsRealtimeSignal checks that a real-time signal (SIGRTMIN+3, systemd's halt)
// sent to a foreground run reaches the container's process.
func TestRunForwardsRealtimeSignal(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	run := e.startRuno(nil, "--root", e.root, "run", "--bundle", b.dir, b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	if err := run.cmd.Process.Signal(syscall.Signal(37)); err != nil {
		t.Fatal(err)
	}
	if got, want := waitFile(t, filepath.Join(sig, "signal")), "SIGRTMIN+3"; got != want {
		t.Errorf("signal the probe got = %q, want %q", got, want)
	}
	if r := run.wait(); r.code != 0 {
		t.Errorf("run after the probe exited 0 on SIGRTMIN+3: %v, want exit 0", r)
	}
}

// TestRunKilled checks that a foreground run whose container is killed with SIGKILL from
// outside exits 128+9.
func TestRunKilled(t *testing.T) {
	e := newEnv(t)
	b, sig := e.sleeper()
	run := e.startRuno(nil, "--root", e.root, "run", "--bundle", b.dir, b.id)
	waitFile(t, filepath.Join(sig, "ready"))
	pid := e.state(b.id).Pid
	e.mustRuno("kill", b.id, "KILL")
	if got, want := run.wait().code, 137; got != want {
		t.Errorf("run of a container killed with SIGKILL exited %d, want %d", got, want)
	}
	e.assertGone(b.id, pid)
}
