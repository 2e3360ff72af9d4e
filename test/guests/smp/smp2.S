# smp2: two harts (run with --smp 2 / qemu -smp 2). Both count to 1000 on shared counters, one
# with amoadd.w and one with an LR/SC loop; hart 0 checks both totals, then wakes hart 1 from WFI
# with a software interrupt (CLINT msip) and waits for its handler's answer.
  .equ UART, 0x10000000
  .equ FINISHER, 0x100000
  .equ MSIP1, 0x2000004
  .equ N, 1000

  .section .text
  .globl _start
_start:
  csrr s0, mhartid
  la t0, counters
  li t1, N
1:                          # amoadd: counters[0] += 1, N times
  li t2, 1
  amoadd.w zero, t2, (t0)
  addi t1, t1, -1
  bnez t1, 1b
  li t1, N
  addi a1, t0, 4
2:                          # LR/SC: counters[1] += 1, N times
  lr.w t2, (a1)
  addi t2, t2, 1
  sc.w t3, t2, (a1)
  bnez t3, 2b
  addi t1, t1, -1
  bnez t1, 2b
  li t2, 1
  addi a1, t0, 8
  amoadd.w zero, t2, (a1)   # counters[2]: harts done
  bnez s0, hart1

hart0:
  lw t2, 8(t0)
  li t3, 2
  bne t2, t3, hart0         # wait for both
  lw t2, 0(t0)
  li t3, 2*N
  bne t2, t3, fail
  lw t2, 4(t0)
  bne t2, t3, fail
  la a0, msg_count
  call puts
3:
  lw t2, 16(t0)             # hart 1 is waiting in WFI
  beqz t2, 3b
  li t2, MSIP1
  li t3, 1
  sw t3, 0(t2)              # software interrupt to hart 1
4:
  lw t2, 12(t0)             # its handler's answer
  beqz t2, 4b
  la a0, msg_ipi
  call puts
  li t2, FINISHER
  li t3, 0x5555
  sw t3, 0(t2)
5: j 5b

fail:
  la a0, msg_fail
  call puts
  li t2, FINISHER
  li t3, 0x13333            # exit code 1
  sw t3, 0(t2)
6: j 6b

hart1:
  la t2, handler
  csrw mtvec, t2
  li t2, 8
  csrw mie, t2              # MSIE
  csrsi mstatus, 8          # MIE
  li t2, 1
  sw t2, 16(t0)             # tell hart 0 we are about to wait
7:
  wfi
  j 7b

  .align 2
handler:                    # hart 1: clear msip, answer, stay parked
  li t2, MSIP1
  sw zero, 0(t2)
  la t0, counters
  li t2, 1
  sw t2, 12(t0)
  csrw mie, zero
8:
  wfi
  j 8b

puts:                       # a0: NUL-terminated string, waits for the UART's THR
  li t4, UART
9:
  lbu t5, 0(a0)
  beqz t5, 11f
10:
  lbu t6, 5(t4)
  andi t6, t6, 0x20
  beqz t6, 10b
  sb t5, 0(t4)
  addi a0, a0, 1
  j 9b
11:
  ret

  .section .rodata
msg_count: .asciz "smp2: 2 harts counted to 2000 with amoadd and with lr/sc\n"
msg_ipi: .asciz "smp2: hart 1 woke from wfi on a software interrupt\n"
msg_fail: .asciz "smp2: FAIL\n"

  .section .data
  .align 3
counters: .word 0, 0, 0, 0, 0, 0
