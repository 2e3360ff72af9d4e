/* Freestanding guest library: UART console, finisher exit, trap catcher, self-check helpers
 * (printf and the string helpers are in fmt.c). See virt.h. */
#include "virt.h"
#include <stdarg.h>

/* ---- UART 16550 ---- */
int putchar(int c) {
  while (!(MMIO8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {
  }
  MMIO8(UART_BASE + UART_THR) = (uint8_t)c;
  return (uint8_t)c;
}

/* ---- exit through the SiFive test finisher ---- */
void exit(int code) {
  uint32_t v = code == 0 ? FINISHER_PASS : (((uint32_t)code & 0xffff) << 16) | FINISHER_FAIL;
  MMIO32(FINISHER_BASE) = v;
  for (;;) __asm__ __volatile__("wfi");
}

/* ---- trap catcher ---- */
volatile uint64_t trap_cause, trap_epc, trap_tval;
volatile unsigned trap_count;
void (*volatile trap_hook)(uint64_t *frame);
static volatile int trap_armed;
static volatile uintptr_t trap_resume;

void trap_arm(uintptr_t resume) {
  trap_resume = resume;
  trap_cause = trap_epc = trap_tval = ~0UL;
  trap_armed = 1;
}

void trap_disarm(void) { trap_armed = 0; }

void handle_trap(uint64_t *frame) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc), tval = csr_read(mtval);
  if (trap_hook) {
    trap_hook(frame);
    return;
  }
  if (!trap_armed) {
    printf("unexpected trap: mcause=%lx mepc=%lx mtval=%lx\n", cause, epc, tval);
    exit(126);
  }
  trap_armed = 0;
  trap_cause = cause;
  trap_epc = epc;
  trap_tval = tval;
  trap_count++;
  if (trap_resume) {
    csr_write(mepc, trap_resume);
  } else if (cause & MCAUSE_INTERRUPT) {
    /* interrupts return to the interrupted instruction */
  } else if (cause == CAUSE_FETCH_ACCESS || cause == CAUSE_MISALIGNED_FETCH) {
    printf("instruction fault at %lx without a resume address\n", epc);
    exit(125);
  } else {
    uint16_t insn = *(volatile uint16_t *)(uintptr_t)epc;
    csr_write(mepc, epc + ((insn & 3) == 3 ? 4 : 2));
  }
}

/* ---- self-checking helpers ---- */
int test_first_failure;
int test_checks;

int check(int n, const char *what, uint64_t got, uint64_t want) {
  test_checks++;
  if (got == want) {
    printf("  %3d %-28s ok\n", n, what);
    return 1;
  }
  printf("  %3d %-28s FAIL: got %016lx want %016lx\n", n, what, got, want);
  if (!test_first_failure) test_first_failure = n;
  return 0;
}

int check_true(int n, const char *what, int cond) {
  test_checks++;
  if (cond) {
    printf("  %3d %-28s ok\n", n, what);
    return 1;
  }
  printf("  %3d %-28s FAIL\n", n, what);
  if (!test_first_failure) test_first_failure = n;
  return 0;
}

void test_finish(const char *name) {
  if (test_first_failure) {
    printf("%s: FAILED (first failing case %d of %d checks)\n", name, test_first_failure, test_checks);
    exit(test_first_failure);
  }
  printf("%s: all %d checks passed\n", name, test_checks);
  exit(0);
}
