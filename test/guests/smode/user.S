/* The user program of skernel, run in U-mode at VA 0x400000 (its own page, mapped R-X).
 * System calls: ecall with a7 = 1 write(a0 = buffer, a1 = length), 2 counter() (the number of
 * traps the kernel has taken from U so far, this one included), 3 exit(a0 = code).
 * VA 0x401000 is its data page (RW-), 0x402000 a read-only page (R--), 0x500000 is unmapped.
 * Each deliberate fault is skipped by the kernel (sepc + 4; for the fetch fault, back to ra), so
 * the faulting load leaves its rd unchanged. Any surprise: "user: FAILED" and exit(1). */
	.section .user.text, "ax", @progbits
	.option push
	.option norvc
	.option norelax
	.globl user_main
user_main:
	/* write a greeting */
	li	a7, 1
	lla	a0, msg_hello
	ld	a1, len_hello
	ecall
	/* counter: write + this call = 2 */
	li	a7, 2
	ecall
	li	t0, 2
	bne	a0, t0, fail
	/* store to the data page and load it back (the hardware sets A and D in its PTE) */
	li	s0, 0x401000
	li	t1, 0x1234abcd
	sd	t1, 0(s0)
	ld	t2, 0(s0)
	bne	t1, t2, fail
	/* load from the read-only page (sets A only) */
	li	s1, 0x402000
	ld	t3, 0(s1)
	ld	t4, magic_copy		/* the same value, read from this (R-X) page */
	bne	t3, t4, fail
	/* load from an unmapped page: load page fault (13), rd unchanged */
	li	s2, 0x500000
	li	t5, 77
	ld	t5, 0(s2)
	li	t6, 77
	bne	t5, t6, fail
	/* store to the read-only page: store page fault (15), memory unchanged */
	sd	t1, 0(s1)
	ld	t3, 0(s1)
	bne	t3, t4, fail
	/* jump into the data page (not executable): instruction page fault (12), back to ra */
	jalr	ra, 0(s0)
	/* read a machine CSR: illegal instruction (2), stval = the instruction */
	li	a0, 55
	csrr	a0, mstatus
	li	t0, 55
	bne	a0, t0, fail
	/* counter: write, counter, 3 page faults, illegal instruction, this call = 7 */
	li	a7, 2
	ecall
	li	t0, 7
	bne	a0, t0, fail
	li	a7, 1
	lla	a0, msg_bye
	ld	a1, len_bye
	ecall
	li	a7, 3
	li	a0, 0
	ecall
1:	j	1b
fail:
	li	a7, 1
	lla	a0, msg_fail
	ld	a1, len_fail
	ecall
	li	a7, 3
	li	a0, 1
	ecall
2:	j	2b

	.balign 8
magic_copy:
	.quad	0x0123456789abcdef
len_hello:
	.quad	msg_hello_end - msg_hello
len_bye:
	.quad	msg_bye_end - msg_bye
len_fail:
	.quad	msg_fail_end - msg_fail
msg_hello:
	.ascii	"user: hello from U-mode\n"
msg_hello_end:
msg_bye:
	.ascii	"user: all user checks passed, exiting\n"
msg_bye_end:
msg_fail:
	.ascii	"user: FAILED\n"
msg_fail_end:

	.option pop

	.section .user.data, "aw", @progbits
	.quad	0

	.section .user.rodata, "a", @progbits
	.globl	user_rodata_magic
user_rodata_magic:
	.quad	0x0123456789abcdef
