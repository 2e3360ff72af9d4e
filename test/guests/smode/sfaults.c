/* sfaults: privilege modes, trap delegation, Sv39 faults and interrupt priority, one case per
 * line. Bare metal (common/crt0.S, lib.c, virt.ld): starts in M-mode at 0x8000_0000 (-bios none),
 * no SBI. Each case runs a small snippet in U-, S- or M-mode (run_in: mret to the mode, the
 * snippet, then an ecall with a7 = RUN_MAGIC back to M) and prints the trap(s) it caused:
 * where the trap was taken (M or S), the cause, the mode it came from, and the tval where it is
 * defined. A trapping instruction is skipped (epc + 4; all snippets are 4-byte instructions); a
 * fetch fault resumes at ra. Cases:
 *   - not delegated (medeleg = 0): ecall from U/S/M (causes 8/9/11), illegal instruction from S
 *     and U (tval = the instruction), ebreak, all taken in M;
 *   - delegated (medeleg): the same exceptions from U and S taken in S; an exception in M stays
 *     in M even when its medeleg bit is set;
 *   - misaligned LR (4) and access faults (load 5, store 7, fetch 1) at a hole of the address
 *     map, in M and delegated to S;
 *   - Sv39 (S-mode): load/store/fetch page faults (13/15/12, tval = the address) in M and in S;
 *     a read-only page, an unmapped page, a no-execute page, an execute-only page (loads fault
 *     unless sstatus.MXR), a U page (S loads and stores fault unless sstatus.SUM; S may never
 *     execute it), a reserved W-without-R PTE, a 2 MiB superpage whose PPN is not aligned, a
 *     non-canonical address; the hardware setting A (on a load) and D (on a store) in a PTE that
 *     has them clear, printed from the PTE; U-mode loads of U and S pages;
 *   - privileged instructions: sret from U, mret from S, wfi from U, and mstatus.TSR (sret),
 *     TVM (satp writes, sfence.vma) and TW (wfi) in S, with the TSR/TVM controls off;
 *   - interrupts: MTI and STI pending together in S (MTI taken first, in M), SSI and STI both
 *     delegated (SSI first), STI not delegated (taken in M), a delegated STI never interrupts M,
 *     and a delegated STI interrupts U even with sstatus.SIE = 0.
 * Exit code 0 when every case matched, else the number of the first case that did not. */
#include "virt.h"

#define RUN_MAGIC 0x52554e
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)
#define MSTATUS_TVM (1UL << 20)
#define MSTATUS_TW (1UL << 21)
#define MSTATUS_TSR (1UL << 22)
#define MIP_SSIP (1UL << 1)
#define MIP_STIP (1UL << 5)
#define CSR_MENVCFG 0x30a
#define INT(n) (MCAUSE_INTERRUPT | (n))

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

/* ---------------------------------------------------------------- snippets and mode switching */
/* uint64_t run_in(mode, tramp, fn, a0, a1): runs fn(a0, a1) in `mode` (entered at `tramp`, the
 * address run_tramp is seen at in that mode) and returns its a0. */
uint64_t run_in(uint64_t mode, uint64_t tramp, uint64_t fn, uint64_t a0, uint64_t a1);
extern char run_tramp[], run_return[], s_trap_entry[];
extern char sn_load[], sn_store[], sn_fetch[], sn_ecall[], sn_ebreak[], sn_csrr_mstatus[],
    sn_sret[], sn_sret_to_s[], sn_mret[], sn_wfi[], sn_sfence[], sn_satp[], sn_lrw[],
    sn_irq_window[], sn_nops[];

