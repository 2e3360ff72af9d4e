// F and D. f registers live in i64 locals as their bits (singles NaN-boxed), like x registers.
// Three tiers, each exact (the same results, fflags and mstatus as the interpreter's op):
//   1. inline: loads, stores, moves and sign injection are bit operations; add, sub, mul, div and
//      sqrt use Wasm's own arithmetic (round to nearest-even) when the rounding mode is RNE and
//      fflags already has NX, and the result is finite (and, for mul, div and sqrt, above the
//      smallest normal): then nothing but NX can be raised (see assembly/fpu.ts); fused
//      multiply-adds under the same conditions, emulated as the core does; compares when no
//      operand is a NaN; conversions that cannot raise a new flag.
//   2. a call to the core's floatOp with the operands as arguments (nothing spilled): every other
//      case of the arithmetic, conversions, min/max, classification.
//   3. the interpreter's op (Ctx.fallback) when the instruction is illegal (mstatus.FS Off, a
//      reserved rounding mode) or the load or store needs more than the fast path.
// Inline paths that write f registers require mstatus.FS Dirty (so nothing needs marking), the
// others FS not Off.
import { binaryen } from '../binaryen.ts';
import { opId } from '../../isa/ops.ts';
import { ENTRY_BY_NAME, F_REG } from '../../isa/table.ts';
import type { Ctx } from '../context.ts';
import type { Insn } from '../region.ts';
import type { Emitter } from './index.ts';
import { access } from './memory.ts';

type Ref = number;

const MSTATUS = 0x300;
const FCSR = 0x003; // frm << 5 | fflags
const FS = 3n << 13n;
const NX = 1;
const BOX = 0xffffffff00000000n;
const DYN = 7;
const RMM = 4;

/** mstatus.FS is Dirty (writers) or not Off (readers). */
function fsOk(c: Ctx, dirty: boolean): Ref {
  const fs = c.m.i64.and(c.loadState64(c.csrAddr(MSTATUS)), c.i64(FS));
  return dirty ? c.m.i64.eq(fs, c.i64(FS)) : c.m.i64.ne(fs, c.i64(0));
}

const fcsr = (c: Ctx) => c.m.i32.wrap(c.loadState64(c.csrAddr(FCSR)));

/** Round to nearest-even with NX already set (static rm RNE, or DYN with frm RNE); undefined: never. */
function nearestWithNx(c: Ctx, i: Insn): Ref | undefined {
  const rm = i.imm & 7;
  if (rm === DYN) return c.m.i32.eq(c.m.i32.and(fcsr(c), c.i32(0xe1)), c.i32(NX));
  if (rm === 0) return c.m.i32.and(fcsr(c), c.i32(NX));
  return undefined;
}

/** if (cond) { fast } else { slow: the interpreter's op unless given } */
function guarded(c: Ctx, cond: Ref, fast: () => void, slow: () => void = () => c.fallback()): void {
  const yes = c.capture(fast);
  const no = c.capture(slow);
  c.emit(c.m.if(cond, c.m.block(null, yes), c.m.block(null, no)));
}

/** The instruction's format in the table: whether it has a rounding mode, and an rs3. */
const format = (name: string) => ENTRY_BY_NAME.get(name)!.format;
const hasRm = (name: string) => ['FR', 'FR4', 'FR1', 'FTOX', 'XTOF'].includes(format(name));

/**
 * Tier 2: rd = floatOp(op, rs1, rs2, rs3, imm) when the instruction is legal (FS not Off, the
 * rounding mode not reserved), else the interpreter's op, which raises the exception.
 */
