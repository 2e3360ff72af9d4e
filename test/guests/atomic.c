/* atomic: the A extension. lr/sc: a successful pair (sc writes 0, memory updated, lr.w
 * sign-extends, sc.w writes only 32 bits), sc with no reservation fails (no prior lr; and a second
 * sc after a successful one, since every sc ends the reservation) and leaves memory alone, an sc
 * to another address than the lr (either outcome is allowed, but it must be consistent), an
 * lr/sc increment loop. Every AMO in .w and .d form (swap add xor and or min max minu maxu,
 * signed vs unsigned at the sign boundary): rd = old value (sign-extended for .w), memory =
 * op(old, rs2), .w ignores the upper half of rs2 and leaves the neighbouring word alone; aq/rl
 * variants; rd = x0; rd = rs2. Expected values computed independently (Python). */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

static volatile uint64_t cell[4] __attribute__((aligned(64)));

#define SENTINEL 0x5a5a5a5a00000000UL
#define AMO(op, bits, a, b, old, new)                                                              \
  do {                                                                                             \
    cell[1] = 0x1111111111111111UL;                                                                \
    cell[0] = (bits) == 32 ? (SENTINEL | (a)) : (a);                                               \
    uint64_t _rd;                                                                                  \
    __asm__ __volatile__(op " %0, %2, (%1)" : "=&r"(_rd) : "r"(&cell[0]), "r"((uint64_t)(b)) : "memory"); \
    T(op " returns old", _rd, old);                                                                \
    T(op " memory", cell[0], (bits) == 32 ? (SENTINEL | (new)) : (new));                           \
  } while (0)

