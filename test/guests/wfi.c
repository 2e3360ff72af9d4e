/* wfi: waiting for the machine timer interrupt.
 * 1. mstatus.MIE = 0, mie.MTIE = 1: `wfi` (in a loop, as the spec allows wfi to return early)
 *    resumes once the timer is pending, without taking the interrupt; mtime >= mtimecmp then.
 * 2. mstatus.MIE = 1: the interrupt is taken out of the wfi loop (mcause 0x8000000000000007,
 *    mepc inside the loop: right after the wfi when the hart really stalled). The handler re-arms
 *    the timer here, so a wfi reached just after an interrupt cannot sleep forever.
 * 3. wfi with the timer already pending returns at once.
 * 4. Ten timer ticks of 0.2 ms, each waited for with wfi (with MIE = 0, then briefly enabling
 *    interrupts to take it), come in order. */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

#define MTIMECMP MMIO64(CLINT_MTIMECMP)
#define INT_TIMER (MCAUSE_INTERRUPT | IRQ_M_TIMER)

static volatile unsigned fired, periodic;
static volatile uint64_t seen_cause, seen_epc;

static void irq_hook(uint64_t *frame) {
  uint64_t cause = csr_read(mcause);
  if (cause != INT_TIMER) {
    printf("unexpected trap: mcause=%lx mepc=%lx\n", cause, csr_read(mepc));
    exit(126);
  }
  if (!fired) {
    seen_cause = cause;
    seen_epc = csr_read(mepc);
  }
  /* periodic: re-arm, so that a wfi reached just after an interrupt still wakes up */
  MTIMECMP = periodic ? read_mtime() + 2000 : ~0UL;
  fired++;
}

int main(void) {
  trap_hook = irq_hook;
  MTIMECMP = ~0UL;

  puts("wfi: wakes on a pending timer with interrupts globally disabled");
  csr_clear(mstatus, MSTATUS_MIE);
  csr_write(mie, MIE_MTIE);
  uint64_t target = read_mtime() + 5000; /* 0.5 ms */
  MTIMECMP = target;
  uint64_t deadline = target + CLINT_FREQ_HZ;
  unsigned long rounds = 0;
  while (!(csr_read(mip) & MIP_MTIP) && read_mtime() < deadline) {
    __asm__ __volatile__("wfi");
    rounds++;
  }
  T("MTIP pending after wfi", csr_read(mip) & MIP_MTIP, MIP_MTIP);
  TT("mtime >= mtimecmp", read_mtime() >= target);
  T("no interrupt taken (MIE = 0)", fired, 0);
  TT("wfi executed", rounds >= 1);
  MTIMECMP = ~0UL;

  puts("wfi: interrupt taken out of wfi");
  uint64_t loop_start, loop_end;
  periodic = 1;
  MTIMECMP = read_mtime() + 5000;
  csr_set(mstatus, MSTATUS_MIE);
  __asm__ __volatile__(".option push\n.option norvc\n"
                       "la %0, 1f\n"
                       "la %1, 2f\n"
                       "1: wfi\n"
                       "lw t0, 0(%2)\n"
                       "beqz t0, 1b\n"
                       "2:\n"
                       ".option pop"
                       : "=&r"(loop_start), "=&r"(loop_end)
                       : "r"(&fired)
                       : "t0", "memory");
  csr_clear(mstatus, MSTATUS_MIE);
  periodic = 0;
  MTIMECMP = ~0UL;
  TT("interrupt taken", fired >= 1);
  T("mcause = 0x8000000000000007", seen_cause, INT_TIMER);
  TT("mepc inside the wfi loop", seen_epc >= loop_start && seen_epc < loop_end);
  fired = 0;

  puts("wfi: already pending");
  MTIMECMP = 0;
  for (int i = 0; i < 1000 && !(csr_read(mip) & MIP_MTIP); i++) {
  }
  __asm__ __volatile__("wfi");
  T("wfi returns with the timer pending", csr_read(mip) & MIP_MTIP, MIP_MTIP);
  T("still no interrupt taken", fired, 0);
  MTIMECMP = ~0UL;

  puts("wfi: ten ticks");
  fired = 0;
  unsigned ok = 1;
  for (unsigned tick = 1; tick <= 10; tick++) {
    uint64_t when = read_mtime() + 2000;
    MTIMECMP = when;
    uint64_t limit = when + CLINT_FREQ_HZ;
    /* test with MIE = 0 (no lost wake-up), wfi, then open the window to take the interrupt */
    while (fired < tick && read_mtime() < limit) {
      __asm__ __volatile__("wfi");
      csr_set(mstatus, MSTATUS_MIE);
      csr_clear(mstatus, MSTATUS_MIE);
    }
    if (fired != tick || read_mtime() < when) ok = 0;
  }
  T("ten ticks taken", fired, 10);
  TT("each after its mtimecmp", ok);

  csr_write(mie, 0);
  trap_hook = 0;
  test_finish("wfi");
}
