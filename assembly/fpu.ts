// F and D: IEEE 754 binary32 and binary64 arithmetic as RISC-V defines it, exact in every
// rounding mode and in the accrued exception flags (fflags).
//
// Wasm's f32/f64 arithmetic rounds to nearest-even and reports nothing, so the exact path is a
// small software implementation on integers: an operand is unpacked into a sign, an exponent and
// a 63-bit significand (top bit at 62, low bits for rounding), the operation is done exactly or
// with a sticky bit ("jamming" shifted-out bits into bit 0), and roundPack() rounds once in the
// rounding mode asked for, raising inexact, underflow (tiny after rounding, as RISC-V specifies)
// and overflow. Products are exact in 128 bits, so fused multiply-add rounds once.
// Square roots take Wasm's correctly rounded result and the sign of its exact residual.
//
// The common case stays native: in round-to-nearest with the inexact flag already set, a result
// that is finite (and, for products and quotients, above the smallest normal) can raise no flag
// that is not already set, so Wasm's own result is the answer. The translator inlines the same
// test (src/jit/emit/float.ts).
import { Op } from './generated/ops';
import { F_REG, REGS } from './layout';
import { FCSR, MSTATUS, MSTATUS_FS, csr, markFsDirty, setCsr } from './csr';
import { mulhu } from './interp';

// Rounding modes (the rm field and frm).
export const RNE: u32 = 0;
export const RTZ: u32 = 1;
export const RDN: u32 = 2;
export const RUP: u32 = 3;
export const RMM: u32 = 4;
export const DYN: u32 = 7;

// fflags bits.
export const NX: u32 = 1;
export const UF: u32 = 2;
export const OF: u32 = 4;
export const DZ: u32 = 8;
export const NV: u32 = 16;

export const BOX: u64 = 0xffffffff00000000; // upper half of a NaN-boxed single
const QNAN_S: u64 = 0x7fc00000; // the canonical NaNs
const QNAN_D: u64 = 0x7ff8000000000000;

// Flags raised by the instruction being executed.
let flags: u32 = 0;

// ---- formats: `d` selects binary64, else binary32 (a value in the low 32 bits) ------------------

@inline function fracBits(d: bool): i32 {
  return d ? 52 : 23;
}
@inline function expMax(d: bool): i32 {
  return d ? 0x7ff : 0xff;
}
@inline function bias(d: bool): i32 {
  return d ? 1023 : 127;
}
@inline function signShift(d: bool): u64 {
  return d ? 63 : 31;
}
@inline function signOf(a: u64, d: bool): u64 {
  return (a >> signShift(d)) & 1;
}
@inline function expOf(a: u64, d: bool): i32 {
  return <i32>(a >> <u64>fracBits(d)) & expMax(d);
}
@inline function fracOf(a: u64, d: bool): u64 {
  return a & ((<u64>1 << <u64>fracBits(d)) - 1);
}
@inline function isNaN_(a: u64, d: bool): bool {
  return expOf(a, d) == expMax(d) && fracOf(a, d) != 0;
}
@inline function isSNaN(a: u64, d: bool): bool {
  return isNaN_(a, d) && ((a >> <u64>(fracBits(d) - 1)) & 1) == 0;
}
@inline function isInf(a: u64, d: bool): bool {
  return expOf(a, d) == expMax(d) && fracOf(a, d) == 0;
}
@inline function isZero(a: u64, d: bool): bool {
  return (a & ~(<u64>1 << signShift(d))) == 0;
}
@inline function canonicalNaN(d: bool): u64 {
  return d ? QNAN_D : QNAN_S;
}
@inline function inf(sign: u64, d: bool): u64 {
  return (sign << signShift(d)) | (<u64>expMax(d) << <u64>fracBits(d));
}
@inline function zero(sign: u64, d: bool): u64 {
  return sign << signShift(d);
}

// A single read from an f register: valid only when NaN-boxed, else the canonical NaN.
@inline export function unbox(v: u64): u64 {
  return (v & BOX) == BOX ? v & 0xffffffff : QNAN_S;
}

// The result of an operation with a NaN operand: the canonical NaN, invalid if one signals.
function nanResult(a: u64, b: u64, d: bool): u64 {
  if (isSNaN(a, d) || isSNaN(b, d)) flags |= NV;
  return canonicalNaN(d);
}

// ---- unpacked values ---------------------------------------------------------------------------

// unpack()'s result: a finite nonzero value is uSig / 2^62 * 2^(uExp - bias), uSig's top bit at 62
// (subnormals are normalized, so uExp may be 0 or negative).
let uExp: i32 = 0;
let uSig: u64 = 0;

