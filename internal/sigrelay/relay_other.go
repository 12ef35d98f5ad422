//go:build !amd64

package sigrelay

import "os"

// canHandle says that this architecture has no handler of runo's: every signal goes through
// os/signal.
const canHandle = false

func handle(chan<- os.Signal, []os.Signal) error {
	panic("sigrelay: no handler on this architecture")
}
