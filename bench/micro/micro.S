/* The timed parts of the microbenchmark kernel (micro.c): one loop per operation, the trap
 * vectors that answer the traps those loops cause, the user program, and the code slot.
 *
 * Trap vectors (stvec, direct mode) handle their one expected trap in a few instructions, as a
 * kernel's fast path would, and clobber only t0-t2: the loops keep nothing there across a trap.
 * Any other trap goes to strap_entry (test/guests/smode/sentry.S), which saves everything and
 * calls s_trap (micro.c): the exit system call, or a report of the unexpected trap.
 * Each handled trap adds one to micro_events, which micro.c compares with the count. */
#include "micro.h"

/* micro_events += 1 (clobbers t1, t2) */
.macro COUNT_EVENT
	la	t1, micro_events
	ld	t2, 0(t1)
	addi	t2, t2, 1
	sd	t2, 0(t1)
.endm

	.text
	.p2align 2
slow_path:
	j	strap_entry

/* System call 0 from U (the null call): skip the ecall, count, sret. */
	.p2align 2
	.globl syscall_vec
syscall_vec:
	csrr	t0, scause
	li	t1, 8
	bne	t0, t1, slow_path
	bnez	a7, slow_path
	csrr	t0, sepc
	addi	t0, t0, 4
	csrw	sepc, t0
	COUNT_EVENT
	sret

/* Load page fault in the demand range: install the PTE (demand_pte, the same read-only page for
 * every address), flush that address as Linux does after installing a PTE, count, and sret to
 * the load, which now succeeds. */
	.p2align 2
	.globl fault_vec
fault_vec:
	csrr	t0, scause
	li	t1, 13
	bne	t0, t1, slow_path
	csrr	t0, stval
	li	t1, DEMAND_VA
	sub	t0, t0, t1
	srli	t0, t0, 12
	li	t1, DEMAND_PAGES
	bgeu	t0, t1, slow_path
	slli	t0, t0, 3
	la	t1, demand_l0
	add	t0, t0, t1
	ld	t1, demand_pte
	sd	t1, 0(t0)
	csrr	t0, stval
	sfence.vma t0, zero
	COUNT_EVENT
	sret

/* Supervisor timer interrupt: disarm (stimecmp = -1 clears STIP), count, sret. */
	.p2align 2
	.globl timer_vec
timer_vec:
	csrr	t0, scause
	li	t1, 0x8000000000000005
	bne	t0, t1, slow_path
	li	t0, -1
	csrw	CSR_STIMECMP, t0
	COUNT_EVENT
	sret

/* Every loop takes its count n >= 1 in a0 and returns the number of operations that did what
 * they should, for micro.c to compare with n. */

/* uint64_t loop_empty(n): the bare loop, the overhead included in every other row. */
	.globl loop_empty
loop_empty:
	li	t3, 0
1:	addi	t3, t3, 1
	bne	t3, a0, 1b
	mv	a0, t3
	ret

/* uint64_t loop_timer(n): arms the timer in the past and waits until the handler has counted
 * the interrupt, n times. Needs stvec = timer_vec and sie.STIE; returns the interrupts taken. */
	.globl loop_timer
loop_timer:
	la	a1, micro_events
	ld	a2, 0(a1)
	csrs	sstatus, SSTATUS_SIE
1:	csrw	CSR_STIMECMP, zero
	addi	a2, a2, 1
2:	ld	a3, 0(a1)
	bne	a3, a2, 2b
	addi	a0, a0, -1
	bnez	a0, 1b
	csrc	sstatus, SSTATUS_SIE
	ld	a0, 0(a1)
	ret

/* uint64_t loop_satp(n, satp_a, satp_b, probe_va): switches address space (satp write and
 * sfence.vma) n times, alternating between two roots that map probe_va to a page holding 1
 * (root a) or 2 (root b), and loads through it each time: returns the loads that saw the root
 * just written. */
	.globl loop_satp
loop_satp:
	xor	a2, a1, a2		/* a1 ^= a2 toggles between the roots */
	li	a4, 1
	li	a5, 0
1:	csrw	satp, a1
	sfence.vma
	ld	t0, 0(a3)
	xor	t0, t0, a4
	seqz	t0, t0
	add	a5, a5, t0
	xor	a1, a1, a2
	xori	a4, a4, 3		/* 1 <-> 2 */
	addi	a0, a0, -1
	bnez	a0, 1b
	mv	a0, a5
	ret

