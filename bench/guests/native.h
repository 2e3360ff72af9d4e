/* Host shim for the bench workloads: `gcc -O2 -DNATIVE -I bench/guests foo.c` builds the same
 * source for the host, printing with stdio and taking the scale from argv[1], so the guest's
 * checksum can be computed without any emulator (scripts/build-guests.sh writes expected.json
 * from it). The workload's own `int main(void)` becomes bench_main. */
#ifndef NATIVE_H
#define NATIVE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern volatile unsigned int bench_scale;
int bench_main(void);

int main(int argc, char **argv) {
  if (argc > 1) bench_scale = (unsigned)strtoul(argv[1], 0, 10);
  return bench_main();
}
#define main bench_main

#endif
