/* pmp: physical memory protection, one case per line. Bare metal, starts in M-mode (-bios none).
 * Sets up PMP entries of every kind over test pages above the program (TOR, NA4, NAPOT; R, W, X
 * alone and together) and runs small snippets in S-, U- and M-mode against them (run_in: mret to
 * the mode, the snippet, then an ecall back to M; no delegation, so every fault is taken in M and
 * printed with its cause, the mode it came from and mtval). Cases:
 *   - S and U: what each entry grants works, anything else faults (load 5, store 7, fetch 1, with
 *     mtval = the address); the lowest-numbered matching entry wins; an access only partly inside
 *     the matching entry fails; an access no entry matches fails, and so does every access when
 *     no entry is active; a rewritten entry takes effect at once;
 *   - M ignores entries that are not locked (but an access only partly inside one fails there
 *     too); mstatus.MPRV makes loads and stores S-mode's, and a page-table walk reads its PTEs as
 *     S-mode;
 *   - last (they hold until reset): locked entries bind M too, cannot be rewritten (pmpcfg,
 *     pmpaddr, and the pmpaddr below a locked TOR entry), and lose to a lower unlocked entry.
 * Exit code 0 when every case matched, else the number of the first case that did not. */
#include "virt.h"

#define RUN_MAGIC 0x52554e
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPRV (1UL << 17)

/* pmpcfg bits */
#define P_R 0x01
#define P_W 0x02
#define P_X 0x04
#define P_TOR 0x08
#define P_NA4 0x10
#define P_NAPOT 0x18
#define P_L 0x80

/* Test pages, well above the program and its stack (both boards have 128 MiB of RAM). */
#define AREA 0x80400000UL
#define PG(i) (AREA + (i) * 0x1000UL)

/* ---------------------------------------------------------------- snippets and mode switching */
/* run_in(mode, fn, a0, a1): runs fn(a0, a1) in `mode` (mret to run_tramp) and returns its a0.
 * sret_in(fn): the same for S-mode through sret (mret cannot leave M when no PMP entry is active
 * on QEMU); it expects a fault that ends the run (see escape). */
uint64_t run_in(uint64_t mode, uint64_t tramp, uint64_t fn, uint64_t a0, uint64_t a1);
uint64_t sret_in(uint64_t tramp, uint64_t fn);
extern char run_tramp[], run_return[];
extern char sn_ld[], sn_lw[], sn_sd[], sn_sw[], sn_fetch[], sn_amoadd[], sn_lr[], sn_mprv_ld[], sn_mprv_sd[];

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
        ".globl sret_in\n"
        "sret_in:\n"
        "  addi sp, sp, -112\n"
        "  sd ra, 0(sp)\n  sd s0, 8(sp)\n  sd s1, 16(sp)\n  sd s2, 24(sp)\n  sd s3, 32(sp)\n"
        "  sd s4, 40(sp)\n  sd s5, 48(sp)\n  sd s6, 56(sp)\n  sd s7, 64(sp)\n  sd s8, 72(sp)\n"
        "  sd s9, 80(sp)\n  sd s10, 88(sp)\n  sd s11, 96(sp)\n"
        "  la t0, run_saved_sp\n  sd sp, 0(t0)\n"
        "  li t0, 0x100\n  csrs sstatus, t0\n" /* SPP = S */
        "  csrw sepc, a0\n"
        "  mv s0, a1\n"
        "  sret\n"
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
        ".globl sn_ld\nsn_ld: ld a0, 0(a0)\n ret\n"
        ".globl sn_lw\nsn_lw: lw a0, 0(a0)\n ret\n"
        ".globl sn_sd\nsn_sd: sd a1, 0(a0)\n ret\n"
        ".globl sn_sw\nsn_sw: sw a1, 0(a0)\n ret\n"
        ".globl sn_fetch\nsn_fetch: mv t6, ra\n jalr ra, 0(a0)\n mv ra, t6\n ret\n"
        ".globl sn_amoadd\nsn_amoadd: amoadd.w a0, a1, (a0)\n ret\n"
        ".globl sn_lr\nsn_lr: lr.w a0, (a0)\n ret\n"
        /* M-mode with mstatus.MPRV and MPP = a1's: one load or store, then MPRV off again (a
         * trap in between leaves MPP = M, then U after its mret; both bits are cleared anyway) */
        ".globl sn_mprv_ld\nsn_mprv_ld: li t0, 0x21800\n csrc mstatus, t0\n csrs mstatus, a1\n"
        " ld a0, 0(a0)\n csrc mstatus, t0\n ret\n"
        ".globl sn_mprv_sd\nsn_mprv_sd: li t0, 0x21800\n csrc mstatus, t0\n csrs mstatus, a1\n"
        " sd t0, 0(a0)\n csrc mstatus, t0\n ret\n"
        ".option pop\n");

