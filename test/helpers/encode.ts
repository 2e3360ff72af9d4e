// An instruction encoder derived from the instruction table: it inverts the operand specs the
// decoders read (src/isa/decode.ts), and checks each word by decoding it again, so it can only
// produce what the table defines.
import { decode, lookup } from '../../src/isa/decode.ts';
import { ENTRY_BY_NAME, type ImmSpec, type RegSpec } from '../../src/isa/table.ts';

export interface Operands {
  rd?: number;
  rs1?: number;
  rs2?: number;
  imm?: number;
}

/** An encoded instruction: its bits (the low 16 for a compressed one) and length in bytes. */
export interface Encoded {
  raw: number;
  len: 2 | 4;
}

const fieldMask = (hi: number, lo: number): number => ((2 ** (hi - lo + 1) - 1) * 2 ** lo) >>> 0;

/** Encodes `name` (a table mnemonic, e.g. 'addi' or 'c.addi') with its operands; throws if it cannot. */
export function encode(name: string, ops: Operands = {}): Encoded {
  const e = ENTRY_BY_NAME.get(name);
  if (!e) throw new Error(`encode: no instruction '${name}'`);
  let raw = e.match;
  let set = e.mask; // bits already decided, to catch operands that share a field and disagree
  const fail = (why: string): never => {
    throw new Error(`encode: ${name} ${JSON.stringify(ops)}: ${why}`);
  };
  const put = (hi: number, lo: number, value: number) => {
    const m = fieldMask(hi, lo);
    const bits = ((value * 2 ** lo) & m) >>> 0;
    if ((set & m) === m && (raw & m) >>> 0 !== bits) fail(`bits ${hi}:${lo} already hold another value`);
    raw = ((raw & ~m) | bits) >>> 0;
    set = (set | m) >>> 0;
  };
  const reg = (spec: RegSpec | undefined, value: number | undefined, what: string) => {
    if (value === undefined) return; // absent: its bits stay 0
    if (!spec) {
      if (value !== 0) fail(`${what} is not an operand`);
      return;
    }
    if ('fixed' in spec) {
      if (value !== spec.fixed) fail(`${what} must be x${spec.fixed}`);
      return;
    }
    const [hi, lo] = spec.bits;
    const field = value - spec.add;
    if (field < 0 || field >= 2 ** (hi - lo + 1)) fail(`${what} x${value} does not fit`);
    put(hi, lo, field);
  };
  const imm = (spec: ImmSpec | undefined, value: number | undefined) => {
    if (value === undefined) return;
    if (!spec) {
      if (value !== 0) fail('no immediate');
      return;
    }
    for (const { inst, imm: at } of spec.segs) {
      put(inst[0], inst[1], Math.floor(value / 2 ** at[1]) & (2 ** (at[0] - at[1] + 1) - 1));
    }
  };
  const o = e.operands;
  reg(o.rd, ops.rd, 'rd');
  reg(o.rs1, ops.rs1, 'rs1');
  reg(o.rs2, ops.rs2, 'rs2');
  imm(o.imm, ops.imm);
  // The round trip: the same entry, and every operand given comes back unchanged.
  const d = decode(raw);
  if (lookup(raw) !== e || d.op === 0) fail(`decodes as ${d.cname ?? d.name}`);
  for (const k of ['rd', 'rs1', 'rs2', 'imm'] as const) {
    if (ops[k] !== undefined && d[k] !== ops[k]) fail(`${k} decodes as ${d[k]} (out of range?)`);
  }
  return { raw: e.len === 2 ? raw & 0xffff : raw, len: e.len };
}
