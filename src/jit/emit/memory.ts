// Loads and stores: an inline fast path for RAM (one unsigned compare; stores also test the page
// flags, so writes to translated code or watched pages leave through the interpreter's op), and
// the fallback for everything else (MMIO, faults, the last bytes of RAM).
import binaryen from 'binaryen';
import type { Ctx } from '../context.ts';
import type { Insn } from '../region.ts';
import type { Emitter } from './index.ts';

type Ref = number;
const RAM_BASE = 0x8000_0000n;

/** off = rs1 + imm - RAM_BASE, in a fresh local; returns the local. */
function ramOffset(c: Ctx, i: Insn): number {
  const t = c.temp();
  c.emit(c.m.local.set(t, c.m.i64.add(c.get(i.rs1), c.i64(BigInt(i.imm) - RAM_BASE))));
  return t;
}

/** The fast path's bound: accesses starting at or below it fit in RAM (as in the interpreter). */
function fastLimit(c: Ctx): Ref {
  return c.i64(c.ramSize - 8);
}

// if (off <=u limit) rd = load(ram + off) else fallback
function load(kind: (c: Ctx, ptr: Ref) => Ref): Emitter {
  return (c, i) => {
    const off = ramOffset(c, i);
    const ptr = c.ramPtr(c.m.local.get(off, binaryen.i64));
    const fast = c.capture(() => c.set(i.rd, kind(c, ptr)));
    const slow = c.capture(() => c.fallback());
    c.emit(
      c.m.if(
        c.m.i64.le_u(c.m.local.get(off, binaryen.i64), fastLimit(c)),
        c.m.block(null, fast),
        c.m.block(null, slow),
      ),
    );
  };
}

// if (off <=u limit && pageFlags[off >> 12] == 0) store(ram + off, rs2) else fallback
function store(kind: (c: Ctx, ptr: Ref, value: Ref) => Ref): Emitter {
  return (c, i) => {
    const m = c.m;
    const off = ramOffset(c, i);
    const offGet = () => m.local.get(off, binaryen.i64);
    const flags = m.i32.load8_u(
      0,
      1,
      m.i32.add(m.i32.wrap(m.i64.shr_u(offGet(), c.i64(12))), c.i32(c.layout.pageFlags)),
    );
    const clean = m.if(m.i64.le_u(offGet(), fastLimit(c)), m.i32.eqz(flags), c.i32(0));
    const slow = c.capture(() => c.fallback());
    c.emit(m.if(clean, kind(c, c.ramPtr(offGet()), c.get(i.rs2)), m.block(null, slow)));
  };
}

export const memory: Record<string, Emitter> = {
  lb: load((c, p) => c.m.i64.load8_s(0, 1, p)),
  lh: load((c, p) => c.m.i64.load16_s(0, 1, p)),
  lw: load((c, p) => c.m.i64.load32_s(0, 1, p)),
  ld: load((c, p) => c.m.i64.load(0, 1, p)),
  lbu: load((c, p) => c.m.i64.load8_u(0, 1, p)),
  lhu: load((c, p) => c.m.i64.load16_u(0, 1, p)),
  lwu: load((c, p) => c.m.i64.load32_u(0, 1, p)),
  sb: store((c, p, v) => c.m.i64.store8(0, 1, p, v)),
  sh: store((c, p, v) => c.m.i64.store16(0, 1, p, v)),
  sw: store((c, p, v) => c.m.i64.store32(0, 1, p, v)),
  sd: store((c, p, v) => c.m.i64.store(0, 1, p, v)),
};
