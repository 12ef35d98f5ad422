package selfexe

import (
	"os"
	"strconv"
	"testing"
)

// TestProtected checks that the marker alone proves nothing: the test binary is a plain file
// on a writable mount, whatever the environment says, and a marker for another pid (a child
// that inherited it) is not this process's.
func TestProtected(t *testing.T) {
	if Protected() {
		t.Errorf("Protected() = true without the marker")
	}
	t.Setenv(protectedEnv, strconv.Itoa(os.Getpid()+1))
	if reexecuted() || Protected() {
		t.Errorf("a marker for another pid counts as this process's")
	}
	t.Setenv(protectedEnv, strconv.Itoa(os.Getpid()))
	if !reexecuted() {
		t.Errorf("the marker for this pid is not recognised")
	}
	if Protected() {
		t.Skip("the test binary runs from a read-only mount")
	}
	// Already re-executed (by the marker) and not protected: no second re-execution.
	if err := Reexec(); err == nil {
		t.Errorf("Reexec() after a re-execution returned nil")
	}
}
