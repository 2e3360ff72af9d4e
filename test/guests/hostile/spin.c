/* spin: never ends, never waits: a host must stop it (time limit, instruction budget). */
#include "virt.h"

int main(void) {
  puts("spin: looping forever");
  for (volatile unsigned long i = 0;; i++) {
  }
}
