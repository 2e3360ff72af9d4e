/* fpu: the F and D extensions (RV64GC's floating point), built with F/D enabled (lp64: no FP
 * registers in the calling convention, so only the inline assembly here touches them).
 *   mstatus.FS: Off makes FP instructions and fcsr illegal; writes make it Dirty, SD follows;
 *   misa F and D; fcsr = frm << 5 | fflags, and its views;
 *   a table of operations in each rounding mode, static and dynamic (frm): ties, directed
 *   rounding, overflow, underflow (tininess after rounding), fused multiply-add's single rounding
 *   (where rounding the product first would differ), saturating conversions; results and exact
 *   accrued flags. Expected values from exact rational arithmetic (test/helpers/softfloat.ts);
 *   QEMU agrees (test/guests/expected/fpu.out);
 *   NaN boxing (an unboxed single reads as the canonical NaN; moves and stores take the bits),
 *   canonical NaNs, fmin/fmax with signaling NaNs and signed zeros, fclass, compares;
 *   reserved rounding modes (static, or dynamic through frm) are illegal;
 *   compressed c.fld, c.fsd, c.fldsp, c.fsdsp. */
#include "virt.h"

#define MSTATUS_FS (3UL << 13)
#define MSTATUS_SD (1UL << 63)
#define BOX 0xffffffff00000000UL
#define NV 16
#define DZ 8
#define OF 4
#define UF 2
#define NX 1

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

static uint64_t fs(void) { return (csr_read(mstatus) & MSTATUS_FS) >> 13; }

/* ---- the table: op, rounding mode, operands (bits; singles unboxed), result, fflags ---- */
struct fcase {
  const char *op;
  int rm;
  uint64_t a[3];
  uint64_t want;
  unsigned flags;
};