function unpack(a: u64, d: bool): void {
  const F = fracBits(d);
  const e = expOf(a, d);
  const frac = fracOf(a, d);
  if (e != 0) {
    uExp = e;
    uSig = (frac | (<u64>1 << <u64>F)) << <u64>(62 - F);
  } else {
    const lz = <i32>clz(frac);
    uSig = frac << <u64>(lz - 1);
    uExp = 64 - F - lz;
  }
}

// x >> n, with every bit shifted out ORed into bit 0 (the sticky bit).
function jam(x: u64, n: i32): u64 {
  if (n <= 0) return x;
  if (n >= 64) return x != 0 ? 1 : 0;
  return (x >> <u64>n) | ((x << <u64>(64 - n)) != 0 ? 1 : 0);
}

// The value sign * sig / 2^62 * 2^(exp - bias), sig != 0 (any top bit; bit 0 sticky), rounded to
// the format in mode rm, with NX/UF/OF raised. Underflow: tiny after rounding and inexact.
function roundPack(sign: u64, exp: i32, sig: u64, rm: u32, d: bool): u64 {
  const F = fracBits(d);
  const lz = <i32>clz(sig);
  if (lz == 0) {
    sig = jam(sig, 1);
    exp++;
  } else if (lz > 1) {
    sig <<= <u64>(lz - 1);
    exp -= lz - 1;
  }
  if (exp >= expMax(d)) return overflow(sign, rm, d);
  const shift = <u64>(62 - F); // bits below the result's last bit
  const mask: u64 = (<u64>1 << shift) - 1;
  const half: u64 = <u64>1 << (shift - 1);
  const inc: u64 =
    rm == RNE || rm == RMM ? half : (rm == RUP && sign == 0) || (rm == RDN && sign != 0) ? mask : 0;
  let tiny = false;
  if (exp <= 0) {
    // Tiny unless rounding with an unbounded exponent reaches the smallest normal.
    tiny = exp < 0 || sig + inc < <u64>1 << 63;
    sig = jam(sig, 1 - exp);
    exp = 0;
  }
  const rest = sig & mask;
  let q = (sig + inc) >> shift;
  if (rm == RNE && rest == half) q &= ~(<u64>1); // a tie: to even
  if (rest != 0) {
    flags |= NX;
    if (tiny) flags |= UF;
  }
  // q holds the implicit bit for normals, so a carry out of the significand bumps the exponent.
  const bits = (exp == 0 ? 0 : <u64>(exp - 1) << <u64>F) + q;
  if (<i32>(bits >> <u64>F) >= expMax(d)) return overflow(sign, rm, d);
  return (sign << signShift(d)) | bits;
}

function overflow(sign: u64, rm: u32, d: bool): u64 {
  flags |= OF | NX;
  const toInf = rm == RNE || rm == RMM || (rm == RUP && sign == 0) || (rm == RDN && sign != 0);
  if (toInf) return inf(sign, d);
  return inf(sign, d) - 1; // the largest finite value
}

// ---- arithmetic --------------------------------------------------------------------------------

function add(a: u64, b: u64, negB: bool, rm: u32, d: bool): u64 {
  if (isNaN_(a, d) || isNaN_(b, d)) return nanResult(a, b, d);
  let sa = signOf(a, d);
  let sb = signOf(b, d) ^ (negB ? 1 : 0);
  if (isInf(a, d)) {
    if (isInf(b, d) && sa != sb) return invalid(d);
    return a;
  }
  if (isInf(b, d)) return inf(sb, d);
  const az = isZero(a, d);
  const bz = isZero(b, d);
  if (az && bz) return zero(sa == sb ? sa : rm == RDN ? 1 : 0, d);
  if (bz) return a;
  if (az) return zero(sb, d) | (b & ~zero(1, d));
  unpack(a, d);
  let ea = uExp;
  let ma = uSig;
  unpack(b, d);
  let eb = uExp;
  let mb = uSig;
  if (ea < eb || (ea == eb && ma < mb)) {
    const e = ea, m = ma, s = sa;
    ea = eb;
    ma = mb;
    sa = sb;
    eb = e;
    mb = m;
    sb = s;
  }
  mb = jam(mb, ea - eb);
  if (sa == sb) return roundPack(sa, ea, ma + mb, rm, d);
  const diff = ma - mb;
  if (diff == 0) return zero(rm == RDN ? 1 : 0, d); // x - x is +0, except rounding down
  return roundPack(sa, ea, diff, rm, d);
}

function invalid(d: bool): u64 {
  flags |= NV;
  return canonicalNaN(d);
}

