/* micro.elf: the virtualization microbenchmarks (bench/micro.ts), in the spirit of the table in
 * Adams and Agesen, "A comparison of software and hardware techniques for x86 virtualization"
 * (ASPLOS 2006): a small S-mode kernel that does one operation `micro_count` times and exits.
 * The host times two counts and divides the difference by the difference of the counts, which
 * cancels start-up; a row's figure includes the bare loop's two instructions (the `loop` row).
 *
 * Run with `--sbi builtin`, or under OpenSBI (print-sbi needs its DBCN: v1.3 on). Entered in
 * S-mode at 0x8020_0000 by test/guests/smode/sentry.S (linked with skernel.ld), which calls
 * kmain. The kernel turns on Sv39 (RAM identity-mapped by a 1 GiB superpage, the UART and the
 * test finisher by 2 MiB ones), runs operation `micro_op` (a number, below; 0 runs them all),
 * prints
 *     micro: <name> <done>/<count> ok
 * and exits 0 through the test finisher. When fewer than `count` operations did what they should
 * (counted by the trap handlers, or checked by the loops in micro.S) it prints FAILED and exits
 * 1; after an unexpected trap, 126. bench/micro.ts patches micro_op and micro_count in RAM after
 * loading the ELF. */
#include <stddef.h>
#include <stdint.h>

#include "micro.h"
#include "virt.h" /* csr_read/csr_write, printf and putchar (UART), exit (test finisher) */

#define SSTATUS_SPP (1UL << 8)
#define SIE_STIE (1UL << 5)
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_SV39 (8UL << 60)

/* The operations, by number (bench/micro.ts lists the same names in the same order). */
enum { OP_ALL, OP_LOOP, OP_SYSCALL, OP_PAGE_FAULT, OP_SATP, OP_STIMECMP, OP_MMIO, OP_TIMER, OP_SBI,
       OP_FENCE_I, OP_PRINT_SBI, OP_PRINT_UART, OP_COUNT };
static const char *const op_names[OP_COUNT] = {
    "all",  "loop",      "syscall", "page-fault", "satp",      "stimecmp",
    "mmio", "timer-irq", "sbi-call", "fence-i",   "print-sbi", "print-uart",
};

/* Patched by bench/micro.ts; in .data, not .bss, which _start clears (OP_ALL is 0). */
__attribute__((section(".data"))) volatile uint32_t micro_op = OP_ALL;
__attribute__((section(".data"))) volatile uint32_t micro_count = 10;
volatile uint64_t micro_events; /* traps handled by the vectors in micro.S */

/* The line of the print benchmarks: 64 bytes with the newline, a typical log line. */
static const char line[] = "A line of console output from the microbenchmarks, 64 bytes.   \n";
_Static_assert(sizeof line - 1 == 64, "the print benchmarks write 64-byte lines");

/* ------------------------------------------------------------------ page tables */
typedef uint64_t pte_t;
#define PT __attribute__((aligned(4096), section(".bss.pagetables")))
static pte_t root_a[512] PT, root_b[512] PT, low_l1[512] PT, user_l0[512] PT;
static pte_t demand_l1[512] PT;
pte_t demand_l0[DEMAND_TABLES][512] PT; /* filled by fault_vec */
pte_t demand_pte;                        /* what fault_vec installs */
static pte_t probe_l1[2][512] PT, probe_l0[2][512] PT;
static volatile uint64_t probe_page[2][512] PT;

extern char __user_text[], __user_data[];
extern volatile uint64_t user_args[2];
extern char codeslot[];

static pte_t leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags | PTE_A | PTE_V; }
static pte_t table(const void *next) { return (((uintptr_t)next >> 12) << 10) | PTE_V; }
static uint64_t satp_of(const pte_t *root) { return SATP_SV39 | ((uintptr_t)root >> 12); }

#define KFLAGS (PTE_R | PTE_W | PTE_X | PTE_G | PTE_D)
#define IOFLAGS (PTE_R | PTE_W | PTE_G | PTE_D)

static void build_page_tables(void) {
  root_a[0] = table(low_l1);
  low_l1[FINISHER_BASE >> 21] = leaf(FINISHER_BASE & ~0x1fffffUL, IOFLAGS);
  low_l1[UART_BASE >> 21] = leaf(UART_BASE, IOFLAGS);
  low_l1[USER_TEXT_VA >> 21] = table(user_l0);
  user_l0[(USER_TEXT_VA >> 12) & 511] = leaf((uintptr_t)__user_text, PTE_R | PTE_X | PTE_U);
  user_l0[(USER_DATA_VA >> 12) & 511] = leaf((uintptr_t)__user_data, PTE_R | PTE_W | PTE_U | PTE_D);
  root_a[DEMAND_VA >> 30] = table(demand_l1);
  for (int i = 0; i < DEMAND_TABLES; i++) demand_l1[i] = table(demand_l0[i]);
  demand_pte = leaf((uintptr_t)__user_data, PTE_R | PTE_U);
  root_a[RAM_BASE >> 30] = leaf(RAM_BASE, KFLAGS); /* 1 GiB identity: the kernel */
  for (int i = 0; i < 512; i++) root_b[i] = root_a[i];
  /* PROBE_VA: probe_page[0] (holding 1) under root_a, probe_page[1] (holding 2) under root_b */
  pte_t *roots[2] = {root_a, root_b};
  for (int k = 0; k < 2; k++) {
    probe_page[k][0] = k + 1;
    roots[k][(PROBE_VA >> 30) & 511] = table(probe_l1[k]);
    probe_l1[k][(PROBE_VA >> 21) & 511] = table(probe_l0[k]);
    probe_l0[k][(PROBE_VA >> 12) & 511] = leaf((uintptr_t)probe_page[k], PTE_R | PTE_W | PTE_G | PTE_D);
  }
}