function viaCore(c: Ctx, i: Insn): void {
  const m = c.m;
  const rm = i.imm & 7;
  if (hasRm(i.name) && rm > RMM && rm !== DYN) return c.fallback(); // always illegal
  let legal = fsOk(c, false);
  if (hasRm(i.name) && rm === DYN)
    legal = m.i32.and(legal, m.i32.le_u(m.i32.shr_u(fcsr(c), c.i32(5)), c.i32(RMM)));
  c.useImport(
    'floatOp',
    [binaryen.i32, binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i32],
    binaryen.i64,
  );
  const rs3 = format(i.name) === 'FR4' ? c.get(F_REG + (i.imm >> 3)) : c.i64(0);
  const call = m.call(
    'floatOp',
    [c.i32(opId(i.name)), c.get(i.rs1), c.get(i.rs2), rs3, c.i32(i.imm)],
    binaryen.i64,
  );
  // with rd = x0 the result goes, the flags and mstatus.FS stay
  guarded(c, legal, () => (i.rd === 0 ? c.emit(m.drop(call)) : c.set(i.rd, call)));
}
const core: Emitter = viaCore;

/** Both operands are NaN-boxed singles. */
const boxed = (c: Ctx, a: Ref, b: Ref) => c.m.i64.ge_u(c.m.i64.and(a, b), c.i64(BOX));

const f64 = (c: Ctx, v: Ref) => c.m.f64.reinterpret(v);
const f32 = (c: Ctx, v: Ref) => c.m.f32.reinterpret(c.m.i32.wrap(v));
const bitsD = (c: Ctx, v: Ref) => c.m.i64.reinterpret(v);
const bitsS = (c: Ctx, v: Ref) => c.m.i64.or(c.m.i64.extend_u(c.m.i32.reinterpret(v)), c.i64(BOX));

// Magnitude (bits) in [0, infinity) or (smallest normal, infinity): one unsigned compare each.
function inRange(c: Ctx, bits: Ref, single: boolean, normal: boolean): Ref {
  const m = c.m;
  if (single) {
    const mag = m.i32.and(m.i32.wrap(bits), c.i32(0x7fffffff));
    if (!normal) return m.i32.lt_u(mag, c.i32(0x7f800000));
    return m.i32.lt_u(m.i32.sub(mag, c.i32(0x00800001)), c.i32(0x7f800000 - 0x00800001));
  }
  const mag = m.i64.and(bits, c.i64(0x7fffffffffffffffn));
  if (!normal) return m.i64.lt_u(mag, c.i64(0x7ff0000000000000n));
  return m.i64.lt_u(
    m.i64.sub(mag, c.i64(0x0010000000000001n)),
    c.i64(0x7ff0000000000000n - 0x0010000000000001n),
  );
}

/**
 * Tier 1 for arithmetic: t = op(a, b) natively; if it qualifies rd = t, else tier 2.
 * `normal`: the result must be above the smallest normal (products, quotients, roots), else
 * merely finite (sums: their subnormal results are exact).
 */
function arith(
  single: boolean,
  normal: boolean,
  op: (c: Ctx, a: Ref, b: Ref) => Ref,
  unary = false,
): Emitter {
  return (c, i) => {
    const m = c.m;
    const rounding = nearestWithNx(c, i);
    if (rounding === undefined) return viaCore(c, i);
    const a = c.temp();
    const b = c.temp();
    const t = c.temp();
    const get = (l: number) => m.local.get(l, binaryen.i64);
    c.emit(m.local.set(a, c.get(i.rs1)), m.local.set(b, unary ? c.i64(0) : c.get(i.rs2)));
    let cond = m.i32.and(fsOk(c, true), rounding);
    if (single) cond = m.i32.and(cond, unary ? boxed(c, get(a), get(a)) : boxed(c, get(a), get(b)));
    const value = single
      ? bitsS(c, op(c, f32(c, get(a)), f32(c, get(b))))
      : bitsD(c, op(c, f64(c, get(a)), f64(c, get(b))));
    c.emit(m.local.set(t, m.if(cond, value, c.i64(-1)))); // a NaN: fails the range test below
    guarded(
      c,
      inRange(c, get(t), single, normal),
      () => c.set(i.rd, get(t)),
      () => viaCore(c, i),
    );
  };
}

/** rd = value(rs1, rs2) when FS allows (dirty: the result goes to an f register). */
function bits(dirty: boolean, value: (c: Ctx, a: Ref, b: Ref) => Ref): Emitter {
  return (c, i) => guarded(c, fsOk(c, dirty), () => c.set(i.rd, value(c, c.get(i.rs1), c.get(i.rs2))));
}