static uint64_t run_saved_sp __attribute__((used));

/* ---------------------------------------------------------------- PMP registers */
static void pmpaddr_write(int i, uint64_t v) {
  switch (i) {
    case 0: csr_write(pmpaddr0, v); break;
    case 1: csr_write(pmpaddr1, v); break;
    case 2: csr_write(pmpaddr2, v); break;
    case 3: csr_write(pmpaddr3, v); break;
    case 4: csr_write(pmpaddr4, v); break;
    case 5: csr_write(pmpaddr5, v); break;
    case 6: csr_write(pmpaddr6, v); break;
    case 7: csr_write(pmpaddr7, v); break;
    case 8: csr_write(pmpaddr8, v); break;
    case 9: csr_write(pmpaddr9, v); break;
    case 10: csr_write(pmpaddr10, v); break;
    case 11: csr_write(pmpaddr11, v); break;
    case 12: csr_write(pmpaddr12, v); break;
    case 13: csr_write(pmpaddr13, v); break;
    case 14: csr_write(pmpaddr14, v); break;
    default: csr_write(pmpaddr15, v); break;
  }
}
static uint64_t pmpaddr_read(int i) {
  switch (i) {
    case 10: return csr_read(pmpaddr10);
    case 11: return csr_read(pmpaddr11);
    case 12: return csr_read(pmpaddr12);
    default: return ~0UL;
  }
}
/* entry i's configuration byte (entries 0-7 in pmpcfg0, 8-15 in pmpcfg2) */
static void pmpcfg_set(int i, uint8_t c) {
  uint64_t shift = 8 * (i & 7), mask = 0xffUL << shift;
  if (i < 8) csr_write(pmpcfg0, (csr_read(pmpcfg0) & ~mask) | ((uint64_t)c << shift));
  else csr_write(pmpcfg2, (csr_read(pmpcfg2) & ~mask) | ((uint64_t)c << shift));
}
static uint8_t pmpcfg_get(int i) { return (i < 8 ? csr_read(pmpcfg0) : csr_read(pmpcfg2)) >> (8 * (i & 7)); }
static void pmp_entry(int i, uint8_t c, uint64_t addr) {
  pmpaddr_write(i, addr);
  pmpcfg_set(i, c);
}
static uint64_t napot(uint64_t base, uint64_t size) { return (base >> 2) | ((size >> 3) - 1); }

extern char __text_end[];

/* The layout every S/U case runs under (entries 0-15; QEMU has 16). */
static void pmp_base(void) {
  csr_write(pmpcfg0, 0);
  csr_write(pmpcfg2, 0);
  pmp_entry(0, P_NA4 | P_R, (PG(0) + 0x100) >> 2);             /* 4 bytes, read-only */
  pmp_entry(1, P_NAPOT | P_R | P_W, napot(PG(1), 0x1000));     /* a page, RW */
  pmp_entry(2, 0, (PG(2) + 0x800) >> 2);                       /* (the bottom of entry 3) */
  pmp_entry(3, P_TOR | P_R | P_W, (PG(3) + 0x404) >> 2);       /* [PG2 + 0x800, PG3 + 0x404), RW */
  pmp_entry(4, P_NAPOT | P_X, napot(PG(4), 0x1000));           /* execute-only */
  pmp_entry(5, P_NAPOT | P_R | P_W, napot(PG(5), 0x1000));     /* RW, no execute */
  pmp_entry(6, P_NAPOT | P_R, napot(PG(6), 0x1000));           /* read-only ... */
  pmp_entry(7, P_NAPOT | P_R | P_W, napot(PG(6), 0x2000));     /* ... inside a RW pair of pages */
  pmp_entry(14, 0, RAM_BASE >> 2);                             /* (the bottom of entry 15) */
  uint64_t text_end = ((uintptr_t)__text_end + 0xfff) & ~0xfffUL;
  pmp_entry(15, P_TOR | P_R | P_X, text_end >> 2); /* the program's code, whole pages */
}

