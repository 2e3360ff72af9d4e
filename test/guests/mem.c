/* mem: loads and stores of every width and signedness (lb lbu lh lhu lw lwu ld, sb sh sw sd),
 * sign/zero extension at the 0x80 / 0x8000 / 0x80000000 boundaries, little-endian byte order,
 * partial stores leaving neighbours untouched, offsets -2048 and 2047, rd == rs1, loads into x0,
 * and misaligned loads/stores of every width (within a doubleword, across a doubleword and across
 * a 4 KiB page) that must complete with the right value (no trap expected). */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))

#define LOAD(op, base, off)                                                                     \
  ({                                                                                            \
    uint64_t _r;                                                                                \
    __asm__ __volatile__(op " %0, %2(%1)" : "=r"(_r) : "r"((uintptr_t)(base)), "i"(off) : "memory"); \
    _r;                                                                                         \
  })
#define STORE(op, base, off, val) \
  __asm__ __volatile__(op " %1, %2(%0)" : : "r"((uintptr_t)(base)), "r"((uint64_t)(val)), "i"(off) : "memory")

static uint8_t buf[64] __attribute__((aligned(64)));
static uint8_t big[4096 + 4096 + 4096] __attribute__((aligned(4096)));
static uint8_t wide[8192] __attribute__((aligned(4096)));

static void fill(uint8_t *p, unsigned len, uint8_t start) {
  for (unsigned i = 0; i < len; i++) ((volatile uint8_t *)p)[i] = (uint8_t)(start + i);
}

/* little-endian value of len bytes at p, read one byte at a time */
static uint64_t bytes_le(const uint8_t *p, unsigned len) {
  uint64_t v = 0;
  for (unsigned i = len; i-- > 0;) v = (v << 8) | ((volatile const uint8_t *)p)[i];
  return v;
}