static uint64_t sc_w(volatile void *p, uint64_t v) {
  uint64_t r;
  __asm__ __volatile__("sc.w %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
  return r;
}
static uint64_t sc_d(volatile void *p, uint64_t v) {
  uint64_t r;
  __asm__ __volatile__("sc.d %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
  return r;
}
static uint64_t lr_w(volatile void *p) {
  uint64_t r;
  __asm__ __volatile__("lr.w %0, (%1)" : "=r"(r) : "r"(p) : "memory");
  return r;
}
static uint64_t lr_d(volatile void *p) {
  uint64_t r;
  __asm__ __volatile__("lr.d %0, (%1)" : "=r"(r) : "r"(p) : "memory");
  return r;
}

int main(void) {
  puts("atomic: lr/sc");
  cell[0] = 0x0123456789abcdefUL;
  TT("sc.d without any lr fails", sc_d(&cell[0], 42) != 0);
  T("failed sc.d leaves memory", cell[0], 0x0123456789abcdefUL);

  cell[0] = 0x7777777780000000UL;
  uint64_t v = lr_w(&cell[0]);
  T("lr.w sign-extends", v, 0xffffffff80000000UL);
  T("sc.w after lr.w succeeds (0)", sc_w(&cell[0], 0xabcdef0012345678UL), 0);
  T("sc.w wrote the low word only", cell[0], 0x7777777712345678UL);
  TT("second sc.w (no reservation) fails", sc_w(&cell[0], 0x99) != 0);
  T("failed sc.w leaves memory", cell[0], 0x7777777712345678UL);

  cell[1] = 0xfedcba9876543210UL;
  T("lr.d", lr_d(&cell[1]), 0xfedcba9876543210UL);
  T("sc.d after lr.d succeeds (0)", sc_d(&cell[1], 0x1122334455667788UL), 0);
  T("sc.d wrote 64 bits", cell[1], 0x1122334455667788UL);
  TT("sc.d after sc.d fails", sc_d(&cell[1], 5) != 0);
  T("failed sc.d leaves memory", cell[1], 0x1122334455667788UL);

  /* sc to an address outside the lr's reservation: failing is the usual outcome, but a large
   * reservation set is allowed; either way the result code and memory must agree. */
  cell[2] = 0x2222;
  cell[3] = 0x3333;
  (void)lr_d(&cell[2]);
  uint64_t other = sc_d(&cell[3], 0x4444);
  TT("sc.d elsewhere: result matches memory", other == 0 ? cell[3] == 0x4444 : cell[3] == 0x3333);
  T("sc.d elsewhere: lr address untouched", cell[2], 0x2222);
  (void)sc_d(&cell[2], 0); /* drop any reservation left */
  cell[2] = 0x2222;

  cell[0] = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t tmp, fail;
    __asm__ __volatile__("1: lr.d %0, (%2)\n addi %0, %0, 3\n sc.d %1, %0, (%2)\n bnez %1, 1b"
                         : "=&r"(tmp), "=&r"(fail)
                         : "r"(&cell[0])
                         : "memory");
  }
  T("lr/sc increment loop", cell[0], 300);

  cell[0] = 0xffffffff00000000UL;
  for (int i = 0; i < 10; i++) {
    uint64_t tmp, fail;
    __asm__ __volatile__("1: lr.w.aq %0, (%2)\n addiw %0, %0, -1\n sc.w.rl %1, %0, (%2)\n bnez %1, 1b"
                         : "=&r"(tmp), "=&r"(fail)
                         : "r"(&cell[0])
                         : "memory");
  }
  T("lr.w.aq/sc.w.rl decrement loop", cell[0], 0xfffffffffffffff6UL);

  puts("atomic: AMOs");
  AMO("amoswap.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x5UL);
  AMO("amoadd.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x80000006UL);
  AMO("amoxor.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x80000004UL);
  AMO("amoand.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x1UL);
  AMO("amoor.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x80000005UL);
  AMO("amomin.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x80000001UL);
  AMO("amomax.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x5UL);
  AMO("amominu.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x5UL);
  AMO("amomaxu.w", 32, 0x80000001UL, 0xdeadbeef00000005UL, 0xffffffff80000001UL, 0x80000001UL);
  AMO("amoswap.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0xfffffff0UL);
  AMO("amoadd.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0x7fffffe0UL);
  AMO("amoxor.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0x80000000UL);
  AMO("amoand.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0x7ffffff0UL);
  AMO("amoor.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0xfffffff0UL);
  AMO("amomin.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0xfffffff0UL);
  AMO("amomax.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0x7ffffff0UL);
  AMO("amominu.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0x7ffffff0UL);
  AMO("amomaxu.w", 32, 0x7ffffff0UL, 0x12345678fffffff0UL, 0x7ffffff0UL, 0xfffffff0UL);
  AMO("amoswap.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x5UL);
  AMO("amoadd.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x8000000000000006UL);
  AMO("amoxor.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x8000000000000004UL);
  AMO("amoand.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x1UL);
  AMO("amoor.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x8000000000000005UL);
  AMO("amomin.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x8000000000000001UL);
  AMO("amomax.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x5UL);
  AMO("amominu.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x5UL);
  AMO("amomaxu.d", 64, 0x8000000000000001UL, 0x5UL, 0x8000000000000001UL, 0x8000000000000001UL);
  AMO("amoswap.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL);
  AMO("amoadd.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0x7fffffffffffffe0UL);
  AMO("amoxor.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0x8000000000000000UL);
  AMO("amoand.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0x7ffffffffffffff0UL);
  AMO("amoor.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL);
  AMO("amomin.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL);
  AMO("amomax.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0x7ffffffffffffff0UL);
  AMO("amominu.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0x7ffffffffffffff0UL);
  AMO("amomaxu.d", 64, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL, 0x7ffffffffffffff0UL, 0xfffffffffffffff0UL);
  AMO("amoadd.w.aq", 32, 0xfffffffeUL, 0x3UL, 0xfffffffffffffffeUL, 0x1UL);
  AMO("amoor.d.rl", 64, 0xf0UL, 0x0fUL, 0xf0UL, 0xffUL);
  AMO("amomaxu.w.aqrl", 32, 0x1UL, 0xffffffffUL, 0x1UL, 0xffffffffUL);
  AMO("amominu.d.aqrl", 64, 0x8000000000000000UL, 0x7fffffffffffffffUL, 0x8000000000000000UL,
      0x7fffffffffffffffUL);

  /* .w on the upper word of a doubleword leaves the lower one alone */
  cell[0] = 0x00000005fffffff0UL;
  uint64_t r;
  __asm__ __volatile__("amoadd.w %0, %2, (%1)" : "=&r"(r) : "r"((uintptr_t)&cell[0] + 4), "r"(7UL) : "memory");
  T("amoadd.w upper word: old", r, 5);
  T("amoadd.w upper word: memory", cell[0], 0x0000000cfffffff0UL);

  cell[0] = 40;
  __asm__ __volatile__("amoadd.d x0, %1, (%0)" : : "r"(&cell[0]), "r"(2UL) : "memory");
  T("amoadd.d rd = x0", cell[0], 42);
  r = 0x1234;
  __asm__ __volatile__("amoswap.d %0, %0, (%1)" : "+r"(r) : "r"(&cell[0]) : "memory");
  T("amoswap.d rd = rs2: rd", r, 42);
  T("amoswap.d rd = rs2: memory", cell[0], 0x1234);
  test_finish("atomic");
}