const SIGN_D = -(1n << 63n);
const sgnjD = (c: Ctx, a: Ref, b: Ref) =>
  c.m.i64.or(c.m.i64.and(a, c.i64(~SIGN_D)), c.m.i64.and(b, c.i64(SIGN_D)));
const sgnjnD = (c: Ctx, a: Ref, b: Ref) =>
  c.m.i64.or(c.m.i64.and(a, c.i64(~SIGN_D)), c.m.i64.and(c.m.i64.xor(b, c.i64(-1)), c.i64(SIGN_D)));
const sgnjxD = (c: Ctx, a: Ref, b: Ref) => c.m.i64.xor(a, c.m.i64.and(b, c.i64(SIGN_D)));

/** Sign injection on singles: inline when both are NaN-boxed (else the canonical NaN: tier 2). */
function sgnjS(inject: (c: Ctx, a: Ref, b: Ref) => Ref): Emitter {
  return (c, i) => {
    const m = c.m;
    const a = c.temp();
    const b = c.temp();
    const get = (l: number) => m.local.get(l, binaryen.i64);
    c.emit(m.local.set(a, c.get(i.rs1)), m.local.set(b, c.get(i.rs2)));
    // the sign bit of a single is bit 31: move it to 63, inject, move back and box
    const hi = (v: Ref) => m.i64.shl(v, c.i64(32));
    const value = m.i64.or(m.i64.shr_u(inject(c, hi(get(a)), hi(get(b))), c.i64(32)), c.i64(BOX));
    guarded(
      c,
      m.i32.and(fsOk(c, true), boxed(c, get(a), get(b))),
      () => c.set(i.rd, value),
      () => viaCore(c, i),
    );
  };
}

/** feq/flt/fle inline without NaN operands (no flag can be raised). */
function compare(single: boolean, cmp: 'eq' | 'lt' | 'le'): Emitter {
  return (c, i) => {
    const m = c.m;
    const a = c.temp();
    const b = c.temp();
    const get = (l: number) => m.local.get(l, binaryen.i64);
    c.emit(m.local.set(a, c.get(i.rs1)), m.local.set(b, c.get(i.rs2)));
    const ops = single ? m.f32 : m.f64;
    const x = () => (single ? f32(c, get(a)) : f64(c, get(a)));
    const y = () => (single ? f32(c, get(b)) : f64(c, get(b)));
    let cond = m.i32.and(fsOk(c, false), m.i32.and(ops.eq(x(), x()), ops.eq(y(), y())));
    if (single) cond = m.i32.and(cond, boxed(c, get(a), get(b)));
    guarded(
      c,
      cond,
      () => c.set(i.rd, m.i64.extend_u(ops[cmp](x(), y()))),
      () => viaCore(c, i),
    );
  };
}

/**
 * fcvt.w.d / fcvt.l.d with static RTZ (C's casts): in range, the truncation; it raises nothing new
 * when exact or when NX is already set.
 */
function toIntRtz(word: boolean): Emitter {
  return (c, i) => {
    if ((i.imm & 7) !== 1) return viaCore(c, i);
    const m = c.m;
    const x = c.temp(binaryen.f64);
    const get = () => m.local.get(x, binaryen.f64);
    c.emit(m.local.set(x, f64(c, c.get(i.rs1))));
    // strictly inside (-2^31 - 1, 2^31) or [-2^63, 2^63): NaN fails both compares
    const lo = word ? -2147483649 : -9223372036854775808;
    const hi = word ? 2147483648 : 9223372036854775808;
    const above = word ? m.f64.gt(get(), m.f64.const(lo)) : m.f64.ge(get(), m.f64.const(lo));
    const inside = m.i32.and(above, m.f64.lt(get(), m.f64.const(hi)));
    const quiet = m.i32.or(m.i32.and(fcsr(c), c.i32(NX)), m.f64.eq(m.f64.trunc(get()), get()));
    const cond = m.if(m.i32.and(fsOk(c, false), inside), quiet, c.i32(0));
    const value = word ? m.i64.extend_s(m.i32.trunc_s.f64(get())) : m.i64.trunc_s.f64(get());
    guarded(
      c,
      cond,
      () => c.set(i.rd, value),
      () => viaCore(c, i),
    );
  };
}