/* ---------------------------------------------------------------- traps */
static volatile int nrec, escape;
static volatile char rec_from;
static volatile uint64_t rec_cause, rec_epc, rec_tval;

static char mode_name(uint64_t m) { return m == PRV_U ? 'U' : m == PRV_S ? 'S' : m == PRV_M ? 'M' : '?'; }

static void m_hook(uint64_t *f) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc), tval = csr_read(mtval);
  uint64_t mpp = (csr_read(mstatus) >> 11) & 3;
  if (!escape && (cause == 8 || cause == 9) && f[17] == RUN_MAGIC) {
    /* a snippet is done: back to run_in's caller in M-mode */
    csr_write(mepc, (uintptr_t)run_return);
    csr_set(mstatus, MSTATUS_MPP);
    return;
  }
  if (nrec == 0) {
    rec_from = mode_name(mpp);
    rec_cause = cause;
    rec_epc = epc;
    rec_tval = tval;
  }
  nrec++;
  if (escape || nrec > 4) {
    /* give up on the run: back to its caller in M-mode */
    escape = 0;
    csr_write(mepc, (uintptr_t)run_return);
    csr_set(mstatus, MSTATUS_MPP);
    return;
  }
  /* a fetch fault resumes at the snippet's return address, anything else after the instruction */
  csr_write(mepc, cause == CAUSE_FETCH_ACCESS ? f[1] : epc + 4);
}

/* ---------------------------------------------------------------- cases */
static int ncase, first_failure;

static void result(int ok) {
  ncase++;
  printf(ok ? " ok\n" : " FAIL\n");
  if (!ok && !first_failure) first_failure = ncase;
}

static uint64_t run(uint64_t mode, char *fn, uint64_t a0, uint64_t a1) {
  nrec = 0;
  if (mode == PRV_M) return ((uint64_t(*)(uint64_t, uint64_t))(uintptr_t)fn)(a0, a1);
  return run_in(mode, (uintptr_t)run_tramp, (uintptr_t)fn, a0, a1);
}

/* One trap expected, from `from`, with `cause` and mtval = `tval`. */
static void expect(const char *name, char from, uint64_t cause, uint64_t tval) {
  printf("%-46s -> ", name);
  if (nrec != 1) {
    printf("%d traps", nrec);
    if (nrec) printf(", first cause=%lx from %c tval=%lx", rec_cause, rec_from, rec_tval);
    result(0);
    return;
  }
  printf("cause=%lx from %c tval=%lx", rec_cause, rec_from, rec_tval);
  result(rec_cause == cause && rec_from == from && rec_tval == tval);
}

/* No trap expected, and the snippet's result `got` should be `want`. */
static void expect_none(const char *name, uint64_t got, uint64_t want) {
  printf("%-46s -> ", name);
  if (nrec) {
    printf("%d traps, first cause=%lx from %c tval=%lx", nrec, rec_cause, rec_from, rec_tval);
    result(0);
    return;
  }
  printf("no trap, value %lx", got);
  result(got == want);
}

static void expect_value(const char *name, uint64_t got, uint64_t want) {
  printf("%-46s -> %lx", name, got);
  result(got == want);
}

#define LOAD(mode, addr) run(mode, sn_ld, (addr), 0)
#define LOADW(mode, addr) run(mode, sn_lw, (addr), 0)
#define STORE(mode, addr, v) run(mode, sn_sd, (addr), (v))
#define STOREW(mode, addr, v) run(mode, sn_sw, (addr), (v))
#define FETCH(mode, addr) run(mode, sn_fetch, (addr), 0)

/* addi a0, zero, 42; ret */
static void put_code(uint64_t addr) {
  MMIO32(addr) = 0x02a00513;
  MMIO32(addr + 4) = 0x00008067;
}

/* Sv39 for the walk cases: one 1 GiB leaf maps RAM to itself (A and D already set). */
#define PT_ROOT PG(10)

