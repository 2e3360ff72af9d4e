/* Guest-side view of the "virt" board and a tiny freestanding library (lib.c).
 * No libc, no floating point: UART 16550 console, printf subset, exit through the SiFive test
 * finisher, CSR and counter helpers, and a trap catcher for self-checking tests. */
#ifndef VIRT_H
#define VIRT_H

#include <stddef.h>
#include <stdint.h>

/* ---- board memory map (QEMU virt) ---- */
#define FINISHER_BASE 0x00100000UL /* SiFive test finisher */
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333
#define CLINT_BASE 0x02000000UL
#define CLINT_MSIP (CLINT_BASE + 0x0000)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000) /* hart 0 */
#define CLINT_MTIME (CLINT_BASE + 0xBFF8)
#define CLINT_FREQ_HZ 10000000UL /* mtime ticks at 10 MHz */
#define PLIC_BASE 0x0c000000UL
#define UART_BASE 0x10000000UL
#define UART_THR 0 /* transmit holding register (write) */
#define UART_RBR 0 /* receive buffer register (read) */
#define UART_LSR 5 /* line status register */
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define RAM_BASE 0x80000000UL

#define MMIO8(a) (*(volatile uint8_t *)(uintptr_t)(a))
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define MMIO64(a) (*(volatile uint64_t *)(uintptr_t)(a))

/* ---- CSRs ---- */
#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr)                                          \
  ({                                                           \
    unsigned long __v;                                         \
    __asm__ __volatile__("csrr %0, " STR(csr) : "=r"(__v) : : "memory"); \
    __v;                                                       \
  })
#define csr_write(csr, val) __asm__ __volatile__("csrw " STR(csr) ", %0" : : "rK"(val) : "memory")
#define csr_set(csr, val) __asm__ __volatile__("csrs " STR(csr) ", %0" : : "rK"(val) : "memory")
#define csr_clear(csr, val) __asm__ __volatile__("csrc " STR(csr) ", %0" : : "rK"(val) : "memory")
#define csr_swap(csr, val)                                                      \
  ({                                                                            \
    unsigned long __v;                                                          \
    __asm__ __volatile__("csrrw %0, " STR(csr) ", %1" : "=r"(__v) : "rK"(val) : "memory"); \
    __v;                                                                        \
  })

#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_MPP (3UL << 11)
#define MIP_MSIP (1UL << 3)
#define MIP_MTIP (1UL << 7)
#define MIP_MEIP (1UL << 11)
#define MIE_MSIE MIP_MSIP
#define MIE_MTIE MIP_MTIP
#define MIE_MEIE MIP_MEIP
#define MCAUSE_INTERRUPT (1UL << 63)

/* cause numbers */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define IRQ_M_SOFT 3
#define IRQ_M_TIMER 7
#define IRQ_M_EXT 11

/* ---- counters ---- */
static inline uint64_t read_cycle(void) {
  uint64_t v;
  __asm__ __volatile__("rdcycle %0" : "=r"(v));
  return v;
}
static inline uint64_t rdinstret(void) {
  uint64_t v;
  __asm__ __volatile__("rdinstret %0" : "=r"(v));
  return v;
}
static inline uint64_t read_time(void) {
  uint64_t v;
  __asm__ __volatile__("rdtime %0" : "=r"(v));
  return v;
}
static inline uint64_t read_mtime(void) { return MMIO64(CLINT_MTIME); }

/* ---- console and exit (lib.c) ---- */
int putchar(int c);
int puts(const char *s); /* writes s and a newline */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) exit(int code);

/* ---- freestanding string helpers (the compiler may call these) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ---- trap catcher ----
 * crt0 points mtvec at a handler that saves all registers and calls handle_trap(frame).
 * By default any trap is unexpected: it is reported and the guest exits with code 126.
 * trap_arm(resume) makes the next trap expected: its mcause/mepc/mtval are recorded in trap_cause,
 * trap_epc and trap_tval, trap_count is incremented, and execution resumes at `resume`, or, when
 * resume is 0, after the trapping instruction (length taken from the instruction at mepc).
 * A guest may instead install trap_hook, called (with the frame) for every trap. */
extern volatile uint64_t trap_cause, trap_epc, trap_tval;
extern volatile unsigned trap_count;
extern void (*volatile trap_hook)(uint64_t *frame);
void trap_arm(uintptr_t resume);
void trap_disarm(void);
void handle_trap(uint64_t *frame);

/* ---- self-checking helpers: each check has a number; failures are printed, the first failing
 * number is remembered and test_finish() exits with it (0 when everything passed). ---- */
int check(int n, const char *what, uint64_t got, uint64_t want);
int check_true(int n, const char *what, int cond);
void __attribute__((noreturn)) test_finish(const char *name);
extern int test_first_failure;
extern int test_checks;

#endif