function mul(a: u64, b: u64, rm: u32, d: bool): u64 {
  if (isNaN_(a, d) || isNaN_(b, d)) return nanResult(a, b, d);
  const s = signOf(a, d) ^ signOf(b, d);
  const az = isZero(a, d);
  const bz = isZero(b, d);
  if (isInf(a, d) || isInf(b, d)) return az || bz ? invalid(d) : inf(s, d);
  if (az || bz) return zero(s, d);
  unpack(a, d);
  const ea = uExp;
  const ma = uSig;
  unpack(b, d);
  // The 128-bit product has its top bit at 124 or 125: keep bits 125..62, the rest sticky.
  const hi = mulhu(ma, uSig);
  const lo = ma * uSig;
  return roundPack(s, ea + uExp - bias(d), (hi << 2) | (lo >> 62) | ((lo << 2) != 0 ? 1 : 0), rm, d);
}

function div(a: u64, b: u64, rm: u32, d: bool): u64 {
  if (isNaN_(a, d) || isNaN_(b, d)) return nanResult(a, b, d);
  const s = signOf(a, d) ^ signOf(b, d);
  if (isInf(a, d)) return isInf(b, d) ? invalid(d) : inf(s, d);
  if (isInf(b, d)) return zero(s, d);
  if (isZero(b, d)) {
    if (isZero(a, d)) return invalid(d);
    flags |= DZ;
    return inf(s, d);
  }
  if (isZero(a, d)) return zero(s, d);
  unpack(a, d);
  let ea = uExp;
  let r = uSig;
  unpack(b, d);
  const mb = uSig;
  let e = ea - uExp + bias(d);
  if (r < mb) {
    r <<= 1;
    e--;
  }
  // Restoring division: 63 quotient bits (top bit at 62), the remainder as sticky.
  let q: u64 = 0;
  for (let i = 0; i < 63; i++) {
    q <<= 1;
    if (r >= mb) {
      r -= mb;
      q |= 1;
    }
    r <<= 1;
  }
  return roundPack(s, e, q | (r != 0 ? 1 : 0), rm, d);
}

// Square root: Wasm's result r is correctly rounded to nearest; comparing r*r with a exactly
// tells on which side of r the true root lies (never on a midpoint), which fixes the other modes.
function sqrt_(a: u64, rm: u32, d: bool): u64 {
  if (isNaN_(a, d)) return nanResult(a, a, d);
  if (isZero(a, d)) return a;
  if (signOf(a, d) != 0) return invalid(d);
  if (isInf(a, d)) return a;
  const r = d
    ? reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)))
    : <u64>reinterpret<u32>(sqrt<f32>(reinterpret<f32>(<u32>a)));
  unpack(a, d);
  const ea = uExp;
  const ma = uSig;
  unpack(r, d);
  // r^2 = uSig^2 / 2^124 * 2^(2 uExp - 2 bias) against a = ma / 2^62 * 2^(ea - bias): compare
  // uSig^2 with ma * 2^t, t = 62 + ea + bias - 2 uExp (61, 62 or 63).
  const hi = mulhu(uSig, uSig);
  const lo = uSig * uSig;
  const t = <u64>(62 + ea + bias(d) - 2 * uExp);
  const ahi = ma >> (64 - t);
  const alo = ma << t;
  if (ahi == hi && alo == lo) return r;
  flags |= NX;
  const above = ahi > hi || (ahi == hi && alo > lo); // the true root is above r
  if (above && rm == RUP) return r + 1;
  if (!above && (rm == RTZ || rm == RDN)) return r - 1;
  return r;
}

// shr128Jam's result.
let wHi: u64 = 0;
let wLo: u64 = 0;

// The 128-bit hi:lo >> n with the bits shifted out ORed into bit 0.
function shr128Jam(hi: u64, lo: u64, n: i32): void {
  if (n == 0) {
    wHi = hi;
    wLo = lo;
  } else if (n < 64) {
    wLo = (lo >> <u64>n) | (hi << <u64>(64 - n)) | ((lo << <u64>(64 - n)) != 0 ? 1 : 0);
    wHi = hi >> <u64>n;
  } else if (n == 64) {
    wLo = hi | (lo != 0 ? 1 : 0);
    wHi = 0;
  } else if (n < 128) {
    wLo = (hi >> <u64>(n - 64)) | ((hi << <u64>(128 - n)) != 0 || lo != 0 ? 1 : 0);
    wHi = 0;
  } else {
    wLo = (hi | lo) != 0 ? 1 : 0;
    wHi = 0;
  }
}