int main(void) {
  uint64_t v;
  trap_hook = m_hook;
  csr_write(medeleg, 0);
  csr_write(mideleg, 0);
  csr_write(mie, 0);
  csr_write(satp, 0);
  for (int i = 0; i < 12; i++) {
    for (int k = 0; k < 0x1000; k += 8) MMIO64(PG(i) + k) = 0x1111111111111111UL * (uint64_t)i + (uint64_t)k;
  }
  put_code(PG(4));
  put_code(PG(5));
  put_code(PG(12));
  put_code(PG(13));
  put_code(PG(13) + 0x800);
  for (int k = 0; k < 0x1000; k += 8) MMIO64(PT_ROOT + k) = 0;
  MMIO64(PT_ROOT + 2 * 8) = ((RAM_BASE >> 12) << 10) | 0xcf; /* V R W X A D */
  __asm__ __volatile__("fence.i" ::: "memory");
  pmp_base();

  puts("pmp: S-mode");
  v = LOADW(PRV_S, PG(0) + 0x100);
  expect_none("NA4 R: lw", v, 0x100);
  STOREW(PRV_S, PG(0) + 0x100, 1);
  expect("NA4 R: sw", 'S', CAUSE_STORE_ACCESS, PG(0) + 0x100);
  LOAD(PRV_S, PG(0) + 0x100);
  expect("NA4 R: ld straddles its end", 'S', CAUSE_LOAD_ACCESS, PG(0) + 0x100);
  LOADW(PRV_S, PG(0) + 0x104);
  expect("lw next to NA4: no entry matches", 'S', CAUSE_LOAD_ACCESS, PG(0) + 0x104);
  STORE(PRV_S, PG(1) + 0x18, 0x5a5a);
  expect_none("NAPOT RW: sd", 0, 0);
  v = LOAD(PRV_S, PG(1) + 0x18);
  expect_none("NAPOT RW: ld what it stored", v, 0x5a5a);
  FETCH(PRV_S, PG(1));
  expect("NAPOT RW: fetch", 'S', CAUSE_FETCH_ACCESS, PG(1));
  v = LOAD(PRV_S, PG(2) + 0x800);
  expect_none("TOR RW: ld at its bottom", v, 0x2222222222222222UL + 0x800);
  LOAD(PRV_S, PG(2) + 0x7f8);
  expect("TOR RW: ld below it", 'S', CAUSE_LOAD_ACCESS, PG(2) + 0x7f8);
  STORE(PRV_S, PG(2) + 0xff8, 7);
  expect_none("TOR RW: sd at the end of its first page", 0, 0);
  STORE(PRV_S, PG(3) + 0x3f8, 7);
  expect_none("TOR RW: sd in its second page", 0, 0);
  v = LOADW(PRV_S, PG(3) + 0x400);
  expect_none("TOR RW: lw of its last 4 bytes", v, 0x33333333 + 0x400);
  LOAD(PRV_S, PG(3) + 0x400);
  expect("TOR RW: ld straddles its top", 'S', CAUSE_LOAD_ACCESS, PG(3) + 0x400);
  STORE(PRV_S, PG(3) + 0x400, 1);
  expect("TOR RW: sd straddles its top", 'S', CAUSE_STORE_ACCESS, PG(3) + 0x400);
  v = FETCH(PRV_S, PG(4));
  expect_none("NAPOT X: fetch runs the code", v, 42);
  LOAD(PRV_S, PG(4));
  expect("NAPOT X: ld", 'S', CAUSE_LOAD_ACCESS, PG(4));
  run(PRV_S, sn_lr, PG(4), 0);
  expect("NAPOT X: lr.w", 'S', CAUSE_LOAD_ACCESS, PG(4));
  FETCH(PRV_S, PG(5));
  expect("NAPOT RW, no X: fetch", 'S', CAUSE_FETCH_ACCESS, PG(5));
  v = run(PRV_S, sn_amoadd, PG(5) + 8, 1);
  expect_none("NAPOT RW: amoadd.w", v, 0x55555555 + 8);
  v = LOAD(PRV_S, PG(6) + 0x10);
  expect_none("R entry over a RW one: ld", v, 0x6666666666666666UL + 0x10);
  STORE(PRV_S, PG(6) + 0x10, 1);
  expect("R entry over a RW one: sd (lower entry wins)", 'S', CAUSE_STORE_ACCESS, PG(6) + 0x10);
  run(PRV_S, sn_amoadd, PG(6) + 0x10, 1);
  expect("R entry over a RW one: amoadd.w", 'S', CAUSE_STORE_ACCESS, PG(6) + 0x10);
  STORE(PRV_S, PG(7) + 0x10, 0x77);
  expect_none("the RW entry's other page: sd", 0, 0);
  LOAD(PRV_S, PG(9));
  expect("ld where no entry matches", 'S', CAUSE_LOAD_ACCESS, PG(9));
  FETCH(PRV_S, PG(12));
  expect("fetch where no entry matches", 'S', CAUSE_FETCH_ACCESS, PG(12));
  STORE(PRV_S, 0x10000, 1);
  expect("sd to the UART: no entry matches", 'S', CAUSE_STORE_ACCESS, 0x10000);
  /* X over only part of a page: code at its start and at +0x800 */
  pmp_entry(8, 0, PG(13) >> 2);
  pmp_entry(9, P_TOR | P_X, (PG(13) + 0x10) >> 2);
  v = FETCH(PRV_S, PG(13));
  expect_none("TOR X over 16 bytes: fetch", v, 42);
  FETCH(PRV_S, PG(13) + 0x800);
  expect("TOR X over 16 bytes: fetch past it", 'S', CAUSE_FETCH_ACCESS, PG(13) + 0x800);
  pmp_entry(9, P_NAPOT | P_X, napot(PG(13) + 0x800, 8));
  v = FETCH(PRV_S, PG(13) + 0x800);
  expect_none("NAPOT X over 8 bytes: fetch", v, 42);
  FETCH(PRV_S, PG(13));
  expect("NAPOT X over 8 bytes: fetch before it", 'S', CAUSE_FETCH_ACCESS, PG(13));
  pmpcfg_set(9, 0);

  puts("pmp: U-mode");
  v = LOADW(PRV_U, PG(0) + 0x100);
  expect_none("NA4 R: lw", v, 0x100);
  STOREW(PRV_U, PG(0) + 0x100, 1);
  expect("NA4 R: sw", 'U', CAUSE_STORE_ACCESS, PG(0) + 0x100);
  v = LOAD(PRV_U, PG(1) + 0x18);
  expect_none("NAPOT RW: ld", v, 0x5a5a);
  v = LOAD(PRV_U, PG(3) + 0x3f8);
  expect_none("TOR RW: ld", v, 7);
  v = FETCH(PRV_U, PG(4));
  expect_none("NAPOT X: fetch", v, 42);
  FETCH(PRV_U, PG(5));
  expect("NAPOT RW: fetch", 'U', CAUSE_FETCH_ACCESS, PG(5));
  STORE(PRV_U, PG(6) + 0x18, 1);
  expect("R entry over a RW one: sd", 'U', CAUSE_STORE_ACCESS, PG(6) + 0x18);
  LOAD(PRV_U, PG(9) + 0x20);
  expect("ld where no entry matches", 'U', CAUSE_LOAD_ACCESS, PG(9) + 0x20);

  puts("pmp: M-mode ignores entries that are not locked (not partial matches)");
  STOREW(PRV_M, PG(0) + 0x100, 0xabc);
  v = LOADW(PRV_M, PG(0) + 0x100);
  expect_none("NA4 R: sw, then lw", v, 0xabc);
  LOAD(PRV_M, PG(0) + 0x100);
  expect("NA4 R: ld straddles its end (fails even in M)", 'M', CAUSE_LOAD_ACCESS, PG(0) + 0x100);
  STORE(PRV_M, PG(6) + 0x20, 0x66);
  expect_none("R entry: sd", 0, 0);
  v = LOAD(PRV_M, PG(9) + 8);
  expect_none("ld where no entry matches", v, 0x9999999999999999UL + 8);
  v = FETCH(PRV_M, PG(5));
  expect_none("fetch from a RW entry", v, 42);

  puts("pmp: rewriting an entry takes effect at once");
  v = LOAD(PRV_S, PG(1) + 0x18);
  expect_none("S ld, entry 1 RW", v, 0x5a5a);
  pmpcfg_set(1, P_NAPOT | P_X);
  LOAD(PRV_S, PG(1) + 0x18);
  expect("S ld, entry 1 now X only", 'S', CAUSE_LOAD_ACCESS, PG(1) + 0x18);
  pmpaddr_write(1, napot(PG(8), 0x1000));
  pmpcfg_set(1, P_NAPOT | P_R | P_W);
  LOAD(PRV_S, PG(1) + 0x18);
  expect("S ld, entry 1 moved away", 'S', CAUSE_LOAD_ACCESS, PG(1) + 0x18);
  v = LOAD(PRV_S, PG(8) + 0x18);
  expect_none("S ld where it went", v, 0x8888888888888888UL + 0x18);
  pmpaddr_write(1, napot(PG(1), 0x1000));
  FETCH(PRV_S, PG(4)); /* (so that its page is fresh in any cache) */
  pmpcfg_set(4, P_NAPOT | P_R);
  FETCH(PRV_S, PG(4));
  expect("S fetch, entry 4 now R only", 'S', CAUSE_FETCH_ACCESS, PG(4));
  pmpcfg_set(4, P_NAPOT | P_X);
  v = FETCH(PRV_S, PG(4));
  expect_none("S fetch, entry 4 X again", v, 42);

  puts("pmp: MPRV");
  v = run(PRV_M, sn_mprv_ld, PG(1) + 0x18, MSTATUS_MPRV | (1UL << 11));
  expect_none("ld with MPRV, MPP = S: RW entry", v, 0x5a5a);
  run(PRV_M, sn_mprv_ld, PG(9), MSTATUS_MPRV | (1UL << 11));
  expect("ld with MPRV, MPP = S: no entry matches", 'M', CAUSE_LOAD_ACCESS, PG(9));
  run(PRV_M, sn_mprv_sd, PG(6) + 8, MSTATUS_MPRV);
  expect("sd with MPRV, MPP = U: R entry", 'M', CAUSE_STORE_ACCESS, PG(6) + 8);
  v = run(PRV_M, sn_mprv_ld, PG(9) + 0x10, MSTATUS_MPRV | MSTATUS_MPP);
  expect_none("ld with MPRV, MPP = M", v, 0x9999999999999999UL + 0x10);
  v = run(PRV_M, sn_mprv_ld, PG(9) + 0x18, 1UL << 11);
  expect_none("ld with MPP = S but no MPRV", v, 0x9999999999999999UL + 0x18);

  puts("pmp: the page walk reads PTEs as S-mode");
  /* (MPRV: M-mode's own fetches do not translate, so they work whatever the walk meets) */
  csr_write(satp, (8UL << 60) | (PT_ROOT >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  run(PRV_M, sn_mprv_ld, PG(3) + 0x3f8, MSTATUS_MPRV | (1UL << 11));
  expect("ld with MPRV, MPP = S: no entry for the PTEs", 'M', CAUSE_LOAD_ACCESS, PG(3) + 0x3f8);
  pmp_entry(8, P_NAPOT | P_X, napot(PT_ROOT, 0x1000));
  run(PRV_M, sn_mprv_sd, PG(3) + 0x3f8, MSTATUS_MPRV | (1UL << 11));
  expect("sd with MPRV, MPP = S: PTEs execute-only", 'M', CAUSE_STORE_ACCESS, PG(3) + 0x3f8);
  pmpcfg_set(8, P_NAPOT | P_R);
  v = run(PRV_M, sn_mprv_ld, PG(3) + 0x3f8, MSTATUS_MPRV | (1UL << 11));
  expect_none("ld with MPRV, MPP = S: PTEs readable", v, 7);
  v = LOAD(PRV_S, PG(1) + 0x18);
  expect_none("S ld with paging on, PTEs readable", v, 0x5a5a);
  LOAD(PRV_S, PG(6) + 0x30);
  STORE(PRV_S, PG(6) + 0x30, 1);
  expect("S sd with paging on, R entry", 'S', CAUSE_STORE_ACCESS, PG(6) + 0x30);
  csr_write(satp, 0);
  __asm__ __volatile__("sfence.vma" ::: "memory");
  pmpcfg_set(8, 0);

  puts("pmp: no entry active");
  csr_write(pmpcfg0, 0);
  csr_write(pmpcfg2, 0);
  nrec = 0;
  escape = 1;
  sret_in((uintptr_t)run_tramp, (uintptr_t)sn_ld);
  expect("sret to S: its first fetch faults", 'S', CAUSE_FETCH_ACCESS, (uintptr_t)run_tramp);
  pmp_base();
  v = LOADW(PRV_S, PG(0) + 0x100);
  expect_none("entries back: S lw", v, 0xabc);

  puts("pmp: locked entries (until reset)");
  pmp_entry(10, P_NA4 | P_R | P_L, PG(11) >> 2);
  v = LOADW(PRV_M, PG(11));
  expect_none("M lw, locked NA4 R", v, (uint64_t)(int32_t)0xbbbbbbbb);
  STOREW(PRV_M, PG(11), 1);
  expect("M sw, locked NA4 R", 'M', CAUSE_STORE_ACCESS, PG(11));
  LOAD(PRV_M, PG(11));
  expect("M ld straddles the locked NA4", 'M', CAUSE_LOAD_ACCESS, PG(11));
  v = LOADW(PRV_M, PG(11) + 4);
  expect_none("M lw next to it: no entry matches", v, (uint64_t)(int32_t)0xbbbbbbbb);
  v = LOADW(PRV_S, PG(11));
  expect_none("S lw, locked NA4 R", v, (uint64_t)(int32_t)0xbbbbbbbb);
  pmpcfg_set(10, P_NA4 | P_R | P_W);
  pmpaddr_write(10, PG(9) >> 2);
  expect_value("pmp10cfg cannot be rewritten", pmpcfg_get(10), P_NA4 | P_R | P_L);
  expect_value("pmpaddr10 cannot be rewritten", pmpaddr_read(10), PG(11) >> 2);
  STOREW(PRV_M, PG(11), 1);
  expect("M sw, still locked", 'M', CAUSE_STORE_ACCESS, PG(11));
  pmp_entry(11, 0, PG(12) >> 2);
  pmp_entry(12, P_TOR | P_R | P_W | P_L, (PG(12) + 0x1000) >> 2);
  pmpaddr_write(11, PG(13) >> 2);
  expect_value("pmpaddr11, under a locked TOR entry", pmpaddr_read(11), PG(12) >> 2);
  pmpaddr_write(12, PG(13) >> 2);
  expect_value("pmpaddr12, of the locked TOR entry", pmpaddr_read(12), (PG(12) + 0x1000) >> 2);
  pmpcfg_set(11, P_NA4 | P_R);
  expect_value("pmp11cfg is not locked", pmpcfg_get(11), P_NA4 | P_R);
  pmpcfg_set(11, 0);
  FETCH(PRV_M, PG(12));
  expect("M fetch, locked TOR RW", 'M', CAUSE_FETCH_ACCESS, PG(12));
  STORE(PRV_M, PG(12) + 0x40, 0xc);
  v = LOAD(PRV_M, PG(12) + 0x40);
  expect_none("M sd and ld, locked TOR RW", v, 0xc);
  pmp_entry(13, P_NAPOT | P_L, napot(PG(7), 0x1000));
  STORE(PRV_M, PG(7) + 0x28, 0x13);
  v = LOAD(PRV_M, PG(7) + 0x28);
  expect_none("M sd, locked entry under an unlocked one", v, 0x13);
  v = FETCH(PRV_M, PG(5));
  expect_none("M fetch, unlocked entry", v, 42);
  v = LOAD(PRV_M, PG(9) + 0x30);
  expect_none("M ld where no entry matches", v, 0x9999999999999999UL + 0x30);
  v = run(PRV_M, sn_mprv_ld, PG(12) + 0x40, MSTATUS_MPRV | (1UL << 11));
  expect_none("ld with MPRV, MPP = S, locked TOR RW", v, 0xc);
  run(PRV_M, sn_mprv_sd, PG(12) + 0x48, MSTATUS_MPRV | MSTATUS_MPP);
  expect_none("sd with MPRV, MPP = M, locked TOR RW", 0, 0);

  if (first_failure) {
    printf("pmp: FAILED (first failing case %d of %d)\n", first_failure, ncase);
    exit(first_failure);
  }
  printf("pmp: all %d cases passed\n", ncase);
  exit(0);
}