/* void loop_stimecmp(n, first): writes first, first + 1, ... to stimecmp (micro.c reads back
 * the last one). */
	.globl loop_stimecmp
loop_stimecmp:
1:	csrw	CSR_STIMECMP, a1
	addi	a1, a1, 1
	addi	a0, a0, -1
	bnez	a0, 1b
	ret

/* uint64_t loop_mmio(n, reg): writes a byte to a device register and reads it back, n times;
 * returns the reads that returned the byte written. */
	.globl loop_mmio
loop_mmio:
	li	a5, 0
1:	andi	t0, a0, 0xff
	sb	t0, 0(a1)
	lbu	t1, 0(a1)
	xor	t1, t1, t0
	seqz	t1, t1
	add	a5, a5, t1
	addi	a0, a0, -1
	bnez	a0, 1b
	mv	a0, a5
	ret

/* uint64_t loop_sbi(n): SBI base get_spec_version, n times; returns the calls that succeeded
 * with a version. The SBI preserves every register but a0 and a1. */
	.globl loop_sbi
loop_sbi:
	mv	t3, a0
	li	t4, 0
	li	a7, 0x10
	li	a6, 0
1:	ecall
	bnez	a0, 2f
	beqz	a1, 2f
	addi	t4, t4, 1
2:	addi	t3, t3, -1
	bnez	t3, 1b
	mv	a0, t4
	ret

/* uint64_t loop_fencei(n, slot): writes `addi a0, zero, k` (k changes every time) over the first
 * instruction of slot, fence.i, calls slot; returns the calls that returned the new k. */
	.globl loop_fencei
loop_fencei:
	mv	t6, ra
	mv	t3, a0
	li	t4, 0
1:	andi	t5, t3, 0x7ff
	slli	t0, t5, 20
	ori	t0, t0, 0x513		/* addi a0, zero, k */
	sw	t0, 0(a1)
	fence.i
	jalr	ra, 0(a1)
	xor	a0, a0, t5
	seqz	a0, a0
	add	t4, t4, a0
	addi	t3, t3, -1
	bnez	t3, 1b
	mv	a0, t4
	mv	ra, t6
	ret

/* uint64_t loop_print_sbi(n, line, len): the line through SBI DBCN console_write (one call per
 * line; the buffer's physical address, which is its address here), n times; returns the calls
 * that wrote all len bytes. */
	.globl loop_print_sbi
loop_print_sbi:
	mv	t3, a0
	li	t4, 0
	mv	t5, a1
	mv	t6, a2
	li	a7, 0x4442434e
	li	a6, 0
1:	mv	a0, t6
	mv	a1, t5
	li	a2, 0
	ecall
	bnez	a0, 2f
	bne	a1, t6, 2f
	addi	t4, t4, 1
2:	addi	t3, t3, -1
	bnez	t3, 1b
	mv	a0, t4
	ret

/* The code slot of loop_fencei: a page of its own, so no other data shares its page flags.
 * (Executable through the kernel's RWX superpage; no "x" here, which .data.* may not carry.) */
	.section .data.codeslot, "aw", @progbits
	.balign 4096
	.globl codeslot
codeslot:
	.option push
	.option norvc
	addi	a0, zero, 0
	jalr	zero, 0(ra)
	.option pop
	.balign 4096

/* ------------------------------------------------------------------ the user program
 * Runs in U-mode at USER_TEXT_VA; reads its count and mode from USER_DATA_VA, then makes count
 * null system calls, or loads from count fresh pages of the demand range (each faults once),
 * and exits (system call SYS_EXIT). */
	.section .user.text, "ax", @progbits
	.globl user_main
user_main:
	li	s0, USER_DATA_VA
	ld	s1, 0(s0)
	ld	s2, 8(s0)
	bnez	s2, .Lfaults
	li	a7, 0
1:	ecall
	addi	s1, s1, -1
	bnez	s1, 1b
	j	.Lexit
.Lfaults:
	li	s3, DEMAND_VA
	li	s4, 4096
1:	ld	t3, 0(s3)
	add	s3, s3, s4
	addi	s1, s1, -1
	bnez	s1, 1b
.Lexit:
	li	a7, SYS_EXIT
	li	a0, 0
	ecall
2:	j	2b

	.section .user.data, "aw", @progbits
	.globl user_args
user_args:
	.quad	0, 0		/* count, mode */
