/* hello: the smallest useful guest. Prints a greeting and a few numbers through the UART with
 * printf (exercising %d %u %x %08x %lx %lu %ld %s %c %% and padding), exits 0 via the finisher. */
#include "virt.h"

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
  puts("Hello from wasmvisor guest!");
  printf("decimal %d %d %u\n", 42, -42, 4000000000u);
  printf("hex %x %08x %X %lx\n", 0xbeefu, 0x1234u, 0xabcdu, 0x0123456789abcdefUL);
  printf("long %ld %lu %ld\n", -9000000000L, 18446744073709551615UL, (long)(-9223372036854775807L - 1));
  printf("chars [%c%c%c] string [%s] [%8s] [%-8s] 100%%\n", 'r', 'v', '6', "virt", "pad", "left");
  printf("widths [%5d] [%-5d] [%05d] [%016lx]\n", 7, 7, -7, 0xdeadUL);
  unsigned sum = 0;
  for (unsigned i = 1; i <= 100; i++) sum += i;
  printf("sum(1..100) = %u, fib(20) = %u\n", sum, fib(20));
  printf("hart %lu, sp in RAM: %s\n", csr_read(mhartid),
         (uintptr_t)__builtin_frame_address(0) >= RAM_BASE ? "yes" : "no");
  return 0;
}