__asm__(".text\n"
        ".option push\n.option norvc\n"
        ".p2align 2\n"
        ".globl run_in\n"
        "run_in:\n"
        "  addi sp, sp, -112\n"
        "  sd ra, 0(sp)\n  sd s0, 8(sp)\n  sd s1, 16(sp)\n  sd s2, 24(sp)\n  sd s3, 32(sp)\n"
        "  sd s4, 40(sp)\n  sd s5, 48(sp)\n  sd s6, 56(sp)\n  sd s7, 64(sp)\n  sd s8, 72(sp)\n"
        "  sd s9, 80(sp)\n  sd s10, 88(sp)\n  sd s11, 96(sp)\n"
        "  la t0, run_saved_sp\n  sd sp, 0(t0)\n"
        "  li t0, 0x1880\n  csrc mstatus, t0\n" /* MPP = 0, MPIE = 0 (M keeps MIE clear) */
        "  slli t1, a0, 11\n  csrs mstatus, t1\n"
        "  csrw mepc, a1\n"
        "  mv s0, a2\n  mv a0, a3\n  mv a1, a4\n"
        "  mret\n"
        ".globl run_tramp\n"
        "run_tramp:\n"
        "  jalr s0\n"
        "  li a7, " STR(RUN_MAGIC) "\n"
        "  ecall\n"
        "1: j 1b\n"
        ".globl run_return\n"
        "run_return:\n"
        "  la t0, run_saved_sp\n  ld sp, 0(t0)\n"
        "  ld ra, 0(sp)\n  ld s0, 8(sp)\n  ld s1, 16(sp)\n  ld s2, 24(sp)\n  ld s3, 32(sp)\n"
        "  ld s4, 40(sp)\n  ld s5, 48(sp)\n  ld s6, 56(sp)\n  ld s7, 64(sp)\n  ld s8, 72(sp)\n"
        "  ld s9, 80(sp)\n  ld s10, 88(sp)\n  ld s11, 96(sp)\n"
        "  addi sp, sp, 112\n"
        "  ret\n"
        /* the snippets: leaf functions, every instruction 4 bytes */
        ".globl sn_load\nsn_load: ld a0, 0(a0)\n ret\n"
        ".globl sn_store\nsn_store: sd a1, 0(a0)\n ret\n"
        ".globl sn_fetch\nsn_fetch: mv t6, ra\n jalr ra, 0(a0)\n mv ra, t6\n ret\n"
        ".globl sn_ecall\nsn_ecall: li a7, 0\n ecall\n ret\n"
        ".globl sn_ebreak\nsn_ebreak: ebreak\n ret\n"
        ".globl sn_csrr_mstatus\nsn_csrr_mstatus: csrr a0, mstatus\n ret\n"
        ".globl sn_sret\nsn_sret: sret\n ret\n"
        /* a legal sret (TSR = 0) from S to S: continues at 2f */
        ".globl sn_sret_to_s\nsn_sret_to_s: la t0, 2f\n csrw sepc, t0\n li t0, 0x100\n csrs sstatus, t0\n"
        " li a0, 1\n sret\n li a0, 0\n2: ret\n"
        ".globl sn_mret\nsn_mret: mret\n ret\n"
        ".globl sn_wfi\nsn_wfi: wfi\n ret\n"
        ".globl sn_sfence\nsn_sfence: sfence.vma\n ret\n"
        ".globl sn_satp\nsn_satp: csrw satp, a0\n ret\n"
        ".globl sn_lrw\nsn_lrw: lr.w a0, (a0)\n ret\n"
        ".globl sn_irq_window\nsn_irq_window: csrsi sstatus, 2\n"
        " nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n csrci sstatus, 2\n ret\n"
        ".globl sn_nops\nsn_nops: nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n ret\n"
        ".option pop\n"
        /* S-mode trap entry: frame[i] = x[i] (frame[2] = sp before the trap), s_handle(frame) */
        ".p2align 2\n"
        ".globl s_trap_entry\n"
        "s_trap_entry:\n"
        "  addi sp, sp, -256\n"
        "  .irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  sd x\\r, (\\r*8)(sp)\n"
        "  .endr\n"
        "  addi t0, sp, 256\n  sd t0, 16(sp)\n  sd zero, 0(sp)\n"
        "  mv a0, sp\n"
        "  call s_handle\n"
        "  .irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  ld x\\r, (\\r*8)(sp)\n"
        "  .endr\n"
        "  addi sp, sp, 256\n"
        "  sret\n");

