package nsenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/sysprog"
)

// The parent/child protocol. The child writes fixed-size messages on a close-on-exec pipe
// (msg); the parent answers a request for id maps on a second one (ack). The parent reads msg
// until EOF: every write end is gone once each child has exec'd (close-on-exec) or exited.
//
//	parent (Start)                 child (raw clone)                grandchild (fork2 only)
//	--------------                 -----------------                -----------------------
//	open binary, ns files,
//	pipes; clone ----------------> write "0" to cgroup v1 tasks files
//	                               run Config.Early
//	                               setns non-user namespaces
//	                               setns user namespace, then the
//	                               joins it refused with EPERM
//	                               unshare(CLONE_NEWUSER)
//	write gid_map, uid_map <------ msgMaps       (new user only)
//	ack (0 or errno) ------------> read ack
//	                               setresgid/setgroups/setresuid 0
//	                               unshare(new namespaces)
//	run Config.Hold(pid) <-------- msgHold       (Config.Hold only)
//	ack (0 or ECANCELED) --------> read ack
//	                               clone(CLONE_PARENT) -----------> (child of the parent)
//	pid = grandchild <------------ msgPid, exit(0)
//	wait4(child)                                                    dup fds into 0, 1, 2, ...
//	                                                                execveat(binary fd), or
//	                                                                run Config.Program
//	EOF: success <----------------------------------------------- (close-on-exec closes msg)
//	  or msgError{step, index, errno} from whichever process failed, which then exits
//
// Without fork2 the child itself dups the fds and execs.

// Message kinds.
const (
	msgError = iota + 1 // step, index, errno
	msgMaps             // the child made its user namespace and waits for an ack
	msgPid              // the pid of the grandchild, in the parent's pid namespace
	msgHold             // the child waits while the parent runs Config.Hold
)

// Steps named in a msgError.
const (
	stepJoin = iota + 1 // index: the join
	stepUnshareUser
	stepMaps
	stepRoot
	stepUnshare
	stepTime
	stepFork
	stepFiles
	stepExec
	stepCgroup  // index: the tasks file
	stepProgram // index: the step of Config.Program
	stepEarly   // index: the step of Config.Early
	stepHold
)

// msgSize is the size of one message: four int32 (kind, step, index, value), written at once
// so that a message never interleaves with another process's (PIPE_BUF).
const msgSize = 16

// message is a decoded message.
type message struct {
	kind, step, index, val int32
}

func decode(b []byte) message {
	return message{
		kind:  int32(binary.NativeEndian.Uint32(b[0:])),
		step:  int32(binary.NativeEndian.Uint32(b[4:])),
		index: int32(binary.NativeEndian.Uint32(b[8:])),
		val:   int32(binary.NativeEndian.Uint32(b[12:])),
	}
}

// serve runs the parent's side of the protocol for child pid and returns the pid of the
// process that exec'd Path.
func (s *start) serve(child int, c *Config) (int, error) {
	target := child
	var failure error
	msgs := os.NewFile(uintptr(s.errR), "nsenter-msg")
	buf := make([]byte, msgSize)
	for {
		_, err := io.ReadFull(msgs, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A short message or a failed read: the protocol is broken, so neither process
			// may run on.
			failure = fmt.Errorf("read from child: %w", err)
			s.kill(child, target)
			break
		}
		m := decode(buf)
		switch m.kind {
		case msgMaps:
			ack := unix.Errno(0)
			if err := writeIDMaps(child, c); err != nil {
				failure = err
				ack = unix.EPERM
				var errno unix.Errno
				if errors.As(err, &errno) {
					ack = errno
				}
			}
			if err := writeAll(s.ackW, binary.NativeEndian.AppendUint32(nil, uint32(ack))); err != nil {
				failure = fmt.Errorf("ack id maps: %w", err)
				s.kill(child, target)
			}
		case msgHold:
			ack := unix.Errno(0)
			if c.Hold == nil {
				failure, ack = fmt.Errorf("hold message from child: %w", unix.EPROTO), unix.EPROTO
			} else if err := c.Hold(child); err != nil {
				failure, ack = err, unix.ECANCELED
			}
			if err := writeAll(s.ackW, binary.NativeEndian.AppendUint32(nil, uint32(ack))); err != nil {
				if failure == nil {
					failure = fmt.Errorf("release child: %w", err)
				}
				s.kill(child, target)
			}
		case msgPid:
			target = int(m.val)
		case msgError:
			if failure == nil { // the parent's own error explains a failed ack better
				failure = s.childError(m, c)
			}
		default:
			failure = fmt.Errorf("message %d from child: %w", m.kind, unix.EPROTO)
			s.kill(child, target)
		}
	}
	// msgs owns errR now: close it once, here.
	msgs.Close()
	s.forget(s.errR)

	// Reap what will not be returned: the child when a grandchild ran on, both on failure.
	if target != child || failure != nil {
		if err := reap(child); err != nil && failure == nil {
			failure = err
		}
	}
	if failure != nil {
		if target != child {
			reap(target)
		}
		return 0, failure
	}
	return target, nil
}

