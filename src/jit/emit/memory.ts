// Loads and stores: an inline fast path for RAM (one unsigned compare; stores also test the page
// flags), and for everything else (the last bytes of RAM, MMIO, faults, stores to watched pages
// or near translated code) an exit that leaves the instruction to the interpreter (Ctx.step).
import { binaryen } from '../binaryen.ts';
import type { Ctx, Miss } from '../context.ts';
import type { Insn } from '../region.ts';
import type { Emitter } from './index.ts';
import { hinted } from '../branch-hints.ts';

type Ref = number;
/** A load at Wasm address `index + offset` (offset: a static memarg offset). */
type Kind = (c: Ctx, index: Ref, offset: number) => Ref;
type StoreKind = (c: Ctx, index: Ref, offset: number, value: Ref) => Ref;
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

/**
 * With paging on: when the TLB misses va = rs1 + imm's page for this access, and the Wasm address
 * of va otherwise (see Ctx.fastOrSlow). A tag has zeros where the page offset was (and the access's
 * kind in bits 6-11), so keeping va's low bits below the access size in the compared value makes a
 * misaligned access miss too, as in QEMU: an aligned one never leaves its page.
 * The pages this instruction last found in the TLB are checked first (Ctx.pageCache): walking an
 * array or the stack then costs one compare with a local, and for a page mapped like the region's
 * code, no addend from a local either (Ctx.codeAddend):
 *   kept = va & (~0xfff | size - 1); address = wrap(va) + codeAddend
 *   block $done {
 *     br_if $done kept == cache.linear
 *     block $hit {
 *       br_if $hit kept == cache.page
 *       e = (va >> 8) & (entries - 1) << 4                (the table's address is the loads' offset)
 *       br_if $slow tlb[e].tag != kept | tlbLow
 *       a = tlb[e].addend
 *       if (a == codeAddend) { cache.linear = kept; br $done }
 *       cache = {kept, a}
 *     }
 *     address = wrap(va) + cache.addend
 *   }
 */
function tlbLookup(c: Ctx, i: Insn, table: number, size: number): { misses: Miss[]; address: () => Ref } {
  const m = c.m;
  const cache = c.pageCache(table);
  const va = c.temp();
  const kept = c.temp();
  const e = c.temp(binaryen.i32);
  const addend = c.temp(binaryen.i32);
  const address = c.temp(binaryen.i32);
  const vaGet = () => m.local.get(va, binaryen.i64);
  const keptGet = () => m.local.get(kept, binaryen.i64);
  const eGet = () => m.local.get(e, binaryen.i32);
  const addendGet = () => m.local.get(addend, binaryen.i32);
  const setAddress = (plus: Ref) => m.local.set(address, m.i32.add(m.i32.wrap(vaGet()), plus));
  c.emit(
    m.local.set(va, m.i64.add(c.get(i.rs1), c.i64(i.imm))),
    m.local.set(kept, m.i64.and(vaGet(), c.i64(~0xfffn | BigInt(size - 1)))),
  );
  const [done, hit] = [c.label('done'), c.label('hit')];
  const lookup = (slow: string) =>
    m.block(done, [
      setAddress(c.i32(c.codeAddend)),
      ...hinted(m, m.br(done, m.i64.eq(keptGet(), m.local.get(cache.linear, binaryen.i64))), true),
      m.block(hit, [
        ...hinted(m, m.br(hit, m.i64.eq(keptGet(), m.local.get(cache.page, binaryen.i64))), true),
        m.local.set(
          e,
          m.i32.and(m.i32.wrap(m.i64.shr_u(vaGet(), c.i64(8))), c.i32((c.layout.tlbEntries - 1) << 4)),
        ),
        ...hinted(
          m,
          m.br(
            slow,
            m.i64.ne(m.i64.load(table, 8, eGet()), m.i64.or(keptGet(), m.local.get(c.tlbLow, binaryen.i64))),
          ),
          false,
        ),
        m.local.set(addend, m.i32.load(table + 8, 4, eGet())),
        m.if(
          m.i32.eq(addendGet(), c.i32(c.codeAddend)),
          m.block(null, [m.local.set(cache.linear, keptGet()), m.br(done)]),
        ),
        m.local.set(cache.page, keptGet()),
        m.local.set(cache.addend, addendGet()),
      ]),
      setAddress(m.local.get(cache.addend, binaryen.i32)),
    ]);
  return { misses: [lookup], address: () => m.local.get(address, binaryen.i32) };
}

/**
 * Where a load or store of `size` bytes at rs1 + imm goes, for Ctx.fastOrStep: the conditions on
 * which it leaves for the interpreter, and its Wasm address as an index plus a static offset.
 *   paged: the TLB (see tlbLookup; the store TLB has no pages with flags, so no page-flag test)
 *   else:  misses = [off >u limit] (stores also pageFlags[off >> 12]); index = off, offset = RAM
 */
export function access(
  c: Ctx,
  i: Insn,
  size: number,
  isStore: boolean,
): { misses: Miss[]; index: () => Ref; offset: number } {
  const m = c.m;
  if (c.paged) {
    const { misses, address } = tlbLookup(c, i, isStore ? c.layout.tlbStore : c.layout.tlbLoad, size);
    return { misses, index: address, offset: 0 };
  }
  const off = ramOffset(c, i);
  const offGet = () => m.local.get(off, binaryen.i64);
  const misses: Miss[] = [m.i64.gt_u(offGet(), fastLimit(c))];
  if (isStore)
    misses.push(m.i32.load8_u(c.layout.pageFlags, 1, m.i32.wrap(m.i64.shr_u(offGet(), c.i64(12)))));
  return { misses, index: () => c.ramIndex(offGet()), offset: c.layout.ram };
}

// unless access(...).misses (see Ctx.fastOrStep): rd = load(address)
function load(kind: Kind, size: number): Emitter {
  return (c, i) => {
    const { misses, index, offset } = access(c, i, size, false);
    c.fastOrStep(
      misses,
      c.capture(() => c.set(i.rd, kind(c, index(), offset))),
    );
  };
}

// unless access(...).misses (see Ctx.fastOrStep): store(address, rs2)
function store(kind: StoreKind, size: number): Emitter {
  return (c, i) => {
    const { misses, index, offset } = access(c, i, size, true);
    c.fastOrStep(misses, [kind(c, index(), offset, c.get(i.rs2))]);
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