// (a * b) + c with one rounding: the product is exact in 128 bits, the sum is exact but for a
// sticky bit far below the rounding position. negProd/negC give fmsub, fnmsub, fnmadd.
function fma(a: u64, b: u64, c: u64, negProd: bool, negC: bool, rm: u32, d: bool): u64 {
  const ai = isInf(a, d);
  const bi = isInf(b, d);
  const az = isZero(a, d);
  const bz = isZero(b, d);
  // Infinity times zero is invalid even when c is a quiet NaN.
  if ((ai && bz) || (bi && az)) return invalid(d);
  if (isNaN_(a, d) || isNaN_(b, d) || isNaN_(c, d)) {
    if (isSNaN(c, d)) flags |= NV;
    return nanResult(a, b, d);
  }
  const sP = signOf(a, d) ^ signOf(b, d) ^ (negProd ? 1 : 0);
  const sC = signOf(c, d) ^ (negC ? 1 : 0);
  if (ai || bi) return isInf(c, d) && sC != sP ? invalid(d) : inf(sP, d);
  if (isInf(c, d)) return inf(sC, d);
  const cz = isZero(c, d);
  if (az || bz) {
    if (cz) return zero(sP == sC ? sP : rm == RDN ? 1 : 0, d);
    return negC ? c ^ zero(1, d) : c;
  }
  unpack(a, d);
  const ea = uExp;
  const ma = uSig;
  unpack(b, d);
  let hi = mulhu(ma, uSig);
  let lo = ma * uSig;
  let e = ea + uExp - bias(d);
  if (cz) return roundPack(sP, e, (hi << 2) | (lo >> 62) | ((lo << 2) != 0 ? 1 : 0), rm, d);
  // The product, top bit moved to 126: value = P / 2^126 * 2^(e - bias); c likewise (its
  // significand in the high half).
  if ((hi >> 61) != 0) {
    hi = (hi << 1) | (lo >> 63);
    lo <<= 1;
    e++;
  } else {
    hi = (hi << 2) | (lo >> 62);
    lo <<= 2;
  }
  unpack(c, d);
  let chi = uSig;
  let clo: u64 = 0;
  if (e >= uExp) {
    shr128Jam(chi, 0, e - uExp);
    chi = wHi;
    clo = wLo;
  } else {
    shr128Jam(hi, lo, uExp - e);
    hi = wHi;
    lo = wLo;
    e = uExp;
  }
  let sign = sP;
  let rhi: u64, rlo: u64;
  if (sP == sC) {
    rlo = lo + clo;
    rhi = hi + chi + (rlo < lo ? 1 : 0);
  } else if (hi > chi || (hi == chi && lo >= clo)) {
    rlo = lo - clo;
    rhi = hi - chi - (lo < clo ? 1 : 0);
  } else {
    rlo = clo - lo;
    rhi = chi - hi - (clo < lo ? 1 : 0);
    sign = sC;
  }
  if (rhi == 0 && rlo == 0) return zero(rm == RDN ? 1 : 0, d);
  // Normalize so the top bit is at 126 (or 127 after a carry), then keep the high half + sticky.
  if (rhi == 0) {
    rhi = rlo;
    rlo = 0;
    e -= 64;
  }
  const lz = <i32>clz(rhi);
  if (lz > 1) {
    const sh = <u64>(lz - 1);
    rhi = (rhi << sh) | (rlo >> (64 - sh));
    rlo <<= sh;
    e -= lz - 1;
  }
  return roundPack(sign, e, rhi | (rlo != 0 ? 1 : 0), rm, d);
}

// ---- conversions -------------------------------------------------------------------------------

// Float to integer, saturating: NaN and too large give the largest value (NaN: the positive one),
// too small the smallest, each invalid; otherwise inexact when rounding changed the value.
// 32-bit results are sign-extended (fcvt.wu too).
function toInt(a: u64, d: bool, rm: u32, signed: bool, wide: bool): u64 {
  const max: u64 = signed ? (wide ? <u64>i64.MAX_VALUE : <u64>i32.MAX_VALUE) : wide ? u64.MAX_VALUE : 0xffffffff;
  const min: u64 = signed ? max + 1 : 0; // as a magnitude, negative
  const sign = signOf(a, d);
  let mag: u64 = 0;
  let inexact = false;
  let big = false;
  if (isNaN_(a, d)) {
    flags |= NV;
    return saturate(max, wide);
  }
  if (isInf(a, d)) big = true;
  else if (!isZero(a, d)) {
    unpack(a, d);
    const x = uExp - bias(d); // a = uSig / 2^62 * 2^x
    if (x >= 64) big = true;
    else if (x >= 62) mag = uSig << <u64>(x - 62);
    else {
      const shift = 62 - x;
      let up = false;
      if (shift >= 64) {
        // 0 < |a| < 1/2
        up = (rm == RUP && sign == 0) || (rm == RDN && sign != 0);
        inexact = true;
      } else {
        mag = uSig >> <u64>shift;
        const rest = uSig & ((<u64>1 << <u64>shift) - 1);
        const half = <u64>1 << <u64>(shift - 1);
        if (rm == RNE) up = rest > half || (rest == half && (mag & 1) != 0);
        else if (rm == RMM) up = rest >= half;
        else if (rm == RUP) up = sign == 0 && rest != 0;
        else if (rm == RDN) up = sign != 0 && rest != 0;
        inexact = rest != 0;
      }
      if (up) mag++;
    }
  }
  if (sign != 0) {
    if (big || mag > min || (!signed && mag != 0)) {
      flags |= NV;
      return saturate(signed ? 0 - min : 0, wide);
    }
    if (inexact) flags |= NX;
    return saturate(0 - mag, wide);
  }
  if (big || mag > max) {
    flags |= NV;
    return saturate(max, wide);
  }
  if (inexact) flags |= NX;
  return saturate(mag, wide);
}

