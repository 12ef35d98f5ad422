package integration

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The kernel's struct seccomp_notif and seccomp_notif_resp.
type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// TestSeccompNotify is a seccomp agent: runo sends it the listener with the container's state
// over linux.seccomp.listenerPath, and the agent answers mkdir for the container (EXDEV, an
// error nothing else would give).
func TestSeccompNotify(t *testing.T) {
	e := newEnv(t)
	sock := filepath.Join(e.dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type received struct {
		state specs.ContainerProcessState
		fd    int
		err   error
	}
	got := make(chan received, 1)
	go func() {
		var r received
		defer func() { got <- r }()
		conn, err := ln.Accept()
		if err != nil {
			r.err = err
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 65536), make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := conn.(*net.UnixConn).ReadMsgUnix(buf, oob)
		if err != nil {
			r.err = err
			return
		}
		if r.err = json.Unmarshal(buf[:n], &r.state); r.err != nil {
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil {
			r.err = err
			return
		}
		r.fd = fds[0]
		go answerEXDEV(r.fd)
	}()

	b := e.newBundle("sh", "-c", "mkdir /tmp/d 2>&1; echo done")
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"})
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     sock,
		ListenerMetadata: "agent-metadata",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
	b.save()
	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	select {
	case rec := <-got:
		if rec.err != nil {
			t.Fatalf("agent: %v", rec.err)
		}
		defer unix.Close(rec.fd)
		if rec.state.State.ID != b.id || rec.state.Metadata != "agent-metadata" || len(rec.state.Fds) != 1 || rec.state.Fds[0] != "seccompFd" {
			t.Errorf("state sent to the agent = %+v, want id %s, its metadata and one seccompFd", rec.state, b.id)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the agent got nothing")
	}
	if !strings.Contains(r.stdout, "cross-device link") || !strings.Contains(r.stdout, "done") {
		t.Errorf("container output %q, want mkdir answered by the agent with EXDEV", r.stdout)
	}
}

// answerEXDEV answers every notification with EXDEV until the listener closes.
func answerEXDEV(fd int) {
	for {
		var req seccompNotif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req))); e != 0 {
			if e == unix.EINTR {
				continue
			}
			return
		}
		resp := seccompNotifResp{id: req.id, error: -int32(unix.EXDEV)}
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
	}
}
