/* Kernel of the paged bench workloads (bench/guests/paged-<name>.elf): runs a bench workload as a
 * U-mode program under Sv39, so the benchmark measures the MMU path (address translation of every
 * fetch, load and store) beside the bare-metal runs of the same C source.
 * Started in M-mode by test/guests/smode/mentry.S (delegation to S-mode, PMP, MPP = S, mret to
 * _start in test/guests/smode/sentry.S, which sets up the stack and calls kmain), it
 *   - builds Sv39 page tables: 2 MiB superpages for the test finisher and the UART, 2 MiB
 *     superpages identity-mapping RAM (0x8000_0000..0xbfff_ffff) for the kernel, except the
 *     2 MiB ranges holding the user program (paged.ld, from 0x8040_0000), which are mapped in
 *     4 KiB user pages at VA == PA: text and rodata R-X, data, bss and stack RW-, A (and D for
 *     the writable pages) preset; nothing else in those ranges is mapped;
 *   - turns paging on (satp, sfence.vma) and enters the program in U-mode (sret);
 *   - serves its system calls: write (a7 = 1: a0 = buffer, a1 = length, copied to the UART with
 *     sstatus.SUM) and exit (a7 = 3: a0 = code), which shuts the machine down through the SiFive
 *     test finisher (0x5555, or 0x3333 | code << 16).
 * It prints nothing of its own unless something goes wrong, so the output is the workload's,
 * byte for byte the bare-metal build's. Any other trap is reported and exits with code 126. */
#include <stddef.h>
#include <stdint.h>

#include "virt.h" /* csr_read/csr_write/csr_set/csr_clear, MMIO8/MMIO32 */

#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_SV39 (8UL << 60)

#define UART_BASE 0x10000000UL
#define FINISHER_BASE 0x00100000UL
#define RAM_BASE 0x80000000UL
#define MEGA (1UL << 21)
#define PAGE 4096UL
#define MMIO8(a) (*(volatile uint8_t *)(uintptr_t)(a))
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define SYS_WRITE 1
#define SYS_EXIT 3

/* ------------------------------------------------------------------ console and shutdown */
static void kputc(char c) {
  while (!(MMIO8(UART_BASE + 5) & 0x20)) {
  }
  MMIO8(UART_BASE) = (uint8_t)c;
}

static void kputs(const char *s) {
  while (*s) kputc(*s++);
}

static void kputhex(uint64_t v) {
  kputs("0x");
  for (int i = 60; i >= 0; i -= 4) kputc("0123456789abcdef"[(v >> i) & 15]);
}

static void __attribute__((noreturn)) shutdown(int code) {
  MMIO32(FINISHER_BASE) = code == 0 ? 0x5555 : (((uint32_t)code & 0xffff) << 16) | 0x3333;
  for (;;) __asm__ __volatile__("wfi");
}

static void __attribute__((noreturn)) fail(const char *what, uint64_t cause, uint64_t epc, uint64_t tval) {
  kputs("paged kernel: ");
  kputs(what);
  kputs(": cause=");
  kputhex(cause);
  kputs(" epc=");
  kputhex(epc);
  kputs(" tval=");
  kputhex(tval);
  kputc('\n');
  shutdown(126);
}

/* Called by mentry.S for any trap that reaches M-mode. */
void __attribute__((noreturn)) m_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
  fail("unexpected trap in M-mode", cause, epc, tval);
}

/* ------------------------------------------------------------------ page tables */
typedef uint64_t pte_t;
#define USER_L0_TABLES 4 /* the user program may span this many 2 MiB ranges */
static pte_t root_pt[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static pte_t dev_l1[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static pte_t ram_l1[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static pte_t user_l0[USER_L0_TABLES][512] __attribute__((aligned(4096), section(".bss.pagetables")));

extern char __user_start[], __user_text_end[], __user_end[], __user_stack_top[];
extern void _ustart(void);

static pte_t leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags | PTE_V; }
static pte_t table(void *next) { return (((uintptr_t)next >> 12) << 10) | PTE_V; }

#define KFLAGS (PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)
#define IOFLAGS (PTE_R | PTE_W | PTE_G | PTE_A | PTE_D)
#define UTEXT (PTE_R | PTE_X | PTE_U | PTE_A)
#define UDATA (PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)

static void build_page_tables(void) {
  uint64_t ustart = (uintptr_t)__user_start, utext_end = (uintptr_t)__user_text_end;
  uint64_t uend = (uintptr_t)__user_end;
  root_pt[0] = table(dev_l1); /* 0..1 GiB: devices */
  dev_l1[FINISHER_BASE / MEGA] = leaf(FINISHER_BASE & ~(MEGA - 1), IOFLAGS);
  dev_l1[UART_BASE / MEGA] = leaf(UART_BASE, IOFLAGS);
  root_pt[RAM_BASE >> 30] = table(ram_l1); /* 2..3 GiB: RAM */
  unsigned used = 0;
  for (uint64_t i = 0; i < 512; i++) {
    uint64_t base = RAM_BASE + i * MEGA;
    if (base + MEGA <= ustart || base >= uend) {
      ram_l1[i] = leaf(base, KFLAGS);
      continue;
    }
    if (used == USER_L0_TABLES) fail("user program too large for its page tables", 0, 0, uend - ustart);
    ram_l1[i] = table(user_l0[used++]);
  }
  for (uint64_t va = ustart; va < uend; va += PAGE) {
    pte_t *l0 = (pte_t *)(uintptr_t)((ram_l1[(va - RAM_BASE) / MEGA] >> 10) << 12);
    l0[(va >> 12) & 511] = leaf(va, va < utext_end ? UTEXT : UDATA);
  }
}

/* ------------------------------------------------------------------ traps */
extern void strap_entry(void);
extern void user_enter(uint64_t entry, uint64_t sp);

static void sys_write(uint64_t buf, uint64_t len) {
  if (buf < (uintptr_t)__user_start || len > (uintptr_t)__user_end - buf) return;
  csr_set(sstatus, SSTATUS_SUM); /* the buffer is in user pages */
  for (uint64_t i = 0; i < len; i++) kputc(*(volatile char *)(uintptr_t)(buf + i));
  csr_clear(sstatus, SSTATUS_SUM);
}

void s_trap(uint64_t *frame) {
  uint64_t cause = csr_read(scause), epc = csr_read(sepc), tval = csr_read(stval);
  if (csr_read(sstatus) & SSTATUS_SPP) fail("unexpected trap from S-mode", cause, epc, tval);
  if (cause != 8) fail("unexpected trap from U-mode", cause, epc, tval);
  csr_write(sepc, epc + 4);
  switch (frame[17]) {
    case SYS_WRITE: sys_write(frame[10], frame[11]); return;
    case SYS_EXIT: shutdown((int)frame[10]);
    default: fail("unknown system call", frame[17], epc, frame[10]);
  }
}

/* ------------------------------------------------------------------ main */
void __attribute__((noreturn)) kmain(uint64_t hartid, uint64_t dtb) {
  (void)hartid;
  (void)dtb;
  csr_write(stvec, (uintptr_t)strap_entry);
  csr_write(sie, 0);
  build_page_tables();
  csr_write(satp, SATP_SV39 | ((uintptr_t)root_pt >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  user_enter((uintptr_t)_ustart, (uintptr_t)__user_stack_top);
  fail("user program returned to the kernel", 0, 0, 0);
}
