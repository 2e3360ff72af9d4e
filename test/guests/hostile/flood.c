/* flood: prints as fast as it can, forever: a host must bound its console and stop it. */
#include "virt.h"

int main(void) {
  for (unsigned long i = 0;; i++) printf("flood %lu: the quick brown fox jumps over the lazy dog\n", i);
}
