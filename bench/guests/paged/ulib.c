/* U-mode library of the paged bench workloads: what test/guests/common/lib.c gives a bare-metal
 * workload (putchar and exit; puts, printf and the string helpers come from common/fmt.c), done
 * with system calls to the kernel (kernel.c) instead of the UART and the test finisher:
 *   ecall a7 = 1  write(a0 = buffer, a1 = length)
 *   ecall a7 = 3  exit(a0 = code)
 * Output is buffered and written at every newline (and when the buffer fills), so the text is
 * byte for byte what the bare-metal build prints. printf handles the same subset as lib.c's:
 * %d %i %u %x %X %o %s %c %p %%, flags '-' '0', a width, length l/ll/z/j/t/h. */
#include "virt.h"
#include <stdarg.h>

#define SYS_WRITE 1
#define SYS_EXIT 3

static long syscall2(long nr, long a0, long a1) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r7 __asm__("a7") = nr;
  __asm__ __volatile__("ecall" : "+r"(r0) : "r"(r1), "r"(r7) : "memory");
  return r0;
}

static char outbuf[256];
static unsigned outlen;

static void flush(void) {
  if (outlen) syscall2(SYS_WRITE, (long)outbuf, outlen);
  outlen = 0;
}

int putchar(int c) {
  outbuf[outlen++] = (char)c;
  if (c == '\n' || outlen == sizeof outbuf) flush();
  return (uint8_t)c;
}

void exit(int code) {
  flush();
  syscall2(SYS_EXIT, code, 0);
  for (;;) {
  }
}
