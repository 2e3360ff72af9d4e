/* traps: synchronous exceptions taken in M-mode, each with exact mcause, mepc and mtval, and the
 * handler's mret resuming at the mepc it chose:
 *   illegal instruction (cause 2, mtval = the instruction bits: a reserved OP encoding, a write to
 *   a read-only CSR, `unimp`, and the 16-bit all-zero c.unimp with mtval 0),
 *   ebreak / c.ebreak (cause 3; mtval 0 or the pc, both allowed),
 *   ecall from M (cause 11, mtval 0),
 *   load / store access fault at addresses with no device (causes 5 / 7, mtval = address, the
 *   load's rd left unchanged),
 *   instruction access fault by jumping to 0x0 and to another hole (cause 1, mepc = mtval = target,
 *   the jump's link register written),
 *   misaligned AMO and LR (the address in mtval, memory and rd untouched; the cause is 6 (or 7)
 *   for an AMO and 4 (or 5) for LR by the spec -- QEMU 7.2 reports 4 for a misaligned AMO, which
 *   is accepted too),
 *   mstatus on trap entry (MIE -> MPIE, MIE = 0, MPP = M) and on mret (MIE <- MPIE),
 *   mret to a chosen mepc without a trap, and mtvec in vectored mode (exceptions use entry 0). */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

/* Run `insn` (a single instruction, at local label 1) with the trap catcher armed and yield the
 * address of the instruction. _RW: operand %1 is a read-write register, %2 an input; _IN: %1 is
 * an input. */
#define TRAP_AT(insn)                                                             \
  ({                                                                              \
    uint64_t _pc;                                                                 \
    trap_arm(0);                                                                  \
    __asm__ __volatile__("la %0, 1f\n1: " insn : "=&r"(_pc) : : "memory"); \
    _pc;                                                                          \
  })
#define TRAP_AT_RW(insn, rw, in)                                                               \
  ({                                                                                           \
    uint64_t _pc;                                                                              \
    trap_arm(0);                                                                               \
    __asm__ __volatile__("la %0, 1f\n1: " insn : "=&r"(_pc), "+r"(rw) : "r"(in) : "memory"); \
    _pc;                                                                                       \
  })
#define TRAP_AT_IN(insn, in)                                                          \
  ({                                                                                  \
    uint64_t _pc;                                                                     \
    trap_arm(0);                                                                      \
    __asm__ __volatile__("la %0, 1f\n1: " insn : "=&r"(_pc) : "r"(in) : "memory"); \
    _pc;                                                                              \
  })

static volatile uint64_t cell[2] __attribute__((aligned(16)));

static volatile uint64_t hook_mstatus, hook_cause;
static void status_hook(uint64_t *frame) {
  hook_mstatus = csr_read(mstatus);
  hook_cause = csr_read(mcause);
  csr_write(mepc, csr_read(mepc) + 4);
}

/* A vector table for mtvec vectored mode: entry k records k in mscratch and continues in the
 * normal handler. */
__asm__(".text\n"
        ".p2align 8\n"
        "vec_table:\n"
        ".option push\n.option norvc\n"
        ".irp k,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  j vec_entry_\\k\n"
        ".endr\n"
        ".irp k,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "vec_entry_\\k: csrwi mscratch, \\k\n"
        "  j __trap_entry\n"
        ".endr\n"
        ".option pop\n");
extern char vec_table[];

