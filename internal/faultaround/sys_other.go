//go:build !amd64

package faultaround

// Elsewhere runo leaves fault-around as it is.
const (
	sysUserfaultfd          = 0
	sysUserfaultfdSupported = false
)
