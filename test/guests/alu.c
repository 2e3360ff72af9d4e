/* alu: RV64I integer computational instructions, each executed by inline asm in its 32-bit
 * encoding (compressed forms are covered by the `compressed` guest): add/sub, immediates and
 * their sign extension, logic, set-less-than (signed/unsigned, immediate -1), shifts by 0/63 and
 * register shift amounts that use only the low 6 bits, the *W forms (32-bit result sign-extended
 * to 64 bits, upper input bits ignored, shift amounts use the low 5 bits), lui/auipc sign
 * extension, and writes to x0 being discarded. Exits with the first failing case number. */
#include "virt.h"

#define BEGIN ".option push\n.option norvc\n"
#define END "\n.option pop"
#define RR(op, a, b)                                                                                   \
  ({                                                                                                   \
    uint64_t _r;                                                                                       \
    __asm__ __volatile__(BEGIN op " %0, %1, %2" END : "=r"(_r) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); \
    _r;                                                                                                \
  })
#define RI(op, a, imm)                                                                        \
  ({                                                                                          \
    uint64_t _r;                                                                              \
    __asm__ __volatile__(BEGIN op " %0, %1, %2" END : "=r"(_r) : "r"((uint64_t)(a)), "i"(imm)); \
    _r;                                                                                       \
  })

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define SX32(x) ((uint64_t)(int64_t)(int32_t)(uint32_t)(x))

