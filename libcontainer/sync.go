package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
)

// The parent and the container's init talk over a socketpair, one JSON message per line:
//
//	parent (runo create)                         init (runo init)
//	   | ---- initConfig ----------------------------> |  read config, prepare rootfs
//	   | <--- {"type":"hooks"} ----------------------- |
//	   |      prestart, createRuntime hooks            |
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
)

type syncMsg struct {
	Type    string `json:"type"`
	Message string `json:"message,omitempty"`
	Errno   int    `json:"errno,omitempty"`
}

type syncConn struct {
	enc *json.Encoder
	dec *json.Decoder
}

func newSyncConn(rw io.ReadWriter) *syncConn {
	return &syncConn{enc: json.NewEncoder(rw), dec: json.NewDecoder(rw)}
}

func (s *syncConn) send(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return fmt.Errorf("write to sync socket: %w", err)
	}
	return nil
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
	if err := s.dec.Decode(v); err != nil {
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

// expectEOF waits for the other end to close the socket (init's execve closes it) and returns
// the error init sent instead, if any.
func (s *syncConn) expectEOF() error {
	var m syncMsg
	err := s.recv(&m)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil
	case err != nil:
		return err
	case m.Type == msgError:
		return &InitError{Message: m.Message, Errno: syscall.Errno(m.Errno)}
	default:
		return fmt.Errorf("sync socket: got message %q, want end of file", m.Type)
	}
}