/** fcvt.d.w / fcvt.d.wu: always exact; inline with a valid static rounding mode. */
function fromWord(signed: boolean): Emitter {
  return (c, i) => {
    if ((i.imm & 7) > RMM) return viaCore(c, i);
    const m = c.m;
    const w = m.i32.wrap(c.get(i.rs1));
    const v = bitsD(c, signed ? m.f64.convert_s.i32(w) : m.f64.convert_u.i32(w));
    guarded(
      c,
      fsOk(c, true),
      () => c.set(i.rd, v),
      () => viaCore(c, i),
    );
  };
}

/**
 * x + y rounded to odd (into local `out`), from locals x and y: rounded to nearest, then, if
 * inexact and even, one step towards the exact sum (TwoSum's error `e`). As assembly/fpu.ts.
 */
function roundToOdd(c: Ctx, x: number, y: number, out: number): Ref[] {
  const m = c.m;
  const F = binaryen.f64;
  const get = (l: number) => m.local.get(l, F);
  const v = c.temp(F);
  const z = c.temp(F);
  const e = c.temp(F);
  const bitsV = () => m.i64.reinterpret(get(v));
  const inexactEven = m.i32.and(m.f64.ne(get(e), m.f64.const(0)), m.i64.eqz(m.i64.and(bitsV(), c.i64(1))));
  const towards = m.select(
    m.i32.eq(m.f64.gt(get(e), m.f64.const(0)), m.f64.gt(get(v), m.f64.const(0))),
    c.i64(1),
    c.i64(-1),
  );
  return [
    m.local.set(v, m.f64.add(get(x), get(y))),
    m.local.set(z, m.f64.sub(get(v), get(x))),
    m.local.set(e, m.f64.add(m.f64.sub(get(x), m.f64.sub(get(v), get(z))), m.f64.sub(get(y), get(z)))),
    m.local.set(out, m.f64.reinterpret(m.i64.add(bitsV(), m.select(inexactEven, towards, c.i64(0))))),
  ];
}

/**
 * Fused multiply-adds, tier 1: in round to nearest with NX set, the core's native emulation
 * (assembly/fpu.ts fmaNativeD/S: Dekker's exact product, TwoSum, rounding to odd) inline, under
 * the same bounds; anything else goes to the core (tier 2).
 */
