/* Guest start-up code: entry at 0x8000_0000 (first thing in .text via .text.init).
 * Parks every hart but hart 0, sets gp and sp, points mtvec at a catch-all handler, clears .bss,
 * calls main(void) and hands its return value to exit(). */
#include "gprs.h"
	.file	"crt0.S"
	.section .text.init, "ax", @progbits
	.globl _start
_start:
	csrr	t0, mhartid
	bnez	t0, .Lpark
.option push
.option norelax
	la	gp, __global_pointer$
.option pop
	la	sp, __stack_top
	la	t0, __trap_entry
	csrw	mtvec, t0
	csrw	mscratch, zero
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	main
	call	exit
.Lpark:
	wfi
	j	.Lpark

/* Catch-all trap entry (direct mode): saves every register in a frame on the stack, calls
 * handle_trap(frame) in C (frame[i] = x[i], frame[2] = sp before the trap) and returns with mret,
 * so a handler may change mepc and any saved register. */
	.text
	.p2align 2
	.globl __trap_entry
__trap_entry:
	addi	sp, sp, -256
	sd	x1, 8(sp)
	sd	x3, 24(sp)
	sd	x4, 32(sp)
	sd	x5, 40(sp)
	sd	x6, 48(sp)
	sd	x7, 56(sp)
	sd	x8, 64(sp)
	sd	x9, 72(sp)
	sd	x10, 80(sp)
	sd	x11, 88(sp)
	sd	x12, 96(sp)
	sd	x13, 104(sp)
	sd	x14, 112(sp)
	sd	x15, 120(sp)
	sd	x16, 128(sp)
	sd	x17, 136(sp)
	sd	x18, 144(sp)
	sd	x19, 152(sp)
	sd	x20, 160(sp)
	sd	x21, 168(sp)
	sd	x22, 176(sp)
	sd	x23, 184(sp)
	sd	x24, 192(sp)
	sd	x25, 200(sp)
	sd	x26, 208(sp)
	sd	x27, 216(sp)
	sd	x28, 224(sp)
	sd	x29, 232(sp)
	sd	x30, 240(sp)
	sd	x31, 248(sp)
	addi	t0, sp, 256
	sd	t0, 16(sp)
	sd	zero, 0(sp)
	mv	a0, sp
	call	handle_trap
	LOAD_GPRS
	addi	sp, sp, 256
	mret