static uint64_t run_saved_sp __attribute__((used));

/* ---------------------------------------------------------------- trap records */
struct rec {
  char where, from;
  uint64_t cause, epc, tval;
};
static volatile struct rec recs[4];
static volatile int nrec;

static char mode_name(uint64_t m) { return m == PRV_U ? 'U' : m == PRV_S ? 'S' : m == PRV_M ? 'M' : '?'; }

static void record(char where, char from, uint64_t cause, uint64_t epc, uint64_t tval) {
  if (nrec < 4) {
    recs[nrec].where = where;
    recs[nrec].from = from;
    recs[nrec].cause = cause;
    recs[nrec].epc = epc;
    recs[nrec].tval = tval;
  }
  nrec++;
}

static void m_hook(uint64_t *f) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc), tval = csr_read(mtval);
  uint64_t mpp = (csr_read(mstatus) >> 11) & 3;
  if ((cause == 8 || cause == 9) && f[17] == RUN_MAGIC) {
    /* a snippet is done: back to run_in's caller in M-mode, with MIE staying clear */
    csr_write(mepc, (uintptr_t)run_return);
    csr_set(mstatus, MSTATUS_MPP);
    csr_clear(mstatus, MSTATUS_MPIE);
    return;
  }
  record('M', mode_name(mpp), cause, epc, tval);
  if (cause & MCAUSE_INTERRUPT) {
    switch (cause & 63) {
      case IRQ_M_TIMER: MMIO64(CLINT_MTIMECMP) = ~0UL; break;
      case IRQ_M_SOFT: MMIO32(CLINT_MSIP) = 0; break;
      case 5: csr_clear(mip, MIP_STIP); break;
      case 1: csr_clear(mip, MIP_SSIP); break;
      default: csr_clear(mie, 1UL << (cause & 63)); break;
    }
    return;
  }
  if (nrec > 8) {
    printf("sfaults: trap loop at mepc=%lx mcause=%lx\n", epc, cause);
    exit(126);
  }
  csr_write(mepc, (cause == 0 || cause == 1 || cause == 12) ? f[1] : epc + 4);
}

static void __attribute__((noreturn)) s_return_to_m(uint64_t a0) {
  register uint64_t r0 __asm__("a0") = a0;
  register uint64_t r7 __asm__("a7") = RUN_MAGIC;
  __asm__ __volatile__("ecall" : : "r"(r0), "r"(r7) : "memory");
  __builtin_unreachable();
}

void s_handle(uint64_t *f) {
  uint64_t cause = csr_read(scause), epc = csr_read(sepc), tval = csr_read(stval);
  char from = (csr_read(sstatus) & MSTATUS_SPP) ? 'S' : 'U';
  if (cause == 8 && f[17] == RUN_MAGIC) s_return_to_m(f[10]); /* a U snippet is done */
  record('S', from, cause, epc, tval);
  if (cause & MCAUSE_INTERRUPT) {
    if ((cause & 63) == 1) csr_clear(sip, MIP_SSIP);
    else csr_clear(sie, 1UL << (cause & 63)); /* S cannot clear STIP: mask it */
    return;
  }
  if (nrec > 8) s_return_to_m(~0UL);
  csr_write(sepc, (cause == 0 || cause == 1 || cause == 12) ? f[1] : epc + 4);
}

/* ---------------------------------------------------------------- cases */
static int ncase, first_failure;

static int result(int ok) {
  ncase++;
  printf(ok ? " ok\n" : " FAIL\n");
  if (!ok && !first_failure) first_failure = ncase;
  return ok;
}

static void print_rec(int i, int with_tval) {
  printf("%c cause=%lx from %c", recs[i].where, recs[i].cause, recs[i].from);
  if (with_tval) printf(" tval=%lx", recs[i].tval);
}

