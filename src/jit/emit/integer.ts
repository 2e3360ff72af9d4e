// RV64I integer computation: register-immediate, register-register and the *W forms. Each
// emitter has the name of the interpreter op it mirrors (assembly/interp.ts).
import type { Ctx } from '../context.ts';
import type { Emitter } from './index.ts';

type Ref = number;

/** Sign-extends the low 32 bits of an i64 expression. */
export function sext32(c: Ctx, v: Ref): Ref {
  return c.m.i64.extend_s(c.m.i32.wrap(v));
}

// rd = rs1 OP imm
function immOp(op: (c: Ctx, a: Ref, b: Ref) => Ref): Emitter {
  return (c, i) => c.set(i.rd, op(c, c.get(i.rs1), c.i64(i.imm)));
}
// rd = rs1 OP rs2
function regOp(op: (c: Ctx, a: Ref, b: Ref) => Ref): Emitter {
  return (c, i) => c.set(i.rd, op(c, c.get(i.rs1), c.get(i.rs2)));
}
// rd = sext32(wrap(rs1) OP32 wrap(b))
function wordOp(op: (c: Ctx, a: Ref, b: Ref) => Ref, useImm: boolean): Emitter {
  return (c, i) =>
    c.set(
      i.rd,
      c.m.i64.extend_s(op(c, c.m.i32.wrap(c.get(i.rs1)), useImm ? c.i32(i.imm) : c.m.i32.wrap(c.get(i.rs2)))),
    );
}

const add = (c: Ctx, a: Ref, b: Ref) => c.m.i64.add(a, b);
const sub = (c: Ctx, a: Ref, b: Ref) => c.m.i64.sub(a, b);
const xor = (c: Ctx, a: Ref, b: Ref) => c.m.i64.xor(a, b);
const or = (c: Ctx, a: Ref, b: Ref) => c.m.i64.or(a, b);
const and = (c: Ctx, a: Ref, b: Ref) => c.m.i64.and(a, b);
const shl = (c: Ctx, a: Ref, b: Ref) => c.m.i64.shl(a, b); // Wasm masks the count to 6 bits, as RV64 does
const shrU = (c: Ctx, a: Ref, b: Ref) => c.m.i64.shr_u(a, b);
const shrS = (c: Ctx, a: Ref, b: Ref) => c.m.i64.shr_s(a, b);
const lt = (c: Ctx, a: Ref, b: Ref) => c.m.i64.extend_u(c.m.i64.lt_s(a, b));
const ltu = (c: Ctx, a: Ref, b: Ref) => c.m.i64.extend_u(c.m.i64.lt_u(a, b));

export const integer: Record<string, Emitter> = {
  // rd = imm
  lui: (c, i) => c.set(i.rd, c.i64(i.imm)),
  // rd = pc + imm (a constant: the pc of a translated instruction is known)
  auipc: (c, i) => c.set(i.rd, c.i64(i.pc + BigInt(i.imm))),
  addi: immOp(add),
  slti: immOp(lt),
  sltiu: immOp(ltu),
  xori: immOp(xor),
  ori: immOp(or),
  andi: immOp(and),
  slli: immOp(shl),
  srli: immOp(shrU),
  srai: immOp(shrS),
  add: regOp(add),
  sub: regOp(sub),
  sll: regOp(shl),
  slt: regOp(lt),
  sltu: regOp(ltu),
  xor: regOp(xor),
  srl: regOp(shrU),
  sra: regOp(shrS),
  or: regOp(or),
  and: regOp(and),
  // rd = sext32(rs1 + imm)
  addiw: (c, i) => c.set(i.rd, sext32(c, c.m.i64.add(c.get(i.rs1), c.i64(i.imm)))),
  slliw: wordOp((c, a, b) => c.m.i32.shl(a, b), true),
  srliw: wordOp((c, a, b) => c.m.i32.shr_u(a, b), true),
  sraiw: wordOp((c, a, b) => c.m.i32.shr_s(a, b), true),
  addw: wordOp((c, a, b) => c.m.i32.add(a, b), false),
  subw: wordOp((c, a, b) => c.m.i32.sub(a, b), false),
  sllw: wordOp((c, a, b) => c.m.i32.shl(a, b), false),
  srlw: wordOp((c, a, b) => c.m.i32.shr_u(a, b), false),
  sraw: wordOp((c, a, b) => c.m.i32.shr_s(a, b), false),
  // no architectural effect on one hart
  fence: () => {},
};
