package main

import (
	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

var startCommand = cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := libcontainer.Load(ctx.GlobalString("root"), ctx.Args().First(), logger(ctx))
		if err != nil {
			return err
		}
		return c.Start()
	},
}