int main(void) {
  puts("mem: widths and extension");
  uint8_t *b = buf;
  fill(b, 64, 0);
  b[8] = 0x80;
  b[9] = 0x7f;
  b[10] = 0x01;
  b[11] = 0x80; /* halfword at 10 = 0x8001 */
  b[12] = 0x01;
  b[13] = 0x00;
  b[14] = 0x00;
  b[15] = 0x80; /* word at 12 = 0x80000001 */
  T("lb 0x80 sign-extends", LOAD("lb", b, 8), 0xffffffffffffff80UL);
  T("lbu 0x80 zero-extends", LOAD("lbu", b, 8), 0x80);
  T("lb 0x7f", LOAD("lb", b, 9), 0x7f);
  T("lh 0x8001 sign-extends", LOAD("lh", b, 10), 0xffffffffffff8001UL);
  T("lhu 0x8001", LOAD("lhu", b, 10), 0x8001);
  T("lh 0x7f80 (little-endian)", LOAD("lh", b, 8), 0x7f80);
  T("lw 0x80000001 sign-extends", LOAD("lw", b, 12), 0xffffffff80000001UL);
  T("lwu 0x80000001", LOAD("lwu", b, 12), 0x80000001UL);
  T("ld little-endian", LOAD("ld", b, 0), 0x0706050403020100UL);
  T("ld 8..15", LOAD("ld", b, 8), 0x8000000180017f80UL);
  T("lw 0x03020100", LOAD("lw", b, 0), 0x03020100);
  T("lhu 0x0504", LOAD("lhu", b, 4), 0x0504);

  STORE("sd", b, 16, 0x1122334455667788UL);
  T("sd/ld roundtrip", LOAD("ld", b, 16), 0x1122334455667788UL);
  T("sd byte order", b[16] | (b[23] << 8), 0x1188);
  STORE("sb", b, 17, 0xffffffffffffffaaUL);
  T("sb stores low byte only", LOAD("ld", b, 16), 0x112233445566aa88UL);
  STORE("sh", b, 18, 0x12345678beefUL);
  T("sh stores low half only", LOAD("ld", b, 16), 0x11223344beefaa88UL);
  STORE("sw", b, 20, 0xabcdef0012345678UL);
  T("sw stores low word only", LOAD("ld", b, 16), 0x12345678beefaa88UL);
  T("neighbour below untouched", LOAD("ld", b, 8), 0x8000000180017f80UL);
  T("neighbour above untouched", LOAD("ld", b, 24), 0x1f1e1d1c1b1a1918UL);

  puts("mem: offsets and registers");
  uint8_t *mid = big + 4096;
  fill(big, sizeof big, 0x40);
  T("lbu offset -2048", LOAD("lbu", mid, -2048), (uint8_t)(0x40 + 4096 - 2048));
  T("lbu offset 2047", LOAD("lbu", mid, 2047), (uint8_t)(0x40 + 4096 + 2047));
  STORE("sd", mid, -2048, 0x0123456789abcdefUL);
  T("sd offset -2048", bytes_le(mid - 2048, 8), 0x0123456789abcdefUL);
  STORE("sw", mid, 2044, 0xcafebabe);
  T("sw offset 2044", bytes_le(mid + 2044, 4), 0xcafebabe);
  uint64_t r = (uintptr_t)b;
  __asm__ __volatile__("ld %0, 0(%0)" : "+r"(r) : : "memory");
  T("ld rd == rs1", r, 0x0706050403020100UL);
  __asm__ __volatile__("lw x0, 0(%1)\n ld x0, 8(%1)\n mv %0, x0" : "=r"(r) : "r"(b) : "memory");
  T("loads into x0 discarded", r, 0);

  puts("mem: misaligned accesses must complete");
  fill(b, 64, 0x10);
  T("lh at +1", LOAD("lh", b, 1), 0x1211);
  T("lhu at +7 (crosses doubleword)", LOAD("lhu", b, 7), 0x1817);
  T("lw at +1", LOAD("lw", b, 1), 0x14131211);
  T("lw at +2", LOAD("lw", b, 2), 0x15141312);
  T("lw at +3", LOAD("lw", b, 3), 0x16151413);
  T("lwu at +6 (crosses doubleword)", LOAD("lwu", b, 6), 0x19181716);
  T("ld at +1", LOAD("ld", b, 1), 0x1817161514131211UL);
  T("ld at +3", LOAD("ld", b, 3), 0x1a19181716151413UL);
  T("ld at +7", LOAD("ld", b, 7), 0x1e1d1c1b1a191817UL);
  b[33] = 0xff;
  b[34] = 0x80;
  T("lh at +33 sign-extends", LOAD("lh", b, 33), 0xffffffffffff80ffUL);
  b[37] = 0x00;
  b[38] = 0x00;
  b[39] = 0x00;
  b[40] = 0x80;
  T("lw at +37 sign-extends", LOAD("lw", b, 37), 0xffffffff80000000UL);
  STORE("sh", b, 45, 0xa1b2);
  T("sh at +45", bytes_le(b + 44, 4), 0x3fa1b23cUL);
  STORE("sw", b, 51, 0xc1c2c3c4);
  T("sw at +51 (crosses doubleword)", bytes_le(b + 50, 6), 0x47c1c2c3c442UL);
  STORE("sd", b, 19, 0x0102030405060708UL);
  T("sd at +19", bytes_le(b + 18, 8), 0x0203040506070822UL);
  T("sd at +19 (top bytes)", bytes_le(b + 26, 2), 0x2b01);

  uint8_t *pg = wide + 4096; /* page boundary */
  fill(wide + 4088, 16, 0x60);
  T("lw across a page", LOAD("lw", pg, -2), 0x69686766);
  T("ld across a page", LOAD("ld", pg, -5), 0x6a69686766656463UL);
  T("lhu across a page", LOAD("lhu", pg, -1), 0x6867);
  STORE("sd", pg, -3, 0x8877665544332211UL);
  T("sd across a page", bytes_le(pg - 4, 8), 0x7766554433221164UL);
  T("sd across a page (top)", bytes_le(pg + 4, 2), 0x6d88);
  STORE("sw", pg, -1, 0xddccbbaa);
  T("sw across a page", bytes_le(pg - 2, 6), 0x77ddccbbaa22UL);
  test_finish("mem");
}
