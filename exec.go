package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/internal/selfexe"
	"github.com/runo-project/runo/libcontainer"
)

var execCommand = cli.Command{
	Name:      "exec",
	Usage:     "run a new process in a running container",
	ArgsUsage: "<container-id> [command [args...]]",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		cli.StringSliceFlag{Name: "env, e", Usage: "set an environment variable (NAME=value)"},
		cli.BoolFlag{Name: "tty, t", Usage: "allocate a pseudo-TTY"},
		cli.StringFlag{Name: "user, u", Usage: "uid[:gid] to run as"},
		cli.StringSliceFlag{Name: "additional-gids, g", Usage: "additional group id"},
		cli.StringFlag{Name: "process, p", Usage: "a runtime-spec process JSON file"},
		cli.BoolFlag{Name: "detach, d", Usage: "do not wait for the process"},
		cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
		cli.StringFlag{Name: "process-label", Usage: "SELinux label of the process"},
		cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile of the process"},
		cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs for the process"},
		cli.StringSliceFlag{Name: "cap, c", Usage: "add a capability to the process"},
		cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from fd 3) to the process"},
		cli.StringSliceFlag{Name: "cgroup", Usage: "run in this sub-cgroup of the container's ([controller:]path)"},
		cli.BoolFlag{Name: "ignore-paused", Usage: "allow exec into a paused container"},
	},
	SkipArgReorder: true,
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() < 1 {
			return errors.New("exec: requires at least 1 argument: <container-id> [command [args...]]")
		}
		c, err := loadContainer(ctx)
		if err != nil {
			return err
		}
		proc, err := execProcess(ctx, c)
		var protected bool
		if err == nil {
			protected, err = protectFromPtracers(ctx, c, proc)
		}
		if err == nil {
			err = runExec(ctx, c, proc, protected)
		}
		var code exitCode
		if err != nil && !errors.As(err, &code) {
			// runc's contract for exec: its own failures exit 255 with this prefix, which
			// engines show (Docker: "OCI runtime exec failed: exec failed: ...").
			return execFailure{err}
		}
		return err
	},
}

// execProcess builds the process from --process, or from the container's process with the
// command line's arguments and flags, as runc does.
func execProcess(ctx *cli.Context, c *libcontainer.Container) (*specs.Process, error) {
	if path := ctx.String("process"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		var p specs.Process
		if err := fastjson.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", path, err)
		}
		return &p, nil
	}
	p, err := c.DefaultProcess()
	if err != nil {
		return nil, err
	}
	p.Args = ctx.Args().Tail()
	if len(p.Args) == 0 {
		return nil, errors.New("exec: no command given (args or --process)")
	}
	p.Env = append(append([]string(nil), p.Env...), ctx.StringSlice("env")...)
	if cwd := ctx.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	p.Terminal = ctx.Bool("tty")
	if u := ctx.String("user"); u != "" {
		uid, gid, err := parseUser(u)
		if err != nil {
			return nil, err
		}
		p.User.UID, p.User.GID = uid, gid
	}
	for _, g := range ctx.StringSlice("additional-gids") {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--additional-gids: %q is not a gid", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(gid))
	}
	if caps := ctx.StringSlice("cap"); len(caps) > 0 {
		if p.Capabilities == nil {
			p.Capabilities = &specs.LinuxCapabilities{}
		} else {
			copied := *p.Capabilities
			p.Capabilities = &copied
		}
		for _, name := range caps {
			p.Capabilities.Bounding = append(p.Capabilities.Bounding, name)
			p.Capabilities.Effective = append(p.Capabilities.Effective, name)
			p.Capabilities.Permitted = append(p.Capabilities.Permitted, name)
		}
	}
	if ctx.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	if v := ctx.String("apparmor"); v != "" {
		p.ApparmorProfile = v
	}
	if v := ctx.String("process-label"); v != "" {
		p.SelinuxLabel = v
	}
	return p, nil
}

