/* skernel: a small S-mode test kernel (supervisor and user mode, Sv39 paging, Sstc timer
 * interrupts, SBI). Linked at 0x8020_0000 and entered in S-mode with a0 = hart id and a1 = the
 * device tree (sentry.S), it:
 *   - sets stvec and checks it reads back;
 *   - builds Sv39 page tables: a 1 GiB superpage identity-mapping RAM (0x8000_0000..), 2 MiB
 *     superpages for the test finisher and the UART, and three 4 KiB user pages with A and D
 *     clear (user.S text R-X at 0x400000, data RW- at 0x401000, read-only R-- at 0x402000);
 *     writes satp (Sv39) and runs sfence.vma;
 *   - enters the user program in U-mode (sret), which makes system calls (write, counter, exit)
 *     and faults on purpose: a load from an unmapped page (scause 13), a store to the read-only
 *     page (15), a fetch from the data page (12), each printed with scause/stval/sepc and skipped,
 *     and a read of mstatus (illegal instruction, scause 2 with stval = the instruction);
 *   - prints the low PTE bits of the user pages before and after (the hardware sets A on any
 *     access and D on a store);
 *   - takes three supervisor timer interrupts through Sstc (stimecmp = time + 1 ms, sie.STIE,
 *     sstatus.SIE, idling in wfi), then turns the timer off;
 *   - shuts down: exit code 0 when every check passed, else the number of the first failed check.
 * Two builds of this one source print the same text:
 *   default        UART 16550 at 0x1000_0000 and the SiFive test finisher at 0x10_0000; started in
 *                  M-mode by mentry.S at 0x8000_0000 (run with -bios none / wasmvisor default);
 *   -DSKERNEL_SBI  the console through SBI (DBCN console_write_byte when the firmware has DBCN,
 *                  else the legacy putchar) and SBI SRST to shut down (run under OpenSBI
 *                  fw_jump / wasmvisor --sbi builtin).
 * Nothing that differs between the two (addresses of kernel data, the device tree, timer
 * values) is printed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "virt.h" /* csr_read/csr_write/csr_set/csr_clear, MMIO8/MMIO32 */

#define CSR_STIMECMP 0x14d
#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)
#define SIE_STIE (1UL << 5)
#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_TIMER 5

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_SV39 (8UL << 60)

#define USER_TEXT_VA 0x400000UL
#define USER_DATA_VA 0x401000UL
#define USER_RO_VA 0x402000UL
#define USER_UNMAPPED_VA 0x500000UL

#define TIMER_DELTA 10000UL /* 1 ms of the 10 MHz timebase */
#define TIMER_TICKS 3

/* ------------------------------------------------------------------ console and shutdown */
#ifdef SKERNEL_SBI
#define SBI_EXT_BASE 0x10
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_DBCN 0x4442434E

struct sbiret {
  long error;
  long value;
};

static struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1) {
  register unsigned long r0 __asm__("a0") = a0;
  register unsigned long r1 __asm__("a1") = a1;
  register unsigned long r6 __asm__("a6") = fid;
  register unsigned long r7 __asm__("a7") = eid;
  __asm__ __volatile__("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
  return (struct sbiret){(long)r0, (long)r1};
}

static int have_dbcn;

static void console_init(void) {
  struct sbiret r = sbi_call(SBI_EXT_BASE, 3 /* probe_extension */, SBI_EXT_DBCN, 0);
  have_dbcn = r.error == 0 && r.value != 0;
}

static void kputc(char c) {
  if (have_dbcn) sbi_call(SBI_EXT_DBCN, 2 /* console_write_byte */, (uint8_t)c, 0);
  else sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0);
}

static void __attribute__((noreturn)) shutdown(int code) {
  /* system_reset(type 0 = shutdown, reason 0 = none / 1 = system failure) */
  sbi_call(SBI_EXT_SRST, 0, 0, code ? 1 : 0);
  sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
  for (;;) __asm__ __volatile__("wfi");
}
#else
#define UART_BASE 0x10000000UL
#define FINISHER_BASE 0x00100000UL
#define MMIO8(a) (*(volatile uint8_t *)(uintptr_t)(a))
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))

static void console_init(void) {}

static void kputc(char c) {
  while (!(MMIO8(UART_BASE + 5) & 0x20)) {
  }
  MMIO8(UART_BASE) = (uint8_t)c;
}

static void __attribute__((noreturn)) shutdown(int code) {
  MMIO32(FINISHER_BASE) = code == 0 ? 0x5555 : (((uint32_t)code & 0xffff) << 16) | 0x3333;
  for (;;) __asm__ __volatile__("wfi");
}
#endif

/* ------------------------------------------------------------------ printf subset */
static void kputs(const char *s) {
  while (*s) kputc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, int zero) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (width-- > n) kputc(zero ? '0' : ' ');
  while (n) kputc(buf[--n]);
}

