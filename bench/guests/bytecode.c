/* bytecode: a switch-dispatch stack-machine interpreter (a jump table: one indirect jump per
 * bytecode op) running a small program that totals the Collatz trajectory lengths of 1..1600,
 * once per unit of scale (the range shifts each time). Unpredictable indirect branches. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

enum {
  OP_HALT,
  OP_PUSH, /* imm */
  OP_LOAD, /* reg */
  OP_STORE, /* reg */
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_AND,
  OP_SHR1,
  OP_EQ,
  OP_GT,
  OP_JMP, /* target */
  OP_JZ,  /* target */
  OP_JNZ, /* target */
  OP_INC, /* reg */
  OP_DUP,
  OP_DROP,
};

static int32_t prog[128];
static int here;

static void emit(int32_t op) { prog[here++] = op; }
static void emit1(int32_t op, int32_t arg) {
  prog[here++] = op;
  prog[here++] = arg;
}
static int jump(int32_t op) { /* emits a jump with a target to patch; returns the patch slot */
  emit1(op, -1);
  return here - 1;
}
static void patch(int slot, int target) { prog[slot] = target; }

/* registers: r0 = n, r1 = x, r2 = limit, r3 = total steps, r4 = max steps, r5 = steps of n */
static void assemble(void) {
  here = 0;
  int loop_n = here;
  emit1(OP_LOAD, 0);
  emit1(OP_LOAD, 2);
  emit(OP_GT);
  int to_end = jump(OP_JNZ);
  emit1(OP_LOAD, 0);
  emit1(OP_STORE, 1);
  emit1(OP_PUSH, 0);
  emit1(OP_STORE, 5);
  int loop_c = here;
  emit1(OP_LOAD, 1);
  emit1(OP_PUSH, 1);
  emit(OP_EQ);
  int to_next = jump(OP_JNZ);
  emit1(OP_LOAD, 1);
  emit(OP_DUP);
  emit1(OP_PUSH, 1);
  emit(OP_AND);
  int to_even = jump(OP_JZ);
  emit1(OP_PUSH, 3);
  emit(OP_MUL);
  emit1(OP_PUSH, 1);
  emit(OP_ADD);
  emit1(OP_STORE, 1);
  int to_count = jump(OP_JMP);
  patch(to_even, here);
  emit(OP_SHR1);
  emit1(OP_STORE, 1);
  patch(to_count, here);
  emit1(OP_INC, 3);
  emit1(OP_INC, 5);
  emit1(OP_JMP, loop_c);
  patch(to_next, here);
  /* r4 = max(r4, r5) */
  emit1(OP_LOAD, 5);
  emit1(OP_LOAD, 4);
  emit(OP_GT);
  int to_skip = jump(OP_JZ);
  emit1(OP_LOAD, 5);
  emit1(OP_STORE, 4);
  patch(to_skip, here);
  emit1(OP_INC, 0);
  emit1(OP_JMP, loop_n);
  patch(to_end, here);
  emit(OP_HALT);
}

static uint64_t ops;

static void run(int64_t *r) {
  int64_t stack[64];
  int sp = 0, pc = 0;
  uint64_t count = 0;
  for (;;) {
    int32_t op = prog[pc++];
    count++;
    switch (op) {
      case OP_HALT: ops += count; return;
      case OP_PUSH: stack[sp++] = prog[pc++]; break;
      case OP_LOAD: stack[sp++] = r[prog[pc++]]; break;
      case OP_STORE: r[prog[pc++]] = stack[--sp]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
      case OP_SHR1: stack[sp - 1] >>= 1; break;
      case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case OP_GT: sp--; stack[sp - 1] = stack[sp - 1] > stack[sp]; break;
      case OP_JMP: pc = prog[pc]; break;
      case OP_JZ: pc = stack[--sp] == 0 ? prog[pc] : pc + 1; break;
      case OP_JNZ: pc = stack[--sp] != 0 ? prog[pc] : pc + 1; break;
      case OP_INC: r[prog[pc++]]++; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_DROP: sp--; break;
      default: ops = ~0ULL; return;
    }
  }
}

int main(void) {
  unsigned scale = bench_scale;
  assemble();
  int64_t total = 0, max = 0;
  for (unsigned s = 0; s < scale; s++) {
    int64_t r[8] = {1 + 1000 * (int64_t)s, 0, 1600 + 1000 * (int64_t)s, 0, 0, 0, 0, 0};
    run(r);
    total += r[3];
    if (r[4] > max) max = r[4];
  }
  printf("bytecode: %lu ops, %ld Collatz steps, longest %ld\n", (unsigned long)ops, (long)total, (long)max);
  printf("bytecode checksum: %016lx\n", (unsigned long)(ops * 1000003u ^ (uint64_t)total << 16 ^ (uint64_t)max));
  return 0;
}
