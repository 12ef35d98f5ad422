package faultaround

// sysUserfaultfd is userfaultfd(2)'s number.
const (
	sysUserfaultfd          = 323
	sysUserfaultfdSupported = true
)