@inline function saturate(v: u64, wide: bool): u64 {
  return wide ? v : <u64>(<i64>(<i32>v));
}

// Integer (x register) to float: exact but for rounding (no overflow at these sizes).
function fromInt(v: u64, signed: bool, wide: bool, rm: u32, d: bool): u64 {
  let x = v;
  if (!wide) x = signed ? <u64>(<i64>(<i32>v)) : v & 0xffffffff;
  const sign: u64 = signed && <i64>x < 0 ? 1 : 0;
  const mag = sign != 0 ? 0 - x : x;
  if (mag == 0) return 0;
  return roundPack(sign, bias(d) + 62, mag, rm, d);
}

// Between the formats: a NaN becomes the canonical one (invalid if signaling).
function convert(a: u64, from: bool, rm: u32): u64 {
  const to = !from;
  if (isNaN_(a, from)) {
    if (isSNaN(a, from)) flags |= NV;
    return canonicalNaN(to);
  }
  const s = signOf(a, from);
  if (isInf(a, from)) return inf(s, to);
  if (isZero(a, from)) return zero(s, to);
  unpack(a, from);
  return roundPack(s, uExp - bias(from) + bias(to), uSig, rm, to);
}

// ---- comparisons and the rest ------------------------------------------------------------------

@inline function lessThan(a: u64, b: u64, d: bool): bool {
  return d ? reinterpret<f64>(a) < reinterpret<f64>(b) : reinterpret<f32>(<u32>a) < reinterpret<f32>(<u32>b);
}
@inline function equal(a: u64, b: u64, d: bool): bool {
  return d ? reinterpret<f64>(a) == reinterpret<f64>(b) : reinterpret<f32>(<u32>a) == reinterpret<f32>(<u32>b);
}

// feq (quiet: invalid only for signaling NaNs), flt and fle (signaling: invalid for any NaN).
function compare(op: i32, a: u64, b: u64, d: bool): u64 {
  if (isNaN_(a, d) || isNaN_(b, d)) {
    const quiet = op == Op.FEQ_S || op == Op.FEQ_D;
    if (!quiet || isSNaN(a, d) || isSNaN(b, d)) flags |= NV;
    return 0;
  }
  if (op == Op.FEQ_S || op == Op.FEQ_D) return equal(a, b, d) ? 1 : 0;
  if (op == Op.FLT_S || op == Op.FLT_D) return lessThan(a, b, d) ? 1 : 0;
  return lessThan(a, b, d) || equal(a, b, d) ? 1 : 0;
}

// fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber): a NaN loses to a number, two NaNs give
// the canonical NaN, -0 is below +0; a signaling NaN is invalid.
function minMax(a: u64, b: u64, isMax: bool, d: bool): u64 {
  const an = isNaN_(a, d);
  const bn = isNaN_(b, d);
  if (isSNaN(a, d) || isSNaN(b, d)) flags |= NV;
  if (an && bn) return canonicalNaN(d);
  if (an) return b;
  if (bn) return a;
  if (isZero(a, d) && isZero(b, d)) return isMax ? a & b : a | b;
  const lt = lessThan(a, b, d);
  return isMax ? (lt ? b : a) : lt ? a : b;
}

function classify(a: u64, d: bool): u64 {
  const s = signOf(a, d) != 0;
  const e = expOf(a, d);
  const frac = fracOf(a, d);
  let bit: i32;
  if (e == expMax(d)) bit = frac == 0 ? (s ? 0 : 7) : isSNaN(a, d) ? 8 : 9;
  else if (e == 0) bit = frac == 0 ? (s ? 3 : 4) : s ? 2 : 5;
  else bit = s ? 1 : 6;
  return <u64>1 << <u64>bit;
}

// ---- native fused multiply-add ----------------------------------------------------------------

// a*b + c rounded to nearest-even by Boldo and Melquiond's emulation ("Emulation of FMA and
// correctly rounded sums: proved algorithms using rounding to odd", 2008): the product split
// exactly into uh + ul (Dekker), c + uh exactly into th + tl (TwoSum), then th + RO(tl + ul), where
// RO rounds to odd. It holds without underflow or overflow, which the bounds here ensure (and the
// result is above the smallest normal); NaN when it does not apply.
const P995: f64 = reinterpret<f64>(<u64>0x7e20000000000000); // 2^995
const P1000: f64 = reinterpret<f64>(<u64>0x7e70000000000000); // 2^1000
const P1020: f64 = reinterpret<f64>(<u64>0x7fb0000000000000); // 2^1020
const PM900: f64 = reinterpret<f64>(<u64>0x07b0000000000000); // 2^-900

