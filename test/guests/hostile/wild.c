/* wild: loads and stores at pseudo-random addresses across the 64-bit space, and a sweep of
 * stores over every 64 KiB of the low 2 GiB below RAM (device space: MMIO to every address).
 * Each access outside RAM and the devices must fault (access fault) or reach a device; none may
 * reach another guest or the host. Stores into its own RAM are skipped (it would only wreck
 * itself). Prints how many accesses faulted and exits 0. */
#include "virt.h"

static volatile unsigned long faults, loads, stores;

static void skip(uint64_t *frame) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc);
  if (cause & MCAUSE_INTERRUPT) return;
  if (cause != CAUSE_LOAD_ACCESS && cause != CAUSE_STORE_ACCESS && cause != CAUSE_MISALIGNED_LOAD &&
      cause != CAUSE_MISALIGNED_STORE) {
    printf("wild: unexpected trap %lx at %lx\n", cause, epc);
    exit(3);
  }
  faults++;
  uint16_t insn = *(volatile uint16_t *)(uintptr_t)epc;
  csr_write(mepc, epc + ((insn & 3) == 3 ? 4 : 2));
}

static int in_ram(uint64_t a) { return a >= RAM_BASE && a < RAM_BASE + (1UL << 32); }
/* The finisher would end the run: leave its register alone so the sweep finishes. */
static int is_finisher(uint64_t a) { return (a & ~0xfffUL) == FINISHER_BASE; }

int main(void) {
  trap_hook = skip;
  uint64_t x = 0x9e3779b97f4a7c15UL;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
    uint64_t a = x & ~7UL;
    if (in_ram(a) || is_finisher(a)) continue;
    if (i & 1) {
      *(volatile uint64_t *)a = x;
      stores++;
    } else {
      (void)*(volatile uint64_t *)a;
      loads++;
    }
  }
  for (uint64_t a = 0; a < RAM_BASE; a += 0x10000) {
    if (is_finisher(a)) continue;
    (void)*(volatile uint32_t *)a;
    *(volatile uint32_t *)a = 0;
    loads++, stores++;
  }
  printf("wild: %lu loads, %lu stores, %lu faulted\n", loads, stores, faults);
  return faults > 0 ? 0 : 1;
}
