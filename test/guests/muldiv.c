/* muldiv: the M extension. mul/mulh/mulhsu/mulhu over sign combinations and extremes; div/divu/
 * rem/remu including division by zero (quotient all ones, remainder = dividend) and signed
 * overflow (MIN / -1 = MIN, MIN % -1 = 0); the *W forms (mulw divw divuw remw remuw: 32-bit
 * operands taken from the low halves, results sign-extended, the same corner cases at 32 bits).
 * Expected values were computed independently (Python big integers). */
#include "virt.h"

#define RR(op, a, b)                                                                                   \
  ({                                                                                                   \
    uint64_t _r;                                                                                       \
    __asm__ __volatile__(op " %0, %1, %2" : "=r"(_r) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); \
    _r;                                                                                                \
  })

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))

int main(void) {
  puts("muldiv: M extension");
  T("mul 3*7", RR("mul", 0x3UL, 0x7UL), 0x15UL);
  T("mul -1*-1", RR("mul", 0xffffffffffffffffUL, 0xffffffffffffffffUL), 0x1UL);
  T("mul MIN*-1", RR("mul", 0x8000000000000000UL, 0xffffffffffffffffUL), 0x8000000000000000UL);
  T("mul 2^32*2^32 low", RR("mul", 0x100000000UL, 0x100000000UL), 0x0UL);
  T("mul large", RR("mul", 0x123456789abcdef0UL, 0xfedcba9876543210UL), 0x236d88fe5618cf00UL);
  T("mul -3*5", RR("mul", 0xfffffffffffffffdUL, 0x5UL), 0xfffffffffffffff1UL);
  T("mulh MIN*MIN", RR("mulh", 0x8000000000000000UL, 0x8000000000000000UL), 0x4000000000000000UL);
  T("mulh -1*-1", RR("mulh", 0xffffffffffffffffUL, 0xffffffffffffffffUL), 0x0UL);
  T("mulh -1*1", RR("mulh", 0xffffffffffffffffUL, 0x1UL), 0xffffffffffffffffUL);
  T("mulh MAX*MAX", RR("mulh", 0x7fffffffffffffffUL, 0x7fffffffffffffffUL), 0x3fffffffffffffffUL);
  T("mulh MIN*MAX", RR("mulh", 0x8000000000000000UL, 0x7fffffffffffffffUL), 0xc000000000000000UL);
  T("mulh mixed signs", RR("mulh", 0x123456789abcdef0UL, 0xfffffffffcba9877UL), 0xffffffffffc47384UL);
  T("mulhu max*max", RR("mulhu", 0xffffffffffffffffUL, 0xffffffffffffffffUL), 0xfffffffffffffffeUL);
  T("mulhu 2^32*2^32", RR("mulhu", 0x100000000UL, 0x100000000UL), 0x1UL);
  T("mulhu 2^63*2", RR("mulhu", 0x8000000000000000UL, 0x2UL), 0x1UL);
  T("mulhu large", RR("mulhu", 0x123456789abcdef0UL, 0xfedcba9876543210UL), 0x121fa00ad77d7422UL);
  T("mulhsu -1 * 2^64-1", RR("mulhsu", 0xffffffffffffffffUL, 0xffffffffffffffffUL), 0xffffffffffffffffUL);
  T("mulhsu MIN * 2", RR("mulhsu", 0x8000000000000000UL, 0x2UL), 0xffffffffffffffffUL);
  T("mulhsu 2 * 2^63", RR("mulhsu", 0x2UL, 0x8000000000000000UL), 0x1UL);
  T("mulhsu -5 * 2^63", RR("mulhsu", 0xfffffffffffffffbUL, 0x8000000000000000UL), 0xfffffffffffffffdUL);
  T("mulhsu MAX * 2^64-1", RR("mulhsu", 0x7fffffffffffffffUL, 0xffffffffffffffffUL), 0x7ffffffffffffffeUL);
  T("div 20/6", RR("div", 0x14UL, 0x6UL), 0x3UL);
  T("div -20/6 truncates", RR("div", 0xffffffffffffffecUL, 0x6UL), 0xfffffffffffffffdUL);
  T("div 20/-6", RR("div", 0x14UL, 0xfffffffffffffffaUL), 0xfffffffffffffffdUL);
  T("div -20/-6", RR("div", 0xffffffffffffffecUL, 0xfffffffffffffffaUL), 0x3UL);
  T("div by zero -> -1", RR("div", 0x7UL, 0x0UL), 0xffffffffffffffffUL);
  T("div -7 by zero -> -1", RR("div", 0xfffffffffffffff9UL, 0x0UL), 0xffffffffffffffffUL);
  T("div MIN/-1 -> MIN", RR("div", 0x8000000000000000UL, 0xffffffffffffffffUL), 0x8000000000000000UL);
  T("div MIN/1", RR("div", 0x8000000000000000UL, 0x1UL), 0x8000000000000000UL);
  T("divu 20/6", RR("divu", 0x14UL, 0x6UL), 0x3UL);
  T("divu (2^64-1)/2", RR("divu", 0xffffffffffffffffUL, 0x2UL), 0x7fffffffffffffffUL);
  T("divu by zero -> all ones", RR("divu", 0x7UL, 0x0UL), 0xffffffffffffffffUL);
  T("divu 2^63/(2^64-1)", RR("divu", 0x8000000000000000UL, 0xffffffffffffffffUL), 0x0UL);
  T("rem 20%6", RR("rem", 0x14UL, 0x6UL), 0x2UL);
  T("rem -20%6 sign of dividend", RR("rem", 0xffffffffffffffecUL, 0x6UL), 0xfffffffffffffffeUL);
  T("rem 20%-6", RR("rem", 0x14UL, 0xfffffffffffffffaUL), 0x2UL);
  T("rem -20%-6", RR("rem", 0xffffffffffffffecUL, 0xfffffffffffffffaUL), 0xfffffffffffffffeUL);
  T("rem by zero -> dividend", RR("rem", 0x7UL, 0x0UL), 0x7UL);
  T("rem -7 by zero -> dividend", RR("rem", 0xfffffffffffffff9UL, 0x0UL), 0xfffffffffffffff9UL);
  T("rem MIN%-1 -> 0", RR("rem", 0x8000000000000000UL, 0xffffffffffffffffUL), 0x0UL);
  T("remu 20%6", RR("remu", 0x14UL, 0x6UL), 0x2UL);
  T("remu (2^64-1)%10", RR("remu", 0xffffffffffffffffUL, 0xaUL), 0x5UL);
  T("remu by zero -> dividend", RR("remu", 0xfffffffffffffff9UL, 0x0UL), 0xfffffffffffffff9UL);
  T("mulw overflow sign-extends", RR("mulw", 0x7fffffffUL, 0x2UL), 0xfffffffffffffffeUL);
  T("mulw ignores upper bits", RR("mulw", 0x123456789UL, 0x100000002UL), 0x468acf12UL);
  T("mulw -1*-1", RR("mulw", 0xffffffffffffffffUL, 0xffffffffffffffffUL), 0x1UL);
  T("mulw 2^31", RR("mulw", 0x10000UL, 0x8000UL), 0xffffffff80000000UL);
  T("divw 20/6", RR("divw", 0x14UL, 0x6UL), 0x3UL);
  T("divw -20/6", RR("divw", 0xffffffffffffffecUL, 0x6UL), 0xfffffffffffffffdUL);
  T("divw ignores upper bits", RR("divw", 0xffffffff00000014UL, 0x12345678fffffffaUL), 0xfffffffffffffffdUL);
  T("divw by zero -> -1", RR("divw", 0x7UL, 0x0UL), 0xffffffffffffffffUL);
  T("divw upper-only divisor is zero", RR("divw", 0x5UL, 0xffffffff00000000UL), 0xffffffffffffffffUL);
  T("divw INT32_MIN/-1", RR("divw", 0x80000000UL, 0xffffffffffffffffUL), 0xffffffff80000000UL);
  T("divuw 20/6", RR("divuw", 0x14UL, 0x6UL), 0x3UL);
  T("divuw result sign-extended", RR("divuw", 0xfffffffeUL, 0x1UL), 0xfffffffffffffffeUL);
  T("divuw by zero -> all ones", RR("divuw", 0x7UL, 0x0UL), 0xffffffffffffffffUL);
  T("divuw 2^31/(2^32-1)", RR("divuw", 0x80000000UL, 0xffffffffUL), 0x0UL);
  T("remw -20%6", RR("remw", 0xffffffffffffffecUL, 0x6UL), 0xfffffffffffffffeUL);
  T("remw by zero -> sext(dividend)", RR("remw", 0x80000001UL, 0x0UL), 0xffffffff80000001UL);
  T("remw INT32_MIN%-1 -> 0", RR("remw", 0x80000000UL, 0xffffffffffffffffUL), 0x0UL);
  T("remw ignores upper bits", RR("remw", 0x100000007UL, 0x100000003UL), 0x1UL);
  T("remuw sign-extended", RR("remuw", 0xfffffffbUL, 0x10UL), 0xbUL);
  T("remuw by zero -> sext(dividend)", RR("remuw", 0x80000000UL, 0x0UL), 0xffffffff80000000UL);
  T("remuw by zero, upper ignored", RR("remuw", 0x1234500000007UL, 0x0UL), 0x7UL);
  T("remuw (2^32-1)%7", RR("remuw", 0xffffffffffffffffUL, 0x7UL), 0x3UL);
  uint64_t r = 0xfffffffffffffff9UL; /* -7 */
  __asm__ __volatile__("mul %0, %0, %0" : "+r"(r));
  T("mul rd = rs1 = rs2", r, 49);
  r = 100;
  __asm__ __volatile__("div %0, %0, %0" : "+r"(r));
  T("div rd = rs1 = rs2", r, 1);
  uint64_t hi, lo, a = 0xdeadbeefcafebabeUL, b = 0x0123456789abcdefUL;
  __asm__ __volatile__("mulhu %0, %2, %3\n mul %1, %2, %3" : "=&r"(hi), "=&r"(lo) : "r"(a), "r"(b));
  T("mulhu+mul pair (high)", hi, 0x00fd5bdeeeb2a01dUL);
  T("mulhu+mul pair (low)", lo, 0x7eb689f4ea447d62UL);
  test_finish("muldiv");
}
