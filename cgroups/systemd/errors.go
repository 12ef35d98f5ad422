package systemd

import "errors"

// errJobTimeout is a wait on a systemd job that outlasted jobTimeout.
var errJobTimeout = errors.New("no job result within 30s")
