package main

import (
	"github.com/urfave/cli"

	"github.com/runo-project/runo/libcontainer"
)

var pauseCommand = cli.Command{
	Name:      "pause",
	Usage:     "freeze every process of a running container",
	ArgsUsage: "<container-id>",
	Action:    onContainer((*libcontainer.Container).Pause),
}

var resumeCommand = cli.Command{
	Name:      "resume",
	Usage:     "thaw a paused container",
	ArgsUsage: "<container-id>",
	Action:    onContainer((*libcontainer.Container).Resume),
}
