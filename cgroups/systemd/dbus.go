package systemd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// jobTimeout bounds each wait on systemd: a connection, a call, a start or stop job. runc
// waits 30s for jobs too; a scope with DefaultDependencies=no starts at once unless systemd
// is stuck.
const jobTimeout = 30 * time.Second

// privateSocket is systemd's own D-Bus socket, for root when no bus daemon runs (early boot,
// minimal hosts and VMs); runc falls back to it the same way.
const privateSocket = "/run/systemd/private"

// bus is a Manager's connection to systemd, opened on first use and reopened once when the
// bus daemon restarted under it.
type bus struct {
	mu      sync.Mutex
	conn    *sddbus.Conn
	version int // systemd's version, 0 until asked
}

// do runs op on the connection, reconnecting and retrying once when the connection was closed.
func (b *bus) do(op func(ctx context.Context, c *sddbus.Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := b.connection()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		err = op(ctx, c)
		cancel()
		if err == nil || !errors.Is(err, dbus.ErrClosed) || attempt > 0 {
			return err
		}
		b.drop(c)
	}
}

func (b *bus) connection() (*sddbus.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil {
		return b.conn, nil
	}
	c, err := connect()
	if err != nil {
		return nil, err
	}
	b.conn = c
	return c, nil
}

func (b *bus) drop(c *sddbus.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == c {
		b.conn.Close()
		b.conn = nil
	}
}

// close ends the connection, if any.
func (b *bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}

// connect opens the system bus, or systemd's private socket when the bus is not there. The
// connection's context must outlive it (godbus closes the connection when it ends), so the
// time limit is kept by waiting here instead.
func connect() (*sddbus.Conn, error) {
	type result struct {
		c   *sddbus.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := sddbus.NewSystemConnectionContext(context.Background())
		if err == nil {
			done <- result{c, nil}
			return
		}
		c, perr := sddbus.NewSystemdConnectionContext(context.Background())
		if perr == nil {
			done <- result{c, nil}
			return
		}
		done <- result{nil, fmt.Errorf("connect to systemd: system bus: %w; %s: %w", err, privateSocket, perr)}
	}()
	timer := time.NewTimer(jobTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.c, r.err
	case <-timer.C:
		go func() { // close the connection if it comes after all
			if r := <-done; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("connect to systemd: no answer within %s", jobTimeout)
	}
}

// systemdVersion returns systemd's version number, or -1 when it cannot be read, which turns
// off every property that needs a known version.
func (b *bus) systemdVersion() int {
	b.mu.Lock()
	v := b.version
	b.mu.Unlock()
	if v != 0 {
		return v
	}
	var s string
	err := b.do(func(_ context.Context, c *sddbus.Conn) error {
		var err error
		s, err = c.GetManagerProperty("Version")
		return err
	})
	v = -1
	if err == nil {
		v = parseVersion(s)
	}
	b.mu.Lock()
	b.version = v
	b.mu.Unlock()
	return v
}

// parseVersion extracts 252 from systemd's Version property: "252", "\"v245.4-1.fc32\"",
// "252.22-1~deb12u1". -1 when there is no number.
func parseVersion(s string) int {
	s = strings.TrimLeft(s, `"v`)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, err := strconv.Atoi(s[:end])
	if err != nil {
		return -1
	}
	return v
}

func isDBusError(err error, name string) bool {
	var e dbus.Error
	return errors.As(err, &e) && e.Name == name
}

// startUnit starts a transient unit and waits for its job. A unit of the same name left
// failed by an earlier container is reset and the start tried once more.
func (b *bus) startUnit(unit string, props []sddbus.Property) error {
	for attempt := 0; ; attempt++ {
		ch := make(chan string, 1)
		err := b.do(func(ctx context.Context, c *sddbus.Conn) error {
			_, err := c.StartTransientUnitContext(ctx, unit, "replace", props, ch)
			return err
		})
		if err != nil {
			if attempt == 0 && isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
				_ = b.resetFailed(unit) // a failed leftover; if it is alive, the retry says so
				continue
			}
			return fmt.Errorf("start systemd unit %s: %w", unit, err)
		}
		if err := waitJob(ch); err != nil {
			_ = b.resetFailed(unit)
			return fmt.Errorf("start systemd unit %s: %w", unit, err)
		}
		return nil
	}
}

// stopUnit stops a unit and waits for its job; a unit that is gone already is not an error.
// A failed unit stays loaded until reset, which also frees its name.
func (b *bus) stopUnit(unit string) error {
	ch := make(chan string, 1)
	err := b.do(func(ctx context.Context, c *sddbus.Conn) error {
		_, err := c.StopUnitContext(ctx, unit, "replace", ch)
		return err
	})
	switch {
	case isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit"):
	case err != nil:
		return fmt.Errorf("stop systemd unit %s: %w", unit, err)
	default:
		// A job result other than "done" (a scope whose processes had to be killed ends
		// "failed") still leaves the unit stopped; only a timeout leaves it running.
		if err := waitJob(ch); err != nil && errors.Is(err, errJobTimeout) {
			return fmt.Errorf("stop systemd unit %s: %w", unit, err)
		}
	}
	if err := b.resetFailed(unit); err != nil &&
		!isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") && !isDBusError(err, "org.freedesktop.systemd1.LoadFailed") {
		return fmt.Errorf("reset failed systemd unit %s: %w", unit, err)
	}
	return nil
}

func (b *bus) resetFailed(unit string) error {
	return b.do(func(ctx context.Context, c *sddbus.Conn) error {
		return c.ResetFailedUnitContext(ctx, unit)
	})
}

// setProperties changes a running unit's properties, for this boot only (runtime=true), as a
// transient unit has no file to keep them in.
func (b *bus) setProperties(unit string, props []sddbus.Property) error {
	if len(props) == 0 {
		return nil
	}
	err := b.do(func(ctx context.Context, c *sddbus.Conn) error {
		return c.SetUnitPropertiesContext(ctx, unit, true, props...)
	})
	if err != nil {
		return fmt.Errorf("set properties of systemd unit %s: %w", unit, err)
	}
	return nil
}

// controlGroup returns the cgroup systemd gave a unit, relative to the hierarchy's root.
func (b *bus) controlGroup(unit string) (string, error) {
	typ := "Scope"
	if isSlice(unit) {
		typ = "Slice"
	}
	var cg string
	err := b.do(func(ctx context.Context, c *sddbus.Conn) error {
		p, err := c.GetUnitTypePropertyContext(ctx, unit, typ, "ControlGroup")
		if err != nil {
			return err
		}
		s, ok := p.Value.Value().(string)
		if !ok {
			return fmt.Errorf("ControlGroup is a %s, not a string", p.Value.Signature())
		}
		cg = s
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read ControlGroup of systemd unit %s: %w", unit, err)
	}
	return cg, nil
}

// waitJob waits for the result of a job; systemd reports "done" for success and "canceled",
// "timeout", "failed", "dependency" or "skipped" otherwise.
func waitJob(ch <-chan string) error {
	timer := time.NewTimer(jobTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r != "done" {
			return fmt.Errorf("job result %q, want \"done\" (see journalctl)", r)
		}
		return nil
	case <-timer.C:
		return errJobTimeout
	}
}
