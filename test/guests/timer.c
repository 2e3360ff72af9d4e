/* timer: machine timer and software interrupts through the CLINT.
 * mip.MTIP follows mtime >= mtimecmp (mtimecmp at 0x0200_4000, mtime at 0x0200_BFF8) while the
 * interrupt is masked; with mie.MTIE and mstatus.MIE set the interrupt is taken with
 * mcause = 0x8000000000000007, mtval = 0, MIE cleared and MPIE set in the handler, mepc in the
 * interrupted code, and MIE restored by mret. A pending interrupt is taken promptly once
 * mstatus.MIE is set (mepc within the next few instructions). In vectored mode (mtvec = base|1)
 * the timer goes to base + 4*7 and a software interrupt (CLINT msip) to base + 4*3; with both
 * pending the software interrupt comes first (priority MEI > MSI > MTI). */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

#define MTIMECMP MMIO64(CLINT_MTIMECMP)
#define MSIP MMIO32(CLINT_MSIP)
#define INT_TIMER (MCAUSE_INTERRUPT | IRQ_M_TIMER)
#define INT_SOFT (MCAUSE_INTERRUPT | IRQ_M_SOFT)

extern char __text_start[], __text_end[];

static volatile unsigned fired;
static volatile uint64_t seen_cause[4], seen_epc, seen_tval, seen_mstatus, seen_vector[4];

/* Records the interrupt and silences its source (mtimecmp = max / msip = 0). */
static void irq_hook(uint64_t *frame) {
  uint64_t cause = csr_read(mcause);
  if (!(cause & MCAUSE_INTERRUPT) || fired >= 4) {
    printf("unexpected trap: mcause=%lx mepc=%lx\n", cause, csr_read(mepc));
    exit(126);
  }
  seen_cause[fired] = cause;
  seen_vector[fired] = csr_read(mscratch);
  seen_epc = csr_read(mepc);
  seen_tval = csr_read(mtval);
  seen_mstatus = csr_read(mstatus);
  if ((cause & 0xff) == IRQ_M_TIMER) MTIMECMP = ~0UL;
  else if ((cause & 0xff) == IRQ_M_SOFT) MSIP = 0;
  fired++;
}

