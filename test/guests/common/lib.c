/* Freestanding guest library: UART console, printf subset, finisher exit, trap catcher,
 * self-check helpers. See virt.h. */
#include "virt.h"
#include <stdarg.h>

/* ---- UART 16550 ---- */
int putchar(int c) {
  while (!(MMIO8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {
  }
  MMIO8(UART_BASE + UART_THR) = (uint8_t)c;
  return (uint8_t)c;
}

static void putstr(const char *s) {
  while (*s) putchar(*s++);
}

int puts(const char *s) {
  putstr(s);
  putchar('\n');
  return 0;
}

/* ---- exit through the SiFive test finisher ---- */
void exit(int code) {
  uint32_t v = code == 0 ? FINISHER_PASS : (((uint32_t)code & 0xffff) << 16) | FINISHER_FAIL;
  MMIO32(FINISHER_BASE) = v;
  for (;;) __asm__ __volatile__("wfi");
}

/* ---- printf: %d %i %u %x %X %o %s %c %p %%, flags '-' '0', width, length l/ll/z/h ---- */
static void pad(int n, char c) {
  while (n-- > 0) putchar(c);
}

static int emit_num(uint64_t v, int neg, unsigned base, int upper, int width, int zero, int left) {
  char buf[24];
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    buf[n++] = digits[v % base];
    v /= base;
  } while (v);
  int len = n + (neg ? 1 : 0);
  int total = len < width ? width : len;
  if (!left && !zero) pad(width - len, ' ');
  if (neg) putchar('-');
  if (!left && zero) pad(width - len, '0');
  while (n) putchar(buf[--n]);
  if (left) pad(width - len, ' ');
  return total;
}

int printf(const char *fmt, ...) {
  va_list ap;
  int out = 0;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putchar(*fmt);
      out++;
      continue;
    }
    fmt++;
    int left = 0, zero = 0, width = 0, lng = 0;
    for (;; fmt++) {
      if (*fmt == '-') left = 1;
      else if (*fmt == '0') zero = 1;
      else break;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    for (;; fmt++) {
      if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') lng = 1;
      else if (*fmt == 'h') {
      } else break;
    }
    switch (*fmt) {
      case 'd':
      case 'i': {
        int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
        uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
        out += emit_num(m, v < 0, 10, 0, width, zero, left);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        uint64_t v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
        unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
        out += emit_num(v, 0, base, *fmt == 'X', width, zero, left);
        break;
      }
      case 'p': {
        uint64_t v = (uintptr_t)va_arg(ap, void *);
        putstr("0x");
        out += 2 + emit_num(v, 0, 16, 0, width, zero, left);
        break;
      }
      case 'c': {
        int len = 1;
        if (!left) pad(width - len, ' ');
        putchar(va_arg(ap, int));
        if (left) pad(width - len, ' ');
        out += len < width ? width : len;
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        int len = (int)strlen(s);
        if (!left) pad(width - len, ' ');
        putstr(s);
        if (left) pad(width - len, ' ');
        out += len < width ? width : len;
        break;
      }
      case '%':
        putchar('%');
        out++;
        break;
      case 0:
        fmt--;
        break;
      default:
        putchar('%');
        putchar(*fmt);
        out += 2;
        break;
    }
  }
  va_end(ap);
  return out;
}

/* ---- string helpers ---- */
void *memset(void *d, int c, size_t n) {
  uint8_t *p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  uint8_t *p = d;
  const uint8_t *q = s;
  while (n--) *p++ = *q++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  uint8_t *p = d;
  const uint8_t *q = s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    while (n--) p[n] = q[n];
  }
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (uint8_t)*a - (uint8_t)*b;
}

/* ---- trap catcher ---- */
volatile uint64_t trap_cause, trap_epc, trap_tval;
volatile unsigned trap_count;
void (*volatile trap_hook)(uint64_t *frame);
static volatile int trap_armed;
static volatile uintptr_t trap_resume;

void trap_arm(uintptr_t resume) {
  trap_resume = resume;
  trap_cause = trap_epc = trap_tval = ~0UL;
  trap_armed = 1;
}

void trap_disarm(void) { trap_armed = 0; }

void handle_trap(uint64_t *frame) {
  uint64_t cause = csr_read(mcause), epc = csr_read(mepc), tval = csr_read(mtval);
  if (trap_hook) {
    trap_hook(frame);
    return;
  }
  if (!trap_armed) {
    printf("unexpected trap: mcause=%lx mepc=%lx mtval=%lx\n", cause, epc, tval);
    exit(126);
  }
  trap_armed = 0;
  trap_cause = cause;
  trap_epc = epc;
  trap_tval = tval;
  trap_count++;
  if (trap_resume) {
    csr_write(mepc, trap_resume);
  } else if (cause & MCAUSE_INTERRUPT) {
    /* interrupts return to the interrupted instruction */
  } else if (cause == CAUSE_FETCH_ACCESS || cause == CAUSE_MISALIGNED_FETCH) {
    printf("instruction fault at %lx without a resume address\n", epc);
    exit(125);
  } else {
    uint16_t insn = *(volatile uint16_t *)(uintptr_t)epc;
    csr_write(mepc, epc + ((insn & 3) == 3 ? 4 : 2));
  }
}

/* ---- self-checking helpers ---- */
int test_first_failure;
int test_checks;

int check(int n, const char *what, uint64_t got, uint64_t want) {
  test_checks++;
  if (got == want) {
    printf("  %3d %-28s ok\n", n, what);
    return 1;
  }
  printf("  %3d %-28s FAIL: got %016lx want %016lx\n", n, what, got, want);
  if (!test_first_failure) test_first_failure = n;
  return 0;
}

int check_true(int n, const char *what, int cond) {
  test_checks++;
  if (cond) {
    printf("  %3d %-28s ok\n", n, what);
    return 1;
  }
  printf("  %3d %-28s FAIL\n", n, what);
  if (!test_first_failure) test_first_failure = n;
  return 0;
}

void test_finish(const char *name) {
  if (test_first_failure) {
    printf("%s: FAILED (first failing case %d of %d checks)\n", name, test_first_failure, test_checks);
    exit(test_first_failure);
  }
  printf("%s: all %d checks passed\n", name, test_checks);
  exit(0);
}
