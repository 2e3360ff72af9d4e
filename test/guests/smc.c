/* smc: self-modifying code. Every rewrite is followed by fence.i and must take effect:
 *  - code written into a data buffer and called;
 *  - one instruction of a buffer patched 100 times in a loop, called after each patch (a
 *    translator must invalidate what it compiled each time);
 *  - a hot function in .text overwritten;
 *  - an instruction patched by the code just before it, in the same straight-line block;
 *  - a 16-bit instruction patched, and an instruction written one byte at a time;
 *  - 64 small functions generated, called, regenerated and called again;
 *  - a loop body patched between runs;
 *  - a 32-bit instruction that straddles a 4 KiB page boundary patched. */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))

#define A0 10
#define A1 11
#define RET 0x00008067u /* jalr x0, 0(ra) */
#define C_RET 0x8082u   /* c.jr ra */
static uint32_t addi(unsigned rd, unsigned rs1, int imm) {
  return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
}
static uint16_t c_li(unsigned rd, int imm) {
  return (uint16_t)((2u << 13) | (((imm >> 5) & 1u) << 12) | (rd << 7) | ((imm & 31u) << 2) | 1u);
}
static uint32_t bne(unsigned rs1, unsigned rs2, int off) { /* B-type */
  uint32_t o = (uint32_t)off;
  return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1u << 12) |
         (((o >> 1) & 0xf) << 8) | (((o >> 11) & 1) << 7) | 0x63;
}

static inline void fence_i(void) { __asm__ __volatile__("fence.i" ::: "memory"); }

typedef long (*fn_t)(long, long);

static uint32_t code[64] __attribute__((aligned(64)));
static uint32_t many[64 * 2] __attribute__((aligned(64)));
static uint8_t pages[8192] __attribute__((aligned(4096)));

static void put32(void *p, uint32_t v) { /* halfword stores: the target may be 2-byte aligned */
  volatile uint16_t *h = p;
  h[0] = (uint16_t)v;
  h[1] = (uint16_t)(v >> 16);
}

/* A function in .text that patches itself: writes `insn` over the instruction at 1:, then runs
 * it. */
__attribute__((noinline)) static long self_patch(uint32_t insn) {
  register long r __asm__("a0");
  __asm__ __volatile__(".option push\n.option norvc\n"
                       "la t0, 1f\n"
                       "sw %1, 0(t0)\n"
                       "fence.i\n"
                       "1: addi a0, zero, 11\n"
                       ".option pop"
                       : "=&r"(r)
                       : "r"(insn)
                       : "t0", "memory");
  return r;
}

/* A hot function in .text, overwritten later. */
__asm__(".text\n"
        ".p2align 2\n"
        "text_target:\n"
        ".option push\n.option norvc\n"
        "  addi a0, a0, 1\n"
        "  ret\n"
        ".option pop\n");
extern char text_target[];

int main(void) {
  puts("smc: generated code");
  code[0] = addi(A0, 0, 42);
  code[1] = RET;
  fence_i();
  fn_t f = (fn_t)(uintptr_t)code;
  T("call generated code", f(0, 0), 42);

  code[0] = addi(A0, A0, 0);
  long sum = 0, bad = 0;
  for (int i = 0; i < 100; i++) {
    code[0] = addi(A0, A0, i - 50);
    fence_i();
    long r = f(1000, 0);
    if (r != 1000 + i - 50) bad++;
    sum += r;
  }
  T("patched 100 times: all results", bad, 0);
  T("patched 100 times: sum", sum, 100 * 1000 + 4950 - 5000);

  puts("smc: patching .text");
  fn_t g = (fn_t)(uintptr_t)text_target;
  long acc = 0;
  for (int i = 0; i < 200; i++) acc += g(i, 0);
  T("hot .text function before", acc, 200 * 201 / 2);
  put32(text_target, addi(A0, A0, 100));
  fence_i();
  T("hot .text function after patch", g(5, 0), 105);
  acc = 0;
  for (int i = 0; i < 200; i++) acc += g(i, 0);
  T("patched .text function stays patched", acc, 199 * 200 / 2 + 200 * 100);

  long r1 = self_patch(addi(A0, 0, 77));
  T("patch the next instruction in the same block", r1, 77);
  bad = 0;
  for (int i = 0; i < 50; i++)
    if (self_patch(addi(A0, 0, i)) != i) bad++;
  T("self-patching 50 times", bad, 0);

  puts("smc: 16-bit and byte-wise writes");
  volatile uint16_t *h = (volatile uint16_t *)code;
  h[0] = c_li(A0, 0);
  h[1] = (uint16_t)C_RET;
  fence_i();
  T("c.li 0", f(0, 0), 0);
  h[0] = c_li(A0, -7);
  fence_i();
  T("c.li patched to -7", f(0, 0), -7L);
  uint32_t insn = addi(A0, A1, 123);
  volatile uint8_t *b = (volatile uint8_t *)code;
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(insn >> (8 * i));
  code[1] = RET;
  fence_i();
  T("instruction written bytewise", f(0, 1000), 1123);

  puts("smc: many small functions");
  for (int k = 0; k < 64; k++) {
    many[2 * k] = addi(A0, A0, k);
    many[2 * k + 1] = RET;
  }
  fence_i();
  sum = 0;
  for (int k = 0; k < 64; k++) sum += ((fn_t)(uintptr_t)&many[2 * k])(1, 0);
  T("64 functions", sum, 64 + 2016);
  for (int k = 0; k < 64; k++) many[2 * k] = addi(A0, A0, -k);
  fence_i();
  sum = 0;
  for (int k = 0; k < 64; k++) sum += ((fn_t)(uintptr_t)&many[2 * k])(1, 0);
  T("64 functions regenerated", sum, 64 - 2016);

  puts("smc: loop body");
  /* loop: addi a0,a0,1 ; addi a1,a1,-1 ; bne a1,x0,loop ; ret */
  code[0] = addi(A0, A0, 1);
  code[1] = addi(A1, A1, -1);
  code[2] = bne(A1, 0, -8);
  code[3] = RET;
  fence_i();
  T("loop, step 1", f(0, 1000), 1000);
  code[0] = addi(A0, A0, 3);
  fence_i();
  T("loop, step patched to 3", f(0, 1000), 3000);
  code[1] = addi(A1, A1, -2);
  fence_i();
  T("loop, counter patched to -2", f(0, 1000), 1500);

  puts("smc: instruction across a page boundary");
  uint8_t *at = pages + 4096 - 2;
  put32(at, addi(A0, A0, 9));
  put32(at + 4, RET);
  fence_i();
  fn_t p = (fn_t)(uintptr_t)at;
  acc = 0;
  for (int i = 0; i < 20; i++) acc += p(i, 0);
  T("straddling instruction", acc, 190 + 180);
  put32(at, addi(A0, A0, -9));
  fence_i();
  T("straddling instruction patched", p(100, 0), 91);
  volatile uint16_t *upper = (volatile uint16_t *)(pages + 4096);
  *upper = (uint16_t)(addi(A0, A0, 20) >> 16); /* only the half in the second page */
  fence_i();
  T("second half patched alone", p(100, 0), 120);
  test_finish("smc");
}
