#include "textflag.h"

// func rawVforkSyscall(trap, a1, a2, a3 uintptr) (r1 uintptr, err syscall.Errno)
//
// A raw system call that may return twice on one stack, for clone with CLONE_VM|CLONE_VFORK:
// the child runs first, on the caller's stack, and calls functions whose return addresses
// overwrite this function's. So the return address is taken off the stack into R12 (kept by
// the kernel across the call, and private to each task) before the call and put back after.
TEXT ·rawVforkSyscall(SB),NOSPLIT|NOFRAME,$0-48
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	trap+0(FP), AX
	POPQ	R12
	SYSCALL
	PUSHQ	R12
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r1+32(FP)
	NEGQ	AX
	MOVQ	AX, err+40(FP)
	RET
ok:
	MOVQ	AX, r1+32(FP)
	MOVQ	$0, err+40(FP)
	RET

// func rawClone3OnStack(args *cloneArgs, size uintptr, a *childArgs) (pid uintptr, err syscall.Errno)
//
// clone3 for a child that shares the caller's memory but not its stack (CLONE_VM without
// CLONE_VFORK, args.stack set): the caller goes on at once, the child starts on its own stack
// and calls childMain(a), which never returns. R12 carries a across the call: the kernel keeps
// every register but AX, CX and R11, in both tasks.
TEXT ·rawClone3OnStack(SB),NOSPLIT|NOFRAME,$0-40
	MOVQ	args+0(FP), DI
	MOVQ	size+8(FP), SI
	MOVQ	a+16(FP), R12
	MOVQ	$435, AX // SYS_clone3
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, pid+24(FP)
	NEGQ	AX
	MOVQ	AX, err+32(FP)
	RET
ok:
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, err+32(FP)
	RET
child:
	// SP is the top of the child's stack: room for childMain's argument, then the call.
	SUBQ	$16, SP
	MOVQ	R12, 0(SP)
	CALL	·childMain(SB)
	MOVQ	$253, DI
	MOVQ	$231, AX // SYS_exit_group, should childMain ever return
	SYSCALL
	JMP	child
