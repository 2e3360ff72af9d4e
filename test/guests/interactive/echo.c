/* Interactive test guest (test/replay.test.ts): reads lines from the UART and prints each one
 * upper-cased with the number of times it polled the UART while the line was coming in, so the
 * output depends on the instruction at which each byte arrived; "quit" ends it with exit code 0.
 * Between polls it does a little work (a checksum), as a program would, and it gives up after
 * IDLE_POLLS polls without input (exit code 3) rather than wait forever. */
#include "virt.h"

#define IDLE_POLLS 20000000UL
#define MAX_LINE 80

static volatile uint64_t work;

static int getchar_polled(unsigned long *polls) {
  unsigned long idle = 0;
  while (!(MMIO8(UART_BASE + UART_LSR) & UART_LSR_DR)) {
    for (int i = 0; i < 20; i++) work = work * 31 + i;
    ++*polls;
    if (++idle == IDLE_POLLS) return -1;
  }
  return MMIO8(UART_BASE + UART_RBR);
}

int main(void) {
  char line[MAX_LINE + 1];
  unsigned lines = 0;
  puts("echo: type lines, 'quit' ends");
  for (;;) {
    unsigned long polls = 0;
    int n = 0, c;
    while ((c = getchar_polled(&polls)) != '\n' && c != '\r') {
      if (c < 0) {
        puts("echo: no input for a while, giving up");
        exit(3);
      }
      if (n < MAX_LINE) line[n++] = (char)c;
    }
    line[n] = 0;
    if (n == 0) continue; /* the \n of a \r\n, or an empty line */
    if (strcmp(line, "quit") == 0) {
      printf("echo: bye after %u lines\n", lines);
      exit(0);
    }
    for (int i = 0; i < n; i++)
      if (line[i] >= 'a' && line[i] <= 'z') line[i] = (char)(line[i] - 'a' + 'A');
    printf("%u: %s (%lu polls)\n", ++lines, line, polls);
  }
}