/* ------------------------------------------------------------------ traps */
extern void strap_entry(void), syscall_vec(void), fault_vec(void), timer_vec(void);
extern void user_enter(uint64_t entry, uint64_t sp);
extern void __attribute__((noreturn)) user_leave(void);
extern void user_main(void);

uint64_t loop_empty(uint64_t n);
uint64_t loop_timer(uint64_t n);
uint64_t loop_satp(uint64_t n, uint64_t satp_a, uint64_t satp_b, uint64_t probe_va);
void loop_stimecmp(uint64_t n, uint64_t first);
uint64_t loop_mmio(uint64_t n, uint64_t reg);
uint64_t loop_sbi(uint64_t n);
uint64_t loop_fencei(uint64_t n, void *slot);
uint64_t loop_print_sbi(uint64_t n, const char *line, uint64_t len);

/* Traps the vectors in micro.S do not handle: the user program's exit, or a failure. */
void s_trap(uint64_t *frame) {
  uint64_t cause = csr_read(scause), epc = csr_read(sepc), tval = csr_read(stval);
  if (cause == 8 && !(csr_read(sstatus) & SSTATUS_SPP) && frame[17] == SYS_EXIT) user_leave();
  printf("micro: unexpected trap: scause=0x%lx sepc=0x%lx stval=0x%lx\n", cause, epc, tval);
  exit(126);
}

/* Runs the user program (micro.S) with trap vector `vec`; returns the traps it handled. */
static uint64_t run_user(uint64_t mode, uint64_t n, void (*vec)(void)) {
  user_args[0] = n;
  user_args[1] = mode;
  csr_write(stvec, (uintptr_t)vec);
  user_enter(USER_TEXT_VA, USER_DATA_VA + 0x1000);
  csr_write(stvec, (uintptr_t)strap_entry);
  return micro_events;
}

/* ------------------------------------------------------------------ operations */
static uint64_t run_op(unsigned op, uint64_t n) {
  micro_events = 0;
  switch (op) {
    case OP_LOOP: return loop_empty(n);
    case OP_SYSCALL: return run_user(USER_MODE_SYSCALLS, n, syscall_vec);
    case OP_PAGE_FAULT:
      if (n > DEMAND_PAGES) {
        printf("micro: page-fault: count %lu is more than the %u pages of the demand range\n", n,
               DEMAND_PAGES);
        exit(1);
      }
      return run_user(USER_MODE_FAULTS, n, fault_vec);
    case OP_SATP: {
      uint64_t ok = loop_satp(n, satp_of(root_a), satp_of(root_b), PROBE_VA);
      csr_write(satp, satp_of(root_a));
      __asm__ __volatile__("sfence.vma" ::: "memory");
      return ok;
    }
    case OP_STIMECMP: {
      uint64_t first = csr_read(time) + (1UL << 62); /* far away: no interrupt */
      loop_stimecmp(n, first);
      uint64_t last = csr_read(CSR_STIMECMP);
      csr_write(CSR_STIMECMP, -1UL);
      return last == first + n - 1 ? n : 0;
    }
    case OP_MMIO: return loop_mmio(n, UART_BASE + 7); /* the 16550's scratch register */
    case OP_TIMER: {
      csr_write(stvec, (uintptr_t)timer_vec);
      csr_set(sie, SIE_STIE);
      uint64_t taken = loop_timer(n);
      csr_clear(sie, SIE_STIE);
      csr_write(stvec, (uintptr_t)strap_entry);
      return taken;
    }
    case OP_SBI: return loop_sbi(n);
    case OP_FENCE_I: return loop_fencei(n, codeslot);
    case OP_PRINT_SBI: return loop_print_sbi(n, line, sizeof line - 1);
    case OP_PRINT_UART:
      for (uint64_t i = 0; i < n; i++)
        for (const char *p = line; *p; p++) putchar(*p); /* lib.c: wait for THRE, write THR */
      return n;
  }
  printf("micro: unknown operation %u\n", op);
  exit(1);
}

static void run_and_check(unsigned op, uint64_t n) {
  uint64_t done = run_op(op, n);
  printf("micro: %s %lu/%lu %s\n", op_names[op], done, n, done == n ? "ok" : "FAILED");
  if (done != n) exit(1);
}

void __attribute__((noreturn)) kmain(uint64_t hartid, uint64_t dtb) {
  (void)hartid, (void)dtb;
  uint64_t op = micro_op, n = micro_count;
  csr_write(stvec, (uintptr_t)strap_entry);
  csr_write(sie, 0);
  build_page_tables();
  csr_write(satp, satp_of(root_a));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  if (n == 0 || op >= OP_COUNT) {
    printf("micro: bad operation %lu or count %lu\n", op, n);
    exit(1);
  }
  if (op == OP_ALL)
    for (unsigned k = OP_ALL + 1; k < OP_COUNT; k++) run_and_check(k, n);
  else
    run_and_check(op, n);
  exit(0);
}