function fused(single: boolean, negProd: boolean, negC: boolean): Emitter {
  return (c, i) => {
    const m = c.m;
    const rounding = nearestWithNx(c, i);
    if (rounding === undefined) return viaCore(c, i);
    const F = binaryen.f64;
    const get = (l: number) => m.local.get(l, F);
    const raw = [c.temp(), c.temp(), c.temp()];
    const [a, b, z] = [c.temp(F), c.temp(F), c.temp(F)];
    const t = c.temp();
    const getRaw = (k: number) => m.local.get(raw[k], binaryen.i64);
    c.emit(
      m.local.set(raw[0], c.get(i.rs1)),
      m.local.set(raw[1], c.get(i.rs2)),
      m.local.set(raw[2], c.get(F_REG + (i.imm >> 3))),
    );
    // the operands as doubles (a single widens exactly), -(a*b) as (-a)*b
    const operand = (k: number, neg: boolean) => {
      const x = single ? m.f64.promote(f32(c, getRaw(k))) : f64(c, getRaw(k));
      return neg ? m.f64.neg(x) : x;
    };
    const body: Ref[] = [
      m.local.set(a, operand(0, negProd)),
      m.local.set(b, operand(1, false)),
      m.local.set(z, operand(2, negC)),
    ];
    let cond = m.i32.and(fsOk(c, true), rounding);
    let value: Ref;
    if (single) {
      // the product is exact in binary64; the sum rounded to odd there, then to nearest single
      cond = m.i32.and(cond, m.i64.ge_u(m.i64.and(m.i64.and(getRaw(0), getRaw(1)), getRaw(2)), c.i64(BOX)));
      const p = c.temp(F);
      const s = c.temp(F);
      body.push(m.local.set(p, m.f64.mul(get(a), get(b))), ...roundToOdd(c, p, z, s));
      value = m.block(null, [...body, bitsS(c, m.f32.demote(get(s)))], binaryen.i64);
    } else {
      const abs = (l: number) => m.f64.abs(get(l));
      const lt = (x: Ref, bound: number) => m.f64.lt(x, m.f64.const(bound));
      const ge = (x: Ref, bound: number) => m.f64.ge(x, m.f64.const(bound));
      const [uh, ah, al, bh, bl, ul, th, zz, tl, v] = Array.from({ length: 10 }, () => c.temp(F));
      const split = (x: number, hi: number, lo: number) => {
        const sx = c.temp(F);
        return [
          m.local.set(sx, m.f64.mul(get(x), m.f64.const(134217729))), // 2^27 + 1
          m.local.set(hi, m.f64.sub(get(sx), m.f64.sub(get(sx), get(x)))),
          m.local.set(lo, m.f64.sub(get(x), get(hi))),
        ];
      };
      const mul = (x: number, y: number) => m.f64.mul(get(x), get(y));
      // within these bounds nothing under- or overflows (also false for NaNs and infinities)
      const safe = m.i32.and(
        m.i32.and(lt(abs(a), 2 ** 995), lt(abs(b), 2 ** 995)),
        m.i32.and(
          m.i32.and(lt(abs(z), 2 ** 1020), m.i32.or(m.f64.eq(get(z), m.f64.const(0)), ge(abs(z), 2 ** -900))),
          m.i32.and(ge(abs(uh), 2 ** -900), lt(abs(uh), 2 ** 1000)),
        ),
      );
      const compute = m.block(null, [
        ...split(a, ah, al),
        ...split(b, bh, bl),
        // ul = ah*bh - uh + ah*bl + al*bh + al*bl: the product's exact tail
        m.local.set(
          ul,
          m.f64.add(
            m.f64.add(m.f64.add(m.f64.sub(mul(ah, bh), get(uh)), mul(ah, bl)), mul(al, bh)),
            mul(al, bl),
          ),
        ),
        // th + tl = z + uh exactly
        m.local.set(th, m.f64.add(get(z), get(uh))),
        m.local.set(zz, m.f64.sub(get(th), get(z))),
        m.local.set(
          tl,
          m.f64.add(m.f64.sub(get(z), m.f64.sub(get(th), get(zz))), m.f64.sub(get(uh), get(zz))),
        ),
        ...roundToOdd(c, tl, ul, v),
        m.local.set(t, bitsD(c, m.f64.add(get(th), get(v)))),
      ]);
      body.push(m.local.set(uh, mul(a, b)), m.if(safe, compute, m.local.set(t, c.i64(-1))));
      value = m.block(null, [...body, m.local.get(t, binaryen.i64)], binaryen.i64);
    }
    c.emit(m.local.set(t, m.if(cond, value, c.i64(-1)))); // a NaN: fails the range test below
    guarded(
      c,
      inRange(c, m.local.get(t, binaryen.i64), single, true),
      () => c.set(i.rd, m.local.get(t, binaryen.i64)),
      () => viaCore(c, i),
    );
  };
}

// Loads and stores: the RAM fast path (or, paged, a TLB hit) when FS allows, else the interpreter.
function fload(size: 4 | 8): Emitter {
  return (c, i) => {
    const m = c.m;
    const value = (ptr: Ref, offset: number) =>
      size === 8 ? m.i64.load(offset, 1, ptr) : m.i64.or(m.i64.load32_u(offset, 1, ptr), c.i64(BOX));
    const { misses, index, offset } = access(c, i, size, false);
    c.fastOrStep(
      [m.i32.eqz(fsOk(c, true)), ...misses],
      c.capture(() => c.set(i.rd, value(index(), offset))),
    );
  };
}

