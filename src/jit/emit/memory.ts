// Loads and stores: an inline fast path for RAM (one unsigned compare; stores also test the page
// flags), and for everything else (the last bytes of RAM, MMIO, faults, stores to watched pages
// or near translated code) an exit that leaves the instruction to the interpreter (Ctx.step).
import { binaryen } from '../binaryen.ts';
import type { Ctx } from '../context.ts';
import type { Insn } from '../region.ts';
import type { Emitter } from './index.ts';

type Ref = number;
/** A load at Wasm address `index + offset` (offset: a static memarg offset). */
type Kind = (c: Ctx, index: Ref, offset: number) => Ref;
type StoreKind = (c: Ctx, index: Ref, offset: number, value: Ref) => Ref;
const RAM_BASE = 0x8000_0000n;

/** off = rs1 + imm - RAM_BASE, in a fresh local; returns the local. */
export function ramOffset(c: Ctx, i: Insn): number {
  const t = c.temp();
  c.emit(c.m.local.set(t, c.m.i64.add(c.get(i.rs1), c.i64(BigInt(i.imm) - RAM_BASE))));
  return t;
}

/** The fast path's bound: accesses starting at or below it fit in RAM (as in the interpreter). */
export function fastLimit(c: Ctx): Ref {
  return c.i64(c.ramSize - 8);
}

/**
 * With paging on: when the TLB misses va = rs1 + imm's page for this access, and the Wasm address
 * of va otherwise (see Ctx.fastOrSlow). A tag has zeros where the page offset was (and the access's
 * kind in bits 6-11), so keeping va's low bits below the access size in the compared value makes a
 * misaligned access miss too, as in QEMU: an aligned one never leaves its page.
 *   e = (va >> 8) & (entries - 1) << 4               (the table's address is the loads' static offset)
 *   misses = [tlb[e].tag != (va & ~0xfff | size - 1) | tlbLow]
 *   address = wrap(va + tlb[e].addend)
 */
export function tlbLookup(
  c: Ctx,
  i: Insn,
  table: number,
  size: number,
): { misses: Ref[]; address: () => Ref } {
  const m = c.m;
  const va = c.temp();
  const e = c.temp(binaryen.i32);
  const vaGet = () => m.local.get(va, binaryen.i64);
  const eGet = () => m.local.get(e, binaryen.i32);
  c.emit(
    m.local.set(va, m.i64.add(c.get(i.rs1), c.i64(i.imm))),
    m.local.set(
      e,
      m.i32.and(m.i32.wrap(m.i64.shr_u(vaGet(), c.i64(8))), c.i32((c.layout.tlbEntries - 1) << 4)),
    ),
  );
  const kept = m.i64.and(vaGet(), c.i64(~0xfffn | BigInt(size - 1)));
  return {
    misses: [m.i64.ne(m.i64.load(table, 8, eGet()), m.i64.or(kept, m.local.get(c.tlbLow, binaryen.i64)))],
    address: () => m.i32.wrap(m.i64.add(vaGet(), m.i64.load(table + 8, 8, eGet()))),
  };
}

// Paged: unless the TLB misses, rd = load(address), else the interpreter runs it (walk, fault, MMIO)
function pagedLoad(kind: Kind, size: number): Emitter {
  return (c, i) => {
    const { misses, address } = tlbLookup(c, i, c.layout.tlbLoad, size);
    c.fastOrStep(
      misses,
      c.capture(() => c.set(i.rd, kind(c, address(), 0))),
    );
  };
}

// Paged: unless the TLB misses, store(address, rs2), else the interpreter runs it. The store TLB
// has no pages with flags (watched, translated code), so no page-flag test here.
function pagedStore(kind: StoreKind, size: number): Emitter {
  return (c, i) => {
    const { misses, address } = tlbLookup(c, i, c.layout.tlbStore, size);
    c.fastOrStep(misses, [kind(c, address(), 0, c.get(i.rs2))]);
  };
}

// unless off >u limit (see Ctx.fastOrStep): rd = load(ram + off)
function load(kind: Kind, size: number): Emitter {
  const paged = pagedLoad(kind, size);
  return (c, i) => {
    if (c.paged) return paged(c, i);
    const off = ramOffset(c, i);
    const offGet = () => c.m.local.get(off, binaryen.i64);
    const fast = c.capture(() => c.set(i.rd, kind(c, c.ramIndex(offGet()), c.layout.ram)));
    c.fastOrStep([c.m.i64.gt_u(offGet(), fastLimit(c))], fast);
  };
}

// unless off >u limit or pageFlags[off >> 12] (see Ctx.fastOrStep): store(ram + off, rs2)
function store(kind: StoreKind, size: number): Emitter {
  const paged = pagedStore(kind, size);
  return (c, i) => {
    if (c.paged) return paged(c, i);
    const m = c.m;
    const off = ramOffset(c, i);
    const offGet = () => m.local.get(off, binaryen.i64);
    const flags = m.i32.load8_u(c.layout.pageFlags, 1, m.i32.wrap(m.i64.shr_u(offGet(), c.i64(12))));
    const fast = [kind(c, c.ramIndex(offGet()), c.layout.ram, c.get(i.rs2))];
    c.fastOrStep([m.i64.gt_u(offGet(), fastLimit(c)), flags], fast);
  };
}

export const memory: Record<string, Emitter> = {
  lb: load((c, p, o) => c.m.i64.load8_s(o, 1, p), 1),
  lh: load((c, p, o) => c.m.i64.load16_s(o, 1, p), 2),
  lw: load((c, p, o) => c.m.i64.load32_s(o, 1, p), 4),
  ld: load((c, p, o) => c.m.i64.load(o, 1, p), 8),
  lbu: load((c, p, o) => c.m.i64.load8_u(o, 1, p), 1),
  lhu: load((c, p, o) => c.m.i64.load16_u(o, 1, p), 2),
  lwu: load((c, p, o) => c.m.i64.load32_u(o, 1, p), 4),
  sb: store((c, p, o, v) => c.m.i64.store8(o, 1, p, v), 1),
  sh: store((c, p, o, v) => c.m.i64.store16(o, 1, p, v), 2),
  sw: store((c, p, o, v) => c.m.i64.store32(o, 1, p, v), 4),
  sd: store((c, p, o, v) => c.m.i64.store(o, 1, p, v), 8),
};
