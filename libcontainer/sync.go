package libcontainer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/fastjson"
)

// The parent and the container's init talk over a socketpair: the initConfig first, as a
// length and package wire's encoding (init_spec.go), then one JSON message per line:
//
//	parent (runo create)                         init (runo init)
//	   | ---- initConfig ----------------------------> |  read config, prepare rootfs
//	   | <--- {"type":"hooks"} ----------------------- |  (only with prestart or
//	   |      prestart, createRuntime hooks            |   createRuntime hooks)
//	   | ---- {"type":"hooks-done"} -----------------> |  createContainer hooks, pivot_root,
//	   |                                               |  console, look up the executable
//	   | <--- {"type":"ready"} or {"type":"error"} --- |
//	   |  write state.json, exit                       |  block on exec.fifo until `start`
//
// An error from either side ends the exchange: init exits, the parent kills and cleans up.

const (
	msgHooks     = "hooks"
	msgHooksDone = "hooks-done"
	msgReady     = "ready"
	msgError     = "error"
	// A seccomp notify listener follows msgSeccompReady as SCM_RIGHTS with one byte.
	msgSeccomp      = "seccomp"
	msgSeccompReady = "seccomp-ready"
)

type syncMsg struct {
	Type    string `json:"type"`
	Message string `json:"message,omitempty"`
	Errno   int    `json:"errno,omitempty"`
}

// syncConn is one end of the socket. Messages are written as json.Encoder writes them (a
// value and a newline) and split by a json.Decoder into raw values; fastjson decodes and
// encodes the messages themselves, sparing both processes encoding/json's caches.
type syncConn struct {
	file *os.File
	dec  *json.Decoder
}

func newSyncConn(f *os.File) *syncConn {
	return &syncConn{file: f, dec: json.NewDecoder(f)}
}

// sendFD passes fd with one byte of data. The peer must not be reading JSON meanwhile (it
// would swallow the byte and lose the fd): it receives with recvFD after asking for it.
func (s *syncConn) sendFD(fd int) error {
	if err := unix.Sendmsg(int(s.file.Fd()), []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send fd over sync socket: %w", err)
	}
	return nil
}

// recvFD receives an fd sent with sendFD.
func (s *syncConn) recvFD() (*os.File, error) {
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(s.file.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive fd from sync socket: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("receive fd from sync socket: no control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("receive fd from sync socket: no fd")
	}
	return os.NewFile(uintptr(fds[0]), "seccomp-listener"), nil
}

func (s *syncConn) send(v any) error {
	msg, err := fastjson.Marshal(v)
	if err == nil {
		_, err = s.file.Write(append(msg, '\n'))
	}
	if err != nil {
		return fmt.Errorf("write to sync socket: %w", err)
	}
	return nil
}

// sendConfig sends init its config: a 4-byte length, then encodeInitConfig's bytes.
func (s *syncConn) sendConfig(cfg *initConfig) error {
	data := encodeInitConfig(cfg)
	msg := binary.NativeEndian.AppendUint32(make([]byte, 0, 4+len(data)), uint32(len(data)))
	if _, err := s.file.Write(append(msg, data...)); err != nil {
		return fmt.Errorf("write to sync socket: %w", err)
	}
	return nil
}

// recvConfig reads what sendConfig sent. It comes before any JSON message, which the
// decoder's buffer would otherwise have read ahead.
func (s *syncConn) recvConfig() (*initConfig, error) {
	var size [4]byte
	if _, err := io.ReadFull(s.file, size[:]); err != nil {
		return nil, fmt.Errorf("read config from sync socket: %w", err)
	}
	data := make([]byte, binary.NativeEndian.Uint32(size[:]))
	if _, err := io.ReadFull(s.file, data); err != nil {
		return nil, fmt.Errorf("read config from sync socket: %w", err)
	}
	return decodeInitConfig(data)
}

func (s *syncConn) sendError(err error) error {
	msg := syncMsg{Type: msgError, Message: err.Error()}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg.Errno = int(errno)
	}
	return s.send(msg)
}

func (s *syncConn) recv(v any) error {
	var raw json.RawMessage
	err := s.dec.Decode(&raw)
	if err == nil {
		err = fastjson.Unmarshal(raw, v)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read from sync socket: %w", err)
	}
	return nil
}

// expect reads one message and checks its type; an error message becomes an *InitError.
func (s *syncConn) expect(want string) error {
	var m syncMsg
	if err := s.recv(&m); err != nil {
		return err
	}
	switch m.Type {
	case want:
		return nil
	case msgError:
		return &InitError{Message: m.Message, Errno: syscall.Errno(m.Errno)}
	default:
		return fmt.Errorf("sync socket: got message %q, want %q", m.Type, want)
	}
}