function fmaNativeD(a: f64, b: f64, c: f64): f64 {
  const pa = abs<f64>(a), pb = abs<f64>(b), pc = abs<f64>(c);
  // also false for NaNs and infinities
  if (!(pa < P995 && pb < P995 && pc < P1020 && (pc == 0 || pc >= PM900))) return NaN;
  const uh = a * b;
  const pu = abs<f64>(uh);
  if (!(pu >= PM900 && pu < P1000)) return NaN;
  const sa = a * 134217729.0; // 2^27 + 1: Veltkamp's split into 26-bit halves
  const ah = sa - (sa - a);
  const al = a - ah;
  const sb = b * 134217729.0;
  const bh = sb - (sb - b);
  const bl = b - bh;
  const ul = ah * bh - uh + ah * bl + al * bh + al * bl;
  const th = c + uh;
  const z = th - c;
  const tl = c - (th - z) + (uh - z);
  const r = th + roundToOdd(tl, ul);
  return normalD(reinterpret<u64>(r)) ? r : NaN;
}

// x + y rounded to odd: rounded to nearest, then, if inexact and even, one step towards the
// exact sum (TwoSum gives the error).
function roundToOdd(x: f64, y: f64): f64 {
  const v = x + y;
  const z = v - x;
  const err = x - (v - z) + (y - z);
  const bits = reinterpret<u64>(v);
  if (err == 0 || (bits & 1) != 0) return v;
  return reinterpret<f64>((err > 0) == (v > 0) ? bits + 1 : bits - 1);
}

// Singles: the product is exact in binary64, the sum rounded to odd at 53 bits, then to nearest
// at 24 bits: correct, as 53 >= 24 + 2. NaN when the result is not a normal single.
function fmaNativeS(a: f32, b: f32, c: f32): f32 {
  const r = <f32>roundToOdd(<f64>a * <f64>b, <f64>c);
  return normalS(reinterpret<u32>(r)) ? r : NaN;
}

// ---- the instructions --------------------------------------------------------------------------

@inline function reg(off: usize): u64 {
  return load<u64>(REGS + off);
}

// In round-to-nearest with NX already set (see the top of this file): static rm RNE, or DYN with
// frm RNE. fcsr = frm << 5 | fflags.
@inline function nativeOk(rmField: u32): bool {
  const fcsr = <u32>csr(FCSR);
  return rmField == DYN ? (fcsr & 0xe1) == NX : rmField == RNE && (fcsr & NX) != 0;
}
// Magnitude bits strictly between the smallest normal and infinity.
@inline function normalD(r: u64): bool {
  const m = r & 0x7fffffffffffffff;
  return m > 0x0010000000000000 && m < 0x7ff0000000000000;
}
@inline function normalS(r: u32): bool {
  const m = r & 0x7fffffff;
  return m > 0x00800000 && m < 0x7f800000;
}
@inline function finiteD(r: u64): bool {
  return (r & 0x7fffffffffffffff) < 0x7ff0000000000000;
}
@inline function finiteS(r: u32): bool {
  return (r & 0x7fffffff) < 0x7f800000;
}

/**
 * Whether an F/D instruction other than a load or store may execute: mstatus.FS is not Off, and
 * a rounding mode (rm in imm's low 3 bits, for the ops that have one) is not reserved: 5 or 6, or
 * DYN with such an frm.
 */
export function floatLegal(op: i32, imm: i32): bool {
  if ((csr(MSTATUS) & MSTATUS_FS) == 0) return false;
  if (!hasRm(op)) return true;
  const rmField = <u32>imm & 7;
  const rm = rmField == DYN ? <u32>(csr(FCSR) >> 5) & 7 : rmField;
  return rm <= RMM;
}

/**
 * Executes an F/D instruction other than a load or store in the core's registers (decoded byte
 * offsets from REGS, f registers included). False when it is illegal (see floatLegal).
 */
export function execFloat(op: i32, rd: usize, rs1: usize, rs2: usize, imm: i32): bool {
  if (!floatLegal(op, imm)) return false;
  const isFma = op >= Op.FMADD_S && op <= Op.FNMADD_S || op >= Op.FMADD_D && op <= Op.FNMADD_D;
  const c = isFma ? reg(F_REG * 8 + (<usize>(imm >> 3) << 3)) : 0;
  store<u64>(REGS + rd, floatOp(op, reg(rs1), reg(rs2), c, imm));
  return true;
}

/**
 * An F/D operation on register values (a, b, c: rs1, rs2, rs3; imm as decoded), legal as
 * floatLegal says: returns what rd receives (a single NaN-boxed), accrues fflags and marks
 * mstatus.FS Dirty as the instruction requires. The interpreter's op and translated code (which
 * calls it with its register locals, nothing spilled) share it.
 */