/* Waits (interrupts enabled) until `count` interrupts have fired or ~1 s of mtime passed. */
static void wait_fired(unsigned count) {
  uint64_t deadline = read_mtime() + CLINT_FREQ_HZ;
  while (fired < count && read_mtime() < deadline) {
  }
}

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
  puts("timer: mip.MTIP follows mtimecmp");
  csr_write(mie, 0);
  MTIMECMP = ~0UL;
  T("mtimecmp reads back", MTIMECMP, ~0UL);
  T("MTIP clear while mtimecmp = max", csr_read(mip) & MIP_MTIP, 0);
  uint64_t t0 = read_mtime(), t1 = t0;
  for (long i = 0; i < 10000000 && t1 == t0; i++) t1 = read_mtime();
  TT("mtime advances", t1 > t0);
  MTIMECMP = read_mtime();
  uint64_t mip = 0;
  for (int i = 0; i < 1000 && !(mip & MIP_MTIP); i++) mip = csr_read(mip);
  T("MTIP set once mtime >= mtimecmp", mip & MIP_MTIP, MIP_MTIP);
  MTIMECMP = ~0UL;
  mip = csr_read(mip);
  T("MTIP clear after mtimecmp = max", mip & MIP_MTIP, 0);

  puts("timer: interrupt in direct mode");
  trap_hook = irq_hook;
  csr_write(mscratch, 0);
  MTIMECMP = read_mtime() + 5000; /* 0.5 ms */
  csr_write(mie, MIE_MTIE);
  csr_set(mstatus, MSTATUS_MIE);
  wait_fired(1);
  uint64_t status_after = csr_read(mstatus);
  csr_clear(mstatus, MSTATUS_MIE);
  T("timer interrupt taken once", fired, 1);
  T("mcause = 0x8000000000000007", seen_cause[0], INT_TIMER);
  T("mtval = 0", seen_tval, 0);
  TT("mepc in the interrupted code", seen_epc >= (uintptr_t)__text_start && seen_epc < (uintptr_t)__text_end);
  T("in handler: MIE = 0", seen_mstatus & MSTATUS_MIE, 0);
  T("in handler: MPIE = 1", seen_mstatus & MSTATUS_MPIE, MSTATUS_MPIE);
  T("in handler: MPP = M", seen_mstatus & MSTATUS_MPP, MSTATUS_MPP);
  T("after mret: MIE = 1", status_after & MSTATUS_MIE, MSTATUS_MIE);
  T("MTIP clear after handler", csr_read(mip) & MIP_MTIP, 0);

  puts("timer: masked pending interrupt taken when MIE is set");
  fired = 0;
  MTIMECMP = 0; /* pending at once */
  for (volatile int i = 0; i < 1000; i++) {
  }
  T("not taken while mstatus.MIE = 0", fired, 0);
  T("but pending in mip", csr_read(mip) & MIP_MTIP, MIP_MTIP);
  uint64_t after_csrs;
  __asm__ __volatile__(".option push\n.option norvc\n"
                       "la %0, 1f\n"
                       "csrsi mstatus, 8\n"
                       "1: nop\n nop\n nop\n nop\n"
                       ".option pop"
                       : "=&r"(after_csrs)
                       :
                       : "memory");
  csr_clear(mstatus, MSTATUS_MIE);
  T("taken after csrsi mstatus.MIE", fired, 1);
  TT("mepc within 4 instructions of the csrsi", seen_epc >= after_csrs && seen_epc <= after_csrs + 16);
  T("mcause", seen_cause[0], INT_TIMER);

  puts("timer: vectored mode");
  uint64_t saved_mtvec = csr_read(mtvec);
  csr_write(mtvec, (uintptr_t)vec_table | 1);
  fired = 0;
  csr_write(mscratch, 99);
  MTIMECMP = read_mtime() + 5000;
  csr_set(mstatus, MSTATUS_MIE);
  wait_fired(1);
  csr_clear(mstatus, MSTATUS_MIE);
  T("vectored timer interrupt taken", fired, 1);
  T("vectored: mcause", seen_cause[0], INT_TIMER);
  T("vectored: entered at base + 4*7", seen_vector[0], 7);

  fired = 0;
  csr_write(mie, MIE_MSIE);
  MSIP = 1;
  T("msip reads back 1", MSIP, 1);
  T("MSIP pending in mip", csr_read(mip) & MIP_MSIP, MIP_MSIP);
  csr_set(mstatus, MSTATUS_MIE);
  wait_fired(1);
  csr_clear(mstatus, MSTATUS_MIE);
  T("software interrupt taken", fired, 1);
  T("software: mcause = 0x8000000000000003", seen_cause[0], INT_SOFT);
  T("software: entered at base + 4*3", seen_vector[0], 3);
  T("MSIP clear after msip = 0", csr_read(mip) & MIP_MSIP, 0);

  fired = 0;
  csr_write(mie, MIE_MSIE | MIE_MTIE);
  MTIMECMP = 0;
  MSIP = 1;
  csr_set(mstatus, MSTATUS_MIE);
  wait_fired(2);
  csr_clear(mstatus, MSTATUS_MIE);
  T("both pending: two interrupts", fired, 2);
  T("both pending: software first", seen_cause[0], INT_SOFT);
  T("both pending: then timer", seen_cause[1], INT_TIMER);
  T("both pending: vectors 3 then 7", seen_vector[0] * 16 + seen_vector[1], 3 * 16 + 7);

  csr_write(mie, 0);
  csr_write(mtvec, saved_mtvec);
  trap_hook = 0;
  test_finish("timer");
}
