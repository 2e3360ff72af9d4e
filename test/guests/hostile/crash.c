/* crash: takes away its own trap handler and jumps into nothing: the fetch faults, the trap goes
 * to address 0, which faults again. The guest is dead (a fatal exit); its host must say so and
 * carry on with the others. */
#include "virt.h"

int main(void) {
  puts("crash: jumping into nothing");
  csr_write(mtvec, 0);
  ((void (*)(void))0x1234)();
  return 0;
}
