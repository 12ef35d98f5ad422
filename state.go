package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/fastjson"
)

var stateCommand = cli.Command{
	Name:      "state",
	Usage:     "print the state of a container as JSON",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, "<container-id>"); err != nil {
			return err
		}
		c, err := loadContainer(ctx)
		if err != nil {
			return err
		}
		data, err := fastjson.MarshalIndent(c.State(), "", "  ")
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		_, err = fmt.Fprintln(os.Stdout, string(data))
		return err
	},
}
