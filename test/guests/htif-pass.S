/* htif-pass: a riscv-tests style guest for QEMU's spike machine (HTIF, no UART). It runs a few
 * checks and reports through `tohost` (in the 4 KiB-aligned .tohost section, next to `fromhost`):
 * 1 = pass, (n << 1) | 1 = case n failed. Standalone: its own _start, no crt0 or lib. */
	.file	"htif-pass.S"
	.section .text.init, "ax", @progbits
	.globl	_start
_start:
	la	t0, trap
	csrw	mtvec, t0

	li	gp, 1			/* case 1: add */
	li	a0, 40
	addi	a0, a0, 2
	li	a1, 42
	bne	a0, a1, fail

	li	gp, 2			/* case 2: mul */
	li	a0, 6
	li	a1, 7
	mul	a2, a0, a1
	bne	a2, a1, 1f
	j	fail
1:	li	a3, 42
	bne	a2, a3, fail

	li	gp, 3			/* case 3: memory round trip */
	la	t0, scratch
	li	a0, 0x0123456789abcdef
	sd	a0, 0(t0)
	ld	a1, 0(t0)
	bne	a0, a1, fail

	li	gp, 4			/* case 4: amoadd.d */
	li	a0, 5
	amoadd.d a1, a0, (t0)
	ld	a2, 0(t0)
	li	a3, 0x0123456789abcdf4
	bne	a2, a3, fail

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
trap:				/* any trap is a failure: case 1000 + mcause */
	csrr	gp, mcause
	addi	gp, gp, 1000
	j	fail

	.data
	.p2align 3
scratch:
	.dword	0

	.section .tohost, "aw", @progbits
	.p2align 12
	.globl	tohost
tohost:	.dword	0
	.size	tohost, 8
	.p2align 6
	.globl	fromhost
fromhost: .dword 0
	.size	fromhost, 8
