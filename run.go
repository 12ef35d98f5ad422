package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sigrelay"
	"github.com/runo-project/runo/libcontainer"
)

var runCommand = cli.Command{
	Name:      "run",
	Usage:     "create and start a container, and wait for it unless --detach",
	ArgsUsage: "<container-id>",
	Flags: append(append([]cli.Flag{}, createFlags...),
		cli.BoolFlag{Name: "detach, d", Usage: "do not wait for the container"},
		cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		cli.BoolFlag{Name: "no-subreaper", Usage: "accepted for compatibility with runc"},
	),
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		detach := ctx.Bool("detach")
		if detach && ctx.Bool("keep") {
			return errors.New("--keep: cannot be used with --detach")
		}
		var sigs *signalCatcher
		if !detach {
			var err error
			if sigs, err = catchSignals(); err != nil {
				return err
			}
		}
		c, tty, err := createContainer(ctx, detach, true)
		if err != nil {
			return err
		}
		if tty != nil {
			defer tty.Close()
		}
		if err := writePidFile(ctx.String("pid-file"), c.State().Pid); err != nil {
			c.Destroy(true)
			return err
		}
		if detach {
			if err := c.Start(); err != nil {
				c.Destroy(true)
				return err
			}
			return nil
		}
		status, err := runForeground(c, tty, sigs)
		if !ctx.Bool("keep") {
			if derr := c.Destroy(true); derr != nil && err == nil {
				err = derr
			}
		}
		if err != nil {
			return err
		}
		return exitCode(status)
	},
}

// signalCatcher holds the signals a foreground runo relays to the container's process, caught
// by internal/sigrelay: all but the few that go through os/signal are caught by the time
// catchSignals returns, and ready waits for those few, before the process runs. A nil
// catcher (a detached process catches nothing) is ready. The catch is never undone: the
// parent exits once its process has.
type signalCatcher struct{ *sigrelay.Catcher }

// standardSignals are the catchable signals 1-31 that runo relays: SIGCHLD and SIGURG (Go's
// own preemption) are not relayed, so not caught.
var standardSignals = []syscall.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT,
	unix.SIGBUS, unix.SIGFPE, unix.SIGUSR1, unix.SIGSEGV, unix.SIGUSR2, unix.SIGPIPE,
	unix.SIGALRM, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN,
	unix.SIGTTOU, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM, unix.SIGPROF, unix.SIGWINCH,
	unix.SIGIO, unix.SIGPWR, unix.SIGSYS,
}

// realtimeSignals are the real-time signals runo relays: 34-64, as os/signal has them (32 and
// 33 are the C library's own).
func realtimeSignals() []syscall.Signal {
	var sigs []syscall.Signal
	for n := 34; n <= 64; n++ {
		sigs = append(sigs, syscall.Signal(n))
	}
	return sigs
}

func catchSignals() (*signalCatcher, error) {
	c, err := sigrelay.Catch(append(append([]syscall.Signal{}, standardSignals...), realtimeSignals()...))
	if err != nil {
		return nil, err
	}
	return &signalCatcher{c}, nil
}

// ready returns once every relayed signal is caught: from then on they are queued until
// forwardUntilExit relays them.
func (c *signalCatcher) ready() {
	if c != nil {
		c.Ready()
	}
}

// runForeground starts the container and waits for its init (see waitForeground).
func runForeground(c *libcontainer.Container, tty *ptyRelay, sigs *signalCatcher) (int, error) {
	if tty != nil {
		if err := tty.attach(); err != nil {
			return 0, err
		}
	}
	// Signals that arrive during start are queued and forwarded once the process runs.
	sigs.ready()
	if err := c.Start(); err != nil {
		return 0, err
	}
	return forwardUntilExit(c.InitProcess(), tty, sigs.C)
}

// waitForeground relays tty and signals to proc until it exits, and returns its exit status
// as a shell would: the code, or 128 + the signal number. sigs are ready: the exec waited for
// them before its process ran (ExecOptions.BeforeRun).
func waitForeground(proc *os.Process, tty *ptyRelay, sigs *signalCatcher) (int, error) {
	if tty != nil {
		if err := tty.attach(); err != nil {
			return 0, err
		}
	}
	return forwardUntilExit(proc, tty, sigs.C)
}

func forwardUntilExit(proc *os.Process, tty *ptyRelay, signals chan os.Signal) (int, error) {
	exited := make(chan *os.ProcessState, 1)
	go func() {
		ps, _ := proc.Wait()
		exited <- ps
	}()
	for {
		select {
		case ps := <-exited:
			if tty != nil {
				tty.drain()
			}
			return exitStatus(ps), nil
		case sig := <-signals:
			s := sig.(syscall.Signal)
			switch s {
			case unix.SIGWINCH:
				if tty != nil {
					tty.resize()
				}
			default:
				if err := proc.Signal(s); err != nil && !errors.Is(err, os.ErrProcessDone) {
					return 0, fmt.Errorf("forward %s to init: %w", s, err)
				}
			}
		}
	}
}

func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return 255
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