export function floatOp(op: i32, a: u64, b: u64, c: u64, imm: i32): u64 {
  const rmField = <u32>imm & 7;
  const rm = rmField == DYN ? <u32>(csr(FCSR) >> 5) & 7 : rmField;
  flags = 0;
  let v: u64 = 0;
  let toF = true; // whether the result goes to an f register (else to an x register)
  switch (op) {
    // Native when nothing but inexact can happen and inexact is already set.
    case Op.FADD_D: case Op.FSUB_D: {
      if (nativeOk(rmField)) {
        const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
        v = reinterpret<u64>(op == Op.FADD_D ? x + y : x - y);
        if (finiteD(v)) break;
      }
      v = add(a, b, op == Op.FSUB_D, rm, true);
      break;
    }
    case Op.FMUL_D: case Op.FDIV_D: {
      if (nativeOk(rmField)) {
        const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
        v = reinterpret<u64>(op == Op.FMUL_D ? x * y : x / y);
        if (normalD(v)) break;
      }
      v = op == Op.FMUL_D ? mul(a, b, rm, true) : div(a, b, rm, true);
      break;
    }
    case Op.FADD_S: case Op.FSUB_S: {
      if (nativeOk(rmField) && (a & b & BOX) == BOX) {
        const x = reinterpret<f32>(<u32>a), y = reinterpret<f32>(<u32>b);
        const r = reinterpret<u32>(op == Op.FADD_S ? x + y : x - y);
        v = <u64>r;
        if (finiteS(r)) break;
      }
      v = add(unbox(a), unbox(b), op == Op.FSUB_S, rm, false);
      break;
    }
    case Op.FMUL_S: case Op.FDIV_S: {
      if (nativeOk(rmField) && (a & b & BOX) == BOX) {
        const x = reinterpret<f32>(<u32>a), y = reinterpret<f32>(<u32>b);
        const r = reinterpret<u32>(op == Op.FMUL_S ? x * y : x / y);
        v = <u64>r;
        if (normalS(r)) break;
      }
      v = op == Op.FMUL_S ? mul(unbox(a), unbox(b), rm, false) : div(unbox(a), unbox(b), rm, false);
      break;
    }
    case Op.FSQRT_D: {
      if (nativeOk(rmField)) {
        v = reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)));
        if (normalD(v)) break;
      }
      v = sqrt_(a, rm, true);
      break;
    }
    case Op.FSQRT_S: {
      if (nativeOk(rmField) && (a & BOX) == BOX) {
        const r = reinterpret<u32>(sqrt<f32>(reinterpret<f32>(<u32>a)));
        v = <u64>r;
        if (normalS(r)) break;
      }
      v = sqrt_(unbox(a), rm, false);
      break;
    }
    case Op.FMADD_S: case Op.FMSUB_S: case Op.FNMSUB_S: case Op.FNMADD_S:
    case Op.FMADD_D: case Op.FMSUB_D: case Op.FNMSUB_D: case Op.FNMADD_D: {
      const d = op >= Op.FMADD_D;
      const k = op - (d ? Op.FMADD_D : Op.FMADD_S); // 0 fmadd, 1 fmsub, 2 fnmsub, 3 fnmadd
      const negProd = k >= 2;
      const negC = k == 1 || k == 3;
      if (nativeOk(rmField)) {
        // -(a*b) = (-a)*b, exactly
        if (d) {
          const x = reinterpret<f64>(a), z = reinterpret<f64>(c);
          const r = fmaNativeD(negProd ? -x : x, reinterpret<f64>(b), negC ? -z : z);
          v = reinterpret<u64>(r);
          if (r == r) break;
        } else if ((a & b & c & BOX) == BOX) {
          const x = reinterpret<f32>(<u32>a), z = reinterpret<f32>(<u32>c);
          const r = fmaNativeS(negProd ? -x : x, reinterpret<f32>(<u32>b), negC ? -z : z);
          v = <u64>reinterpret<u32>(r);
          if (r == r) break;
        }
      }
      v = d ? fma(a, b, c, negProd, negC, rm, true) : fma(unbox(a), unbox(b), unbox(c), negProd, negC, rm, false);
      break;
    }
    // Sign injection works on the bits (a single's NaN-boxing checked: an unboxed one is the
    // canonical NaN); no flags, NaNs kept as they are.
    case Op.FSGNJ_D: v = (a & 0x7fffffffffffffff) | (b & 0x8000000000000000); break;
    case Op.FSGNJN_D: v = (a & 0x7fffffffffffffff) | (~b & 0x8000000000000000); break;
    case Op.FSGNJX_D: v = a ^ (b & 0x8000000000000000); break;
    case Op.FSGNJ_S: v = (unbox(a) & 0x7fffffff) | (unbox(b) & 0x80000000); break;
    case Op.FSGNJN_S: v = (unbox(a) & 0x7fffffff) | (~unbox(b) & 0x80000000); break;
    case Op.FSGNJX_S: v = unbox(a) ^ (unbox(b) & 0x80000000); break;
    case Op.FMIN_D: case Op.FMAX_D: v = minMax(a, b, op == Op.FMAX_D, true); break;
    case Op.FMIN_S: case Op.FMAX_S: v = minMax(unbox(a), unbox(b), op == Op.FMAX_S, false); break;
    case Op.FCVT_S_D: v = convert(a, true, rm); break;
    case Op.FCVT_D_S: v = convert(unbox(a), false, rm); break;
    case Op.FEQ_D: case Op.FLT_D: case Op.FLE_D: v = compare(op, a, b, true); toF = false; break;
    case Op.FEQ_S: case Op.FLT_S: case Op.FLE_S: v = compare(op, unbox(a), unbox(b), false); toF = false; break;
    case Op.FCLASS_D: v = classify(a, true); toF = false; break;
    case Op.FCLASS_S: v = classify(unbox(a), false); toF = false; break;
    case Op.FCVT_W_D: case Op.FCVT_WU_D: case Op.FCVT_L_D: case Op.FCVT_LU_D: {
      const k = op - Op.FCVT_W_D; // w, wu, l, lu
      v = toInt(a, true, rm, (k & 1) == 0, k >= 2);
      toF = false;
      break;
    }
    case Op.FCVT_W_S: case Op.FCVT_WU_S: case Op.FCVT_L_S: case Op.FCVT_LU_S: {
      const k = op - Op.FCVT_W_S;
      v = toInt(unbox(a), false, rm, (k & 1) == 0, k >= 2);
      toF = false;
      break;
    }
    case Op.FCVT_D_W: case Op.FCVT_D_WU: case Op.FCVT_D_L: case Op.FCVT_D_LU: {
      const k = op - Op.FCVT_D_W;
      v = fromInt(a, (k & 1) == 0, k >= 2, rm, true);
      break;
    }
    case Op.FCVT_S_W: case Op.FCVT_S_WU: case Op.FCVT_S_L: case Op.FCVT_S_LU: {
      const k = op - Op.FCVT_S_W;
      v = fromInt(a, (k & 1) == 0, k >= 2, rm, false);
      break;
    }
    // Moves: the bits as they are (fmv.x.w takes the low half, sign-extended, boxed or not).
    case Op.FMV_X_D: v = a; toF = false; break;
    case Op.FMV_X_W: v = <u64>(<i64>(<i32>a)); toF = false; break;
    case Op.FMV_D_X: v = a; break;
    case Op.FMV_W_X: v = a & 0xffffffff; break;
  }
  if (toF) {
    markFsDirty();
    if (isSingle(op)) v |= BOX;
  }
  // Only a change of fflags is a change of state (so the translator's inline paths, which raise
  // nothing new, leave mstatus exactly as this does).
  const fcsr = csr(FCSR);
  if ((fcsr | flags) != fcsr) {
    setCsr(FCSR, fcsr | flags);
    markFsDirty();
  }
  return v;
}

