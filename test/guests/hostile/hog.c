/* hog: writes every page of its RAM, then keeps going past the end of RAM, where the stores
 * fault; with no handler for that, the guest crashes. Its host must contain the crash. */
#include "virt.h"

extern char _end[];

int main(void) {
  puts("hog: filling all RAM");
  for (volatile uint8_t *p = (uint8_t *)(((uintptr_t)_end + 4095) & ~4095UL);; p += 4096) *p = 1;
}
