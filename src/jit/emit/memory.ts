// Loads and stores: an inline fast path for RAM (one unsigned compare; stores also test the page
// flags), and a call to the core's slow path for everything else — the last bytes of RAM, MMIO
// and faults (which leave the region through its tail, the instruction not retired), stores to
// watched pages or translated code (which leave right after the store).
import { binaryen } from '../binaryen.ts';
import { EXIT_MMIO, type Ctx } from '../context.ts';
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
 * With paging on: when the TLB misses va = rs1 + imm's page for this access (or the access leaves
 * the page), and the Wasm address of va otherwise (see Ctx.fastOrSlow).
 *   e = ((va >> 12) & (entries - 1)) * 16            (the table's address is the loads' static offset)
 *   misses = [tlb[e].tag != (va >> 12) << 6 | tlbLow, (va & 0xfff) >u 4096 - size]
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
  const page = () => m.i64.shr_u(vaGet(), c.i64(12));
  c.emit(
    m.local.set(va, m.i64.add(c.get(i.rs1), c.i64(i.imm))),
    m.local.set(e, m.i32.shl(m.i32.and(m.i32.wrap(page()), c.i32(c.layout.tlbEntries - 1)), c.i32(4))),
  );
  return {
    misses: [
      m.i64.ne(
        m.i64.load(table, 8, eGet()),
        m.i64.or(m.i64.shl(page(), c.i64(6)), m.local.get(c.tlbLow, binaryen.i64)),
      ),
      m.i64.gt_u(m.i64.and(vaGet(), c.i64(0xfff)), c.i64(4096 - size)),
    ],
    address: () => m.i32.wrap(m.i64.add(vaGet(), m.i64.load(table + 8, 8, eGet()))),
  };
}

// Paged: unless the TLB misses, rd = load(address), else the interpreter's op (walk, fault, MMIO)
function pagedLoad(kind: Kind, size: number): Emitter {
  return (c, i) => {
    const { misses, address } = tlbLookup(c, i, c.layout.tlbLoad, size);
    c.fastOrFallback(
      misses,
      c.capture(() => c.set(i.rd, kind(c, address(), 0))),
    );
  };
}

// Paged: unless the TLB misses, store(address, rs2), else the interpreter's op. The store TLB has
// no pages with flags (watched, translated code), so no page-flag test here.
function pagedStore(kind: StoreKind, size: number): Emitter {
  return (c, i) => {
    const { misses, address } = tlbLookup(c, i, c.layout.tlbStore, size);
    c.fastOrFallback(misses, [kind(c, address(), 0, c.get(i.rs2))]);
  };
}

// if (off <=u limit) rd = load(ram + off)
// else if (r = loadSlow(addr, size, signed, rd, len)) exit(pc, r) else rd = state.x[rd]
function load(kind: Kind, size: number, signed: boolean): Emitter {
  const paged = pagedLoad(kind, size);
  return (c, i) => {
    if (c.paged) return paged(c, i);
    const m = c.m;
    const off = ramOffset(c, i);
    const index = c.ramIndex(m.local.get(off, binaryen.i64));
    const fast = c.capture(() => c.set(i.rd, kind(c, index, c.layout.ram)));
    const r = c.temp(binaryen.i32);
    const rdOffset = i.rd === 0 ? c.layout.regSink : i.rd * 8;
    const addr = m.i64.add(m.local.get(off, binaryen.i64), c.i64(RAM_BASE));
    const args = [addr, c.i32(size), c.i32(signed ? 1 : 0), c.i32(rdOffset), c.i32(i.len)];
    const slow = c.capture(() => {
      c.emit(m.local.set(r, m.call('loadSlow', args, binaryen.i32)));
      c.emit(m.if(m.local.get(r, binaryen.i32), c.exit(c.i64(i.pc), EXIT_MMIO, c.k)));
      if (i.rd !== 0) c.set(i.rd, m.i64.load(0, 8, c.i32(c.layout.regs + i.rd * 8)));
    });
    c.emit(
      m.if(
        m.i64.le_u(m.local.get(off, binaryen.i64), fastLimit(c)),
        m.block(null, fast),
        m.block(null, slow),
      ),
    );
  };
}

// unless off >u limit or pageFlags[off >> 12] (see Ctx.fastOrSlow): store(ram + off, rs2)
// else r = storeSlow(addr, size, rs2, len): MMIO -> exit(pc, r); WATCH/CODE_WRITE -> exit(next, r)
function store(kind: StoreKind, size: number): Emitter {
  const paged = pagedStore(kind, size);
  return (c, i) => {
    if (c.paged) return paged(c, i);
    const m = c.m;
    const off = ramOffset(c, i);
    const offGet = () => m.local.get(off, binaryen.i64);
    const flags = m.i32.load8_u(c.layout.pageFlags, 1, m.i32.wrap(m.i64.shr_u(offGet(), c.i64(12))));
    const r = c.temp(binaryen.i32);
    const addr = m.i64.add(offGet(), c.i64(RAM_BASE));
    const call = m.call('storeSlow', [addr, c.i32(size), c.get(i.rs2), c.i32(i.len)], binaryen.i32);
    const slow = [
      m.local.set(r, call),
      m.if(
        m.local.get(r, binaryen.i32),
        m.if(
          m.i32.eq(m.local.get(r, binaryen.i32), c.i32(EXIT_MMIO)),
          c.exit(c.i64(i.pc), EXIT_MMIO, c.k),
          c.exit(c.i64(c.nextPc), { expr: m.local.get(r, binaryen.i32) }, c.k + 1),
        ),
      ),
    ];
    const fast = [kind(c, c.ramIndex(offGet()), c.layout.ram, c.get(i.rs2))];
    c.emit(c.fastOrSlow([m.i64.gt_u(offGet(), fastLimit(c)), flags], fast, slow));
  };
}

export const memory: Record<string, Emitter> = {
  lb: load((c, p, o) => c.m.i64.load8_s(o, 1, p), 1, true),
  lh: load((c, p, o) => c.m.i64.load16_s(o, 1, p), 2, true),
  lw: load((c, p, o) => c.m.i64.load32_s(o, 1, p), 4, true),
  ld: load((c, p, o) => c.m.i64.load(o, 1, p), 8, false),
  lbu: load((c, p, o) => c.m.i64.load8_u(o, 1, p), 1, false),
  lhu: load((c, p, o) => c.m.i64.load16_u(o, 1, p), 2, false),
  lwu: load((c, p, o) => c.m.i64.load32_u(o, 1, p), 4, false),
  sb: store((c, p, o, v) => c.m.i64.store8(o, 1, p, v), 1),
  sh: store((c, p, o, v) => c.m.i64.store16(o, 1, p, v), 2),
  sw: store((c, p, o, v) => c.m.i64.store32(o, 1, p, v), 4),
  sd: store((c, p, o, v) => c.m.i64.store(o, 1, p, v), 8),
};
