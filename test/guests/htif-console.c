/* htif-console: prints through the HTIF console device, as guests of QEMU's spike machine do
 * (no UART there): each character is tohost = (1 << 56) | (1 << 48) | ch (device 1 = console,
 * command 1 = write), then the guest waits for the host's answer in fromhost (non-zero) and clears
 * it. Exits with 0 through HTIF (tohost = (0 << 1) | 1 = 1). Uses crt0 only, not lib.c: exit()
 * and the trap handler are HTIF-based here. */
#include <stdint.h>

volatile uint64_t tohost __attribute__((section(".tohost"), aligned(64)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(64)));

#define HTIF_DEV_CONSOLE 1UL
#define HTIF_CMD_WRITE 1UL

static void htif_putchar(uint8_t ch) {
  tohost = (HTIF_DEV_CONSOLE << 56) | (HTIF_CMD_WRITE << 48) | ch;
  while (fromhost == 0) {
  }
  fromhost = 0;
}

static void htif_puts(const char *s) {
  while (*s) htif_putchar((uint8_t)*s++);
}

static void htif_putdec(unsigned long v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) htif_putchar((uint8_t)buf[--n]);
}

void __attribute__((noreturn)) exit(int code) {
  tohost = ((uint64_t)(uint32_t)code << 1) | 1;
  for (;;) {
  }
}

void handle_trap(uint64_t *frame) {
  (void)frame;
  htif_puts("htif-console: unexpected trap\n");
  exit(126);
}

int main(void) {
  htif_puts("Hello from the HTIF console!\n");
  unsigned long f0 = 0, f1 = 1;
  for (int i = 0; i < 50; i++) {
    unsigned long t = f0 + f1;
    f0 = f1;
    f1 = t;
  }
  htif_puts("fib(50) = ");
  htif_putdec(f0);
  htif_puts("\nhtif-console: done\n");
  return 0;
}