// childError turns a msgError into an error that names the step and keeps the errno.
func (s *start) childError(m message, c *Config) error {
	errno := unix.Errno(m.val)
	switch m.step {
	case stepJoin:
		if m.index >= 0 && int(m.index) < len(s.joins) {
			ns := s.joins[m.index]
			return fmt.Errorf("join %s namespace %s: %w", ns.Type, ns.Path, errno)
		}
		return fmt.Errorf("join namespace %d: %w", m.index, errno)
	case stepCgroup:
		if m.index >= 0 && int(m.index) < len(c.CgroupTasks) {
			return fmt.Errorf("enter cgroup: write %s: %w", c.CgroupTasks[m.index].Name(), errno)
		}
		return fmt.Errorf("enter cgroup %d: %w", m.index, errno)
	case stepUnshareUser:
		return fmt.Errorf("unshare user namespace: %w", errno)
	case stepMaps:
		return fmt.Errorf("wait for user namespace id maps: %w", errno)
	case stepHold:
		return fmt.Errorf("wait for the caller: %w", errno)
	case stepRoot:
		return fmt.Errorf("become root in user namespace: %w", errno)
	case stepUnshare:
		return fmt.Errorf("unshare %s namespaces: %w", flagNames(s.args.unshareFlags), errno)
	case stepTime:
		return fmt.Errorf("make time namespace with its offsets: %w", errno)
	case stepFork:
		return fmt.Errorf("fork into pid namespace: %w", errno)
	case stepFiles:
		return fmt.Errorf("set up fds of %s: %w", c.Path, errno)
	case stepExec:
		return &os.PathError{Op: "exec", Path: c.Path, Err: errno}
	case stepProgram:
		if c.Program != nil {
			return c.Program.Error(sysprog.Failure{Index: int(m.index), Errno: errno})
		}
	case stepEarly:
		if c.Early != nil {
			return c.Early.Error(sysprog.Failure{Index: int(m.index), Errno: errno})
		}
	}
	return fmt.Errorf("step %d of child: %w", m.step, errno)
}

// kill stops the child (and the grandchild, once known) when the protocol broke.
func (s *start) kill(pids ...int) {
	for _, pid := range pids {
		unix.Kill(pid, unix.SIGKILL)
	}
}

// forget drops fd from the fds close() closes, once something else closed it.
func (s *start) forget(fd int) {
	for i, o := range s.owned {
		if o == fd {
			s.owned[i] = -1
		}
	}
}

// reap waits for a child of the caller that Start does not hand out.
func reap(pid int) error {
	for {
		_, err := unix.Wait4(pid, nil, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for child %d: %w", pid, err)
		}
		return nil
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// flagNames lists the namespace types in a set of CLONE_NEW* flags, for error messages.
func flagNames(flags uintptr) string {
	var names []string
	for _, t := range order {
		if flags&kinds[t].flag != 0 {
			names = append(names, string(t))
		}
	}
	return strings.Join(names, ", ")
}
