/* exitcode: prints a line and exits with code 3 through the SiFive test finisher
 * ((3 << 16) | 0x3333), so hosts can check that a guest's exit code is passed through. */
#include "virt.h"

int main(void) {
  puts("exitcode: exiting with code 3");
  exit(3);
}
