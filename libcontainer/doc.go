// Package libcontainer creates, starts, signals and destroys OCI containers.
//
// The parent side (Create, Load, Start, Signal, Destroy) runs in the runo command that the user or
// the engine called. The init side (Init) runs in the container's first process, a re-execution of
// the runo binary as `runo init`, until it execve()s the container's process. The two talk over
// the sync socket described in sync.go.
//
// libcontainer knows no command line: it takes options values and returns errors, and it never
// exits the process.
package libcontainer
