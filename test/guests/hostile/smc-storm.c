/* smc-storm: hostile code for a translator. A loop rewrites the instruction it is about to run on
 * every iteration (fence.i each time), forever: every store lands in translated code. A host must
 * stop it without its neighbours losing throughput or output. */
#include "virt.h"

static uint32_t code[2] __attribute__((aligned(64)));

static uint32_t addi_a0(int imm) { return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13; }

int main(void) {
  puts("smc-storm: rewriting code on every instruction");
  code[1] = 0x00008067u; /* ret */
  long (*fn)(long) = (long (*)(long))(uintptr_t)code;
  long sum = 0;
  for (unsigned long i = 0;; i++) {
    code[0] = addi_a0((int)(i & 0x7ff));
    __asm__ __volatile__("fence.i" ::: "memory");
    sum += fn(0);
    if (sum < 0) break;
  }
  return 1;
}
