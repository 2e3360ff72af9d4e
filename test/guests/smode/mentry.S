/* M-mode entry of the UART variant of skernel (linked at 0x8000_0000, run with -bios none).
 * Does the little that firmware does before it enters a kernel in S-mode, and nothing else:
 *   medeleg  = the exceptions an S-mode kernel handles (misaligned/access faults, illegal
 *              instruction, breakpoint, ecall from U, page faults), not ecalls from S or M;
 *   mideleg  = the supervisor interrupts (SSI, STI, SEI);
 *   mcounteren = all ones and menvcfg.STCE (bit 63), so S-mode reads `time` and owns stimecmp;
 *   PMP entry 0 = NAPOT over the whole address space, RWX (S and U have no access without one);
 *   mstatus.MPP = S, mepc = _start (the S-mode entry at 0x8020_0000); then mret with
 *   a0 = hart id, a1 = whatever the boot ROM left there (QEMU: the device tree).
 * A trap that reaches M-mode after that is a bug: m_trap (skernel.c) reports it and fails. */
	.section .mentry, "ax", @progbits
	.globl _mstart
_mstart:
	csrr	a0, mhartid
	bnez	a0, .Lpark
	la	t0, .Lmtrap
	csrw	mtvec, t0
	li	t0, 0xb1ff		/* causes 0-8, 12, 13, 15 */
	csrw	medeleg, t0
	li	t0, 0x222		/* SSIP | STIP | SEIP */
	csrw	mideleg, t0
	csrw	mie, zero
	li	t0, -1
	csrw	mcounteren, t0
	li	t0, 1
	slli	t0, t0, 63		/* menvcfg.STCE */
	csrs	0x30a, t0
	li	t0, 0x3fffffffffffff	/* pmpaddr0: NAPOT, everything */
	csrw	pmpaddr0, t0
	li	t0, 0x1f		/* pmp0cfg: A = NAPOT, X W R */
	csrw	pmpcfg0, t0
	csrw	satp, zero
	li	t0, 0x1800		/* mstatus.MPP = S */
	csrc	mstatus, t0
	li	t0, 0x0800
	csrs	mstatus, t0
	la	t0, _start
	csrw	mepc, t0
	mret
.Lpark:
	wfi
	j	.Lpark

	.p2align 2
.Lmtrap:
	la	sp, __mstack_top
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	m_trap
1:	j	1b
