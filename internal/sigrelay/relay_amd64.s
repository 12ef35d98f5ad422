#include "textflag.h"

// handler is the signal handler: called by the kernel with the C calling convention, the
// signal's number in DI, on the thread's alternate signal stack, every signal blocked. It
// writes the number, one byte, to relayFD and returns (to restorer). It touches nothing of
// Go's: the kernel restores every register from the signal frame when it returns.
TEXT handler<>(SB),NOSPLIT|NOFRAME,$0
	SUBQ	$16, SP
	MOVB	DI, 0(SP)
	MOVLQSX	·relayFD(SB), DI
	MOVQ	SP, SI
	MOVQ	$1, DX
	MOVQ	$1, AX	// SYS_write
	SYSCALL
	ADDQ	$16, SP
	RET

// restorer returns from the handler to the interrupted code.
TEXT restorer<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$15, AX	// SYS_rt_sigreturn
	SYSCALL
	INT	$3	// not reached

// func handlerPCs() (handler, restorer uintptr)
TEXT ·handlerPCs(SB),NOSPLIT,$0-16
	LEAQ	handler<>(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	restorer<>(SB), AX
	MOVQ	AX, restorer+8(FP)
	RET