/* One trap expected: taken in `where` with `cause` from `from` (and tval when tval != NOTVAL). */
#define NOTVAL 0xdeadUL
static void expect(const char *name, char where, uint64_t cause, char from, uint64_t tval) {
  printf("%-44s -> ", name);
  if (nrec != 1) {
    printf("%d traps", nrec);
    if (nrec > 0) printf(", first "), print_rec(0, 1);
    result(0);
    return;
  }
  print_rec(0, tval != NOTVAL);
  result(recs[0].where == where && recs[0].cause == cause && recs[0].from == from &&
         (tval == NOTVAL || recs[0].tval == tval));
}

static void expect_none(const char *name, uint64_t got, uint64_t want) {
  printf("%-44s -> ", name);
  if (nrec) {
    printf("%d traps, first ", nrec);
    print_rec(0, 1);
    result(0);
    return;
  }
  printf("no trap, value %lx", got);
  result(got == want);
}

/* A sequence of interrupts, in order. */
static void expect_seq(const char *name, int n, const char *where, const uint64_t *causes) {
  printf("%-44s -> ", name);
  int ok = nrec == n;
  for (int i = 0; i < nrec && i < 4; i++) {
    if (i) printf(", then ");
    printf("%c %lx", recs[i].where, recs[i].cause);
    if (i < n && (recs[i].where != where[i] || recs[i].cause != causes[i])) ok = 0;
  }
  if (!nrec) printf("no trap");
  result(ok);
}

static uint64_t run(uint64_t mode, char *fn, uint64_t a0, uint64_t a1) {
  nrec = 0;
  return run_in(mode, (uintptr_t)run_tramp, (uintptr_t)fn, a0, a1);
}

/* U-mode with paging on runs the code through a U alias of the first 2 MiB of RAM. */
#define ALIAS_VA 0x40000000UL
#define ALIAS(p) ((uintptr_t)(p) - RAM_BASE + ALIAS_VA)
static uint64_t run_u_paged(char *fn, uint64_t a0, uint64_t a1) {
  nrec = 0;
  return run_in(PRV_U, ALIAS(run_tramp), ALIAS(fn), a0, a1);
}

static uint64_t m_call(char *fn, uint64_t a0) {
  nrec = 0;
  return ((uint64_t(*)(uint64_t))(uintptr_t)fn)(a0);
}

/* ---------------------------------------------------------------- page tables */
typedef uint64_t pte_t;
static pte_t root_pt[512] __attribute__((aligned(4096)));
static pte_t l1_pt[512] __attribute__((aligned(4096)));
static pte_t l0_pt[512] __attribute__((aligned(4096)));
static uint8_t frames[8][4096] __attribute__((aligned(4096)));

#define PAGE_VA(i) (0x40200000UL + (i) * 0x1000UL)
#define MISALIGNED_SUPERPAGE_VA 0x40400000UL
#define NONCANONICAL_VA 0x0000004000000000UL

static pte_t leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags | PTE_V; }
static pte_t table(void *next) { return (((uintptr_t)next >> 12) << 10) | PTE_V; }

static const uint64_t page_flags[8] = {
    PTE_R | PTE_A | PTE_D,                 /* 0: read-only */
    PTE_R | PTE_W,                         /* 1: A and D clear */
    PTE_R | PTE_W | PTE_U | PTE_A | PTE_D, /* 2: a U page */
    PTE_X | PTE_A,                         /* 3: execute-only */
    PTE_R | PTE_W | PTE_A | PTE_D,         /* 4: no execute */
    0,                                     /* 5: not mapped (V = 0) */
    PTE_W | PTE_A | PTE_D,                 /* 6: reserved: W without R */
    PTE_R | PTE_X | PTE_U | PTE_A,         /* 7: U code */
};

