/* sieve: the sieve of Eratosthenes over a byte array up to 2,000,000, once per unit of scale
 * (the limit grows a little each time); prints the number of primes and a checksum of them.
 * Long regular store loops and a scan. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define LIMIT 2000000
#define MAX_LIMIT (LIMIT + 1024 * 64)

static uint8_t composite[MAX_LIMIT + 1];

int main(void) {
  unsigned scale = bench_scale;
  unsigned long count = 0, total = 0;
  uint64_t check = 0;
  for (unsigned r = 0; r < scale; r++) {
    unsigned long limit = LIMIT + (r % 64) * 1024;
    for (unsigned long i = 0; i <= limit; i++) composite[i] = 0;
    composite[0] = composite[1] = 1;
    for (unsigned long p = 2; p * p <= limit; p++)
      if (!composite[p])
        for (unsigned long m = p * p; m <= limit; m += p) composite[m] = 1;
    count = 0;
    for (unsigned long i = 2; i <= limit; i++)
      if (!composite[i]) {
        count++;
        check = check * 1000003 + i;
      }
    total += count;
  }
  printf("sieve: %lu primes below %u, %lu in total\n", count, LIMIT, total);
  printf("sieve checksum: %016lx\n", (unsigned long)check);
  return 0;
}
