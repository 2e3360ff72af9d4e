/* branch: conditional branches (taken / not taken, signed vs unsigned at the boundaries,
 * forward and backward), jal (link = pc+4, forward/backward), jalr (link value, offset added,
 * bit 0 of the target cleared, rd == rs1 uses the old rs1, rd = x0), a loop counted by a backward
 * branch, and an indirect call through a function pointer table. */
#include "virt.h"

#define BEGIN ".option push\n.option norvc\n"
#define END "\n.option pop"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))

/* 1 if the branch `op a, b` is taken (forward target). */
#define TAKEN(op, a, b)                                                       \
  ({                                                                          \
    uint64_t _r;                                                              \
    __asm__ __volatile__(BEGIN "li %0, 1\n " op " %1, %2, 1f\n li %0, 0\n1:" END \
                         : "=&r"(_r)                                          \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b)));          \
    _r;                                                                       \
  })
/* Same, with a backward target: the branch jumps back over a marker instruction. */
#define TAKEN_BACK(op, a, b)                                                                  \
  ({                                                                                          \
    uint64_t _r;                                                                              \
    __asm__ __volatile__(BEGIN "li %0, 0\n j 2f\n1: li %0, 1\n j 3f\n2: " op " %1, %2, 1b\n3:" END \
                         : "=&r"(_r)                                                          \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b)));                          \
    _r;                                                                                       \
  })

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL

static long add1(long x) { return x + 1; }
static long dbl(long x) { return x * 2; }
static long neg(long x) { return -x; }
static long (*const volatile table[3])(long) = {add1, dbl, neg};

int main(void) {
  puts("branch: conditional branches");
  T("beq equal", TAKEN("beq", 5, 5), 1);
  T("beq differ", TAKEN("beq", 5, 6), 0);
  T("beq differ in bit 63", TAKEN("beq", 0, MIN64), 0);
  T("bne differ", TAKEN("bne", 1, 2), 1);
  T("bne equal", TAKEN("bne", -1L, -1L), 0);
  T("blt -1 < 0", TAKEN("blt", -1L, 0), 1);
  T("blt 0 < -1", TAKEN("blt", 0, -1L), 0);
  T("blt equal", TAKEN("blt", 3, 3), 0);
  T("blt MIN < MAX", TAKEN("blt", MIN64, MAX64), 1);
  T("bge 0 >= -1", TAKEN("bge", 0, -1L), 1);
  T("bge equal", TAKEN("bge", -7L, -7L), 1);
  T("bge MIN >= MAX", TAKEN("bge", MIN64, MAX64), 0);
  T("bltu 0 <u -1", TAKEN("bltu", 0, -1L), 1);
  T("bltu -1 <u 0", TAKEN("bltu", -1L, 0), 0);
  T("bltu MAX <u MIN", TAKEN("bltu", MAX64, MIN64), 1);
  T("bltu equal", TAKEN("bltu", 9, 9), 0);
  T("bgeu -1 >=u 0", TAKEN("bgeu", -1L, 0), 1);
  T("bgeu 0 >=u -1", TAKEN("bgeu", 0, -1L), 0);
  T("bgeu equal", TAKEN("bgeu", MIN64, MIN64), 1);
  T("beq backward taken", TAKEN_BACK("beq", 4, 4), 1);
  T("bne backward not taken", TAKEN_BACK("bne", 4, 4), 0);
  T("blt backward taken", TAKEN_BACK("blt", -4L, 4), 1);
  T("bge backward not taken", TAKEN_BACK("bge", -4L, 4), 0);
  T("bltu backward taken", TAKEN_BACK("bltu", 4, -4L), 1);
  T("bgeu backward taken", TAKEN_BACK("bgeu", -4L, 4), 1);

  puts("branch: jal / jalr");
  uint64_t a, b, c;
  __asm__ __volatile__(BEGIN "jal %0, 1f\n li %0, 0\n1: auipc %1, 0" END : "=&r"(a), "=r"(b));
  T("jal link = pc+4 (skips one)", b - a, 4);
  __asm__ __volatile__(BEGIN "li %2, 0\n j 2f\n1: addi %2, %2, 1\n j 3f\n2: jal %0, 1b\n3: auipc %1, 0" END
                       : "=&r"(a), "=r"(b), "=&r"(c));
  T("jal backward", c, 1);
  T("jal backward link", b - a, 0);
  __asm__ __volatile__(BEGIN "la %1, 1f\n jalr %0, 0(%1)\n li %1, 0\n1:" END : "=&r"(a), "=&r"(b));
  T("jalr link = pc+4", b - a, 4);
  __asm__ __volatile__(BEGIN "li %0, 0\n la %1, 1f - 8\n jalr x0, 8(%1)\n li %0, 1\n1:" END : "=&r"(a), "=&r"(b));
  T("jalr adds offset", a, 0);
  __asm__ __volatile__(BEGIN "li %0, 0\n la %1, 1f + 1\n jalr x0, 0(%1)\n li %0, 1\n1:" END : "=&r"(a), "=&r"(b));
  T("jalr clears bit 0 of target", a, 0);
  __asm__ __volatile__(BEGIN "li %0, 0\n la %1, 1f - 3\n jalr x0, 4(%1)\n li %0, 1\n1:" END : "=&r"(a), "=&r"(b));
  T("jalr clears bit 0 after add", a, 0);
  __asm__ __volatile__(BEGIN "li %0, 0\n la %1, 1f + 16\n jalr x0, -15(%1)\n li %0, 1\n1:" END
                       : "=&r"(a), "=&r"(b));
  T("jalr negative offset, odd sum", a, 0);
  __asm__ __volatile__(BEGIN "la %0, 1f\n jalr %0, 0(%0)\n nop\n1: auipc %1, 0" END : "=&r"(a), "=r"(b));
  T("jalr rd == rs1 uses old rs1", b - a, 4);

  puts("branch: loops and indirect calls");
  __asm__ __volatile__(BEGIN "li %0, 0\n li %1, 1000\n1: addi %0, %0, 3\n addi %1, %1, -1\n bnez %1, 1b" END
                       : "=&r"(a), "=&r"(b));
  T("counted loop (1000 iterations)", a, 3000);
  long acc = 1;
  for (int i = 0; i < 30; i++) acc = table[i % 3](acc);
  T("indirect calls through table", acc, 1706);
  test_finish("branch");
}