static void build_page_tables(void) {
  root_pt[2] = leaf(RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D); /* 1 GiB identity, S only */
  root_pt[1] = table(l1_pt);                                           /* 0x4000_0000.. */
  l1_pt[0] = leaf(RAM_BASE, PTE_R | PTE_X | PTE_U | PTE_A);            /* U alias of RAM's first 2 MiB */
  l1_pt[1] = table(l0_pt);                                             /* 0x4020_0000.. 4 KiB pages */
  l1_pt[2] = leaf(RAM_BASE + 0x1000, PTE_R | PTE_W | PTE_A | PTE_D);   /* 2 MiB, PPN not aligned */
  for (int i = 0; i < 8; i++) {
    uint32_t *w = (uint32_t *)frames[i];
    w[0] = 0x00008067; /* ret */
    w[1] = 0x11111111u * (uint32_t)i;
    if (page_flags[i]) l0_pt[i] = (page_flags[i] & ~PTE_V) ? leaf((uintptr_t)frames[i], page_flags[i]) : 0;
  }
  __asm__ __volatile__("fence.i" ::: "memory");
}

static uint64_t frame_word(int i) { return ((uint64_t)(0x11111111u * (uint32_t)i) << 32) | 0x00008067; }

static void paging_on(void) {
  csr_write(satp, (8UL << 60) | ((uintptr_t)root_pt >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
}
static void paging_off(void) {
  csr_write(satp, 0);
  __asm__ __volatile__("sfence.vma" ::: "memory");
}

#define DELEG_EXC 0xb1ffUL /* causes 0-8, 12, 13, 15 (not ecalls from S or M) */

static volatile uint32_t lr_cell[4] __attribute__((aligned(16)));

int main(void) {
  uint64_t v;
  trap_hook = m_hook;
  /* S and U get all memory through PMP entry 0; counters readable; Sstc off (STIP is M's) */
  csr_write(pmpaddr0, 0x3fffffffffffffUL);
  csr_write(pmpcfg0, 0x1f);
  csr_write(mcounteren, 7);
  csr_clear(CSR_MENVCFG, 1UL << 63);
  csr_write(stvec, (uintptr_t)s_trap_entry);
  csr_write(medeleg, 0);
  csr_write(mideleg, 0);
  csr_write(mie, 0);
  csr_clear(mstatus, MSTATUS_MIE | MSTATUS_SIE | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR);
  csr_write(satp, 0);

  puts("sfaults: exceptions not delegated (medeleg = 0) are taken in M");
  run(PRV_U, sn_ecall, 0, 0);
  expect("ecall from U", 'M', CAUSE_USER_ECALL, 'U', 0);
  run(PRV_S, sn_ecall, 0, 0);
  expect("ecall from S", 'M', CAUSE_SUPERVISOR_ECALL, 'S', 0);
  m_call(sn_ecall, 0);
  expect("ecall from M", 'M', CAUSE_MACHINE_ECALL, 'M', 0);
  run(PRV_S, sn_csrr_mstatus, 0, 0);
  expect("csrr mstatus in S: illegal", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x30002573);
  run(PRV_U, sn_csrr_mstatus, 0, 0);
  expect("csrr mstatus in U: illegal", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'U', 0x30002573);
  run(PRV_U, sn_ebreak, 0, 0);
  expect("ebreak in U", 'M', CAUSE_BREAKPOINT, 'U', NOTVAL);

  puts("sfaults: delegated exceptions (medeleg) are taken in S");
  csr_write(medeleg, DELEG_EXC);
  v = csr_read(medeleg);
  printf("%-44s -> %lx", "medeleg reads back", v);
  result(v == DELEG_EXC);
  run(PRV_U, sn_ecall, 0, 0);
  expect("ecall from U", 'S', CAUSE_USER_ECALL, 'U', 0);
  run(PRV_S, sn_ecall, 0, 0);
  expect("ecall from S (bit 9 clear): still M", 'M', CAUSE_SUPERVISOR_ECALL, 'S', 0);
  run(PRV_S, sn_csrr_mstatus, 0, 0);
  expect("csrr mstatus in S: illegal", 'S', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x30002573);
  run(PRV_U, sn_csrr_mstatus, 0, 0);
  expect("csrr mstatus in U: illegal", 'S', CAUSE_ILLEGAL_INSTRUCTION, 'U', 0x30002573);
  run(PRV_S, sn_ebreak, 0, 0);
  expect("ebreak in S", 'S', CAUSE_BREAKPOINT, 'S', NOTVAL);
  v = m_call(sn_csrr_mstatus, 0);
  /* legal in M; the last mret (back from the S snippet) left mstatus.MPP = U */
  expect_none("csrr mstatus in M: legal, MPP = U", v >> 11 & 3, PRV_U);
  m_call(sn_ebreak, 0);
  expect("ebreak in M (bit 3 set): stays in M", 'M', CAUSE_BREAKPOINT, 'M', NOTVAL);
  csr_write(medeleg, 0);

  puts("sfaults: misaligned and access faults");
  run(PRV_S, sn_lrw, (uintptr_t)lr_cell + 2, 0);
  expect("lr.w misaligned in S", 'M', CAUSE_MISALIGNED_LOAD, 'S', (uintptr_t)lr_cell + 2);
  run(PRV_S, sn_load, 0, 0);
  expect("load from 0x0 in S", 'M', CAUSE_LOAD_ACCESS, 'S', 0);
  run(PRV_S, sn_store, 0x8, 5);
  expect("store to 0x8 in S", 'M', CAUSE_STORE_ACCESS, 'S', 0x8);
  run(PRV_U, sn_fetch, 0x20000, 0);
  expect("fetch from 0x20000 in U", 'M', CAUSE_FETCH_ACCESS, 'U', 0x20000);
  csr_write(medeleg, DELEG_EXC);
  run(PRV_U, sn_lrw, (uintptr_t)lr_cell + 2, 0);
  expect("lr.w misaligned in U, delegated", 'S', CAUSE_MISALIGNED_LOAD, 'U', (uintptr_t)lr_cell + 2);
  run(PRV_S, sn_load, 0, 0);
  expect("load from 0x0 in S, delegated", 'S', CAUSE_LOAD_ACCESS, 'S', 0);
  run(PRV_U, sn_store, 0x8, 5);
  expect("store to 0x8 in U, delegated", 'S', CAUSE_STORE_ACCESS, 'U', 0x8);
  run(PRV_S, sn_fetch, 0x20000, 0);
  expect("fetch from 0x20000 in S, delegated", 'S', CAUSE_FETCH_ACCESS, 'S', 0x20000);
  csr_write(medeleg, 0);

  puts("sfaults: Sv39 page faults in S-mode");
  build_page_tables();
  paging_on();
  v = run(PRV_S, sn_load, PAGE_VA(0), 0);
  expect_none("load, read-only page", v, frame_word(0));
  run(PRV_S, sn_store, PAGE_VA(0), 1);
  expect("store, read-only page (not delegated)", 'M', 15, 'S', PAGE_VA(0));
  run(PRV_S, sn_load, PAGE_VA(5), 0);
  expect("load, unmapped page (not delegated)", 'M', 13, 'S', PAGE_VA(5));
  run(PRV_S, sn_fetch, PAGE_VA(4), 0);
  expect("fetch, no-execute page (not delegated)", 'M', 12, 'S', PAGE_VA(4));
  csr_write(medeleg, DELEG_EXC);
  run(PRV_S, sn_store, PAGE_VA(0), 1);
  expect("store, read-only page", 'S', 15, 'S', PAGE_VA(0));
  run(PRV_S, sn_load, PAGE_VA(5), 0);
  expect("load, unmapped page", 'S', 13, 'S', PAGE_VA(5));
  run(PRV_S, sn_fetch, PAGE_VA(4), 0);
  expect("fetch, no-execute page", 'S', 12, 'S', PAGE_VA(4));
  v = run(PRV_S, sn_fetch, PAGE_VA(3), 0);
  expect_none("fetch, execute-only page (runs its ret)", v, PAGE_VA(3));
  run(PRV_S, sn_load, PAGE_VA(3), 0);
  expect("load, execute-only page, MXR = 0", 'S', 13, 'S', PAGE_VA(3));
  csr_set(mstatus, MSTATUS_MXR);
  v = run(PRV_S, sn_load, PAGE_VA(3), 0);
  expect_none("load, execute-only page, MXR = 1", v, frame_word(3));
  csr_clear(mstatus, MSTATUS_MXR);
  run(PRV_S, sn_load, PAGE_VA(2), 0);
  expect("S load, U page, SUM = 0", 'S', 13, 'S', PAGE_VA(2));
  run(PRV_S, sn_store, PAGE_VA(2), 0x42);
  expect("S store, U page, SUM = 0", 'S', 15, 'S', PAGE_VA(2));
  csr_set(mstatus, MSTATUS_SUM);
  v = run(PRV_S, sn_load, PAGE_VA(2), 0);
  expect_none("S load, U page, SUM = 1", v, frame_word(2));
  run(PRV_S, sn_store, PAGE_VA(2) + 8, 0x42);
  expect_none("S store, U page, SUM = 1", *(volatile uint64_t *)&frames[2][8], 0x42);
  run(PRV_S, sn_fetch, PAGE_VA(7), 0);
  expect("S fetch, U page, SUM = 1", 'S', 12, 'S', PAGE_VA(7));
  csr_clear(mstatus, MSTATUS_SUM);
  run(PRV_S, sn_load, PAGE_VA(6), 0);
  expect("load, reserved PTE (W without R)", 'S', 13, 'S', PAGE_VA(6));
  run(PRV_S, sn_store, PAGE_VA(6), 0);
  expect("store, reserved PTE (W without R)", 'S', 15, 'S', PAGE_VA(6));
  run(PRV_S, sn_load, MISALIGNED_SUPERPAGE_VA + 0x10, 0);
  expect("load, 2 MiB page with misaligned PPN", 'S', 13, 'S', MISALIGNED_SUPERPAGE_VA + 0x10);
  run(PRV_S, sn_load, NONCANONICAL_VA, 0);
  expect("load, non-canonical address", 'S', 13, 'S', NONCANONICAL_VA);
  run(PRV_S, sn_store, NONCANONICAL_VA, 0);
  expect("store, non-canonical address", 'S', 15, 'S', NONCANONICAL_VA);

  puts("sfaults: accessed and dirty bits set by the hardware");
  printf("%-44s -> %02lx", "PTE flags before any access", l0_pt[1] & 0xff);
  result((l0_pt[1] & 0xff) == (PTE_V | PTE_R | PTE_W));
  v = run(PRV_S, sn_load, PAGE_VA(1), 0);
  printf("%-44s -> %02lx", "PTE flags after a load", l0_pt[1] & 0xff);
  result(nrec == 0 && v == frame_word(1) && (l0_pt[1] & 0xff) == (PTE_V | PTE_R | PTE_W | PTE_A));
  run(PRV_S, sn_store, PAGE_VA(1) + 8, 0x99);
  printf("%-44s -> %02lx", "PTE flags after a store", l0_pt[1] & 0xff);
  result(nrec == 0 && frames[1][8] == 0x99 && (l0_pt[1] & 0xff) == (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));

  puts("sfaults: U-mode with paging");
  v = run_u_paged(sn_load, PAGE_VA(2), 0);
  expect_none("U load, U page", v, frame_word(2));
  run_u_paged(sn_load, PAGE_VA(0), 0);
  expect("U load, S page", 'S', 13, 'U', PAGE_VA(0));
  run_u_paged(sn_store, PAGE_VA(7), 0);
  expect("U store, U read-execute page", 'S', 15, 'U', PAGE_VA(7));
  run_u_paged(sn_fetch, PAGE_VA(4), 0);
  expect("U fetch, S page", 'S', 12, 'U', PAGE_VA(4));
  csr_write(medeleg, 0);
  paging_off();

  puts("sfaults: privileged instructions and mstatus traps");
  run(PRV_U, sn_sret, 0, 0);
  expect("sret in U", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'U', 0x10200073);
  run(PRV_S, sn_mret, 0, 0);
  expect("mret in S", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x30200073);
  run(PRV_U, sn_wfi, 0, 0);
  expect("wfi in U", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'U', 0x10500073);
  v = run(PRV_S, sn_sret_to_s, 0, 0);
  expect_none("sret in S, TSR = 0", v, 1);
  csr_set(mstatus, MSTATUS_TSR);
  run(PRV_S, sn_sret, 0, 0);
  expect("sret in S, TSR = 1", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x10200073);
  csr_clear(mstatus, MSTATUS_TSR);
  run(PRV_S, sn_satp, 0, 0);
  expect_none("csrw satp in S, TVM = 0", csr_read(satp), 0);
  run(PRV_S, sn_sfence, 0, 0);
  expect_none("sfence.vma in S, TVM = 0", 0, 0);
  csr_set(mstatus, MSTATUS_TVM);
  run(PRV_S, sn_satp, 0, 0);
  expect("csrw satp in S, TVM = 1", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x18051073);
  run(PRV_S, sn_sfence, 0, 0);
  expect("sfence.vma in S, TVM = 1", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x12000073);
  csr_clear(mstatus, MSTATUS_TVM);
  csr_set(mstatus, MSTATUS_TW);
  run(PRV_S, sn_wfi, 0, 0);
  expect("wfi in S, TW = 1", 'M', CAUSE_ILLEGAL_INSTRUCTION, 'S', 0x10500073);
  csr_clear(mstatus, MSTATUS_TW);

  puts("sfaults: interrupt priority and delegation");
  {
    static const uint64_t mti_sti[] = {INT(IRQ_M_TIMER), INT(5)};
    static const uint64_t ssi_sti[] = {INT(1), INT(5)};
    static const uint64_t sti[] = {INT(5)};
    csr_write(mideleg, MIP_SSIP | MIP_STIP);
    csr_write(mie, MIE_MTIE | MIP_STIP);
    csr_set(mip, MIP_STIP);
    MMIO64(CLINT_MTIMECMP) = 0; /* MTIP now */
    run(PRV_S, sn_irq_window, 0, 0);
    expect_seq("MTI and STI pending in S: MTI first", 2, "MS", mti_sti);
    csr_clear(mip, MIP_STIP);

    csr_write(mie, MIP_SSIP | MIP_STIP);
    csr_set(mip, MIP_SSIP | MIP_STIP);
    run(PRV_S, sn_irq_window, 0, 0);
    expect_seq("SSI and STI delegated, in S: SSI first", 2, "SS", ssi_sti);
    csr_clear(mip, MIP_SSIP | MIP_STIP);

    csr_write(mideleg, 0);
    csr_write(mie, MIP_STIP);
    csr_set(mip, MIP_STIP);
    run(PRV_S, sn_nops, 0, 0);
    expect_seq("STI not delegated, in S: taken in M", 1, "M", sti);
    csr_clear(mip, MIP_STIP);

    csr_write(mideleg, MIP_STIP);
    csr_write(mie, MIP_STIP);
    csr_set(mip, MIP_STIP);
    nrec = 0;
    csr_set(mstatus, MSTATUS_MIE);
    __asm__ __volatile__("nop; nop; nop; nop; nop; nop; nop; nop" ::: "memory");
    csr_clear(mstatus, MSTATUS_MIE);
    expect_seq("STI delegated, in M with MIE = 1: not taken", 0, "", sti);
    run(PRV_U, sn_nops, 0, 0);
    expect_seq("STI delegated, in U with SIE = 0: taken in S", 1, "S", sti);
    csr_clear(mip, MIP_STIP);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
  }

  if (first_failure) {
    printf("sfaults: FAILED (first failing case %d of %d)\n", first_failure, ncase);
    exit(first_failure);
  }
  printf("sfaults: all %d cases passed\n", ncase);
  exit(0);
}
