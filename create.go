package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/selfexe"
	"github.com/runo-project/runo/internal/sysfile"
	"github.com/runo-project/runo/libcontainer"
	"github.com/runo-project/runo/specconv"
)

var createFlags = []cli.Flag{
	cli.StringFlag{Name: "bundle, b", Value: "", Usage: "path to the bundle directory (default: the current directory)"},
	cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master when process.terminal is true"},
	cli.StringFlag{Name: "pid-file", Usage: "write the container's init pid to this file"},
	cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot_root (for a rootfs on a ramdisk)"},
	cli.BoolFlag{Name: "no-new-keyring", Usage: "do not give the container a session keyring of its own"},
	cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from fd 3) to the container"},
}

var createCommand = cli.Command{
	Name:      "create",
	Usage:     "create a container",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, _, err := createContainer(ctx, true, false)
		if err != nil {
			return err
		}
		return writePidFile(ctx.String("pid-file"), c.State().Pid)
	},
}

// createContainer is the part of create and run that makes the container. detach says whether
// this runo process goes away after create, so a terminal needs a console socket; without one,
// a foreground run relays the container's pty to its own stdio (the returned ptyRelay).
// startsNext says that the caller starts the container right away.
func createContainer(ctx *cli.Context, detach, startsNext bool) (*libcontainer.Container, *ptyRelay, error) {
	id := ctx.Args().First()
	if err := specconv.ValidateID(id); err != nil {
		return nil, nil, err
	}
	if n := ctx.Int("preserve-fds"); n < 0 {
		return nil, nil, fmt.Errorf("--preserve-fds: %d is negative", n)
	}
	isRootless, err := rootless(ctx)
	if err != nil {
		return nil, nil, err
	}
	bundle := ctx.String("bundle")
	if bundle == "" {
		bundle = "."
	}
	cfg, err := specconv.Load(bundle)
	if err != nil {
		return nil, nil, err
	}
	protectJoinedPidNamespace(ctx, cfg.Spec)
	socket := ctx.String("console-socket")
	terminal := cfg.Spec.Process.Terminal
	switch {
	case socket != "" && !terminal:
		return nil, nil, errors.New("--console-socket: cannot use a console socket when process.terminal is false")
	case socket == "" && terminal && detach:
		return nil, nil, errors.New("process.terminal is true: a detached container needs --console-socket")
	}
	opts := libcontainer.CreateOptions{
		ID:            id,
		Config:        cfg,
		NoPivot:       ctx.Bool("no-pivot"),
		NoNewKeyring:  ctx.Bool("no-new-keyring"),
		SystemdCgroup: ctx.GlobalBool("systemd-cgroup"),
		Rootless:      isRootless,
		PreserveFDs:   ctx.Int("preserve-fds"),
		StartsNext:    startsNext,
		Stdin:         os.Stdin,
		Stdout:        os.Stdout,
		Stderr:        os.Stderr,
		Log:           logger(ctx),
	}
	var relay *ptyRelay
	switch {
	case socket != "":
		conn, err := dialConsoleSocket(socket)
		if err != nil {
			return nil, nil, err
		}
		defer conn.Close()
		opts.Console = conn
	case terminal:
		r, end, err := newPtyRelay()
		if err != nil {
			return nil, nil, err
		}
		defer end.Close()
		relay, opts.Console = r, end
	}
	c, err := libcontainer.Create(ctx.GlobalString("root"), opts)
	if err != nil {
		if relay != nil {
			relay.Close()
		}
		return nil, nil, err
	}
	if relay != nil {
		if err := relay.receive(); err != nil {
			relay.Close()
			c.Destroy(true)
			return nil, nil, err
		}
	}
	return c, relay, nil
}

func dialConsoleSocket(path string) (*os.File, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("--console-socket: %w", err)
	}
	defer conn.Close()
	f, err := conn.(*net.UnixConn).File()
	if err != nil {
		return nil, fmt.Errorf("--console-socket %s: %w", path, err)
	}
	return f, nil
}

// writePidFile writes pid atomically: engines poll for the file and must never read a part.
// A path that is a device, a fifo or a socket (/dev/null, /dev/stdout) is written to instead:
// the rename would replace it with a regular file.
func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		// Non-blocking: a fifo without a reader fails (ENXIO) instead of hanging create.
		if err := sysfile.Write(abs, []byte(strconv.Itoa(pid)), unix.O_NONBLOCK, 0); err != nil {
			return fmt.Errorf("--pid-file: %w", err)
		}
		return nil
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("--pid-file: %w", err)
	}
	return nil
}

// protectJoinedPidNamespace re-executes runo from a protected copy of its binary
// (internal/selfexe) when the container joins an existing pid namespace: init is then forked
// into it from a copy of runo, and until it executes the protected copy, its /proc/<pid>/exe
// would lead the processes already there to runo's binary on the host (CVE-2019-5736). A new
// pid namespace is empty until init's own execve. Where re-executing fails, runo goes on as
// before.
func protectJoinedPidNamespace(ctx *cli.Context, spec *specs.Spec) {
	if spec.Linux == nil || selfexe.Protected() {
		return
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace && ns.Path != "" {
			err := selfexe.Reexec() // returns only on failure
			logger(ctx).Debug("create: " + err.Error())
			return
		}
	}
}
