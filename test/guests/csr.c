/* csr: the Zicsr instructions and the machine CSRs a bare-metal guest relies on.
 * mscratch through csrrw/csrrs/csrrc and csrrwi/csrrsi/csrrci (old value returned, the right bits
 * written, rs1 = x0 / uimm = 0 meaning no write, rd = rs1); misa (MXL = 64-bit, I M A C present,
 * E absent; other letters such as S U F D may or may not be there); mhartid = 0; mvendorid,
 * marchid, mimpid readable, and csrrs/csrrci with x0/0 on them does not trap (no write); mtvec,
 * mepc, mtval, mcause, mie, mstatus.MIE read back what was written; minstret, mcycle and the user
 * counters instret, cycle and time are readable in M-mode and increase; time agrees with the CLINT
 * mtime register. No value that differs between implementations is printed. */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

#define CSR_OP(insn, csr, src)                                                             \
  ({                                                                                       \
    uint64_t _old;                                                                         \
    __asm__ __volatile__(insn " %0, " #csr ", %1" : "=r"(_old) : "r"((uint64_t)(src)) : "memory"); \
    _old;                                                                                  \
  })
#define CSR_OPI(insn, csr, imm)                                                    \
  ({                                                                               \
    uint64_t _old;                                                                 \
    __asm__ __volatile__(insn " %0, " #csr ", %1" : "=r"(_old) : "i"(imm) : "memory"); \
    _old;                                                                          \
  })

static volatile uint64_t sink;

int main(void) {
  puts("csr: mscratch and the csr instructions");
  csr_write(mscratch, 0x0123456789abcdefUL);
  T("csrw/csrr mscratch", csr_read(mscratch), 0x0123456789abcdefUL);
  T("csrrw returns old", CSR_OP("csrrw", mscratch, 0xff00UL), 0x0123456789abcdefUL);
  T("csrrw wrote", csr_read(mscratch), 0xff00);
  T("csrrs returns old", CSR_OP("csrrs", mscratch, 0x00f0UL), 0xff00);
  T("csrrs set bits", csr_read(mscratch), 0xfff0);
  T("csrrc returns old", CSR_OP("csrrc", mscratch, 0x0ff0UL), 0xfff0);
  T("csrrc cleared bits", csr_read(mscratch), 0xf000);
  T("csrrs rs1=x0 reads", CSR_OP("csrrs", mscratch, 0), 0xf000);
  uint64_t r;
  __asm__ __volatile__("csrrs %0, mscratch, x0" : "=r"(r));
  T("csrrs x0 does not write", csr_read(mscratch), 0xf000);
  T("csrrwi returns old", CSR_OPI("csrrwi", mscratch, 31), 0xf000);
  T("csrrwi wrote 31 (zero-extended)", csr_read(mscratch), 31);
  T("csrrci returns old", CSR_OPI("csrrci", mscratch, 5), 31);
  T("csrrci cleared", csr_read(mscratch), 26);
  T("csrrsi returns old", CSR_OPI("csrrsi", mscratch, 1), 26);
  T("csrrsi set", csr_read(mscratch), 27);
  T("csrrsi 0 reads only", CSR_OPI("csrrsi", mscratch, 0), 27);
  T("csrrci 0 reads only", CSR_OPI("csrrci", mscratch, 0), 27);
  T("csrrwi 0", CSR_OPI("csrrwi", mscratch, 0), 27);
  T("mscratch now 0", csr_read(mscratch), 0);
  csr_write(mscratch, -1L);
  T("csrrc all ones", CSR_OP("csrrc", mscratch, -1L), -1L);
  T("mscratch cleared", csr_read(mscratch), 0);
  r = 0x5555;
  csr_write(mscratch, 0xaaaa);
  __asm__ __volatile__("csrrw %0, mscratch, %0" : "+r"(r));
  T("csrrw rd = rs1 swaps (rd)", r, 0xaaaa);
  T("csrrw rd = rs1 swaps (csr)", csr_read(mscratch), 0x5555);
  __asm__ __volatile__("csrrw x0, mscratch, %0" : : "r"(0x77UL));
  T("csrrw rd = x0 writes", csr_read(mscratch), 0x77);

  puts("csr: identification");
  uint64_t misa = csr_read(misa);
  T("misa.MXL = 2 (RV64)", misa >> 62, 2);
  TT("misa has I", misa & (1 << ('I' - 'A')));
  TT("misa has M", misa & (1 << ('M' - 'A')));
  TT("misa has A", misa & (1 << ('A' - 'A')));
  TT("misa has C", misa & (1 << ('C' - 'A')));
  TT("misa has no E", !(misa & (1 << ('E' - 'A'))));
  T("misa bits 61..26 are zero", (misa >> 26) & ((1UL << 36) - 1), 0);
  T("mhartid = 0", csr_read(mhartid), 0);
  trap_count = 0;
  trap_arm(0);
  sink = csr_read(mvendorid);
  sink = csr_read(marchid);
  sink = csr_read(mimpid);
  T("mvendorid/marchid/mimpid read without trap", trap_count, 0);
  __asm__ __volatile__("csrrs %0, mvendorid, x0\n csrrci %0, marchid, 0\n csrrsi %0, mimpid, 0" : "=r"(r));
  T("csrrs x0 / csrrci 0 on read-only: no trap", trap_count, 0);
  trap_disarm();

  puts("csr: trap-setup registers");
  uint64_t saved_mtvec = csr_read(mtvec);
  csr_write(mtvec, 0x80000100UL);
  T("mtvec direct mode read back", csr_read(mtvec), 0x80000100UL);
  csr_write(mtvec, saved_mtvec);
  T("mtvec restored", csr_read(mtvec), saved_mtvec);
  csr_write(mepc, 0x80001234UL);
  T("mepc read back", csr_read(mepc), 0x80001234UL);
  csr_write(mepc, 0x80001237UL);
  r = csr_read(mepc);
  TT("mepc bit 0 reads 0 (or as written)", r == 0x80001236UL || r == 0x80001237UL);
  csr_write(mtval, 0x80004321UL);
  T("mtval read back", csr_read(mtval), 0x80004321UL);
  csr_write(mcause, 11);
  T("mcause read back", csr_read(mcause), 11);
  csr_write(mie, MIE_MTIE | MIE_MSIE | MIE_MEIE);
  T("mie MSIE|MTIE|MEIE", csr_read(mie) & 0x888, 0x888);
  csr_write(mie, 0);
  T("mie cleared", csr_read(mie), 0);
  csr_set(mstatus, MSTATUS_MIE);
  T("mstatus.MIE set", csr_read(mstatus) & MSTATUS_MIE, MSTATUS_MIE);
  csr_clear(mstatus, MSTATUS_MIE);
  T("mstatus.MIE cleared", csr_read(mstatus) & MSTATUS_MIE, 0);

  puts("csr: counters");
  uint64_t i0 = csr_read(minstret), c0 = csr_read(mcycle);
  uint64_t u0 = rdinstret(), y0 = read_cycle();
  for (volatile int i = 0; i < 2000; i++) {
  }
  uint64_t i1 = csr_read(minstret), c1 = csr_read(mcycle);
  uint64_t u1 = rdinstret(), y1 = read_cycle();
  TT("minstret increases", i1 > i0);
  TT("mcycle increases", c1 > c0);
  TT("instret increases", u1 > u0);
  TT("cycle increases", y1 > y0);
  TT("instret >= minstret read before", u0 >= i0);
  uint64_t t0 = read_time(), t1 = t0;
  for (long i = 0; i < 10000000 && t1 == t0; i++) t1 = read_time();
  TT("time increases", t1 > t0);
  uint64_t m0 = read_mtime();
  uint64_t tt = read_time();
  uint64_t m1 = read_mtime();
  TT("mtime <= time <= mtime", m0 <= tt && tt <= m1);
  test_finish("csr");
}
