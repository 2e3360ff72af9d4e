/* compressed: every RV64C integer instruction, written with explicit c.* mnemonics so each one is
 * assembled in its 16-bit form: c.addi4spn c.lw c.ld c.sw c.sd c.nop c.addi c.addiw c.li
 * c.addi16sp c.lui c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw c.j c.beqz c.bnez
 * c.slli c.lwsp c.ldsp c.swsp c.sdsp c.jr c.mv c.ebreak c.jalr c.add — with the immediate
 * extremes (sign extension, scaled offsets at their maximum) and registers outside x8..x15 where
 * the format allows them. (c.fld/c.fsd/c.fldsp/c.fsdsp are floating point: not covered.)
 * Each CHECK calls check(num, name, reg, value) from lib.c, so registers other than s0-s11 do not
 * survive it. */
	.file	"compressed.S"
	.option rvc

	.macro CHECK num, name, reg, val
	mv	a2, \reg
	li	a3, \val
	li	a0, \num
	la	a1, .Lname\@
	call	check
	.pushsection .rodata
.Lname\@:
	.asciz	"\name"
	.popsection
	.endm

	.macro SAY text
	la	a0, .Lsay\@
	call	puts
	.pushsection .rodata
.Lsay\@:
	.asciz	"\text"
	.popsection
	.endm

	.data
	.p2align 3
data:
	.dword	0x8000000080000001	/* 0 */
	.fill	14, 8, 0
	.dword	0xffffffff7ffffffe	/* 120: word at 124 is 0xffffffff */
	.fill	15, 8, 0
	.dword	0x0123456789abcdef	/* 248 */
	.dword	0

	.text
	.globl	main
main:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	SAY	"compressed: RV64C integer instructions"

	/* ---- CIW: c.addi4spn ---- */
	c.addi4spn a0, sp, 1020
	sub	a0, a0, sp
	CHECK	1, "c.addi4spn 1020", a0, 1020
	c.addi4spn s1, sp, 4
	sub	s1, s1, sp
	CHECK	2, "c.addi4spn 4", s1, 4

	/* ---- CL / CS: c.lw c.ld c.sw c.sd ---- */
	la	s0, data
	c.lw	a0, 0(s0)
	CHECK	3, "c.lw sign-extends", a0, 0xffffffff80000001
	c.lw	a5, 124(s0)
	CHECK	4, "c.lw offset 124", a5, -1
	c.ld	a4, 248(s0)
	CHECK	5, "c.ld offset 248", a4, 0x0123456789abcdef
	c.ld	a1, 0(s0)
	CHECK	6, "c.ld offset 0", a1, 0x8000000080000001
	li	a2, 0x1122334455667788
	c.sd	a2, 240(s0)
	ld	a3, 240(s0)
	CHECK	7, "c.sd offset 240", a3, 0x1122334455667788
	li	a3, 0xaabbccdd
	c.sw	a3, 120(s0)
	ld	a4, 120(s0)
	CHECK	8, "c.sw offset 120 (low word)", a4, 0xffffffffaabbccdd
	li	s1, 0x55667788
	c.sw	s1, 4(s0)
	ld	a4, 0(s0)
	CHECK	9, "c.sw offset 4 (high word)", a4, 0x5566778880000001

	/* ---- CI: c.nop c.addi c.addiw c.li c.lui c.addi16sp c.slli ---- */
	li	a0, 5
	c.nop
	c.addi	a0, -32
	CHECK	10, "c.addi -32", a0, -27
	li	t3, 100
	c.addi	t3, 31
	CHECK	11, "c.addi 31 (x28)", t3, 131
	li	a0, 0x7fffffff
	c.addiw	a0, 1
	CHECK	12, "c.addiw overflow sign-extends", a0, 0xffffffff80000000
	li	t0, 0x1234567880000000
	c.addiw	t0, 0
	CHECK	13, "c.addiw 0 = sext.w (x5)", t0, 0xffffffff80000000
	li	a1, 0x100000000
	c.addiw	a1, -1
	CHECK	14, "c.addiw -1 ignores upper", a1, -1
	c.li	a0, -32
	CHECK	15, "c.li -32", a0, -32
	c.li	s11, 31
	CHECK	16, "c.li 31 (x27)", s11, 31
	c.lui	a0, 0x1f
	CHECK	17, "c.lui 0x1f", a0, 0x1f000
	c.lui	t6, 0xfffe0
	CHECK	18, "c.lui negative (x31)", t6, 0xfffffffffffe0000
	c.lui	a0, 1
	CHECK	19, "c.lui 1", a0, 0x1000
	mv	s1, sp
	c.addi16sp sp, -512
	sub	s2, s1, sp
	c.addi16sp sp, 496
	c.addi16sp sp, 16
	sub	s3, s1, sp
	CHECK	20, "c.addi16sp -512", s2, 512
	CHECK	21, "c.addi16sp 496 + 16", s3, 0
	li	a0, 1
	c.slli	a0, 63
	CHECK	22, "c.slli 63", a0, 0x8000000000000000
	li	s10, 0x12345
	c.slli	s10, 32
	CHECK	23, "c.slli 32 (x26)", s10, 0x1234500000000

	/* ---- CB: c.srli c.srai c.andi ---- */
	li	a0, 0x8000000000000000
	c.srli	a0, 63
	CHECK	24, "c.srli 63", a0, 1
	li	a0, 0xf000000000000000
	c.srli	a0, 32
	CHECK	25, "c.srli 32", a0, 0xf0000000
	li	a0, 0x8000000000000000
	c.srai	a0, 63
	CHECK	26, "c.srai 63", a0, -1
	li	a0, 0x8000000000000000
	c.srai	a0, 1
	CHECK	27, "c.srai 1", a0, 0xc000000000000000
	li	s1, 0x8765432100000000
	c.srai	s1, 32
	CHECK	28, "c.srai 32", s1, 0xffffffff87654321
	li	a0, 0x123456789abcdef0
	c.andi	a0, -32
	CHECK	29, "c.andi -32", a0, 0x123456789abcdee0
	li	a0, 0x123456789abcdef0
	c.andi	a0, 31
	CHECK	30, "c.andi 31", a0, 0x10

	/* ---- CA: c.sub c.xor c.or c.and c.subw c.addw ---- */
	li	a0, 0
	li	a1, 1
	c.sub	a0, a1
	CHECK	31, "c.sub 0-1", a0, -1
	li	a2, 0xff00ff00ff00ff00
	li	a3, 0x0ff00ff00ff00ff0
	mv	a4, a2
	c.xor	a4, a3
	CHECK	32, "c.xor", a4, 0xf0f0f0f0f0f0f0f0
	li	a2, 0xff00ff00ff00ff00
	li	a3, 0x0ff00ff00ff00ff0
	mv	a5, a2
	c.or	a5, a3
	CHECK	33, "c.or", a5, 0xfff0fff0fff0fff0
	li	a2, 0xff00ff00ff00ff00
	li	s0, 0x0ff00ff00ff00ff0
	c.and	s0, a2
	CHECK	34, "c.and", s0, 0x0f000f000f000f00
	li	a0, 0x0000000100000000
	li	a1, 1
	c.subw	a0, a1
	CHECK	35, "c.subw sign-extends", a0, -1
	li	a0, 0x7fffffff
	li	a1, 0xffffffff00000001
	c.addw	a0, a1
	CHECK	36, "c.addw overflow", a0, 0xffffffff80000000

	/* ---- CR: c.mv c.add (any registers) ---- */
	li	t3, 0x1234
	c.mv	t4, t3
	CHECK	37, "c.mv (x29 <- x28)", t4, 0x1234
	li	t4, 0x1000
	li	s2, 0x234
	c.add	s2, t4
	CHECK	38, "c.add (x18 += x29)", s2, 0x1234
	li	ra, 5
	c.add	ra, ra
	CHECK	39, "c.add ra, ra", ra, 10

	SAY	"compressed: control transfer"
	/* ---- CJ: c.j forward and backward ---- */
	li	s1, 0
	c.j	2f
