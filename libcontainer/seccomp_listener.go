package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/fastjson"
)

// awaitInit reads init's messages until want ("" for the end of file of an execve), passing a
// seccomp notify listener on to the agent at linux.seccomp.listenerPath when init sends one.
func (c *Container) awaitInit(s *syncConn, want string, sc *seccompFilter) error {
	for {
		var m syncMsg
		err := s.recv(&m)
		switch {
		case want == "" && errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return err
		case m.Type == msgError:
			return &InitError{Message: m.Message, Errno: syscall.Errno(m.Errno)}
		case m.Type == msgSeccomp && sc != nil:
			if err := c.forwardListener(s, sc); err != nil {
				return err
			}
		case m.Type == want:
			return nil
		default:
			return fmt.Errorf("sync socket: unexpected message %q", m.Type)
		}
	}
}

// forwardListener receives the listener from init and sends it to the agent as the
// runtime-spec says: the container process state as JSON, the fd as SCM_RIGHTS.
func (c *Container) forwardListener(s *syncConn, sc *seccompFilter) error {
	if err := s.send(syncMsg{Type: msgSeccompReady}); err != nil {
		return err
	}
	listener, err := s.recvFD()
	if err != nil {
		return err
	}
	defer listener.Close()
	state := specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      c.state.Pid,
		Metadata: sc.ListenerMetadata,
		State:    *c.ociState(Creating),
	}
	data, err := fastjson.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode seccomp listener state: %w", err)
	}
	conn, err := net.Dial("unix", sc.ListenerPath)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: %w", err)
	}
	defer conn.Close()
	f, err := conn.(*net.UnixConn).File()
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %s: %w", sc.ListenerPath, err)
	}
	defer f.Close()
	if err := unix.Sendmsg(int(f.Fd()), data, unix.UnixRights(int(listener.Fd())), nil, 0); err != nil {
		return fmt.Errorf("send seccomp listener to %s: %w", sc.ListenerPath, err)
	}
	return nil
}