int main(void) {
  puts("alu: RV64I register/immediate arithmetic");
  T("add 1+2", RR("add", 1, 2), 3);
  T("add MAX+1 wraps", RR("add", MAX64, 1), MIN64);
  T("add -1+1", RR("add", -1L, 1), 0);
  T("sub 0-1", RR("sub", 0, 1), -1L);
  T("sub MIN-1", RR("sub", MIN64, 1), MAX64);
  T("addi -2048", RI("addi", 0x1000, -2048), 0x800);
  T("addi 2047", RI("addi", 1, 2047), 2048);
  T("addi -1 (sign-extended)", RI("addi", 0, -1), -1L);

  T("and", RR("and", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0x0f000f000f000f00UL);
  T("or", RR("or", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xfff0fff0fff0fff0UL);
  T("xor", RR("xor", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL), 0xf0f0f0f0f0f0f0f0UL);
  T("andi -1 keeps all bits", RI("andi", 0x123456789abcdef0UL, -1), 0x123456789abcdef0UL);
  T("andi 0x7ff", RI("andi", 0x123456789abcdef0UL, 0x7ff), 0x6f0);
  T("andi -2048", RI("andi", 0x123456789abcdef0UL, -2048), 0x123456789abcd800UL);
  T("ori -2048", RI("ori", 0x1, -2048), 0xfffffffffffff801UL);
  T("xori -1 is not", RI("xori", 0x123456789abcdef0UL, -1), ~0x123456789abcdef0UL);
  T("xori 0x555", RI("xori", 0xaaa, 0x555), 0xfff);

  T("slt -1 < 1", RR("slt", -1L, 1), 1);
  T("slt 1 < -1", RR("slt", 1, -1L), 0);
  T("slt equal", RR("slt", 5, 5), 0);
  T("slt MIN < MAX", RR("slt", MIN64, MAX64), 1);
  T("sltu -1 <u 1", RR("sltu", -1L, 1), 0);
  T("sltu 1 <u -1", RR("sltu", 1, -1L), 1);
  T("sltu 0 <u x (snez)", RR("sltu", 0, 7), 1);
  T("slti -5 < -4", RI("slti", -5L, -4), 1);
  T("slti 0 < -2048", RI("slti", 0, -2048), 0);
  T("sltiu x <u -1 (all ones)", RI("sltiu", 0xfffffffffffffffeUL, -1), 1);
  T("sltiu -1 <u -1", RI("sltiu", -1L, -1), 0);
  T("sltiu 0 <u 1 (seqz)", RI("sltiu", 0, 1), 1);
  T("sltiu 9 <u 1 (seqz)", RI("sltiu", 9, 1), 0);

  T("sll 1<<63", RR("sll", 1, 63), MIN64);
  T("sll by 64 uses low 6 bits", RR("sll", 0x1234, 64), 0x1234);
  T("sll by 65 uses low 6 bits", RR("sll", 0x1234, 65), 0x2468);
  T("sll by -1 (63)", RR("sll", 3, -1L), MIN64);
  T("srl MIN>>63", RR("srl", MIN64, 63), 1);
  T("srl by 0", RR("srl", MIN64, 0), MIN64);
  T("srl by 0x7c4 (4)", RR("srl", 0xf000000000000000UL, 0x7c4), 0x0f00000000000000UL);
  T("sra MIN>>63", RR("sra", MIN64, 63), -1L);
  T("sra MIN>>1", RR("sra", MIN64, 1), 0xc000000000000000UL);
  T("sra positive", RR("sra", MAX64, 62), 1);
  T("sra by 0x81 (1)", RR("sra", -4L, 0x81), -2L);
  T("slli 63", RI("slli", 1, 63), MIN64);
  T("slli 0", RI("slli", 0x55, 0), 0x55);
  T("slli 32", RI("slli", 0xabcd, 32), 0xabcd00000000UL);
  T("srli 63", RI("srli", -1L, 63), 1);
  T("srli 32", RI("srli", 0x1234567800000000UL, 32), 0x12345678);
  T("srai 63", RI("srai", MIN64, 63), -1L);
  T("srai 32", RI("srai", 0x8765432100000000UL, 32), 0xffffffff87654321UL);
  T("srai 0", RI("srai", MIN64, 0), MIN64);

  puts("alu: *W forms");
  T("addw overflow sign-extends", RR("addw", 0x7fffffff, 1), 0xffffffff80000000UL);
  T("addw ignores upper bits", RR("addw", 0xffffffff00000001UL, 0x1234567800000001UL), 2);
  T("addw wrap to 0", RR("addw", 0xffffffff, 1), 0);
  T("subw 0-0x80000000", RR("subw", 0, 0x80000000UL), 0xffffffff80000000UL);
  T("subw 1-2", RR("subw", 0x1111111100000001UL, 2), -1L);
  T("subw ignores upper bits", RR("subw", 0xaaaaaaaa00000005UL, 0x5555555500000003UL), 2);
  T("addiw 0 (sext.w)", RI("addiw", 0x80000000UL, 0), 0xffffffff80000000UL);
  T("addiw 0 clears upper", RI("addiw", 0xffffffff7fffffffUL, 0), 0x7fffffff);
  T("addiw overflow", RI("addiw", 0x7fffffff, 1), 0xffffffff80000000UL);
  T("addiw -2048", RI("addiw", 0, -2048), -2048L);
  T("sllw 1<<31 sign-extends", RR("sllw", 1, 31), 0xffffffff80000000UL);
  T("sllw by 32 uses low 5 bits", RR("sllw", 0x1234, 32), 0x1234);
  T("sllw by 33", RR("sllw", 0x1234, 33), 0x2468);
  T("sllw drops upper bits", RR("sllw", 0x1ffffffffUL, 4), 0xfffffffffffffff0UL);
  T("srlw by 0 sign-extends", RR("srlw", 0x80000000UL, 0), 0xffffffff80000000UL);
  T("srlw by 1", RR("srlw", 0xffffffff80000000UL, 1), 0x40000000);
  T("srlw ignores upper bits", RR("srlw", 0x1234567880000000UL, 4), 0x08000000);
  T("srlw by 32 (0)", RR("srlw", 0x00000000f0000000UL, 32), 0xfffffffff0000000UL);
  T("sraw 0x80000000>>31", RR("sraw", 0x80000000UL, 31), -1L);
  T("sraw 0x7fffffff>>31", RR("sraw", 0xffffffff7fffffffUL, 31), 0);
  T("sraw by 36 (4)", RR("sraw", 0x80000000UL, 36), 0xfffffffff8000000UL);
  T("slliw 31", RI("slliw", 1, 31), 0xffffffff80000000UL);
  T("slliw 0 (sext)", RI("slliw", 0x12345678ffffffffUL, 0), -1L);
  T("srliw 0 (sext)", RI("srliw", 0x80000000UL, 0), 0xffffffff80000000UL);
  T("srliw 31", RI("srliw", 0xffffffff80000000UL, 31), 1);
  T("srliw 8", RI("srliw", 0xdeadbeefcafef00dUL, 8), 0x00cafef0);
  T("sraiw 31", RI("sraiw", 0x80000000UL, 31), -1L);
  T("sraiw 4", RI("sraiw", 0x0000000087654321UL, 4), 0xfffffffff8765432UL);
  T("sraiw 0 (sext)", RI("sraiw", 0x00000000ffff0000UL, 0), 0xffffffffffff0000UL);

  puts("alu: upper immediates and x0");
  uint64_t r, a, b;
  __asm__ __volatile__(BEGIN "lui %0, 0x80000" END : "=r"(r));
  T("lui 0x80000 sign-extends", r, 0xffffffff80000000UL);
  __asm__ __volatile__(BEGIN "lui %0, 0x7ffff" END : "=r"(r));
  T("lui 0x7ffff", r, 0x7ffff000);
  __asm__ __volatile__(BEGIN "lui %0, 0xfffff" END : "=r"(r));
  T("lui 0xfffff", r, 0xfffffffffffff000UL);
  __asm__ __volatile__(BEGIN "auipc %0, 0\n jal %1, 1f\n 1:" END : "=r"(a), "=r"(b));
  T("auipc 0 = pc", b - a, 8);
  __asm__ __volatile__(BEGIN "auipc %0, 1\n jal %1, 1f\n 1:" END : "=r"(a), "=r"(b));
  T("auipc 1 = pc+4096", a - b, 4096 - 8);
  __asm__ __volatile__(BEGIN "auipc %0, 0x80000\n jal %1, 1f\n 1:" END : "=r"(a), "=r"(b));
  T("auipc 0x80000 = pc-2^31", b - a, 0x80000008UL);
  __asm__ __volatile__(BEGIN "li %0, 7\n addi x0, %0, 5\n add x0, %0, %0\n lui x0, 1\n mv %0, x0" END
                       : "=&r"(r));
  T("writes to x0 discarded", r, 0);
  __asm__ __volatile__(BEGIN "li %0, 0x123456789abcdef0" END : "=r"(r));
  T("li 64-bit constant", r, 0x123456789abcdef0UL);

  test_finish("alu");
}
