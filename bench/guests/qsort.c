/* qsort: sorts 200,000 pseudo-random 32-bit keys with a hand-written quicksort (median of three,
 * insertion sort below 16 elements), once per unit of scale with a fresh array each time;
 * checks the order and prints a position-weighted checksum. Compare-and-branch heavy, recursive. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define N 200000

static uint32_t a[N];

static void insertion(uint32_t *v, long lo, long hi) {
  for (long i = lo + 1; i <= hi; i++) {
    uint32_t key = v[i];
    long j = i - 1;
    while (j >= lo && v[j] > key) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = key;
  }
}

static void swap(uint32_t *v, long i, long j) {
  uint32_t t = v[i];
  v[i] = v[j];
  v[j] = t;
}

static void quicksort(uint32_t *v, long lo, long hi) {
  while (hi - lo >= 16) {
    long mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) swap(v, mid, lo);
    if (v[hi] < v[lo]) swap(v, hi, lo);
    if (v[hi] < v[mid]) swap(v, hi, mid);
    uint32_t pivot = v[mid];
    long i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        swap(v, i, j);
        i++;
        j--;
      }
    }
    /* recurse into the smaller part, loop on the larger */
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
  insertion(v, lo, hi);
}

int main(void) {
  unsigned scale = bench_scale;
  uint64_t sum = 0;
  unsigned unsorted = 0;
  uint32_t x = 2463534242u;
  for (unsigned r = 0; r < scale; r++) {
    for (long i = 0; i < N; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      a[i] = x % 1000000007u; /* some duplicates */
    }
    quicksort(a, 0, N - 1);
    for (long i = 1; i < N; i++)
      if (a[i - 1] > a[i]) unsorted++;
    for (long i = 0; i < N; i++) sum = sum * 31 + a[i] * (uint64_t)(i + 1);
  }
  printf("qsort: %u out of order\n", unsorted);
  printf("qsort checksum: %016lx\n", (unsigned long)sum);
  return unsorted != 0;
}
