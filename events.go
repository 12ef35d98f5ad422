package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

// event is one line of `runo events`, in runc's schema (containerd parses it).
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

var eventsCommand = cli.Command{
	Name:      "events",
	Usage:     "print a container's resource usage and OOM events as JSON lines",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats events"},
		cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		interval := ctx.Duration("interval")
		if interval <= 0 {
			return fmt.Errorf("--interval: %s is not positive", interval)
		}
		c, err := loadContainer(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		if ctx.Bool("stats") {
			st, err := c.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(event{Type: "stats", ID: c.ID(), Data: st})
		}
		return streamEvents(c, enc, interval, logger(ctx))
	},
}

// oomGrace is how long events waits, once the container has stopped, for OOM events still on
// their way from a watcher that does not end with the container (cgroup v1's lasts as long as
// the cgroup).
const oomGrace = 100 * time.Millisecond

// drainOOMs prints the OOM events still on their way once the container has stopped: the
// kill that stopped it is often one, and cgroup v2's watcher reports it when it sees the cgroup
// empty, then ends.
func drainOOMs(c *libcontainer.Container, enc *json.Encoder, ooms <-chan struct{}, interval time.Duration) error {
	if ooms == nil {
		return nil
	}
	timeout := time.After(min(interval, oomGrace))
	for {
		select {
		case _, ok := <-ooms:
			if !ok {
				return nil
			}
			if err := enc.Encode(event{Type: "oom", ID: c.ID()}); err != nil {
				return err
			}
		case <-timeout:
			return nil
		}
	}
}

// streamEvents prints stats every interval and OOM events as they happen, until the
// container stops.
func streamEvents(c *libcontainer.Container, enc *json.Encoder, interval time.Duration, log *slog.Logger) error {
	stop := make(chan struct{})
	defer close(stop)
	ooms, err := c.OOMEvents(stop)
	if err != nil {
		log.Warn(err.Error()) // stats still flow without OOM notification
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case _, ok := <-ooms:
			if !ok {
				ooms = nil
				continue
			}
			if err := enc.Encode(event{Type: "oom", ID: c.ID()}); err != nil {
				return err
			}
		case <-tick.C:
			if c.Status() == libcontainer.Stopped {
				return drainOOMs(c, enc, ooms, interval)
			}
			st, err := c.Stats()
			if err != nil {
				return err
			}
			if err := enc.Encode(event{Type: "stats", ID: c.ID(), Data: st}); err != nil {
				return err
			}
		}
	}
}
