/* divide: division-heavy integer code, 80,000 rounds per unit of scale: Euclid's gcd of 64-bit
 * numbers (remu), a Fermat test by modular exponentiation with 31-bit odd moduli (mul + remu),
 * and signed/unsigned 32- and 64-bit quotients and remainders (div, rem, divw, remw, divuw,
 * remuw) of values with both signs. Prints the results and a checksum. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define ROUNDS 80000

static uint64_t rng_state = 0x853c49e6748fea9bULL;
static uint64_t rng(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

__attribute__((noinline)) static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

__attribute__((noinline)) static uint64_t modpow(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m;
  b %= m;
  while (e) {
    if (e & 1) r = r * b % m;
    b = b * b % m;
    e >>= 1;
  }
  return r;
}

int main(void) {
  unsigned scale = bench_scale;
  uint64_t gsum = 0, mix = 0;
  unsigned long probable = 0, coprime = 0;
  for (unsigned long i = 0; i < (unsigned long)ROUNDS * scale; i++) {
    uint64_t a = rng(), b = rng() >> (i & 31);
    uint64_t g = gcd(a, b | 1);
    gsum += g;
    if (g == 1) coprime++;
    uint64_t m = (rng() & 0x7fffffff) | 0x40000001; /* odd, 31 bits */
    if (modpow(2, m - 1, m) == 1) probable++;
    int64_t sa = (int64_t)rng(), sb = (int64_t)(rng() >> (i & 15)) | 1;
    if (i & 1) sb = -sb;
    int32_t wa = (int32_t)sa, wb = (int32_t)(sb >> 7) | 1;
    if (sb == -1) sb = 3; /* keep clear of MIN / -1, which traps on the host */
    if (wb == -1) wb = 3;
    uint32_t ua = (uint32_t)a, ub = (uint32_t)(b >> 3) | 1;
    mix = mix * 31 + (uint64_t)(sa / sb) + (uint64_t)(sa % sb);
    mix = mix * 31 + (uint64_t)(int64_t)(wa / wb) + (uint64_t)(int64_t)(wa % wb);
    mix = mix * 31 + ua / ub + ua % ub;
  }
  printf("divide: %lu coprime pairs, %lu probable primes, gcd sum %lu\n", coprime, probable,
         (unsigned long)gsum);
  printf("divide checksum: %016lx\n", (unsigned long)(mix ^ gsum));
  return 0;
}
