// A reference for the F and D extensions, independent of the core (assembly/fpu.ts): exact
// rational arithmetic on BigInts, rounded once by the definition of IEEE 754 with RISC-V's
// choices (tininess after rounding, canonical NaNs, saturating conversions). Slow and plain, so
// that it can be checked by reading it.

export interface Fmt {
  readonly bits: 32 | 64;
  /** Exponent field width. */
  readonly e: number;
  /** Precision, the implicit bit included. */
  readonly p: number;
}
export const F32: Fmt = { bits: 32, e: 8, p: 24 };
export const F64: Fmt = { bits: 64, e: 11, p: 53 };

// fflags bits
export const NX = 1;
export const UF = 2;
export const OF = 4;
export const DZ = 8;
export const NV = 16;

/** Rounding modes: RNE, RTZ, RDN, RUP, RMM. */
export type Rm = 0 | 1 | 2 | 3 | 4;

export interface Result {
  bits: bigint;
  flags: number;
}

/** A decoded value; a number (zero included) is (neg ? -1 : 1) * n / d. */
type Val =
  | { kind: 'nan'; snan: boolean }
  | { kind: 'inf'; neg: boolean }
  | { kind: 'num'; neg: boolean; n: bigint; d: bigint };

const bias = (f: Fmt) => (1 << (f.e - 1)) - 1;
const expAll = (f: Fmt) => (1 << f.e) - 1;
const signBit = (f: Fmt) => 1n << BigInt(f.bits - 1);
export const canonicalNaN = (f: Fmt): bigint => (f.bits === 32 ? 0x7fc00000n : 0x7ff8000000000000n);
const inf = (neg: boolean, f: Fmt) => (neg ? signBit(f) : 0n) | (BigInt(expAll(f)) << BigInt(f.p - 1));

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export function decode(bits: bigint, f: Fmt): Val {
  const fb = BigInt(f.p - 1);
  const neg = ((bits >> BigInt(f.bits - 1)) & 1n) === 1n;
  const e = Number((bits >> fb) & BigInt(expAll(f)));
  const frac = bits & ((1n << fb) - 1n);
  if (e === expAll(f))
    return frac === 0n ? { kind: 'inf', neg } : { kind: 'nan', snan: frac >> (fb - 1n) === 0n };
  const m = e === 0 ? frac : frac | (1n << fb);
  const k = (e === 0 ? 1 : e) - bias(f) - (f.p - 1); // value = m * 2^k
  return k >= 0
    ? { kind: 'num', neg, n: m << BigInt(k), d: 1n }
    : { kind: 'num', neg, n: m, d: 1n << BigInt(-k) };
}

/** Rounds (neg ? -1 : 1) * n / d to the format (n = 0 gives a zero of that sign). */
export function round(neg: boolean, n: bigint, d: bigint, rm: Rm, f: Fmt): Result {
  const sign = neg ? signBit(f) : 0n;
  if (n === 0n) return { bits: sign, flags: 0 };
  let E = bitLength(n) - bitLength(d); // floor(log2(n / d))
  if (E >= 0 ? n < d << BigInt(E) : n << BigInt(-E) < d) E--;
  const emin = 1 - bias(f);
  // n / d rounded to a multiple of 2^k: that multiple's count, and whether it is inexact.
  const at = (k: number) => {
    let num = n;
    let den = d;
    if (k >= 0) den <<= BigInt(k);
    else num <<= BigInt(-k);
    const q = num / den;
    const rem = num % den;
    const twice = 2n * rem;
    const up = [
      twice > den || (twice === den && (q & 1n) === 1n),
      false,
      neg && rem !== 0n,
      !neg && rem !== 0n,
      rem !== 0n && twice >= den,
    ][rm];
    return { m: q + (up ? 1n : 0n), inexact: rem !== 0n };
  };
  // Tiny: rounded with an unbounded exponent, still below the smallest normal 2^emin.
  const tiny = E < emin && at(E - f.p + 1).m < 1n << BigInt(f.p - 1 + emin - E);
  let k = Math.max(E, emin) - f.p + 1;
  const r = at(k);
  let m = r.m;
  if (m === 1n << BigInt(f.p)) {
    m >>= 1n;
    k++;
  }
  let flags = r.inexact ? NX : 0;
  if (tiny && r.inexact) flags |= UF;
  if (m >= 1n << BigInt(f.p - 1) && k + f.p - 1 > bias(f)) {
    const toInf = rm === 0 || rm === 4 || (rm === 3 && !neg) || (rm === 2 && neg);
    return { bits: toInf ? inf(neg, f) : inf(neg, f) - 1n, flags: OF | NX };
  }
  if (m < 1n << BigInt(f.p - 1)) return { bits: sign | m, flags }; // subnormal (or zero)
  const biased = BigInt(k + f.p - 1 + bias(f));
  return { bits: sign | (biased << BigInt(f.p - 1)) | (m - (1n << BigInt(f.p - 1))), flags };
}

