package main

import (
	"errors"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

var deleteCommand = cli.Command{
	Name:      "delete",
	Usage:     "delete a container and everything it made on the host",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "force, f", Usage: "kill the container first if it is running"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := loadContainer(ctx)
		if errors.Is(err, libcontainer.ErrNotExist) && ctx.Bool("force") {
			return nil // runc: deleting a missing container with --force succeeds
		}
		if err != nil {
			return err
		}
		return c.Destroy(ctx.Bool("force"))
	},
}