/* %s %c %d %u %x with optional 0, width and l */
static void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      kputc(*fmt);
      continue;
    }
    fmt++;
    int zero = 0, width = 0, lng = 0;
    if (*fmt == '0') zero = 1, fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') lng = 1, fmt++;
    switch (*fmt) {
      case 's': kputs(va_arg(ap, const char *)); break;
      case 'c': kputc((char)va_arg(ap, int)); break;
      case 'd': {
        long v = lng ? va_arg(ap, long) : va_arg(ap, int);
        if (v < 0) kputc('-'), v = -v;
        put_num((uint64_t)v, 10, width, zero);
        break;
      }
      case 'u': put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, zero); break;
      case 'x': put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, zero); break;
      default: kputc('%'); kputc(*fmt); break;
    }
  }
  va_end(ap);
}

/* ------------------------------------------------------------------ checks */
static int checks, first_failure;

static void kcheck(const char *what, uint64_t got, uint64_t want) {
  checks++;
  if (got == want) {
    kprintf("  check %2d %s: ok\n", checks, what);
  } else {
    kprintf("  check %2d %s: FAIL (got 0x%lx, want 0x%lx)\n", checks, what, got, want);
    if (!first_failure) first_failure = checks;
  }
}

/* Called by mentry.S for any trap that reaches M-mode (UART build only). */
void __attribute__((noreturn)) m_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
  kprintf("skernel: unexpected trap in M-mode: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n", cause, epc, tval);
  shutdown(126);
}