// Whether an op has a rounding-mode field.
function hasRm(op: i32): bool {
  switch (op) {
    case Op.FSGNJ_S: case Op.FSGNJN_S: case Op.FSGNJX_S: case Op.FSGNJ_D: case Op.FSGNJN_D: case Op.FSGNJX_D:
    case Op.FMIN_S: case Op.FMAX_S: case Op.FMIN_D: case Op.FMAX_D: case Op.FEQ_S: case Op.FLT_S: case Op.FLE_S:
    case Op.FEQ_D: case Op.FLT_D: case Op.FLE_D: case Op.FCLASS_S: case Op.FCLASS_D: case Op.FMV_X_W:
    case Op.FMV_W_X: case Op.FMV_X_D: case Op.FMV_D_X:
      return false;
  }
  return true;
}

// Whether an op's f register result is a single (fcvt.s.d is; fcvt.d.s is not).
function isSingle(op: i32): bool {
  switch (op) {
    case Op.FMADD_S: case Op.FMSUB_S: case Op.FNMSUB_S: case Op.FNMADD_S: case Op.FADD_S: case Op.FSUB_S:
    case Op.FMUL_S: case Op.FDIV_S: case Op.FSQRT_S: case Op.FSGNJ_S: case Op.FSGNJN_S: case Op.FSGNJX_S:
    case Op.FMIN_S: case Op.FMAX_S: case Op.FCVT_S_D: case Op.FCVT_S_W: case Op.FCVT_S_WU: case Op.FCVT_S_L:
    case Op.FCVT_S_LU: case Op.FMV_W_X:
      return true;
  }
  return false;
}