function fstore(size: 4 | 8): Emitter {
  return (c, i) => {
    const m = c.m;
    const put = (ptr: Ref, offset: number) =>
      size === 8 ? m.i64.store(offset, 1, ptr, c.get(i.rs2)) : m.i64.store32(offset, 1, ptr, c.get(i.rs2));
    const { misses, index, offset } = access(c, i, size, true);
    c.fastOrStep([m.i32.eqz(fsOk(c, false)), ...misses], [put(index(), offset)]);
  };
}

export const float: Record<string, Emitter> = {
  flw: fload(4),
  fld: fload(8),
  fsw: fstore(4),
  fsd: fstore(8),
  'fadd.d': arith(false, false, (c, a, b) => c.m.f64.add(a, b)),
  'fsub.d': arith(false, false, (c, a, b) => c.m.f64.sub(a, b)),
  'fmul.d': arith(false, true, (c, a, b) => c.m.f64.mul(a, b)),
  'fdiv.d': arith(false, true, (c, a, b) => c.m.f64.div(a, b)),
  'fsqrt.d': arith(false, true, (c, a) => c.m.f64.sqrt(a), true),
  'fadd.s': arith(true, false, (c, a, b) => c.m.f32.add(a, b)),
  'fsub.s': arith(true, false, (c, a, b) => c.m.f32.sub(a, b)),
  'fmul.s': arith(true, true, (c, a, b) => c.m.f32.mul(a, b)),
  'fdiv.s': arith(true, true, (c, a, b) => c.m.f32.div(a, b)),
  'fsqrt.s': arith(true, true, (c, a) => c.m.f32.sqrt(a), true),
  'fsgnj.d': bits(true, sgnjD),
  'fsgnjn.d': bits(true, sgnjnD),
  'fsgnjx.d': bits(true, sgnjxD),
  'fsgnj.s': sgnjS(sgnjD),
  'fsgnjn.s': sgnjS(sgnjnD),
  'fsgnjx.s': sgnjS(sgnjxD),
  'feq.d': compare(false, 'eq'),
  'flt.d': compare(false, 'lt'),
  'fle.d': compare(false, 'le'),
  'feq.s': compare(true, 'eq'),
  'flt.s': compare(true, 'lt'),
  'fle.s': compare(true, 'le'),
  'fmv.x.d': bits(false, (_c, a) => a),
  'fmv.d.x': bits(true, (_c, a) => a),
  'fmv.x.w': bits(false, (c, a) => c.m.i64.extend_s(c.m.i32.wrap(a))),
  'fmv.w.x': bits(true, (c, a) => c.m.i64.or(a, c.i64(BOX))),
  'fcvt.w.d': toIntRtz(true),
  'fcvt.l.d': toIntRtz(false),
  'fcvt.d.w': fromWord(true),
  'fcvt.d.wu': fromWord(false),
  'fmadd.d': fused(false, false, false),
  'fmsub.d': fused(false, false, true),
  'fnmsub.d': fused(false, true, false),
  'fnmadd.d': fused(false, true, true),
  'fmadd.s': fused(true, false, false),
  'fmsub.s': fused(true, false, true),
  'fnmsub.s': fused(true, true, false),
  'fnmadd.s': fused(true, true, true),
  // tier 2 only
  ...Object.fromEntries(
    [
      ...['fmin', 'fmax', 'fclass'].flatMap((n) => [`${n}.s`, `${n}.d`]),
      ...['w', 'wu', 'l', 'lu'].flatMap((t) => [`fcvt.${t}.s`, `fcvt.s.${t}`]),
      ...['wu', 'lu'].map((t) => `fcvt.${t}.d`),
      ...['l', 'lu'].map((t) => `fcvt.d.${t}`),
      'fcvt.s.d',
      'fcvt.d.s',
    ].map((name) => [name, core]),
  ),
};