static const struct fcase cases[] = {
  {"fadd.d", 0, {0x3ff0000000000000UL, 0x3ca0000000000000UL}, 0x3ff0000000000000UL, 1},
  {"fadd.d", 0, {0x3ff0000000000000UL, 0x3ca8000000000000UL}, 0x3ff0000000000001UL, 1},
  {"fsub.d", 0, {0x3ff0000000000000UL, 0x3ff0000000000000UL}, 0x0UL, 0},
  {"fdiv.d", 0, {0x3ff0000000000000UL, 0x4008000000000000UL}, 0x3fd5555555555555UL, 1},
  {"fdiv.d", 0, {0xbff0000000000000UL, 0x4008000000000000UL}, 0xbfd5555555555555UL, 1},
  {"fmul.d", 0, {0x7fefffffffffffffUL, 0x4000000000000000UL}, 0x7ff0000000000000UL, 5},
  {"fmul.d", 0, {0x10000000000001UL, 0x3fe0000000000000UL}, 0x8000000000000UL, 3},
  {"fsqrt.d", 0, {0x4000000000000000UL}, 0x3ff6a09e667f3bcdUL, 1},
  {"fcvt.s.d", 0, {0x3fd5555555555555UL}, 0x3eaaaaabUL, 1},
  {"fcvt.s.d", 0, {0x7fefffffffffffffUL}, 0x7f800000UL, 5},
  {"fcvt.s.d", 0, {0x3690000000000001UL}, 0x1UL, 3},
  {"fcvt.d.l", 0, {0x20000000000001UL}, 0x4340000000000000UL, 1},
  {"fcvt.d.l", 0, {0xffdffffffffffffdUL}, 0xc340000000000002UL, 1},
  {"fcvt.w.d", 0, {0x4004000000000000UL}, 0x2UL, 1},
  {"fcvt.w.d", 0, {0xc004000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fcvt.w.d", 0, {0x3fe0000000000000UL}, 0x0UL, 1},
  {"fcvt.w.d", 0, {0xbff8000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fmadd.s", 0, {0x3f800800UL, 0x3f800800UL, 0x1c800000UL}, 0x3f801001UL, 1},
  {"fmsub.d", 0, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0x3970000000000000UL, 0},
  {"fnmadd.d", 0, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0xc000000000000002UL, 1},
  {"fmadd.d", 0, {0x3ff0000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL}, 0x0UL, 0},
  {"fadd.s", 0, {0x3f800000UL, 0x33800000UL}, 0x3f800000UL, 1},
  {"fdiv.s", 0, {0x3f800000UL, 0x40400000UL}, 0x3eaaaaabUL, 1},
  {"fsqrt.s", 0, {0x40000000UL}, 0x3fb504f3UL, 1},
  {"fadd.d", 1, {0x3ff0000000000000UL, 0x3ca0000000000000UL}, 0x3ff0000000000000UL, 1},
  {"fadd.d", 1, {0x3ff0000000000000UL, 0x3ca8000000000000UL}, 0x3ff0000000000000UL, 1},
  {"fsub.d", 1, {0x3ff0000000000000UL, 0x3ff0000000000000UL}, 0x0UL, 0},
  {"fdiv.d", 1, {0x3ff0000000000000UL, 0x4008000000000000UL}, 0x3fd5555555555555UL, 1},
  {"fdiv.d", 1, {0xbff0000000000000UL, 0x4008000000000000UL}, 0xbfd5555555555555UL, 1},
  {"fmul.d", 1, {0x7fefffffffffffffUL, 0x4000000000000000UL}, 0x7fefffffffffffffUL, 5},
  {"fmul.d", 1, {0x10000000000001UL, 0x3fe0000000000000UL}, 0x8000000000000UL, 3},
  {"fsqrt.d", 1, {0x4000000000000000UL}, 0x3ff6a09e667f3bccUL, 1},
  {"fcvt.s.d", 1, {0x3fd5555555555555UL}, 0x3eaaaaaaUL, 1},
  {"fcvt.s.d", 1, {0x7fefffffffffffffUL}, 0x7f7fffffUL, 5},
  {"fcvt.s.d", 1, {0x3690000000000001UL}, 0x0UL, 3},
  {"fcvt.d.l", 1, {0x20000000000001UL}, 0x4340000000000000UL, 1},
  {"fcvt.d.l", 1, {0xffdffffffffffffdUL}, 0xc340000000000001UL, 1},
  {"fcvt.w.d", 1, {0x4004000000000000UL}, 0x2UL, 1},
  {"fcvt.w.d", 1, {0xc004000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fcvt.w.d", 1, {0x3fe0000000000000UL}, 0x0UL, 1},
  {"fcvt.w.d", 1, {0xbff8000000000000UL}, 0xffffffffffffffffUL, 1},
  {"fmadd.s", 1, {0x3f800800UL, 0x3f800800UL, 0x1c800000UL}, 0x3f801000UL, 1},
  {"fmsub.d", 1, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0x3970000000000000UL, 0},
  {"fnmadd.d", 1, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0xc000000000000002UL, 1},
  {"fmadd.d", 1, {0x3ff0000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL}, 0x0UL, 0},
  {"fadd.s", 1, {0x3f800000UL, 0x33800000UL}, 0x3f800000UL, 1},
  {"fdiv.s", 1, {0x3f800000UL, 0x40400000UL}, 0x3eaaaaaaUL, 1},
  {"fsqrt.s", 1, {0x40000000UL}, 0x3fb504f3UL, 1},
  {"fadd.d", 2, {0x3ff0000000000000UL, 0x3ca0000000000000UL}, 0x3ff0000000000000UL, 1},
  {"fadd.d", 2, {0x3ff0000000000000UL, 0x3ca8000000000000UL}, 0x3ff0000000000000UL, 1},
  {"fsub.d", 2, {0x3ff0000000000000UL, 0x3ff0000000000000UL}, 0x8000000000000000UL, 0},
  {"fdiv.d", 2, {0x3ff0000000000000UL, 0x4008000000000000UL}, 0x3fd5555555555555UL, 1},
  {"fdiv.d", 2, {0xbff0000000000000UL, 0x4008000000000000UL}, 0xbfd5555555555556UL, 1},
  {"fmul.d", 2, {0x7fefffffffffffffUL, 0x4000000000000000UL}, 0x7fefffffffffffffUL, 5},
  {"fmul.d", 2, {0x10000000000001UL, 0x3fe0000000000000UL}, 0x8000000000000UL, 3},
  {"fsqrt.d", 2, {0x4000000000000000UL}, 0x3ff6a09e667f3bccUL, 1},
  {"fcvt.s.d", 2, {0x3fd5555555555555UL}, 0x3eaaaaaaUL, 1},
  {"fcvt.s.d", 2, {0x7fefffffffffffffUL}, 0x7f7fffffUL, 5},
  {"fcvt.s.d", 2, {0x3690000000000001UL}, 0x0UL, 3},
  {"fcvt.d.l", 2, {0x20000000000001UL}, 0x4340000000000000UL, 1},
  {"fcvt.d.l", 2, {0xffdffffffffffffdUL}, 0xc340000000000002UL, 1},
  {"fcvt.w.d", 2, {0x4004000000000000UL}, 0x2UL, 1},
  {"fcvt.w.d", 2, {0xc004000000000000UL}, 0xfffffffffffffffdUL, 1},
  {"fcvt.w.d", 2, {0x3fe0000000000000UL}, 0x0UL, 1},
  {"fcvt.w.d", 2, {0xbff8000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fmadd.s", 2, {0x3f800800UL, 0x3f800800UL, 0x1c800000UL}, 0x3f801000UL, 1},
  {"fmsub.d", 2, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0x3970000000000000UL, 0},
  {"fnmadd.d", 2, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0xc000000000000003UL, 1},
  {"fmadd.d", 2, {0x3ff0000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL}, 0x8000000000000000UL, 0},
  {"fadd.s", 2, {0x3f800000UL, 0x33800000UL}, 0x3f800000UL, 1},
  {"fdiv.s", 2, {0x3f800000UL, 0x40400000UL}, 0x3eaaaaaaUL, 1},
  {"fsqrt.s", 2, {0x40000000UL}, 0x3fb504f3UL, 1},
  {"fadd.d", 3, {0x3ff0000000000000UL, 0x3ca0000000000000UL}, 0x3ff0000000000001UL, 1},
  {"fadd.d", 3, {0x3ff0000000000000UL, 0x3ca8000000000000UL}, 0x3ff0000000000001UL, 1},
  {"fsub.d", 3, {0x3ff0000000000000UL, 0x3ff0000000000000UL}, 0x0UL, 0},
  {"fdiv.d", 3, {0x3ff0000000000000UL, 0x4008000000000000UL}, 0x3fd5555555555556UL, 1},
  {"fdiv.d", 3, {0xbff0000000000000UL, 0x4008000000000000UL}, 0xbfd5555555555555UL, 1},
  {"fmul.d", 3, {0x7fefffffffffffffUL, 0x4000000000000000UL}, 0x7ff0000000000000UL, 5},
  {"fmul.d", 3, {0x10000000000001UL, 0x3fe0000000000000UL}, 0x8000000000001UL, 3},
  {"fsqrt.d", 3, {0x4000000000000000UL}, 0x3ff6a09e667f3bcdUL, 1},
  {"fcvt.s.d", 3, {0x3fd5555555555555UL}, 0x3eaaaaabUL, 1},
  {"fcvt.s.d", 3, {0x7fefffffffffffffUL}, 0x7f800000UL, 5},
  {"fcvt.s.d", 3, {0x3690000000000001UL}, 0x1UL, 3},
  {"fcvt.d.l", 3, {0x20000000000001UL}, 0x4340000000000001UL, 1},
  {"fcvt.d.l", 3, {0xffdffffffffffffdUL}, 0xc340000000000001UL, 1},
  {"fcvt.w.d", 3, {0x4004000000000000UL}, 0x3UL, 1},
  {"fcvt.w.d", 3, {0xc004000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fcvt.w.d", 3, {0x3fe0000000000000UL}, 0x1UL, 1},
  {"fcvt.w.d", 3, {0xbff8000000000000UL}, 0xffffffffffffffffUL, 1},
  {"fmadd.s", 3, {0x3f800800UL, 0x3f800800UL, 0x1c800000UL}, 0x3f801001UL, 1},
  {"fmsub.d", 3, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0x3970000000000000UL, 0},
  {"fnmadd.d", 3, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0xc000000000000002UL, 1},
  {"fmadd.d", 3, {0x3ff0000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL}, 0x0UL, 0},
  {"fadd.s", 3, {0x3f800000UL, 0x33800000UL}, 0x3f800001UL, 1},
  {"fdiv.s", 3, {0x3f800000UL, 0x40400000UL}, 0x3eaaaaabUL, 1},
  {"fsqrt.s", 3, {0x40000000UL}, 0x3fb504f4UL, 1},
  {"fadd.d", 4, {0x3ff0000000000000UL, 0x3ca0000000000000UL}, 0x3ff0000000000001UL, 1},
  {"fadd.d", 4, {0x3ff0000000000000UL, 0x3ca8000000000000UL}, 0x3ff0000000000001UL, 1},
  {"fsub.d", 4, {0x3ff0000000000000UL, 0x3ff0000000000000UL}, 0x0UL, 0},
  {"fdiv.d", 4, {0x3ff0000000000000UL, 0x4008000000000000UL}, 0x3fd5555555555555UL, 1},
  {"fdiv.d", 4, {0xbff0000000000000UL, 0x4008000000000000UL}, 0xbfd5555555555555UL, 1},
  {"fmul.d", 4, {0x7fefffffffffffffUL, 0x4000000000000000UL}, 0x7ff0000000000000UL, 5},
  {"fmul.d", 4, {0x10000000000001UL, 0x3fe0000000000000UL}, 0x8000000000001UL, 3},
  {"fsqrt.d", 4, {0x4000000000000000UL}, 0x3ff6a09e667f3bcdUL, 1},
  {"fcvt.s.d", 4, {0x3fd5555555555555UL}, 0x3eaaaaabUL, 1},
  {"fcvt.s.d", 4, {0x7fefffffffffffffUL}, 0x7f800000UL, 5},
  {"fcvt.s.d", 4, {0x3690000000000001UL}, 0x1UL, 3},
  {"fcvt.d.l", 4, {0x20000000000001UL}, 0x4340000000000001UL, 1},
  {"fcvt.d.l", 4, {0xffdffffffffffffdUL}, 0xc340000000000002UL, 1},
  {"fcvt.w.d", 4, {0x4004000000000000UL}, 0x3UL, 1},
  {"fcvt.w.d", 4, {0xc004000000000000UL}, 0xfffffffffffffffdUL, 1},
  {"fcvt.w.d", 4, {0x3fe0000000000000UL}, 0x1UL, 1},
  {"fcvt.w.d", 4, {0xbff8000000000000UL}, 0xfffffffffffffffeUL, 1},
  {"fmadd.s", 4, {0x3f800800UL, 0x3f800800UL, 0x1c800000UL}, 0x3f801001UL, 1},
  {"fmsub.d", 4, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0x3970000000000000UL, 0},
  {"fnmadd.d", 4, {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000002UL}, 0xc000000000000002UL, 1},
  {"fmadd.d", 4, {0x3ff0000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL}, 0x0UL, 0},
  {"fadd.s", 4, {0x3f800000UL, 0x33800000UL}, 0x3f800001UL, 1},
  {"fdiv.s", 4, {0x3f800000UL, 0x40400000UL}, 0x3eaaaaabUL, 1},
  {"fsqrt.s", 4, {0x40000000UL}, 0x3fb504f3UL, 1},
  {"fdiv.d", 0, {0x3ff0000000000000UL, 0x0UL}, 0x7ff0000000000000UL, 8},
  {"fdiv.d", 0, {0x0UL, 0x0UL}, 0x7ff8000000000000UL, 16},
  {"fsub.d", 0, {0x7ff0000000000000UL, 0x7ff0000000000000UL}, 0x7ff8000000000000UL, 16},
  {"fadd.d", 0, {0x7ff4000000000001UL, 0x3ff0000000000000UL}, 0x7ff8000000000000UL, 16},
  {"fmul.d", 0, {0x10000000000000UL, 0x3fe0000000000000UL}, 0x8000000000000UL, 0},
  {"fsqrt.d", 0, {0xbff0000000000000UL}, 0x7ff8000000000000UL, 16},
  {"fmadd.d", 0, {0x7ff0000000000000UL, 0x0UL, 0x7ff8000000000000UL}, 0x7ff8000000000000UL, 16},
  {"fcvt.s.d", 0, {0x7ff4000000000001UL}, 0x7fc00000UL, 16},
  {"fcvt.w.d", 1, {0x7ff8000000000000UL}, 0x7fffffffUL, 16},
  {"fcvt.w.d", 1, {0xfff0000000000000UL}, 0xffffffff80000000UL, 16},
  {"fcvt.w.d", 1, {0x43e0000000000000UL}, 0x7fffffffUL, 16},
  {"fcvt.w.d", 1, {0xbff0000000000000UL}, 0xffffffffffffffffUL, 0},
  {"fcvt.w.d", 1, {0xbfe0000000000000UL}, 0x0UL, 1},
  {"fcvt.w.d", 1, {0x41e0000000000000UL}, 0x7fffffffUL, 16},
  {"fcvt.wu.d", 1, {0x7ff8000000000000UL}, 0xffffffffffffffffUL, 16},
  {"fcvt.wu.d", 1, {0xfff0000000000000UL}, 0x0UL, 16},
  {"fcvt.wu.d", 1, {0x43e0000000000000UL}, 0xffffffffffffffffUL, 16},
  {"fcvt.wu.d", 1, {0xbff0000000000000UL}, 0x0UL, 16},
  {"fcvt.wu.d", 1, {0xbfe0000000000000UL}, 0x0UL, 1},
  {"fcvt.wu.d", 1, {0x41e0000000000000UL}, 0xffffffff80000000UL, 0},
  {"fcvt.l.d", 1, {0x7ff8000000000000UL}, 0x7fffffffffffffffUL, 16},
  {"fcvt.l.d", 1, {0xfff0000000000000UL}, 0x8000000000000000UL, 16},
  {"fcvt.l.d", 1, {0x43e0000000000000UL}, 0x7fffffffffffffffUL, 16},
  {"fcvt.l.d", 1, {0xbff0000000000000UL}, 0xffffffffffffffffUL, 0},
  {"fcvt.l.d", 1, {0xbfe0000000000000UL}, 0x0UL, 1},
  {"fcvt.l.d", 1, {0x41e0000000000000UL}, 0x80000000UL, 0},
  {"fcvt.lu.d", 1, {0x7ff8000000000000UL}, 0xffffffffffffffffUL, 16},
  {"fcvt.lu.d", 1, {0xfff0000000000000UL}, 0x0UL, 16},
  {"fcvt.lu.d", 1, {0x43e0000000000000UL}, 0x8000000000000000UL, 0},
  {"fcvt.lu.d", 1, {0xbff0000000000000UL}, 0x0UL, 16},
  {"fcvt.lu.d", 1, {0xbfe0000000000000UL}, 0x0UL, 1},
  {"fcvt.lu.d", 1, {0x41e0000000000000UL}, 0x80000000UL, 0},
};

/* Operands in ft0..ft2, result from ft3 (or an x register): one asm per rounding mode. */
#define RF(insn)                                                                                      \
  __asm__ __volatile__("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\tfmv.d.x ft2, %3\n\t" insn                \
                       "\n\tfmv.x.d %0, ft3"                                                          \
                       : "=r"(r)                                                                      \
                       : "r"(a0), "r"(a1), "r"(a2)                                                    \
                       : "ft0", "ft1", "ft2", "ft3")
#define RX(insn) __asm__ __volatile__("fmv.d.x ft0, %1\n\t" insn : "=r"(r) : "r"(a0) : "ft0")
#define RFX(insn) __asm__ __volatile__(insn "\n\tfmv.x.d %0, ft3" : "=r"(r) : "r"(a0) : "ft3")
#define ALL_RM(MAC, insn)                                                                              \
  switch (rm) {                                                                                        \
  case 0: MAC(insn ", rne"); break;                                                                    \
  case 1: MAC(insn ", rtz"); break;                                                                    \
  case 2: MAC(insn ", rdn"); break;                                                                    \
  case 3: MAC(insn ", rup"); break;                                                                    \
  case 4: MAC(insn ", rmm"); break;                                                                    \
  default: MAC(insn ", dyn"); break;                                                                   \
  }
#define OP(name, MAC, operands)                                                                        \
  if (!strcmp(op, name)) {                                                                             \
    ALL_RM(MAC, name " " operands);                                                                    \
    return r;                                                                                          \
  }

/* Runs `op` with rounding mode rm (7: dynamic, frm). */
static uint64_t run(const char *op, int rm, uint64_t a0, uint64_t a1, uint64_t a2) {
  uint64_t r = 0;
  OP("fadd.d", RF, "ft3, ft0, ft1");
  OP("fsub.d", RF, "ft3, ft0, ft1");
  OP("fmul.d", RF, "ft3, ft0, ft1");
  OP("fdiv.d", RF, "ft3, ft0, ft1");
  OP("fsqrt.d", RF, "ft3, ft0");
  OP("fmadd.d", RF, "ft3, ft0, ft1, ft2");
  OP("fmsub.d", RF, "ft3, ft0, ft1, ft2");
  OP("fnmadd.d", RF, "ft3, ft0, ft1, ft2");
  OP("fcvt.s.d", RF, "ft3, ft0");
  OP("fadd.s", RF, "ft3, ft0, ft1");
  OP("fdiv.s", RF, "ft3, ft0, ft1");
  OP("fsqrt.s", RF, "ft3, ft0");
  OP("fmadd.s", RF, "ft3, ft0, ft1, ft2");
  OP("fcvt.w.d", RX, "%0, ft0");
  OP("fcvt.wu.d", RX, "%0, ft0");
  OP("fcvt.l.d", RX, "%0, ft0");
  OP("fcvt.lu.d", RX, "%0, ft0");
  OP("fcvt.d.l", RFX, "ft3, %1");
  printf("no such op %s\n", op);
  exit(99);
}

static int single(const char *op) { return op[strlen(op) - 1] == 's' && strcmp(op, "fcvt.s.d") != 0; }

/* Each case with its static rounding mode and again through frm; failures are printed. */
static void table(void) {
  int failures = 0, runs = 0;
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct fcase *c = &cases[i];
    uint64_t box = single(c->op) ? BOX : 0;
    uint64_t want = c->want | (single(c->op) || !strcmp(c->op, "fcvt.s.d") ? BOX : 0);
    for (int dyn = 0; dyn < 2; dyn++) {
      csr_write(frm, dyn ? c->rm : (c->rm + 1) % 5); /* static: frm must not matter */
      csr_write(fflags, 0);
      uint64_t r = run(c->op, dyn ? 7 : c->rm, c->a[0] | box, c->a[1] | box, c->a[2] | box);
      unsigned flags = csr_read(fflags);
      runs++;
      if (r != want || flags != c->flags) {
        printf("  table: %s rm %d%s (%lx %lx %lx): got %lx flags %x, want %lx flags %x\n", c->op, c->rm,
               dyn ? " (frm)" : "", c->a[0], c->a[1], c->a[2], r, flags, want, c->flags);
        failures++;
      }
    }
  }
  printf("  table: %d runs\n", runs);
  TT("rounding and flags table", failures == 0);
}

/* ---- single instructions on bit patterns ---- */
#define D2(insn, a, b)                                                                                 \
  ({                                                                                                   \
    uint64_t _r;                                                                                       \
    __asm__ __volatile__("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\t" insn " ft2, ft0, ft1\n\tfmv.x.d %0, ft2" \
                         : "=r"(_r)                                                                    \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b))                                      \
                         : "ft0", "ft1", "ft2");                                                       \
    _r;                                                                                                \
  })
#define CMP(insn, a, b)                                                                                \
  ({                                                                                                   \
    uint64_t _r;                                                                                       \
    __asm__ __volatile__("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\t" insn " %0, ft0, ft1"               \
                         : "=r"(_r)                                                                    \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b))                                      \
                         : "ft0", "ft1");                                                              \
    _r;                                                                                                \
  })
#define X1(insn, a)                                                                                    \
  ({                                                                                                   \
    uint64_t _r;                                                                                       \
    __asm__ __volatile__("fmv.d.x ft0, %1\n\t" insn " %0, ft0" : "=r"(_r) : "r"((uint64_t)(a)) : "ft0"); \
    _r;                                                                                                \
  })
#define FLAGS() ((unsigned)csr_read(fflags))

/* An instruction expected to trap as illegal: mcause 2 and mtval = its bits. */
#define ILLEGAL(what, insn, bits)                                                                      \
  do {                                                                                                 \
    trap_arm(0);                                                                                       \
    __asm__ __volatile__(".option push\n\t.option norvc\n\t" insn "\n\t.option pop" ::: "ft0", "t0", "memory"); \
    T(what ": mcause", trap_cause, CAUSE_ILLEGAL_INSTRUCTION);                                         \
    T(what ": mtval", trap_tval, bits);                                                                \
  } while (0)

static uint64_t mem[4];

int main(void) {
  puts("fpu: F and D");
  T("misa has F and D", csr_read(misa) & ((1 << 5) | (1 << 3)), (1 << 5) | (1 << 3));

  puts("fpu: mstatus.FS Off");
  csr_clear(mstatus, MSTATUS_FS);
  T("FS Off", fs(), 0);
  ILLEGAL("fadd.d while Off", "fadd.d ft0, ft0, ft0, rne", 0x02000053);
  ILLEGAL("fmv.x.d while Off", "fmv.x.d t0, ft0", 0xe20002d3);
  ILLEGAL("csrr fflags while Off", "csrr t0, fflags", 0x001022f3);
  ILLEGAL("fld while Off", "fld ft0, 0(sp)", 0x00013007);

  puts("fpu: mstatus.FS Initial, then Dirty");
  csr_set(mstatus, 1UL << 13);
  T("FS Initial", fs(), 1);
  T("SD clear", csr_read(mstatus) >> 63, 0);
  uint64_t r;
  __asm__ __volatile__("fmv.d.x ft0, zero" ::: "ft0");
  T("fmv.d.x writes f: Dirty", fs(), 3);
  T("SD set", csr_read(mstatus) >> 63, 1);
  T("sstatus shows FS", (csr_read(sstatus) & MSTATUS_FS) >> 13, 3);
  csr_clear(mstatus, 1UL << 13); /* Clean (2) */
  T("FS Clean", fs(), 2);
  T("SD clear again", csr_read(mstatus) >> 63, 0);
  __asm__ __volatile__("feq.d %0, ft0, ft0\n\tfmv.x.d t0, ft0\n\tfsd ft0, 0(%1)" : "=&r"(r) : "r"(mem) : "t0", "memory");
  T("feq.d +0 == +0", r, 1);
  T("compare, move, store: Clean", fs(), 2);
  csr_write(fcsr, 0);
  T("fcsr write: Dirty", fs(), 3);

  puts("fpu: fcsr, frm and fflags");
  csr_write(fcsr, 0xfff);
  T("fcsr keeps 8 bits", csr_read(fcsr), 0xff);
  csr_write(fflags, 0x02);
  T("fflags view", csr_read(fcsr), 0xe2);
  csr_write(frm, 0x9);
  T("frm view", csr_read(fcsr), 0x22);
  T("frm reads 3 bits", csr_read(frm), 1);
  csr_write(fcsr, 0);
  D2("fdiv.d", 0x3ff0000000000000UL, 0x4008000000000000UL);
  D2("fdiv.d", 0x3ff0000000000000UL, 0);
  T("flags accrue: NX then DZ", FLAGS(), NX | DZ);

  puts("fpu: rounding table");
  table();
  csr_write(fcsr, 0);

  puts("fpu: reserved rounding modes");
  ILLEGAL("fadd.d rm 5", ".word 0x02005053", 0x02005053);
  ILLEGAL("fcvt.d.w rm 6", ".word 0xd2006053", 0xd2006053);
  csr_write(frm, 5);
  ILLEGAL("fadd.d dyn, frm 5", "fadd.d ft0, ft0, ft0, dyn", 0x02007053);
  csr_write(frm, 7);
  ILLEGAL("fsqrt.d dyn, frm 7", "fsqrt.d ft0, ft0, dyn", 0x5a007053);
  r = D2("fsgnjx.d", 0x3ff0000000000000UL, 0x8000000000000000UL);
  T("fsgnjx.d has no rm", r, 0xbff0000000000000UL);
  csr_write(frm, 0);

  puts("fpu: NaN boxing");
  __asm__ __volatile__("li t0, 0x3f800000\n\tfmv.w.x ft0, t0\n\tfmv.x.d %0, ft0" : "=r"(r) : : "t0", "ft0");
  T("fmv.w.x boxes", r, 0xffffffff3f800000UL);
  r = D2("fadd.s", 0x3f800000UL, 0xffffffff3f800000UL);
  T("unboxed operand: canonical NaN", r, 0xffffffff7fc00000UL);
  r = D2("fsgnj.s", 0x00000000bf800000UL, 0xffffffff00000000UL);
  T("fsgnj.s on unboxed: NaN", r, 0xffffffff7fc00000UL);
  r = D2("fsgnjn.s", 0xffffffff3f800000UL, 0xffffffff3f800000UL);
  T("fsgnjn.s boxed", r, 0xffffffffbf800000UL);
  r = X1("fmv.x.w", 0x12345678bf800000UL);
  T("fmv.x.w sign-extends", r, 0xffffffffbf800000UL);
  r = X1("fclass.s", 0x000000003f800000UL);
  T("fclass.s unboxed: qNaN", r, 1 << 9);
  mem[0] = 0x1122334455667788UL;
  __asm__ __volatile__("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(mem) : "ft0", "memory");
  T("flw boxes", r, 0xffffffff55667788UL);
  __asm__ __volatile__("fmv.d.x ft0, %0\n\tfsw ft0, 8(%1)" : : "r"(0xabcdef0112345678UL), "r"(mem) : "ft0", "memory");
  T("fsw stores the low half", mem[1], 0x12345678UL);

  puts("fpu: NaNs, min/max, compares, fclass");
  csr_write(fflags, 0);
  r = D2("fmul.d", 0x7ff4000000000123UL, 0x3ff0000000000000UL);
  T("sNaN operand: canonical NaN", r, 0x7ff8000000000000UL);
  T("sNaN operand: NV", FLAGS(), NV);
  csr_write(fflags, 0);
  r = D2("fmin.d", 0x7ff8000000000000UL, 0x4000000000000000UL);
  T("fmin.d qNaN, 2: 2", r, 0x4000000000000000UL);
  T("fmin.d qNaN: no flag", FLAGS(), 0);
  r = D2("fmax.d", 0x7ff0000000000001UL, 0xc000000000000000UL);
  T("fmax.d sNaN, -2: -2", r, 0xc000000000000000UL);
  T("fmax.d sNaN: NV", FLAGS(), NV);
  r = D2("fmax.d", 0x7ff0000000000001UL, 0xfff8000000000000UL);
  T("fmax.d two NaNs: canonical", r, 0x7ff8000000000000UL);
  T("fmin.d -0, +0", D2("fmin.d", 0, 0x8000000000000000UL), 0x8000000000000000UL);
  T("fmax.d -0, +0", D2("fmax.d", 0x8000000000000000UL, 0), 0);
  T("fmin.s -0, +0", D2("fmin.s", 0xffffffff00000000UL, 0xffffffff80000000UL), 0xffffffff80000000UL);
  csr_write(fflags, 0);
  T("feq.d qNaN", CMP("feq.d", 0x7ff8000000000000UL, 0), 0);
  T("feq.d qNaN: quiet", FLAGS(), 0);
  T("flt.d qNaN", CMP("flt.d", 0x7ff8000000000000UL, 0), 0);
  T("flt.d qNaN: NV", FLAGS(), NV);
  T("fle.d -0 <= +0", CMP("fle.d", 0x8000000000000000UL, 0), 1);
  T("flt.d -0 < +0", CMP("flt.d", 0x8000000000000000UL, 0), 0);
  T("flt.s -1 < 1", CMP("flt.s", 0xffffffffbf800000UL, 0xffffffff3f800000UL), 1);
  static const uint64_t classes[10] = {0xfff0000000000000UL, 0xbff0000000000000UL, 0x800fffffffffffffUL,
                                       0x8000000000000000UL, 0, 1, 0x3ff0000000000000UL,
                                       0x7ff0000000000000UL, 0x7ff0000000000001UL, 0x7ff8000000000000UL};
  int ok = 1;
  for (int i = 0; i < 10; i++) ok &= X1("fclass.d", classes[i]) == (1UL << i);
  TT("fclass.d: all ten classes", ok);

  puts("fpu: conversions between the formats");
  __asm__ __volatile__("fmv.d.x ft0, %1\n\tfcvt.d.s ft1, ft0\n\tfmv.x.d %0, ft1" : "=r"(r) : "r"(0xffffffff7f800001UL) : "ft0", "ft1");
  T("fcvt.d.s sNaN: canonical", r, 0x7ff8000000000000UL);
  __asm__ __volatile__("fmv.d.x ft0, %1\n\tfcvt.d.s ft1, ft0\n\tfmv.x.d %0, ft1" : "=r"(r) : "r"(0xffffffff00000001UL) : "ft0", "ft1");
  T("fcvt.d.s subnormal: exact", r, 0x36a0000000000000UL);

  puts("fpu: compressed loads and stores");
  mem[2] = 0x400921fb54442d18UL;
  __asm__ __volatile__("mv a1, %1\n\tc.fld fa0, 16(a1)\n\tc.fsd fa0, 24(a1)\n\tfmv.x.d %0, fa0"
                       : "=r"(r) : "r"(mem) : "a1", "fa0", "memory");
  T("c.fld", r, 0x400921fb54442d18UL);
  T("c.fsd", mem[3], 0x400921fb54442d18UL);
  __asm__ __volatile__("addi sp, sp, -16\n\tfmv.d.x ft0, %1\n\tc.fsdsp ft0, 8(sp)\n\tc.fldsp fs0, 8(sp)\n\t"
                       "fmv.x.d %0, fs0\n\taddi sp, sp, 16"
                       : "=r"(r) : "r"(0xc00921fb54442d18UL) : "ft0", "fs0", "memory");
  T("c.fsdsp + c.fldsp", r, 0xc00921fb54442d18UL);

  test_finish("fpu");
}
