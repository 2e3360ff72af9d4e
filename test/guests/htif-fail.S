/* htif-fail: the failing twin of htif-pass, for QEMU's spike machine. Cases 1-4 pass; case 5
 * fails on purpose, so it reports (5 << 1) | 1 = 11 through `tohost` and the host's exit status
 * is 5. Standalone: its own _start, no crt0 or lib. */
	.file	"htif-fail.S"
	.section .text.init, "ax", @progbits
	.globl	_start
_start:
	la	t0, trap
	csrw	mtvec, t0

	li	gp, 1
	li	a0, 1
	li	a1, 1
	bne	a0, a1, fail
	li	gp, 2
	addi	a0, a0, 1
	li	a1, 2
	bne	a0, a1, fail
	li	gp, 3
	slli	a0, a0, 4
	li	a1, 32
	bne	a0, a1, fail
	li	gp, 4
	srli	a0, a0, 5
	li	a1, 1
	bne	a0, a1, fail

	li	gp, 5			/* case 5: 1 + 1 == 3 (wrong on purpose) */
	li	a0, 1
	addi	a0, a0, 1
	li	a1, 3
	bne	a0, a1, fail

pass:
	fence
	li	a0, 1
	la	t0, tohost
	sd	a0, 0(t0)
1:	j	1b

fail:
	fence
	slli	a0, gp, 1
	ori	a0, a0, 1
	la	t0, tohost
	sd	a0, 0(t0)
1:	j	1b

	.p2align 2
trap:
	csrr	gp, mcause
	addi	gp, gp, 1000
	j	fail

	.section .tohost, "aw", @progbits
	.p2align 12
	.globl	tohost
tohost:	.dword	0
	.size	tohost, 8
	.p2align 6
	.globl	fromhost
fromhost: .dword 0
	.size	fromhost, 8
