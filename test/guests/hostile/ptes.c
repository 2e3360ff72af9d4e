/* ptes: Sv39 page tables that point outside RAM. With mstatus.MPRV and MPP = S, M-mode loads
 * and stores are translated as S-mode ones: through leaf entries whose physical pages are not RAM
 * (device space, unmapped space, the top of the 56-bit physical space), through a non-leaf entry
 * whose next table is outside RAM, and finally with satp's root table itself outside RAM. Every
 * access must end in an access fault (or reach a device), never in another guest's memory or the
 * host's. Prints the faults and exits 0 when every access outside RAM faulted. */
#include "virt.h"

#define PTE_V 1UL
#define PTE_R 2UL
#define PTE_W 4UL
#define PTE_A 0x40UL
#define PTE_D 0x80UL
#define LEAF (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define MSTATUS_MPRV (1UL << 17)
#define SATP_SV39 (8UL << 60)

static uint64_t root[512] __attribute__((aligned(4096)));
static volatile unsigned long faults;

static void skip(uint64_t *frame) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc);
  if (cause != CAUSE_LOAD_ACCESS && cause != CAUSE_STORE_ACCESS) {
    printf("ptes: unexpected trap %lx at %lx tval %lx\n", cause, epc, csr_read(mtval));
    exit(3);
  }
  faults++;
  uint16_t insn = *(volatile uint16_t *)(uintptr_t)epc;
  csr_write(mepc, epc + ((insn & 3) == 3 ? 4 : 2));
}

/* Loads and stores as S-mode ones. A trap's MRET back to M leaves MPP = U, so set it each time. */
static void as_supervisor(void) { csr_write(mstatus, (csr_read(mstatus) & ~MSTATUS_MPP) | (1UL << 11) | MSTATUS_MPRV); }

static void access_all(void) {
  /* Virtual gigapages 4..11 each map somewhere outside RAM. */
  for (uint64_t g = 4; g < 12; g++) {
    volatile uint64_t *p = (volatile uint64_t *)(g << 30);
    as_supervisor();
    (void)p[1];
    as_supervisor();
    p[2] = g;
    csr_clear(mstatus, MSTATUS_MPRV);
  }
}

int main(void) {
  trap_hook = skip;
  /* Identity gigapage for RAM (virtual 2 GiB = physical 2 GiB), so the guest's own data works. */
  root[2] = ((RAM_BASE >> 12) << 10) | LEAF;
  uint64_t outside[] = {
      0x40000000UL,        /* unmapped physical space below RAM */
      0x100000000UL + (1UL << 33), /* beyond 4 GiB */
      0xffffc0000000UL,    /* near the top of the 48-bit range */
      (1UL << 56) - (1UL << 30), /* the top gigapage of the 56-bit physical space */
  };
  for (int i = 0; i < 4; i++) root[4 + i] = ((outside[i] >> 12) << 10) | LEAF;
  /* Non-leaf entries whose next-level table lies outside RAM. */
  root[8] = ((0x40000000UL >> 12) << 10) | PTE_V;
  root[9] = ((0x200000000UL >> 12) << 10) | PTE_V;
  root[10] = (((1UL << 56) - 4096) >> 12 << 10) | PTE_V;
  root[11] = ((0x3000UL >> 12) << 10) | PTE_V; /* low device space: the table is MMIO, not RAM */
  csr_write(satp, SATP_SV39 | ((uintptr_t)root >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  access_all();
  unsigned long first = faults;
  /* The root table itself outside RAM. */
  csr_write(satp, SATP_SV39 | (0x40000000UL >> 12));
  __asm__ __volatile__("sfence.vma" ::: "memory");
  access_all();
  csr_write(satp, 0);
  printf("ptes: %lu faults through tables in RAM, %lu with the root outside RAM\n", first, faults - first);
  return first == 16 && faults - first == 16 ? 0 : 1;
}
