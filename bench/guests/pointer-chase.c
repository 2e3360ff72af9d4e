/* pointer-chase: 65,536 nodes (16 bytes each, 1 MiB) linked into one cycle in a shuffled order
 * (Sattolo's algorithm), walked 4 million steps per unit of scale, updating each node visited.
 * Dependent loads with no locality. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define NODES 65536
#define STEPS 4000000

struct node {
  struct node *next;
  uint32_t value;
  uint32_t visits;
};

static struct node nodes[NODES];
static uint32_t order[NODES];

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

int main(void) {
  unsigned scale = bench_scale;
  for (uint32_t i = 0; i < NODES; i++) order[i] = i;
  /* Sattolo: a random permutation that is a single cycle */
  for (uint32_t i = NODES - 1; i > 0; i--) {
    uint32_t j = (uint32_t)(rng() % i);
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (uint32_t i = 0; i < NODES; i++) {
    nodes[i].next = &nodes[order[i]];
    nodes[i].value = (uint32_t)rng();
    nodes[i].visits = 0;
  }
  struct node *p = &nodes[0];
  uint64_t sum = 0;
  for (unsigned r = 0; r < scale; r++) {
    for (long s = 0; s < STEPS; s++) {
      sum += p->value ^ p->visits;
      p->visits++;
      p = p->next;
    }
  }
  unsigned long at = (unsigned long)(p - nodes);
  printf("pointer-chase: ended at node %lu\n", at);
  printf("pointer-chase checksum: %016lx\n", (unsigned long)sum);
  return 0;
}
