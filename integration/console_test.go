package integration

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestConsoleSocket checks the --console-socket protocol: the runtime connects to the
// socket, sends the pty master as SCM_RIGHTS (with the pty's name as payload), and the
// container's terminal output comes out of that master.
func TestConsoleSocket(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("sh", "-c", "tty; echo hello")
	b.spec.Process.Terminal = true
	b.save()

	sockPath, receive := consoleSocket(e)
	e.mustRuno("create", "--console-socket", sockPath, "--bundle", b.dir, b.id)
	rc := receive()
	if rc.name == "" {
		t.Errorf("console socket message has no payload, want the pty name")
	}
	e.state(b.id)
	e.mustRuno("start", b.id)

	out := readUntil(t, rc.master, "hello")
	lines := strings.Split(strings.ReplaceAll(out, "\r", ""), "\n")
	if got, want := lines[0], "/dev/pts/0"; got != want {
		t.Errorf("tty in the container = %q, want %q (all output: %q)", got, want, out)
	}
	if !strings.Contains(out, "hello\r\n") {
		t.Errorf("terminal output = %q, want hello with a CRLF (the pty's onlcr)", out)
	}
	e.waitStatus(b.id, "stopped")
}

// consoleMaster is what arrived on a console socket: the pty master and the message's payload.
type consoleMaster struct {
	master *os.File
	name   string
}

// consoleSocket listens on a new console socket and returns its path and a function that
// waits for the pty master a runtime sends there, failing the test without one. The listener
// and the master are closed at the test's end.
func consoleSocket(e *env) (string, func() consoleMaster) {
	t := e.t
	t.Helper()
	sockPath := filepath.Join(e.hostDir("console"), "sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sockPath, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	type received struct {
		consoleMaster
		err error
	}
	got := make(chan received, 1)
	go func() {
		master, name, err := receiveFd(ln)
		got <- received{consoleMaster{master, name}, err}
	}()
	return sockPath, func() consoleMaster {
		t.Helper()
		var rc received
		select {
		case rc = <-got:
		case <-time.After(waitTimeout):
			t.Fatalf("no pty master on the console socket %s within %v", sockPath, waitTimeout)
		}
		if rc.err != nil {
			t.Fatalf("console socket: %v", rc.err)
		}
		t.Cleanup(func() { rc.master.Close() })
		return rc.consoleMaster
	}
}

// receiveFd accepts one connection and reads one message carrying one fd.
func receiveFd(ln *net.UnixListener) (*os.File, string, error) {
	ln.SetDeadline(time.Now().Add(waitTimeout))
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, "", err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, "", err
	}
	if len(msgs) != 1 {
		return nil, "", errors.New("want one control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		return nil, "", err
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, "", errors.New("want one fd")
	}
	// Non-blocking, so reads go through the poller and honour deadlines.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, "", err
	}
	name := strings.TrimRight(string(buf[:n]), "\x00")
	return os.NewFile(uintptr(fds[0]), name), name, nil
}

// readUntil reads f until the output has want (and the line it is on), EOF/EIO or timeout.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(waitTimeout))
	var out []byte
	buf := make([]byte, 1024)
	for !strings.Contains(string(out), want+"\r\n") {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if !errors.Is(err, unix.EIO) {
				t.Errorf("read pty master: %v (read so far: %q)", err, out)
			}
			break
		}
	}
	return string(out)
}

// TestExecConsoleSocket checks exec --tty --console-socket --detach, as containerd's shim
// calls it: the pty master arrives with the name runc sends, the process has the pty as its
// controlling terminal with process.consoleSize applied, and its output comes out of the master.
func TestExecConsoleSocket(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle()
	b.runningContainer()

	sockPath, receive := consoleSocket(e)
	proc := b.spec.Process
	proc.Terminal = true
	proc.ConsoleSize = &specs.Box{Height: 33, Width: 101}
	proc.Args = []string{"sh", "-c", "stty size; tty; echo done"}
	data, err := json.Marshal(proc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "tty-process.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustRuno("exec", "--detach", "--console-socket", sockPath, "--process", path, b.id)
	rc := receive()
	if rc.name != "/dev/ptmx" {
		t.Errorf("console socket payload = %q, want /dev/ptmx as runc sends", rc.name)
	}
	out := strings.ReplaceAll(readUntil(t, rc.master, "done"), "\r", "")
	lines := strings.Split(out, "\n")
	if len(lines) < 2 || lines[0] != "33 101" || !strings.HasPrefix(lines[1], "/dev/pts/") {
		t.Errorf("exec'd process printed %q, want the console size 33 101 and its tty", out)
	}
}
