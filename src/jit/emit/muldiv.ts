// M extension. Division guards the cases where Wasm would trap (divide by zero, MIN / -1) and
// gives RISC-V's results instead; the high-half multiplies use the interpreter's op.
import { binaryen } from '../binaryen.ts';
import type { Ctx } from '../context.ts';
import { sext32 } from './integer.ts';
import type { Emitter } from './index.ts';

type Ref = number;
const MIN64 = -(1n << 63n);

/** Evaluates a and b once into locals and builds the result from them. */
function binary(build: (c: Ctx, a: () => Ref, b: () => Ref) => Ref, word: boolean): Emitter {
  return (c, i) => {
    const ty = word ? binaryen.i32 : binaryen.i64;
    const a = c.temp(ty);
    const b = c.temp(ty);
    const wrap = (v: Ref) => (word ? c.m.i32.wrap(v) : v);
    c.emit(c.m.local.set(a, wrap(c.get(i.rs1))), c.m.local.set(b, wrap(c.get(i.rs2))));
    const v = build(
      c,
      () => c.m.local.get(a, ty),
      () => c.m.local.get(b, ty),
    );
    c.set(i.rd, word ? c.m.i64.extend_s(v) : v);
  };
}

// b == 0 ? -1 : (a == MIN && b == -1) ? MIN : a / b
const div64 = (c: Ctx, a: () => Ref, b: () => Ref) =>
  c.m.if(
    c.m.i64.eqz(b()),
    c.i64(-1),
    c.m.if(
      c.m.i32.and(c.m.i64.eq(a(), c.i64(MIN64)), c.m.i64.eq(b(), c.i64(-1))),
      c.i64(MIN64),
      c.m.i64.div_s(a(), b()),
    ),
  );
// b == 0 ? a : (a == MIN && b == -1) ? 0 : a % b
const rem64 = (c: Ctx, a: () => Ref, b: () => Ref) =>
  c.m.if(
    c.m.i64.eqz(b()),
    a(),
    c.m.if(
      c.m.i32.and(c.m.i64.eq(a(), c.i64(MIN64)), c.m.i64.eq(b(), c.i64(-1))),
      c.i64(0),
      c.m.i64.rem_s(a(), b()),
    ),
  );
const div32 = (c: Ctx, a: () => Ref, b: () => Ref) =>
  c.m.if(
    c.m.i32.eqz(b()),
    c.i32(-1),
    c.m.if(
      c.m.i32.and(c.m.i32.eq(a(), c.i32(-0x8000_0000)), c.m.i32.eq(b(), c.i32(-1))),
      c.i32(-0x8000_0000),
      c.m.i32.div_s(a(), b()),
    ),
  );
const rem32 = (c: Ctx, a: () => Ref, b: () => Ref) =>
  c.m.if(
    c.m.i32.eqz(b()),
    a(),
    c.m.if(
      c.m.i32.and(c.m.i32.eq(a(), c.i32(-0x8000_0000)), c.m.i32.eq(b(), c.i32(-1))),
      c.i32(0),
      c.m.i32.rem_s(a(), b()),
    ),
  );

export const muldiv: Record<string, Emitter> = {
  mul: (c, i) => c.set(i.rd, c.m.i64.mul(c.get(i.rs1), c.get(i.rs2))),
  mulw: (c, i) => c.set(i.rd, sext32(c, c.m.i64.mul(c.get(i.rs1), c.get(i.rs2)))),
  div: binary(div64, false),
  rem: binary(rem64, false),
  // b == 0 ? all ones : a /u b
  divu: binary((c, a, b) => c.m.if(c.m.i64.eqz(b()), c.i64(-1), c.m.i64.div_u(a(), b())), false),
  // b == 0 ? a : a %u b
  remu: binary((c, a, b) => c.m.if(c.m.i64.eqz(b()), a(), c.m.i64.rem_u(a(), b())), false),
  divw: binary(div32, true),
  remw: binary(rem32, true),
  divuw: binary((c, a, b) => c.m.if(c.m.i32.eqz(b()), c.i32(-1), c.m.i32.div_u(a(), b())), true),
  remuw: binary((c, a, b) => c.m.if(c.m.i32.eqz(b()), a(), c.m.i32.rem_u(a(), b())), true),
};
