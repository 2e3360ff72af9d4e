/* S-mode entry and trap entry of skernel (entered in S-mode with a0 = hart id, a1 = device tree).
 * _start: sets gp and sp, clears .bss, calls kmain(hartid, dtb).
 * strap_entry (stvec, direct mode): sscratch is 0 while the kernel runs and holds the kernel
 * stack top while the user program runs, so a trap from U switches to the kernel stack. All
 * registers are saved in a frame (frame[i] = x[i], frame[2] = the interrupted sp) and
 * s_trap(frame) is called; it may change any saved register and sepc.
 * user_enter(entry, sp): runs the user program (sret to U) until it exits; user_leave() (called by
 * the exit system call) returns from user_enter. */
#include "gprs.h"
	.section .text.init, "ax", @progbits
	.globl _start
_start:
	bnez	a0, .Lpark
.option push
.option norelax
	la	gp, __global_pointer$
.option pop
	la	sp, __stack_top
	csrw	sscratch, zero
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	kmain
.Lpark:
	wfi
	j	.Lpark

	.text
	.p2align 2
	.globl strap_entry
strap_entry:
	csrrw	sp, sscratch, sp
	bnez	sp, .Lfrom_user
	csrrw	sp, sscratch, sp	/* from S: sp back, sscratch = 0 again */
	addi	sp, sp, -256
	sd	t0, 40(sp)
	addi	t0, sp, 256
	sd	t0, 16(sp)
	j	.Lsave
.Lfrom_user:
	addi	sp, sp, -256
	sd	t0, 40(sp)
	csrrw	t0, sscratch, zero	/* t0 = user sp, sscratch = 0 while in the kernel */
	sd	t0, 16(sp)
.Lsave:
	sd	zero, 0(sp)
	sd	x1, 8(sp)
	sd	x3, 24(sp)
	sd	x4, 32(sp)
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
	mv	a0, sp
	call	s_trap
	csrr	t0, sstatus
	andi	t0, t0, 0x100		/* SPP */
	bnez	t0, 1f
	addi	t0, sp, 256		/* back to U: the next trap gets this kernel stack */
	csrw	sscratch, t0
1:	LOAD_GPRS
	ld	sp, 16(sp)
	sret

/* void user_enter(uint64_t entry, uint64_t user_sp): returns when the user program exits. */
	.globl user_enter
user_enter:
	addi	sp, sp, -112
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	la	t0, kernel_saved_sp
	sd	sp, 0(t0)
	csrw	sepc, a0
	li	t0, 0x122		/* sstatus: SPP = U, SPIE = 0, SIE = 0 */
	csrc	sstatus, t0
	csrw	sscratch, sp		/* kernel stack for traps from U */
	mv	sp, a1
	li	ra, 0
	li	a0, 0
	li	a1, 0
	sret

/* void user_leave(void): abandons the trap frame and returns from user_enter. */
	.globl user_leave
user_leave:
	csrw	sscratch, zero
	la	t0, kernel_saved_sp
	ld	sp, 0(t0)
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	addi	sp, sp, 112
	ret

	.bss
	.p2align 3
kernel_saved_sp:
	.zero	8
