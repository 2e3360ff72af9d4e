/* U-mode start-up of the paged bench workloads (entered by the kernel's sret with sp = the top
 * of the user stack): sets gp, clears the user .bss through its user mapping, calls main(void)
 * and hands its return value to exit() (ulib.c: the exit system call). */
	.file	"ucrt0.S"
	.section .text.init, "ax", @progbits
	.globl _ustart
_ustart:
.option push
.option norelax
	la	gp, __global_pointer$
.option pop
	la	t0, __user_bss_start
	la	t1, __user_bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	main
	call	exit
3:	j	3b
