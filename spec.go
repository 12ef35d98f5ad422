package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/specconv"
)

var specCommand = cli.Command{
	Name:  "spec",
	Usage: "write a default config.json into the bundle",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "bundle, b", Usage: "bundle directory to write config.json into"},
		cli.BoolFlag{Name: "rootless", Usage: "a spec for a container run by an unprivileged user"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, ""); err != nil {
			return err
		}
		spec := specconv.Example()
		if ctx.Bool("rootless") {
			specconv.ToRootless(spec)
		}
		path := filepath.Join(ctx.String("bundle"), "config.json")
		if _, err := os.Stat(path); err == nil {
			// runc's wording, which scripts match.
			return fmt.Errorf("File config.json exists. Remove it first")
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		data, err := fastjson.MarshalIndent(spec, "", "\t")
		if err != nil {
			return fmt.Errorf("encode spec: %w", err)
		}
		return os.WriteFile(path, append(data, '\n'), 0o666)
	},
}
