package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/urfave/cli"

	"github.com/runo-project/runo/internal/fastjson"
)

// logHandler writes logrus-compatible lines, because engines parse them: containerd keeps the
// last JSON line whose "level" is exactly "error", podman reads runc's log file.
//
//	json: {"level":"error","msg":"...","time":"2006-01-02T15:04:05Z"}
//	text: time="2006-01-02T15:04:05Z" level=error msg="..."
type logHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	json  bool
	level slog.Level
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.Key + "=" + a.Value.String()
		return true
	})
	line := formatLogLine(h.json, levelName(r.Level), msg, r.Time)
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, line)
	return err
}

func (h *logHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logHandler) WithGroup(string) slog.Handler      { return h }

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}

func formatLogLine(asJSON bool, level, msg string, t time.Time) string {
	ts := t.UTC().Format(time.RFC3339)
	if asJSON {
		// encoding/json sorts map keys: level, msg, time, as logrus writes them.
		b, _ := fastjson.Marshal(map[string]string{"level": level, "msg": msg, "time": ts})
		return string(b) + "\n"
	}
	return fmt.Sprintf("time=%q level=%s msg=%s\n", ts, level, strconv.Quote(msg))
}

// setupLogging opens --log and checks --log-format before any command runs.
func setupLogging(ctx *cli.Context) error {
	format := ctx.GlobalString("log-format")
	if format != "text" && format != "json" {
		return fmt.Errorf("--log-format: unknown format %q (want text or json)", format)
	}
	w := io.Writer(os.Stderr)
	if path := ctx.GlobalString("log"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		w = f
	}
	level := slog.LevelInfo
	if ctx.GlobalBool("debug") {
		level = slog.LevelDebug
	}
	ctx.App.Metadata = map[string]any{"logger": slog.New(&logHandler{mu: new(sync.Mutex), w: w, json: format == "json", level: level})}
	return nil
}

func logger(ctx *cli.Context) *slog.Logger {
	if l, ok := ctx.App.Metadata["logger"].(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// reportError writes the one error line of a failed command: to the log (stderr by default, in
// the log format), and to stderr as plain text when the log is a file.
func reportError(app *cli.App, err error) {
	l, ok := app.Metadata["logger"].(*slog.Logger)
	if !ok { // failed before logging was set up: plain text on stderr
		fmt.Fprintln(os.Stderr, err)
		return
	}
	l.Error(err.Error())
	if h, ok := l.Handler().(*logHandler); ok && h.w != os.Stderr {
		fmt.Fprintln(os.Stderr, err)
	}
}
