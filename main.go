// Command runo is an OCI container runtime with runc's command line.
//
// Each runo process lives a few milliseconds (init until its execve): Go's container-aware
// GOMAXPROCS, which reads /proc/self/cgroup, mountinfo and the cpu controller's quota at start
// and keeps re-reading them, is work without a use here.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli"

	// Imported for its init, which the package initialisation order runs early (it needs
	// only syscall): see the package.
	_ "github.com/runo-project/runo/internal/faultaround"
	"github.com/runo-project/runo/libcontainer"
)

// Set at build time with -ldflags "-X main.version=... -X main.gitCommit=...".
var (
	version   = "0.1.0-dev"
	gitCommit = ""
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// The container's init changes namespaces and credentials of the thread that will
		// execve: keep main on the main thread from the very start.
		libcontainer.InitThread()
	}
}

func main() {
	// len(os.Args) is never negative; the compiler does not know that.
	reserveStack(len(os.Args) < 0)
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// Dispatched before the command line is parsed: init is not a user command, and the
		// container's start-up should not pay for the CLI.
		libcontainer.Init()
		os.Exit(1)
	}
	slowMonitor()
	os.Exit(runApp(os.Args))
}

func runApp(args []string) int {
	app := newApp()
	err := app.Run(args)
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	reportError(app, err)
	var ef execFailure
	if errors.As(err, &ef) {
		return 255
	}
	return 1
}

func newApp() *cli.App {
	app := cli.NewApp()
	app.Name = "runo"
	app.Usage = "an OCI container runtime, runc-compatible and written in pure Go"
	v := []string{version}
	if gitCommit != "" {
		v = append(v, "commit: "+gitCommit)
	}
	v = append(v, "spec: "+specs.Version, "go: "+runtime.Version())
	app.Version = strings.Join(v, "\n")
	app.Flags = []cli.Flag{
		cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
		cli.StringFlag{Name: "log", Usage: "write the log to this file instead of stderr"},
		cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
		cli.StringFlag{Name: "root", Value: defaultRoot(), Usage: "directory for the containers' state"},
		cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to criu (accepted for compatibility)"},
		cli.BoolFlag{Name: "systemd-cgroup", Usage: "manage cgroups through systemd"},
		cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
	}
	app.Commands = []cli.Command{
		createCommand, startCommand, runCommand, stateCommand, listCommand, killCommand,
		deleteCommand, specCommand, featuresCommand, pauseCommand, resumeCommand, psCommand,
		updateCommand, eventsCommand, execCommand,
	}
	app.Before = setupLogging
	app.ExitErrHandler = func(*cli.Context, error) {} // main reports errors, once
	cli.ErrWriter = os.Stderr
	return app
}

// defaultRoot is /run/runo for root and, as runc does for rootless users,
// $XDG_RUNTIME_DIR/runo for others (or a directory of their own in /tmp without it).
func defaultRoot() string {
	if os.Geteuid() == 0 {
		return "/run/runo"
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "runo")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("runo-%d", os.Geteuid()))
}

// rootless reads --rootless: true, false, or auto (rootless when not run by root).
func rootless(ctx *cli.Context) (bool, error) {
	switch v := ctx.GlobalString("rootless"); v {
	case "auto", "":
		return os.Geteuid() != 0, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, fmt.Errorf("--rootless: %q is not true, false or auto", v)
	}
}

// exitCode is returned by a command that ends with a given status and nothing to report, such
// as `run` returning the container's exit status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// checkArgs checks the number of positional arguments.
func checkArgs(ctx *cli.Context, n int, usage string) error {
	if ctx.NArg() != n {
		return fmt.Errorf("%s: %q requires exactly %d argument(s): %s", ctx.Command.Name, ctx.Command.Name, n, usage)
	}
	return nil
}

// loadContainer loads the container named by the first argument under --root.
func loadContainer(ctx *cli.Context) (*libcontainer.Container, error) {
	return libcontainer.Load(ctx.GlobalString("root"), ctx.Args().First(), logger(ctx))
}

// onContainer is the action of a command that takes exactly a container id and does one
// thing to it (start, pause, resume).
func onContainer(do func(*libcontainer.Container) error) func(*cli.Context) error {
	return func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := loadContainer(ctx)
		if err != nil {
			return err
		}
		return do(c)
	}
}
