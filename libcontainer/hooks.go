package libcontainer

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/internal/fastjson"
)

// runHooks runs hooks in order with the state on stdin. The spec: "If a hook returns a non-zero
// exit code, then an error is logged and the remaining hooks are aborted", and a hook with a
// timeout is killed when it runs out.
func runHooks(kind string, hooks []specs.Hook, state *specs.State) error {
	if len(hooks) == 0 {
		return nil
	}
	data, err := fastjson.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode state for %s hooks: %w", kind, err)
	}
	for i, h := range hooks {
		if err := runHook(h, data); err != nil {
			return fmt.Errorf("%s hook #%d %s: %w", kind, i, h.Path, err)
		}
	}
	return nil
}

func runHook(h specs.Hook, state []byte) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	var stdout, stderr bytes.Buffer
	cmd := &exec.Cmd{
		Path:   h.Path,
		Args:   args,
		Env:    h.Env,
		Stdin:  bytes.NewReader(state),
		Stdout: &stdout,
		Stderr: &stderr,
		// A hook that leaves a child behind holding its stdout must not hang the runtime.
		WaitDelay: time.Second,
	}
	if _, err := withRunoTimerSlack(func() (struct{}, error) { return struct{}{}, cmd.Start() }); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w, stdout: %s, stderr: %s", err,
				strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
		}
		return nil
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
}

// hasParentHooks reports whether the parent has hooks to run while init waits (prestart,
// createRuntime): only then do the two exchange the hooks messages of the sync protocol.
func hasParentHooks(h *specs.Hooks) bool {
	return h != nil && (len(h.Prestart) > 0 || len(h.CreateRuntime) > 0) //nolint:staticcheck // prestart is deprecated, still run
}