int main(void) {
  uint64_t pc, r;
  puts("traps: illegal instruction");
  pc = TRAP_AT(".word 0xfe000033");
  T("reserved OP encoding: mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);
  T("reserved OP encoding: mepc", trap_epc, pc);
  T("reserved OP encoding: mtval", trap_tval, 0xfe000033);
  pc = TRAP_AT("csrw mvendorid, zero");
  T("write read-only CSR: mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);
  T("write read-only CSR: mepc", trap_epc, pc);
  T("write read-only CSR: mtval", trap_tval, 0xf1101073);
  pc = TRAP_AT("unimp");
  T("unimp: mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);
  T("unimp: mepc", trap_epc, pc);
  TT("unimp: mtval (32- or 16-bit form)", trap_tval == 0xc0001073 || trap_tval == 0);
  pc = TRAP_AT(".2byte 0\n nop");
  T("c.unimp 0x0000: mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);
  T("c.unimp 0x0000: mepc", trap_epc, pc);
  T("c.unimp 0x0000: mtval", trap_tval, 0);

  puts("traps: ebreak and ecall");
  pc = TRAP_AT(".option push\n.option norvc\nebreak\n.option pop");
  T("ebreak: mcause", trap_cause, CAUSE_BREAKPOINT);
  T("ebreak: mepc", trap_epc, pc);
  TT("ebreak: mtval is 0 or pc", trap_tval == 0 || trap_tval == pc);
  pc = TRAP_AT("c.ebreak");
  T("c.ebreak: mcause", trap_cause, CAUSE_BREAKPOINT);
  T("c.ebreak: mepc", trap_epc, pc);
  pc = TRAP_AT("ecall");
  T("ecall from M: mcause", trap_cause, CAUSE_MACHINE_ECALL);
  T("ecall from M: mepc", trap_epc, pc);
  T("ecall from M: mtval", trap_tval, 0);

  puts("traps: access faults");
  r = 0x1111;
  pc = TRAP_AT_RW("ld %1, 0(%2)", r, 0UL);
  T("load from 0x0: mcause", trap_cause, CAUSE_LOAD_ACCESS);
  T("load from 0x0: mepc", trap_epc, pc);
  T("load from 0x0: mtval", trap_tval, 0);
  T("load from 0x0: rd unchanged", r, 0x1111);
  r = 0x2222;
  pc = TRAP_AT_RW("lw %1, 8(%2)", r, 0UL);
  T("lw from 0x8: mcause", trap_cause, CAUSE_LOAD_ACCESS);
  T("lw from 0x8: mepc", trap_epc, pc);
  T("lw from 0x8: mtval", trap_tval, 8);
  T("lw from 0x8: rd unchanged", r, 0x2222);
  pc = TRAP_AT_IN("sd %1, 0(%1)", 0UL);
  T("store to 0x0: mcause", trap_cause, CAUSE_STORE_ACCESS);
  T("store to 0x0: mepc", trap_epc, pc);
  T("store to 0x0: mtval", trap_tval, 0);
  pc = TRAP_AT_IN("sb %1, 0x10(%1)", 0UL);
  T("sb to 0x10: mcause", trap_cause, CAUSE_STORE_ACCESS);
  T("sb to 0x10: mepc", trap_epc, pc);
  T("sb to 0x10: mtval", trap_tval, 0x10);

  uint64_t link, back;
  __asm__ __volatile__("la %0, traps_fetch_back_0" : "=r"(back));
  trap_arm(back);
  __asm__ __volatile__(".option push\n.option norvc\n"
                       "jalr %0, 0(zero)\n"
                       "traps_fetch_back_0:\n"
                       ".option pop"
                       : "=r"(link)
                       :
                       : "memory");
  T("jump to 0x0: mcause", trap_cause, CAUSE_FETCH_ACCESS);
  T("jump to 0x0: mepc", trap_epc, 0);
  T("jump to 0x0: mtval", trap_tval, 0);
  T("jump to 0x0: link written", link, back);
  __asm__ __volatile__("la %0, traps_fetch_back_1" : "=r"(back));
  trap_arm(back);
  __asm__ __volatile__(".option push\n.option norvc\n"
                       "jalr %0, 0(%1)\n"
                       "traps_fetch_back_1:\n"
                       ".option pop"
                       : "=&r"(link)
                       : "r"(0x20000UL)
                       : "memory");
  T("jump to 0x20000: mcause", trap_cause, CAUSE_FETCH_ACCESS);
  T("jump to 0x20000: mepc", trap_epc, 0x20000);
  T("jump to 0x20000: mtval", trap_tval, 0x20000);
  T("jump to 0x20000: link written", link, back);

  puts("traps: misaligned atomics");
  cell[0] = 0x1122334455667788UL;
  cell[1] = 0x99aabbccddeeff00UL;
  uintptr_t mis = (uintptr_t)&cell[0] + 2;
  r = 0x3333;
  pc = TRAP_AT_RW("amoadd.w %1, %1, (%2)", r, mis);
  TT("amoadd.w +2: mcause store/AMO misaligned or access fault",
     trap_cause == CAUSE_MISALIGNED_STORE || trap_cause == CAUSE_STORE_ACCESS || trap_cause == CAUSE_MISALIGNED_LOAD);
  T("amoadd.w +2: mepc", trap_epc, pc);
  T("amoadd.w +2: mtval", trap_tval, mis);
  T("amoadd.w +2: rd unchanged", r, 0x3333);
  T("amoadd.w +2: memory unchanged", cell[0], 0x1122334455667788UL);
  mis = (uintptr_t)&cell[0] + 4;
  pc = TRAP_AT_RW("amoswap.d %1, %1, (%2)", r, mis);
  TT("amoswap.d +4: mcause store/AMO misaligned or access fault",
     trap_cause == CAUSE_MISALIGNED_STORE || trap_cause == CAUSE_STORE_ACCESS || trap_cause == CAUSE_MISALIGNED_LOAD);
  T("amoswap.d +4: mepc", trap_epc, pc);
  T("amoswap.d +4: mtval", trap_tval, mis);
  T("amoswap.d +4: memory unchanged", cell[0] ^ cell[1], 0x1122334455667788UL ^ 0x99aabbccddeeff00UL);
  mis = (uintptr_t)&cell[0] + 1;
  pc = TRAP_AT_RW("lr.w %1, (%2)", r, mis);
  TT("lr.w +1: mcause load misaligned or access fault",
     trap_cause == CAUSE_MISALIGNED_LOAD || trap_cause == CAUSE_LOAD_ACCESS);
  T("lr.w +1: mepc", trap_epc, pc);
  T("lr.w +1: mtval", trap_tval, mis);
  T("lr.w +1: rd unchanged", r, 0x3333);

  puts("traps: mstatus on trap entry and mret");
  trap_hook = status_hook;
  csr_set(mstatus, MSTATUS_MIE); /* mie = 0: no interrupt can be taken */
  __asm__ __volatile__(".option push\n.option norvc\necall\n.option pop" ::: "memory");
  uint64_t after = csr_read(mstatus);
  csr_clear(mstatus, MSTATUS_MIE);
  trap_hook = 0;
  T("handler saw mcause 11", hook_cause, CAUSE_MACHINE_ECALL);
  T("in handler: MIE = 0", hook_mstatus & MSTATUS_MIE, 0);
  T("in handler: MPIE = old MIE (1)", hook_mstatus & MSTATUS_MPIE, MSTATUS_MPIE);
  T("in handler: MPP = M", hook_mstatus & MSTATUS_MPP, MSTATUS_MPP);
  T("after mret: MIE = MPIE (1)", after & MSTATUS_MIE, MSTATUS_MIE);
  T("after mret: MPIE = 1", after & MSTATUS_MPIE, MSTATUS_MPIE);

  /* mret without a trap: MPP = M, MPIE = 1, MIE = 0, mepc = a label */
  csr_set(mstatus, MSTATUS_MPP | MSTATUS_MPIE);
  csr_clear(mstatus, MSTATUS_MIE);
  uint64_t landed;
  __asm__ __volatile__("la %0, 1f\n csrw mepc, %0\n li %0, 0\n mret\n li %0, 99\n1: addi %0, %0, 1"
                       : "=&r"(landed)
                       :
                       : "memory");
  after = csr_read(mstatus);
  csr_clear(mstatus, MSTATUS_MIE);
  T("mret jumps to mepc", landed, 1);
  T("mret sets MIE from MPIE", after & MSTATUS_MIE, MSTATUS_MIE);

  puts("traps: vectored mtvec");
  uint64_t saved = csr_read(mtvec);
  csr_write(mtvec, (uintptr_t)vec_table | 1);
  T("mtvec reads back base|1", csr_read(mtvec), (uintptr_t)vec_table | 1);
  csr_write(mscratch, 99);
  pc = TRAP_AT("ecall");
  T("vectored ecall: entry 0 used", csr_read(mscratch), 0);
  T("vectored ecall: mcause", trap_cause, CAUSE_MACHINE_ECALL);
  T("vectored ecall: mepc", trap_epc, pc);
  csr_write(mscratch, 99);
  pc = TRAP_AT(".word 0xfe000033");
  T("vectored illegal: entry 0 used", csr_read(mscratch), 0);
  T("vectored illegal: mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);
  csr_write(mtvec, saved);
  test_finish("traps");
}
