/* crc32: table-driven CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) over a 64 KiB
 * pseudo-random buffer, 64 passes per unit of scale, each pass feeding the previous CRC into the
 * buffer. Byte loads, table lookups, shifts and xors. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define BUF_SIZE 65536
#define PASSES_PER_SCALE 64

static uint8_t buf[BUF_SIZE];
static uint32_t table[256];

static uint32_t crc32(uint32_t crc, const uint8_t *p, unsigned long len) {
  crc = ~crc;
  for (unsigned long i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  unsigned scale = bench_scale;
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t kat = crc32(0, (const uint8_t *)"123456789", 9); /* 0xcbf43926 */
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < BUF_SIZE; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
  uint32_t crc = 0;
  for (unsigned r = 0; r < PASSES_PER_SCALE * scale; r++) {
    crc = crc32(crc, buf, BUF_SIZE);
    unsigned at = (r * 4) % BUF_SIZE;
    buf[at] ^= (uint8_t)crc;
    buf[at + 1] ^= (uint8_t)(crc >> 8);
    buf[at + 2] ^= (uint8_t)(crc >> 16);
    buf[at + 3] ^= (uint8_t)(crc >> 24);
  }
  printf("crc32 known answer: %08x\n", kat);
  printf("crc32 checksum: %08x\n", crc);
  return kat != 0xcbf43926u;
}
