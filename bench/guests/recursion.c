/* recursion: call-heavy code. Naive Fibonacci (fib(29)), the Takeuchi function (tak(22, 16, 8))
 * and Ackermann's function (A(2, n) and A(3, 5)), plus a deep non-tail recursion (depth 1000)
 * summing a linked list from its end; once per unit of scale. Calls, returns (jalr), stack
 * traffic. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

__attribute__((noinline)) static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static int tak(int x, int y, int z) {
  return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z;
}

__attribute__((noinline)) static uint64_t ack(uint64_t m, uint64_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

struct link {
  struct link *next;
  uint64_t value;
};
#define DEPTH 1000
static struct link chain[DEPTH];

/* Not a tail call: the addition happens after the recursive call returns. */
__attribute__((noinline)) static uint64_t sum_from_end(const struct link *l, uint64_t depth) {
  if (!l) return 0;
  uint64_t rest = sum_from_end(l->next, depth + 1);
  return rest * 3 + l->value * depth;
}

int main(void) {
  unsigned scale = bench_scale;
  for (int i = 0; i < DEPTH; i++) {
    chain[i].next = i + 1 < DEPTH ? &chain[i + 1] : 0;
    chain[i].value = (uint64_t)i * 7 + 1;
  }
  uint64_t f = 0, a = 0, d = 0;
  int t = 0;
  for (unsigned r = 0; r < scale; r++) {
    f += fib(29);
    t += tak(22, 16, 8);
    a += ack(2, 200 + r) + ack(3, 5);
    for (int k = 0; k < 40; k++) d = d * 5 + sum_from_end(&chain[k], 1);
  }
  printf("recursion: fib %lu, tak %d, ack %lu\n", (unsigned long)f, t, (unsigned long)a);
  printf("recursion checksum: %016lx\n", (unsigned long)(f ^ (a << 20) ^ ((uint64_t)t << 40) ^ d));
  return 0;
}
