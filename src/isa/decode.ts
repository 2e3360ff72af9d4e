// The TypeScript reference decoder: interprets the table's match/mask and operand specs at run
// time. The generated AssemblyScript decoder (gen-decoder.ts) is compiled from the same buckets and
// the same specs, and the tests hold the two to agreeing field by field.
import { opId } from './ops.ts';
import { TABLE, type Entry, type ImmSpec, type RegSpec } from './table.ts';

export interface Decoded {
  /** Op id (0 = illegal). */
  op: number;
  /** Base mnemonic ('addi' for c.li too); 'illegal' when op is 0. */
  name: string;
  /** The compressed mnemonic, when the instruction is 16-bit and legal. */
  cname?: string;
  /** Register numbers (0 when the instruction has no such operand; rs1 is the zimm for csrr*i). */
  rd: number;
  rs1: number;
  rs2: number;
  /** The immediate as the core sees it (signed 32-bit; CSR number for CSR ops). */
  imm: number;
  len: 2 | 4;
}

/** Bucket of a 32-bit instruction: its major opcode, bits [6:2]. */
export const baseKey = (raw: number): number => (raw >>> 2) & 31;
/** Bucket of a 16-bit instruction: funct3 (bits [15:13]) and quadrant (bits [1:0]). */
export const compressedKey = (raw: number): number => ((raw >>> 11) & 0x1c) | (raw & 3);

/** Orders a bucket so that every entry comes after the entries it yields to (stable otherwise). */
function prioritize(bucket: Entry[]): Entry[] {
  const inBucket = new Map(bucket.map((e) => [e.name, e]));
  const out: Entry[] = [];
  const state = new Map<Entry, 'visiting' | 'done'>();
  const place = (e: Entry): void => {
    if (state.get(e) === 'done') return;
    if (state.get(e) === 'visiting') throw new Error(`yieldsTo cycle through '${e.name}'`);
    state.set(e, 'visiting');
    for (const y of e.yieldsTo ?? []) {
      const s = inBucket.get(y);
      if (s) place(s);
    }
    state.set(e, 'done');
    out.push(e);
  };
  bucket.forEach(place);
  return out;
}

function makeBuckets(len: 2 | 4): Entry[][] {
  const keyMask = len === 4 ? 0x7c : 0xe003;
  const key = len === 4 ? baseKey : compressedKey;
  const buckets: Entry[][] = Array.from({ length: 32 }, () => []);
  for (const e of TABLE) {
    if (e.len !== len) continue;
    if ((e.mask & keyMask) !== keyMask) throw new Error(`${e.name}: mask does not fix its bucket bits`);
    buckets[key(e.match)].push(e);
  }
  return buckets.map(prioritize);
}

/** The table split the way both decoders dispatch, each bucket in the order entries are tried. */
export const BASE_BUCKETS: readonly (readonly Entry[])[] = makeBuckets(4);
export const COMPRESSED_BUCKETS: readonly (readonly Entry[])[] = makeBuckets(2);

/** The entry an instruction word decodes by (the first match in priority order), if any. */
export function lookup(raw: number): Entry | undefined {
  const compressed = (raw & 3) !== 3;
  const bucket = compressed ? COMPRESSED_BUCKETS[compressedKey(raw)] : BASE_BUCKETS[baseKey(raw)];
  const w = compressed ? raw & 0xffff : raw >>> 0;
  return bucket.find((e) => (w & e.mask) >>> 0 === e.match);
}

export function extractReg(spec: RegSpec | undefined, raw: number): number {
  if (!spec) return 0;
  if ('fixed' in spec) return spec.fixed;
  const [hi, lo] = spec.bits;
  return ((raw >>> lo) & ((1 << (hi - lo + 1)) - 1)) + spec.add;
}

export function extractImm(spec: ImmSpec | undefined, raw: number): number {
  if (!spec) return 0;
  let v = 0;
  let top = 0;
  for (const { inst, imm } of spec.segs) {
    const width = inst[0] - inst[1] + 1;
    v |= ((raw >>> inst[1]) & ((1 << width) - 1)) << imm[1];
    top = Math.max(top, imm[0]);
  }
  if (!spec.signed) return v >>> 0;
  const shift = 31 - top;
  return (v << shift) >> shift;
}

const OP_OF = new Map(TABLE.map((e) => [e, opId(e.expand ?? e.name)]));

function illegal(raw: number): Decoded {
  return { op: 0, name: 'illegal', rd: 0, rs1: 0, rs2: 0, imm: 0, len: (raw & 3) === 3 ? 4 : 2 };
}

/** Decodes one instruction word (for a 16-bit instruction the upper half is ignored). */
export function decode(raw: number): Decoded {
  const e = lookup(raw);
  if (!e) return illegal(raw);
  const o = e.operands;
  const d: Decoded = {
    op: OP_OF.get(e)!,
    name: e.expand ?? e.name,
    rd: extractReg(o.rd, raw),
    rs1: extractReg(o.rs1, raw),
    rs2: extractReg(o.rs2, raw),
    imm: extractImm(o.imm, raw),
    len: e.len,
  };
  if (e.reservedIfZero?.some((f) => d[f] === 0)) return illegal(raw);
  if (e.len === 2) d.cname = e.name;
  return d;
}
