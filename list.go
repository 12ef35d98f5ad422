package main

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/libcontainer"
)

var listCommand = cli.Command{
	Name:  "list",
	Usage: "list the containers under --root",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "format, f", Value: "table", Usage: "table or json"},
		cli.BoolFlag{Name: "quiet, q", Usage: "print only the ids"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, ""); err != nil {
			return err
		}
		format := ctx.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("--format: unknown format %q (want table or json)", format)
		}
		list, err := libcontainer.List(ctx.GlobalString("root"), logger(ctx))
		if err != nil {
			return err
		}
		if ctx.Bool("quiet") {
			for _, c := range list {
				fmt.Println(c.ID())
			}
			return nil
		}
		var states []*libcontainer.State // runc prints null for no containers, and so do we
		owners := ownerNames{}
		for _, c := range list {
			st := c.State()
			st.Owner = owners.name(c)
			states = append(states, st)
		}
		if format == "json" {
			// json.Encoder's output: Marshal's and a newline.
			b, err := fastjson.Marshal(states)
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(b, '\n'))
			return err
		}
		// tabwriter writes each cell on its own: buffer them into one write to stdout.
		out := bufio.NewWriter(os.Stdout)
		w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
				s.Created.Format(time.RFC3339Nano), s.Owner)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return out.Flush()
	},
}

// ownerNames names the owners of containers, as runc does: the user name, or "#uid" for a uid
// without one. Each uid is looked up once per listing (os/user reads /etc/passwd per lookup),
// and the containers under one root usually share one.
type ownerNames map[int]string

func (o ownerNames) name(c *libcontainer.Container) string {
	uid, err := c.OwnerUID()
	if err != nil {
		return ""
	}
	if name, ok := o[uid]; ok {
		return name
	}
	name := "#" + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	o[uid] = name
	return name
}