// parseUser reads --user uid[:gid]; names are not looked up, as in runc.
func parseUser(s string) (uint32, uint32, error) {
	us, gs, hasGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user: %q is not uid[:gid]", s)
	}
	var gid uint64
	if hasGID {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("--user: %q is not uid[:gid]", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}

// runExec starts the process and, unless detached, relays its terminal and signals and
// returns its exit status.
func runExec(ctx *cli.Context, c *libcontainer.Container, proc *specs.Process, protected bool) error {
	detach := ctx.Bool("detach")
	var sigs *signalCatcher
	if !detach {
		var err error
		if sigs, err = catchSignals(); err != nil {
			return err
		}
	}
	socket := ctx.String("console-socket")
	switch {
	case socket != "" && !proc.Terminal:
		return errors.New("--console-socket: cannot use a console socket without a terminal (--tty)")
	case socket == "" && proc.Terminal && detach:
		return errors.New("--tty: a detached process needs --console-socket")
	}
	o := libcontainer.ExecOptions{
		BeforeRun:       sigs.ready,
		ProtectedBinary: protected,
		Process:         proc,
		PreserveFDs:     ctx.Int("preserve-fds"),
		IgnorePaused:    ctx.Bool("ignore-paused"),
		Stdin:           os.Stdin,
		Stdout:          os.Stdout,
		Stderr:          os.Stderr,
	}
	sub, err := subCgroup(ctx.StringSlice("cgroup"))
	if err != nil {
		return err
	}
	o.SubCgroup = sub
	var relay *ptyRelay
	switch {
	case socket != "":
		conn, err := dialConsoleSocket(socket)
		if err != nil {
			return err
		}
		defer conn.Close()
		o.Console = conn
	case proc.Terminal:
		r, end, err := newPtyRelay()
		if err != nil {
			return err
		}
		defer r.Close()
		defer end.Close()
		relay, o.Console = r, end
	}
	p, err := c.Exec(o)
	if err != nil {
		return err
	}
	if err := writePidFile(ctx.String("pid-file"), p.Pid); err != nil {
		p.Kill()
		return err
	}
	if detach {
		p.Release()
		return nil
	}
	if relay != nil {
		if err := relay.receive(); err != nil {
			p.Kill()
			return err
		}
	}
	status, err := waitForeground(p, relay, sigs)
	if err != nil {
		return err
	}
	return exitCode(status)
}

// protectFromPtracers re-executes runo from a protected copy of its binary (internal/selfexe)
// when a process of the container may hold CAP_SYS_PTRACE in the host's user namespace: the
// child that joins the container's pid namespace and execs the process is a copy of runo
// until then, and its /proc/<pid>/exe must not lead to runo's binary on the host
// (CVE-2019-5736). It returns whether runo runs protected. Where re-executing fails, exec goes
// on unprotected: libcontainer then starts the process through runo init.
func protectFromPtracers(ctx *cli.Context, c *libcontainer.Container, proc *specs.Process) (bool, error) {
	if selfexe.Protected() {
		return true, nil
	}
	may, err := c.MayHoldHostPtracer(proc)
	if err != nil || !may {
		return false, err
	}
	err = selfexe.Reexec() // returns only on failure
	logger(ctx).Debug("exec: " + err.Error())
	return false, nil
}

// subCgroup reads --cgroup: one path for every controller ("path"), or per controller
// ("controller:path") when they are the same, as runc accepts.
func subCgroup(values []string) (string, error) {
	sub := ""
	for _, v := range values {
		path := v
		if _, p, ok := strings.Cut(v, ":"); ok {
			path = p
		}
		if sub != "" && path != sub {
			return "", fmt.Errorf("--cgroup: different sub-cgroups per controller are not supported (%q, %q)", sub, path)
		}
		sub = path
	}
	return sub, nil
}

// execFailure is an error of `exec` itself (not of the process): exit status 255, as runc.
type execFailure struct{ err error }

func (e execFailure) Error() string { return "exec failed: " + e.err.Error() }
func (e execFailure) Unwrap() error { return e.err }