const nanOut = (f: Fmt, ...vals: Val[]): Result => ({
  bits: canonicalNaN(f),
  flags: vals.some((v) => v.kind === 'nan' && v.snan) ? NV : 0,
});
const invalid = (f: Fmt): Result => ({ bits: canonicalNaN(f), flags: NV });
const isZero = (v: Val) => v.kind === 'num' && v.n === 0n;
const negate = (v: Val): Val => (v.kind === 'nan' ? v : { ...v, neg: !v.neg });

/** a + b (or a - b) as a signed fraction over a common denominator. */
function sum(a: { neg: boolean; n: bigint; d: bigint }, b: { neg: boolean; n: bigint; d: bigint }) {
  const num = (a.neg ? -a.n : a.n) * b.d + (b.neg ? -b.n : b.n) * a.d;
  return { neg: num < 0n, n: num < 0n ? -num : num, d: a.d * b.d };
}

export function add(a: bigint, b: bigint, rm: Rm, f: Fmt, sub = false): Result {
  const A = decode(a, f);
  const B = sub ? negate(decode(b, f)) : decode(b, f);
  if (A.kind === 'nan' || B.kind === 'nan') return nanOut(f, A, B);
  if (A.kind === 'inf' && B.kind === 'inf')
    return A.neg === B.neg ? { bits: inf(A.neg, f), flags: 0 } : invalid(f);
  if (A.kind === 'inf') return { bits: inf(A.neg, f), flags: 0 };
  if (B.kind === 'inf') return { bits: inf(B.neg, f), flags: 0 };
  const s = sum(A, B);
  // An exact zero: the operands' sign if they share it, else +0 (-0 rounding down).
  if (s.n === 0n) return round(A.neg === B.neg ? A.neg : rm === 2, 0n, 1n, rm, f);
  return round(s.neg, s.n, s.d, rm, f);
}

export function mul(a: bigint, b: bigint, rm: Rm, f: Fmt): Result {
  const A = decode(a, f);
  const B = decode(b, f);
  if (A.kind === 'nan' || B.kind === 'nan') return nanOut(f, A, B);
  const neg = (A as { neg: boolean }).neg !== (B as { neg: boolean }).neg;
  if (A.kind === 'inf' || B.kind === 'inf')
    return isZero(A) || isZero(B) ? invalid(f) : { bits: inf(neg, f), flags: 0 };
  return round(neg, A.n * B.n, A.d * B.d, rm, f);
}

export function div(a: bigint, b: bigint, rm: Rm, f: Fmt): Result {
  const A = decode(a, f);
  const B = decode(b, f);
  if (A.kind === 'nan' || B.kind === 'nan') return nanOut(f, A, B);
  const neg = (A as { neg: boolean }).neg !== (B as { neg: boolean }).neg;
  if (A.kind === 'inf') return B.kind === 'inf' ? invalid(f) : { bits: inf(neg, f), flags: 0 };
  if (B.kind === 'inf') return round(neg, 0n, 1n, rm, f);
  if (B.n === 0n) return A.n === 0n ? invalid(f) : { bits: inf(neg, f), flags: DZ };
  return round(neg, A.n * B.d, A.d * B.n, rm, f);
}