/* ------------------------------------------------------------------ page tables */
typedef uint64_t pte_t;
static pte_t root_pt[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static pte_t low_l1[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static pte_t user_l0[512] __attribute__((aligned(4096), section(".bss.pagetables")));

extern char __user_text[], __user_data[], __user_rodata[];
extern void user_main(void);
extern uint64_t user_rodata_magic;

static pte_t leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags | PTE_V; }
static pte_t table(void *next) { return (((uintptr_t)next >> 12) << 10) | PTE_V; }

#define KFLAGS (PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)
#define IOFLAGS (PTE_R | PTE_W | PTE_G | PTE_A | PTE_D)

static void build_page_tables(void) {
  root_pt[2] = leaf(0x80000000UL, KFLAGS);        /* 1 GiB: 0x8000_0000.. identity */
  root_pt[0] = table(low_l1);                     /* 0..1 GiB through a level-1 table */
  low_l1[0] = leaf(0x00000000UL, IOFLAGS);        /* 2 MiB: test finisher (0x10_0000) */
  low_l1[0x10000000UL >> 21] = leaf(0x10000000UL, IOFLAGS); /* 2 MiB: UART */
  low_l1[USER_TEXT_VA >> 21] = table(user_l0);    /* 0x40_0000..0x60_0000 in 4 KiB pages */
  /* user pages: A and D clear, for the hardware to set */
  user_l0[(USER_TEXT_VA >> 12) & 511] = leaf((uintptr_t)__user_text, PTE_R | PTE_X | PTE_U);
  user_l0[(USER_DATA_VA >> 12) & 511] = leaf((uintptr_t)__user_data, PTE_R | PTE_W | PTE_U);
  user_l0[(USER_RO_VA >> 12) & 511] = leaf((uintptr_t)__user_rodata, PTE_R | PTE_U);
}

static uint64_t user_pte(uint64_t va) { return *(volatile pte_t *)&user_l0[(va >> 12) & 511]; }

static void print_user_ptes(const char *when) {
  kprintf("paging: user PTE flags %s: text 0x%02lx data 0x%02lx rodata 0x%02lx\n", when,
          user_pte(USER_TEXT_VA) & 0xff, user_pte(USER_DATA_VA) & 0xff, user_pte(USER_RO_VA) & 0xff);
}

/* ------------------------------------------------------------------ traps */
extern void strap_entry(void);
extern void user_enter(uint64_t entry, uint64_t sp);
extern void __attribute__((noreturn)) user_leave(void);

static volatile unsigned user_traps, timer_ticks;
static volatile int user_exit_code = -1;

static const char *cause_name(uint64_t c) {
  switch (c) {
    case 2: return "illegal instruction";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store/AMO page fault";
    default: return "?";
  }
}

static uint64_t user_insn_length(uint64_t epc) {
  csr_set(sstatus, SSTATUS_SUM);
  uint16_t lo = *(volatile uint16_t *)(uintptr_t)epc;
  csr_clear(sstatus, SSTATUS_SUM);
  return (lo & 3) == 3 ? 4 : 2;
}

static void sys_write(uint64_t buf, uint64_t len) {
  /* the user's buffer is in U pages: SUM lets the kernel read them */
  csr_set(sstatus, SSTATUS_SUM);
  for (uint64_t i = 0; i < len && i < 256; i++) kputc(*(volatile char *)(uintptr_t)(buf + i));
  csr_clear(sstatus, SSTATUS_SUM);
}

static void timer_interrupt(void) {
  timer_ticks++;
  kprintf("timer: tick %u (scause 0x%lx)\n", timer_ticks, csr_read(scause));
  if (timer_ticks < TIMER_TICKS) {
    csr_write(CSR_STIMECMP, csr_read(time) + TIMER_DELTA);
  } else {
    csr_write(CSR_STIMECMP, -1UL); /* clears STIP */
    csr_clear(sie, SIE_STIE);
  }
}

void s_trap(uint64_t *frame) {
  uint64_t cause = csr_read(scause), epc = csr_read(sepc), tval = csr_read(stval);
  uint64_t sstatus = csr_read(sstatus);
  if (cause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
    timer_interrupt();
    return;
  }
  if (sstatus & SSTATUS_SPP) {
    kprintf("skernel: unexpected trap from S-mode: scause=0x%lx sepc=0x%lx stval=0x%lx\n", cause, epc, tval);
    shutdown(126);
  }
  user_traps++;
  if (cause == 8) { /* ecall from U */
    uint64_t nr = frame[17], a0 = frame[10], a1 = frame[11];
    csr_write(sepc, epc + 4);
    switch (nr) {
      case 1: sys_write(a0, a1); frame[10] = a1; return;
      case 2:
        kprintf("syscall: counter -> %u\n", user_traps);
        frame[10] = user_traps;
        return;
      case 3:
        kprintf("syscall: exit(%ld)\n", (long)a0);
        user_exit_code = (int)a0;
        user_leave();
      default:
        kprintf("syscall: unknown number %lu\n", nr);
        frame[10] = -1UL;
        return;
    }
  }
  kprintf("trap: scause=0x%016lx stval=0x%016lx sepc=0x%016lx %s\n", cause, tval, epc, cause_name(cause));
  if (cause == 12) {
    /* nothing to skip at a fetch fault: resume where the faulting jump would have returned */
    csr_write(sepc, frame[1]);
  } else if (cause == 2 || cause == 13 || cause == 15) {
    csr_write(sepc, epc + user_insn_length(epc));
  } else {
    kprintf("skernel: unexpected user trap\n");
    shutdown(126);
  }
}

/* ------------------------------------------------------------------ main */
void __attribute__((noreturn)) kmain(uint64_t hartid, uint64_t dtb) {
  (void)dtb; /* QEMU and wasmvisor put the device tree in different places: not printed */
  console_init();
  kprintf("skernel: S-mode kernel, hart %lu\n", hartid);
  kcheck("sstatus.SIE clear at entry", csr_read(sstatus) & (SSTATUS_SIE), 0);

  csr_write(stvec, (uintptr_t)strap_entry);
  kcheck("stvec reads back", csr_read(stvec), (uintptr_t)strap_entry);
  csr_write(sie, 0);

  build_page_tables();
  kprintf("paging: root: 1 GiB superpage for RAM, 2 MiB superpages for the UART and the finisher\n");
  kprintf("paging: user pages at 0x%lx (R-X), 0x%lx (RW-), 0x%lx (R--), A/D clear\n", USER_TEXT_VA,
          USER_DATA_VA, USER_RO_VA);
  print_user_ptes("before");
  csr_write(satp, SATP_SV39 | ((uintptr_t)root_pt >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  kcheck("satp.MODE is Sv39", csr_read(satp) >> 60, 8);
  kprintf("paging: on\n");
  kcheck("kernel data readable through the 1 GiB page", user_rodata_magic, 0x0123456789abcdefUL);

  kprintf("user: entering U-mode at 0x%lx\n", USER_TEXT_VA);
  user_enter(USER_TEXT_VA, USER_DATA_VA + 0x1000);
  kprintf("user: back in the kernel\n");
  kcheck("user exit code", (uint64_t)user_exit_code, 0);
  kcheck("traps taken from U", user_traps, 9);
  print_user_ptes("after");
  kcheck("text PTE: A set, D clear", user_pte(USER_TEXT_VA) & (PTE_A | PTE_D), PTE_A);
  kcheck("data PTE: A and D set", user_pte(USER_DATA_VA) & (PTE_A | PTE_D), PTE_A | PTE_D);
  kcheck("rodata PTE: A set, D clear", user_pte(USER_RO_VA) & (PTE_A | PTE_D), PTE_A);

  kprintf("timer: %d ticks through stimecmp (Sstc)\n", TIMER_TICKS);
  csr_write(CSR_STIMECMP, csr_read(time) + TIMER_DELTA);
  csr_set(sie, SIE_STIE);
  for (;;) {
    /* test and sleep with SIE clear, so a tick cannot fall between the test and the wfi */
    csr_clear(sstatus, SSTATUS_SIE);
    if (timer_ticks >= TIMER_TICKS) break;
    __asm__ __volatile__("wfi");
    csr_set(sstatus, SSTATUS_SIE);
  }
  kcheck("timer ticks", timer_ticks, TIMER_TICKS);
  kcheck("sie.STIE off", csr_read(sie) & SIE_STIE, 0);
  kcheck("sip.STIP clear", csr_read(sip) & SIE_STIE, 0);

  if (first_failure) {
    kprintf("skernel: FAILED (first failing check %d of %d)\n", first_failure, checks);
    shutdown(first_failure);
  }
  kprintf("skernel: all %d checks passed, shutting down\n", checks);
  shutdown(0);
}
