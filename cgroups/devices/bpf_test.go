package devices

import (
	"testing"
	"unsafe"
)

// TestKernelLayouts checks the structures handed to bpf(2) against the offsets and sizes of
// the kernel's struct bpf_insn, union bpf_attr and struct bpf_prog_info.
func TestKernelLayouts(t *testing.T) {
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(struct bpf_insn)", unsafe.Sizeof(insn{}), 8},
		{"bpf_attr.prog_name", unsafe.Offsetof(progLoadAttr{}.progName), 48},
		{"bpf_attr.log_buf", unsafe.Offsetof(progLoadAttr{}.logBuf), 32},
		{"bpf_attr.query.prog_ids", unsafe.Offsetof(progQueryAttr{}.progIDs), 16},
		{"bpf_attr.query.prog_cnt", unsafe.Offsetof(progQueryAttr{}.progCnt), 24},
		{"bpf_attr.info.info", unsafe.Offsetof(objInfoAttr{}.info), 8},
		{"bpf_prog_info.name", unsafe.Offsetof(progInfo{}.name), 64},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s at %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestVerifierReason(t *testing.T) {
	tests := []struct{ log, want string }{
		{"last insn is not an exit or jmp\nprocessed 0 insns (limit 1000000) max_states_per_insn 0\n\x00\x00", "last insn is not an exit or jmp"},
		{"0: (61) r2 = *(u32 *)(r1 +0)\n1: (95) exit\nR0 !read_ok\nprocessed 2 insns\n", "1: (95) exit; R0 !read_ok"},
		{"\x00", ""},
	}
	for _, tt := range tests {
		if got := verifierReason([]byte(tt.log)); got != tt.want {
			t.Errorf("verifierReason(%q) = %q, want %q", tt.log, got, tt.want)
		}
	}
}