/** (negProd ? -1 : 1) * a * b + (negC ? -1 : 1) * c, rounded once. */
export function fma(
  a: bigint,
  b: bigint,
  c: bigint,
  negProd: boolean,
  negC: boolean,
  rm: Rm,
  f: Fmt,
): Result {
  const A = decode(a, f);
  const B = decode(b, f);
  let C = decode(c, f);
  if (negC) C = negate(C);
  // Infinity times zero is invalid even with a quiet NaN addend.
  if ((A.kind === 'inf' && isZero(B)) || (B.kind === 'inf' && isZero(A))) return invalid(f);
  if (A.kind === 'nan' || B.kind === 'nan' || C.kind === 'nan') return nanOut(f, A, B, C);
  const pNeg = (A.neg !== B.neg) !== negProd;
  if (A.kind === 'inf' || B.kind === 'inf') {
    if (C.kind === 'inf' && C.neg !== pNeg) return invalid(f);
    return { bits: inf(pNeg, f), flags: 0 };
  }
  if (C.kind === 'inf') return { bits: inf(C.neg, f), flags: 0 };
  const s = sum({ neg: pNeg, n: A.n * B.n, d: A.d * B.d }, C);
  if (s.n === 0n) return round(pNeg === C.neg ? pNeg : rm === 2, 0n, 1n, rm, f);
  return round(s.neg, s.n, s.d, rm, f);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: bigint, rm: Rm, f: Fmt): Result {
  const A = decode(a, f);
  if (A.kind === 'nan') return nanOut(f, A);
  if (A.kind === 'inf') return A.neg ? invalid(f) : { bits: a, flags: 0 };
  if (A.n === 0n) return { bits: a, flags: 0 };
  if (A.neg) return invalid(f);
  // sqrt(n / d) = sqrt(N) / 2^S with N = n * 2^(2S) / d an integer (d is a power of two). S is
  // so large that no rounding boundary lies strictly between q / 2^S and (q + 1) / 2^S.
  const S = 1200;
  const N = (A.n << BigInt(2 * S)) / A.d;
  const q = isqrt(N);
  if (q * q === N) return round(false, q, 1n << BigInt(S), rm, f);
  return round(false, 2n * q + 1n, 1n << BigInt(S + 1), rm, f);
}

/** Float to integer (w, wu, l, lu): the 64-bit register value, 32-bit results sign-extended. */
export function toInt(a: bigint, rm: Rm, signed: boolean, wide: boolean, f: Fmt): Result {
  const width = wide ? 64n : 32n;
  const max = signed ? (1n << (width - 1n)) - 1n : (1n << width) - 1n;
  const min = signed ? -(1n << (width - 1n)) : 0n;
  const out = (v: bigint, flags: number): Result => ({
    bits: BigInt.asUintN(64, wide ? v : BigInt.asIntN(32, v)),
    flags,
  });
  const A = decode(a, f);
  if (A.kind === 'nan') return out(max, NV);
  if (A.kind === 'inf') return out(A.neg ? min : max, NV);
  const q = A.n / A.d;
  const rem = A.n % A.d;
  const twice = 2n * rem;
  const up = [
    twice > A.d || (twice === A.d && (q & 1n) === 1n),
    false,
    A.neg && rem !== 0n,
    !A.neg && rem !== 0n,
    rem !== 0n && twice >= A.d,
  ][rm];
  const mag = q + (up ? 1n : 0n);
  const v = A.neg ? -mag : mag;
  if (v < min) return out(min, NV);
  if (v > max) return out(max, NV);
  return out(v, rem !== 0n ? NX : 0);
}

/** Integer (the 64-bit register value x) to float. */
export function fromInt(x: bigint, rm: Rm, signed: boolean, wide: boolean, f: Fmt): Result {
  let v = wide ? BigInt.asUintN(64, x) : BigInt.asUintN(32, x);
  if (signed) v = wide ? BigInt.asIntN(64, v) : BigInt.asIntN(32, v);
  return round(v < 0n, v < 0n ? -v : v, 1n, rm, f);
}

/** Between the formats. */
export function convert(a: bigint, from: Fmt, to: Fmt, rm: Rm): Result {
  const A = decode(a, from);
  if (A.kind === 'nan') return { bits: canonicalNaN(to), flags: A.snan ? NV : 0 };
  if (A.kind === 'inf') return { bits: inf(A.neg, to), flags: 0 };
  return round(A.neg, A.n, A.d, rm, to);
}
