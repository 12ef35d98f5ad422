package fs

import "errors"

var (
	// errMalformed wraps every parse error of a cgroup file.
	errMalformed = errors.New("malformed cgroup file")
	// errStuckFreezing is returned when a v1 freezer never reaches FROZEN.
	errStuckFreezing = errors.New("the cgroup stayed in FREEZING: processes keep joining it")
)
