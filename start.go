package main

import (
	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

var startCommand = cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "<container-id>",
	Action:    onContainer((*libcontainer.Container).Start),
}
