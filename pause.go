package main

import (
	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

var pauseCommand = cli.Command{
	Name:      "pause",
	Usage:     "freeze every process of a running container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := libcontainer.Load(ctx.GlobalString("root"), ctx.Args().First(), logger(ctx))
		if err != nil {
			return err
		}
		return c.Pause()
	},
}

var resumeCommand = cli.Command{
	Name:      "resume",
	Usage:     "thaw a paused container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := libcontainer.Load(ctx.GlobalString("root"), ctx.Args().First(), logger(ctx))
		if err != nil {
			return err
		}
		return c.Resume()
	},
}
