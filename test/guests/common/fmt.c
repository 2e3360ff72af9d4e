/* The console-independent part of the guests' library: puts, printf and the string helpers,
 * written over putchar(), which lib.c (the UART) or bench/guests/paged/ulib.c (system calls)
 * provides. */
#include "virt.h"
#include <stdarg.h>

static void putstr(const char *s) {
  while (*s) putchar(*s++);
}

int puts(const char *s) {
  putstr(s);
  putchar('\n');
  return 0;
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
