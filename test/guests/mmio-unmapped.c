/* mmio-unmapped: accesses to physical addresses where the board has no device (holes below the
 * test finisher, between the finisher and the CLINT, between the CLINT and the PLIC) must raise
 * access faults the guest handles: loads of every width -> load access fault (cause 5), stores of
 * every width -> store/AMO access fault (cause 7), mtval = the address, mepc = the access, rd
 * untouched; an AMO there faults too (cause 7; QEMU 7.2 reports 5, accepted). Devices and RAM
 * keep working afterwards. */
#include "virt.h"

static int n;
#define T(what, got, want) check(++n, what, (uint64_t)(got), (uint64_t)(want))
#define TT(what, cond) check_true(++n, what, cond)

#define LOAD_AT(op, addr, rd)                                                                          \
  ({                                                                                                   \
    uint64_t _pc;                                                                                      \
    trap_arm(0);                                                                                       \
    __asm__ __volatile__("la %0, 1f\n1: " op " %1, 0(%2)" : "=&r"(_pc), "+r"(rd) : "r"(addr) : "memory"); \
    _pc;                                                                                               \
  })
#define STORE_AT(op, addr)                                                                               \
  ({                                                                                                     \
    uint64_t _pc;                                                                                        \
    trap_arm(0);                                                                                         \
    __asm__ __volatile__("la %0, 1f\n1: " op " %2, 0(%1)" : "=&r"(_pc) : "r"(addr), "r"(0x5aUL) : "memory"); \
    _pc;                                                                                                 \
  })

static const uintptr_t holes[] = {0x0, 0x8, 0x20000, 0x1000000, 0x8000000};
static const char *const loads[] = {"lb", "lbu", "lh", "lhu", "lw", "lwu", "ld"};

/* name = "<op> <what> 0x<addr>" */
static const char *name_of(const char *op, const char *what, uintptr_t a) {
  static char buf[48];
  char *p = buf;
  while (*op) *p++ = *op++;
  *p++ = ' ';
  while (*what) *p++ = *what++;
  *p++ = ' ';
  *p++ = '0';
  *p++ = 'x';
  int shift = 60;
  while (shift > 0 && !((a >> shift) & 0xf)) shift -= 4;
  for (; shift >= 0; shift -= 4) *p++ = "0123456789abcdef"[(a >> shift) & 0xf];
  *p = 0;
  return buf;
}

static void fault_load(int which, uintptr_t a) {
  uint64_t rd = 0xfeedUL, pc = 0;
  switch (which) {
    case 0: pc = LOAD_AT("lb", a, rd); break;
    case 1: pc = LOAD_AT("lbu", a, rd); break;
    case 2: pc = LOAD_AT("lh", a, rd); break;
    case 3: pc = LOAD_AT("lhu", a, rd); break;
    case 4: pc = LOAD_AT("lw", a, rd); break;
    case 5: pc = LOAD_AT("lwu", a, rd); break;
    default: pc = LOAD_AT("ld", a, rd); break;
  }
  TT(name_of(loads[which], "from", a), trap_cause == CAUSE_LOAD_ACCESS && trap_epc == pc && trap_tval == a && rd == 0xfeed);
}

static void fault_store(int which, uintptr_t a) {
  static const char *const names[] = {"sb", "sh", "sw", "sd"};
  uint64_t pc = 0;
  switch (which) {
    case 0: pc = STORE_AT("sb", a); break;
    case 1: pc = STORE_AT("sh", a); break;
    case 2: pc = STORE_AT("sw", a); break;
    default: pc = STORE_AT("sd", a); break;
  }
  TT(name_of(names[which], "to", a), trap_cause == CAUSE_STORE_ACCESS && trap_epc == pc && trap_tval == a);
}

static volatile uint64_t ram_cell;

int main(void) {
  puts("mmio-unmapped: loads from holes");
  for (unsigned h = 0; h < sizeof holes / sizeof holes[0]; h++)
    for (int w = 0; w < 7; w++) fault_load(w, holes[h]);
  puts("mmio-unmapped: stores to holes");
  for (unsigned h = 0; h < sizeof holes / sizeof holes[0]; h++)
    for (int w = 0; w < 4; w++) fault_store(w, holes[h]);

  puts("mmio-unmapped: AMO to a hole");
  uint64_t rd = 0x77, pc;
  trap_arm(0);
  __asm__ __volatile__("la %0, 1f\n1: amoadd.w %1, %1, (%2)" : "=&r"(pc), "+r"(rd) : "r"(0x1000000UL) : "memory");
  TT("amoadd.w: access fault", trap_cause == CAUSE_STORE_ACCESS || trap_cause == CAUSE_LOAD_ACCESS);
  T("amoadd.w: mepc", trap_epc, pc);
  T("amoadd.w: mtval", trap_tval, 0x1000000);
  T("amoadd.w: rd untouched", rd, 0x77);

  puts("mmio-unmapped: the machine still works");
  ram_cell = 0x1234;
  T("RAM read/write", ram_cell + 1, 0x1235);
  TT("UART LSR THRE readable", MMIO8(UART_BASE + UART_LSR) & UART_LSR_THRE);
  test_finish("mmio-unmapped");
}