1:	addi	s1, s1, 1
	c.j	3f
2:	addi	s1, s1, 10
	c.j	1b
3:	CHECK	40, "c.j forward then backward", s1, 11

	/* ---- CB: c.beqz c.bnez ---- */
	li	s1, 0
	li	a0, 0
	c.beqz	a0, 1f
	li	s1, 1
1:	CHECK	41, "c.beqz taken", s1, 0
	li	s1, 0
	li	a0, 0x8000000000000000
	c.beqz	a0, 1f
	li	s1, 1
1:	CHECK	42, "c.beqz bit 63 not taken", s1, 1
	li	s1, 0
	li	a5, 0x100000000
	c.bnez	a5, 1f
	li	s1, 1
1:	CHECK	43, "c.bnez taken", s1, 0
	li	s1, 0
	li	a5, 0
	c.bnez	a5, 1f
	li	s1, 1
1:	CHECK	44, "c.bnez not taken", s1, 1
	li	s1, 0
	li	s2, 5
1:	addi	s1, s1, 3
	addi	s2, s2, -1
	mv	a0, s2
	c.bnez	a0, 1b
	CHECK	45, "c.bnez backward loop", s1, 15

	/* ---- CR: c.jr c.jalr ---- */
	li	s1, 0
	la	a0, 1f
	c.jr	a0
	li	s1, 1
1:	CHECK	46, "c.jr", s1, 0
	la	t1, 2f
	la	s3, 1f
	c.jalr	t1
1:	c.j	3f
2:	mv	s4, ra
	c.jr	ra
3:	sub	s4, s4, s3
	CHECK	47, "c.jalr link = pc+2", s4, 0
	li	s1, 0
	la	s5, 1f
	c.jalr	s5 /* returns here via the jr below with ra = this + 2 */
	c.j	2f
1:	addi	s1, s1, 7
	c.jr	ra
2:	CHECK	48, "c.jalr and return", s1, 7

	SAY	"compressed: stack-pointer based"
	/* ---- CSS / CI: c.sdsp c.swsp c.ldsp c.lwsp ---- */
	addi	sp, sp, -512
	li	a0, 0x0123456789abcdef
	c.sdsp	a0, 504(sp)
	ld	s1, 504(sp)
	CHECK	49, "c.sdsp offset 504", s1, 0x0123456789abcdef
	c.ldsp	t5, 504(sp)
	CHECK	50, "c.ldsp offset 504 (x30)", t5, 0x0123456789abcdef
	li	a0, -1
	sd	a0, 248(sp)
	li	s6, 0x80000000
	c.swsp	s6, 252(sp)
	ld	s1, 248(sp)
	CHECK	51, "c.swsp offset 252", s1, 0x80000000ffffffff
	c.lwsp	t2, 252(sp)
	CHECK	52, "c.lwsp sign-extends (x7)", t2, 0xffffffff80000000
	li	a0, 0x7788
	c.sdsp	a0, 0(sp)
	c.lwsp	a1, 0(sp)
	CHECK	53, "c.sdsp/c.lwsp offset 0", a1, 0x7788
	addi	sp, sp, 512

	SAY	"compressed: c.ebreak"
	li	a0, 0
	call	trap_arm
	la	s7, 1f
1:	c.ebreak
	la	t0, trap_cause
	ld	s1, 0(t0)
	la	t0, trap_epc
	ld	s2, 0(t0)
	la	t0, trap_tval
	ld	s3, 0(t0)
	CHECK	54, "c.ebreak mcause = 3", s1, 3
	sub	s2, s2, s7
	CHECK	55, "c.ebreak mepc", s2, 0
	/* mtval for a breakpoint is 0 or the pc */
	sub	s4, s3, s7
	seqz	s4, s4
	seqz	s3, s3
	or	s3, s3, s4
	CHECK	56, "c.ebreak mtval is 0 or pc", s3, 1

	la	a0, name
	call	test_finish

	.section .rodata
name:	.asciz	"compressed"
