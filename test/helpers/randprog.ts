// Bounded random RV64GC programs for differential testing of the engines: every program ends
// (loops count down reserved registers, other branches only go forward, traps are skipped by a
// handler) by writing PASS to the test finisher. From one seed, always the same program.
//
// Memory: code at CODE_BASE (some items rewrite their next instruction: self-modifying code);
// loads, stores and atomics go to a 4 KiB scratch area at SCRATCH_BASE (random initial contents)
// or to the last bytes of RAM (some reach past it: access faults); past the scratch area, a
// doubleword where the reservation is cleared at the end and EXIT_FLAG (1: exit through the
// finisher; 0: stop in WFI instead, without exiting).
// Registers with a fixed role, never written by random instructions:
//   x1 link register of calls, x2 (sp) = scratch + 2048 (base of c.*sp), x7 address temporary
//   (atomics, indirect jumps, MMIO; the trap handler clobbers it), x8 (s0) = scratch (base of
//   c.lw/c.sw), x9 and x18 loop counters.
// F and D: f registers start with edge values (zeros, infinities, NaNs, subnormals, unboxed
// singles); items compute in every rounding mode, write frm and fflags, and in some programs turn
// mstatus.FS Off and on again (FP instructions then trap; those programs use no compressed FP
// loads or stores, which the 4-byte skip of the trap handler would split).
import { disassemble } from '../../src/isa/disasm.ts';
import { ENTRY_BY_NAME } from '../../src/isa/table.ts';
import { encode, type Operands } from './encode.ts';

export const CODE_BASE = 0x8000_0000n;
export const SCRATCH_BASE = 0x8001_0000n;
export const SCRATCH_SIZE = 4096;
/** 1 there: the program exits through the finisher; 0: it ends in WFI (a deadlock, not an exit). */
export const EXIT_FLAG = SCRATCH_BASE + BigInt(SCRATCH_SIZE) + 8n;
/** Guest RAM the programs need (code and scratch fit in the first 68 KiB). */
export const PROGRAM_RAM = 1 << 20;

export interface RandomProgram {
  seed: number;
  code: Uint8Array;
  /** Initial contents of the scratch area. */
  scratch: Uint8Array;
  /** Initial x0..x31. */
  regs: bigint[];
  /** Initial f0..f31 (their bits). */
  fregs: bigint[];
  /**
   * What the minimizer may replace with nops: the instructions of one item each (byte offsets),
   * never loop control or the frame around the program.
   */
  optional: number[][];
}

/** A small, fast, seeded generator (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.u32() % xs.length];
  }
  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

const LINK = 1;
const SP = 2;
const TMP = 7;
const BASE = 8;
const COUNTERS = [9, 18];
/** Registers random instructions may write. */
const W = [3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
/** The same among x8..x15 (compressed rd'). */
const WC = [10, 11, 12, 13, 14, 15];
const ANY = Array.from({ length: 32 }, (_, i) => i);
const ANYC = [8, 9, 10, 11, 12, 13, 14, 15];

const R_OPS = [
  'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and',
  'addw', 'subw', 'sllw', 'srlw', 'sraw',
  'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu',
  'mulw', 'divw', 'divuw', 'remw', 'remuw',
]; // prettier-ignore
const DIV_OPS = ['div', 'divu', 'rem', 'remu', 'divw', 'divuw', 'remw', 'remuw', 'mulh', 'mulhsu', 'mulw'];
const I_OPS = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
const LOADS: [string, number][] = [
  ['lb', 1], ['lbu', 1], ['lh', 2], ['lhu', 2], ['lw', 4], ['lwu', 4], ['ld', 8],
]; // prettier-ignore
const STORES: [string, number][] = [
  ['sb', 1],
  ['sh', 2],
  ['sw', 4],
  ['sd', 8],
];
const AMOS = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];
/** CSRs whose values are the same on every engine (the clock is deterministic). */
const CSR_READS = [
  0x340, 0xb02, 0xb00, 0xc00, 0xc01, 0xc02, 0xf14, 0x301, 0x300, 0x341, 0x342, 0x343, 0x305, 0x304, 0x344,
];
const MSCRATCH = 0x340;
const MCYCLE = 0xb00;
/** A CSR number nothing implements: reading it is an illegal instruction. */
const NO_CSR = 0x800;

const F = 64; // f registers are numbered F_REG + n (src/isa/table.ts)
const FPR = Array.from({ length: 32 }, (_, i) => F + i);
const FPRC = Array.from({ length: 8 }, (_, i) => F + 8 + i);
const FP_ARITH = ['fadd', 'fsub', 'fmul', 'fdiv'];
const FP_FUSED = ['fmadd', 'fmsub', 'fnmsub', 'fnmadd'];
const FP_BITS = ['fsgnj', 'fsgnjn', 'fsgnjx', 'fmin', 'fmax'];
const FP_CMP = ['feq', 'flt', 'fle'];
const FP_INT = ['w', 'wu', 'l', 'lu'];
const MSTATUS_FS = 0x6000;

interface Label {
  pos?: number;
}

interface Slot {
  at: number;
  len: 2 | 4;
  raw: number;
  /** Filled in at the end, once forward labels are placed. */
  fix?: () => number;
}

/** Builds the program: emits instructions at known offsets, resolves labels at the end. */
class Asm {
  pos = 0;
  readonly slots: Slot[] = [];
  /** Instructions the minimizer may remove, one group per item. */
  readonly groups: number[][] = [];
  /** The groups being filled, innermost last (undefined: what is emitted now must stay). */
  private readonly open: (number[] | undefined)[] = [];

  /** Starts a group: an item (optional) or a part that must stay (loop control, the frame). */
  begin(optional = true): void {
    this.open.push(optional ? [] : undefined);
  }
  end(): void {
    const group = this.open.pop();
    if (group?.length) this.groups.push(group);
  }
  private add(slot: Slot): void {
    this.slots.push(slot);
    this.open.at(-1)?.push(slot.at);
    this.pos += slot.len;
  }

  emit(name: string, ops: Operands = {}): void {
    const { raw, len } = encode(name, ops);
    this.add({ at: this.pos, len, raw });
  }
  /** Emits a word that need not be a table instruction (an illegal one). */
  word(raw: number): void {
    this.add({ at: this.pos, len: 4, raw: raw >>> 0 });
  }
  /** Emits an instruction whose operands depend on labels (its length is the entry's). */
  later(name: string, ops: (at: number) => Operands): void {
    const at = this.pos;
    this.add({ at, len: ENTRY_BY_NAME.get(name)!.len, raw: 0, fix: () => encode(name, ops(at)).raw });
  }
  place(label: Label): void {
    label.pos = this.pos;
  }
  finish(): Uint8Array {
    const code = new Uint8Array(this.pos);
    const dv = new DataView(code.buffer);
    for (const s of this.slots) {
      const raw = s.fix ? s.fix() : s.raw;
      if (s.len === 4) dv.setUint32(s.at, raw >>> 0, true);
      else dv.setUint16(s.at, raw & 0xffff, true);
    }
    return code;
  }
}

const off = (label: Label, at: number): number => {
  if (label.pos === undefined) throw new Error('randprog: label never placed');
  return label.pos - at;
};

interface Ctx {
  depth: number;
  inCall: boolean;
  /** Straight-line only (the body of a compressed branch, which reaches 256 bytes). */
  flat: boolean;
}

class Generator {
  readonly a = new Asm();
  private items = 0;

  /** This program turns mstatus.FS Off at times (then it uses no compressed FP loads/stores). */
  private readonly fsToggles: boolean;
  /** The share of F/D items: some programs are mostly floating point. */
  private readonly fpShare: number;

  constructor(
    readonly rng: Rng,
    private readonly maxItems: number,
  ) {
    this.fsToggles = rng.chance(0.3);
    this.fpShare = rng.pick([0.05, 0.15, 0.5]);
  }

  /** A destination: now and then x0 (the result is dropped, the rest still happens). */
  private w(): number {
    return this.rng.chance(0.04) ? 0 : this.rng.pick(W);
  }
  /** A destination other than x0. */
  private wnz(): number {
    return this.rng.pick(W);
  }
  private any(): number {
    return this.rng.pick(ANY);
  }
  /** A 12-bit immediate, often one of the edge values. */
  private imm12(): number {
    return this.rng.chance(0.3)
      ? this.rng.pick([0, 1, -1, 2047, -2048, 31, 32, 63, 64])
      : this.rng.int(-2048, 2047);
  }
  private imm6(): number {
    return this.rng.int(-32, 31);
  }

  program(): void {
    const { a, rng } = this;
    const handler: Label = {};
    a.begin(false);
    // The trap handler goes in mtvec first: it skips the (always 4-byte) trapping instruction.
    a.emit('auipc', { rd: TMP, imm: 0 });
    a.later('addi', (at) => ({ rd: TMP, rs1: TMP, imm: off(handler, at - 4) }));
    a.emit('csrrw', { rd: 0, rs1: TMP, imm: 0x305 });
    // F/D on (FS = Initial: reset leaves it Off)
    a.emit('lui', { rd: TMP, imm: 0x2000 });
    a.emit('csrrs', { rd: 0, rs1: TMP, imm: 0x300 });
    this.block(rng.int(this.maxItems >> 1, this.maxItems), { depth: 0, inCall: false, flat: false });
    // Clear the LR/SC reservation (an SC to a word no LR reserves), then exit through the finisher
    // unless the word after that one is 0: then stop in WFI without exiting (a warm-up pass).
    const stop: Label = {};
    a.emit('addi', { rd: TMP, rs1: SP, imm: 2047 });
    a.emit('addi', { rd: TMP, rs1: TMP, imm: 1 });
    a.emit('sc.d', { rd: 0, rs1: TMP, rs2: 0 });
    a.emit('ld', { rd: 6, rs1: TMP, imm: 8 });
    a.later('beq', (at) => ({ rs1: 6, rs2: 0, imm: off(stop, at) }));
    a.emit('lui', { rd: TMP, imm: 0x100 << 12 });
    a.emit('lui', { rd: 6, imm: 5 << 12 });
    a.emit('addi', { rd: 6, rs1: 6, imm: 0x555 });
    a.emit('sw', { rs1: TMP, rs2: 6, imm: 0 });
    a.place(stop);
    a.emit('wfi');
    a.emit('jal', { rd: 0, imm: 0 });
    if (a.pos % 4) a.emit('c.nop'); // mtvec needs 4-byte alignment
    a.place(handler);
    a.emit('csrrs', { rd: TMP, rs1: 0, imm: 0x341 });
    a.emit('addi', { rd: TMP, rs1: TMP, imm: 4 });
    a.emit('csrrw', { rd: 0, rs1: TMP, imm: 0x341 });
    a.emit('mret');
    a.end();
  }

  private block(n: number, ctx: Ctx): void {
    for (let i = 0; i < n && this.items < this.maxItems; i++) this.item(ctx);
  }

  /** One item: an instruction or a small construct, removable as a whole when minimizing. */
  private item(ctx: Ctx): void {
    this.items++;
    this.a.begin();
    this.pick(ctx);
    this.a.end();
  }

  private pick(ctx: Ctx): void {
    if (this.rng.chance(this.fpShare)) return this.float();
    const r = this.rng.u32() % 100;
    if (r < 21) return this.alu();
    if (r < 32) return this.compressed();
    if (r < 38) return this.divide();
    if (r < 47) return this.load();
    if (r < 56) return this.store();
    if (r < 62) return this.atomic();
    if (r < 67) return this.csr();
    if (r < 70) return this.trap();
    if (r < 71) return this.uart();
    if (r < 73) return this.ramEnd();
    if (r < 75) return this.selfModify();
    if (ctx.flat) return this.alu();
    if (r < 83) return this.forward(ctx);
    if (r < 87) return this.jump(ctx);
    if (r < 90 && !ctx.inCall) return this.call(ctx);
    if (ctx.depth < 2) return this.loop(ctx);
    return this.alu();
  }

  private alu(): void {
    const { a, rng } = this;
    const k = rng.u32() % 10;
    if (k < 4) a.emit(rng.pick(R_OPS), { rd: this.w(), rs1: this.any(), rs2: this.any() });
    else if (k < 6) a.emit(rng.pick(I_OPS), { rd: this.w(), rs1: this.any(), imm: this.imm12() });
    else if (k < 7)
      a.emit(rng.pick(['slli', 'srli', 'srai']), { rd: this.w(), rs1: this.any(), imm: rng.int(0, 63) });
    else if (k < 8)
      a.emit(rng.pick(['slliw', 'srliw', 'sraiw']), { rd: this.w(), rs1: this.any(), imm: rng.int(0, 31) });
    else a.emit(rng.pick(['lui', 'auipc']), { rd: this.w(), imm: (rng.u32() & 0xfffff000) | 0 });
  }

  /** Compressed forms of the integer instructions. */
  private compressed(): void {
    const { a, rng } = this;
    const rd = this.wnz(); // x0 would make some of these reserved encodings
    const rdc = rng.pick(WC);
    switch (rng.u32() % 14) {
      case 0: return a.emit('c.addi', { rd, rs1: rd, imm: this.imm6() });
      case 1: return a.emit('c.addiw', { rd, rs1: rd, imm: this.imm6() });
      case 2: return a.emit('c.li', { rd, imm: this.imm6() });
      case 3: return a.emit('c.lui', { rd, imm: (rng.chance(0.5) ? rng.int(1, 31) : rng.int(-32, -1)) << 12 });
      case 4: return a.emit(rng.pick(['c.srli', 'c.srai']), { rd: rdc, rs1: rdc, imm: rng.int(0, 63) });
      case 5: return a.emit('c.andi', { rd: rdc, rs1: rdc, imm: this.imm6() });
      case 6:
      case 7: {
        const op = rng.pick(['c.sub', 'c.xor', 'c.or', 'c.and', 'c.subw', 'c.addw']);
        return a.emit(op, { rd: rdc, rs1: rdc, rs2: rng.pick(ANYC) });
      }
      case 8: return a.emit('c.mv', { rd, rs2: rng.int(1, 31) });
      case 9: return a.emit('c.add', { rd, rs1: rd, rs2: rng.int(1, 31) });
      case 10: return a.emit('c.slli', { rd, rs1: rd, imm: rng.int(0, 63) });
      case 11: return a.emit('c.addi4spn', { rd: rdc, imm: 4 * rng.int(1, 255) });
      case 12: return a.emit('c.nop');
      default: {
        // Move sp and back: sp-relative accesses in between still stay in the scratch area.
        const d = 16 * rng.int(1, 31) * (rng.chance(0.5) ? 1 : -1);
        a.emit('c.addi16sp', { rd: SP, rs1: SP, imm: d });
        this.load();
        a.emit('c.addi16sp', { rd: SP, rs1: SP, imm: -d });
      }
    } // prettier-ignore
  }

  /** An f register: any of the 32, or one of f8..f15 (compressed forms). */
  private f(): number {
    return this.rng.pick(FPR);
  }
  /** A rounding mode: mostly dynamic or nearest-even, sometimes the others or a reserved one. */
  private rm(): number {
    return this.rng.pick([7, 7, 7, 0, 0, 1, 2, 3, 4, 7, 0, 5]);
  }

  /** F and D: arithmetic, conversions, moves, loads and stores, fcsr and mstatus.FS. */
  private float(): void {
    const { a, rng } = this;
    const sfx = rng.pick(['.s', '.d']);
    switch (rng.u32() % 16) {
      case 0:
      case 1:
      case 2:
        return a.emit(rng.pick(FP_ARITH) + sfx, {
          rd: this.f(),
          rs1: this.f(),
          rs2: this.f(),
          imm: this.rm(),
        });
      case 3:
        return a.emit('fsqrt' + sfx, { rd: this.f(), rs1: this.f(), imm: this.rm() });
      case 4:
        return a.emit(rng.pick(FP_FUSED) + sfx, {
          rd: this.f(),
          rs1: this.f(),
          rs2: this.f(),
          imm: (rng.int(0, 31) << 3) | this.rm(),
        });
      case 5:
        return a.emit(rng.pick(FP_BITS) + sfx, { rd: this.f(), rs1: this.f(), rs2: this.f() });
      case 6:
        return a.emit(rng.pick(FP_CMP) + sfx, { rd: this.w(), rs1: this.f(), rs2: this.f() });
      case 7: {
        const t = rng.pick(FP_INT);
        if (rng.chance(0.5))
          return a.emit(`fcvt.${t}${sfx}`, { rd: this.w(), rs1: this.f(), imm: this.rm() });
        return a.emit(`fcvt${sfx}.${t}`, { rd: this.f(), rs1: this.any(), imm: this.rm() });
      }
      case 8:
        return a.emit(rng.pick(['fcvt.s.d', 'fcvt.d.s']), { rd: this.f(), rs1: this.f(), imm: this.rm() });
      case 9: {
        const x = sfx === '.s' ? 'w' : 'd';
        if (rng.chance(0.5)) return a.emit(`fmv.x.${x}`, { rd: this.w(), rs1: this.f() });
        if (rng.chance(0.3)) return a.emit(`fclass${sfx}`, { rd: this.w(), rs1: this.f() });
        return a.emit(`fmv.${x}.x`, { rd: this.f(), rs1: this.any() });
      }
      case 10:
      case 11: {
        const d = sfx === '.d';
        if (d && !this.fsToggles && rng.chance(0.4)) {
          const k = rng.u32() % 4;
          if (k === 0) return a.emit('c.fld', { rd: rng.pick(FPRC), rs1: BASE, imm: 8 * rng.int(0, 31) });
          if (k === 1) return a.emit('c.fsd', { rs2: rng.pick(FPRC), rs1: BASE, imm: 8 * rng.int(0, 31) });
          if (k === 2) return a.emit('c.fldsp', { rd: this.f(), rs1: SP, imm: 8 * rng.int(0, 63) });
          return a.emit('c.fsdsp', { rs2: this.f(), rs1: SP, imm: 8 * rng.int(0, 63) });
        }
        const size = d ? 8 : 4;
        if (rng.chance(0.5)) return a.emit(d ? 'fld' : 'flw', { rd: this.f(), ...this.address(size) });
        return a.emit(d ? 'fsd' : 'fsw', { rs2: this.f(), ...this.address(size) });
      }
      case 12: {
        // frm (now and then a reserved value: dynamic rounding then traps), fflags, fcsr
        const k = rng.u32() % 5;
        if (k === 0)
          return a.emit('csrrwi', { rd: this.w(), rs1: rng.chance(0.85) ? rng.int(0, 4) : 5, imm: 0x002 });
        if (k === 1) return a.emit('csrrwi', { rd: this.w(), rs1: rng.pick([0, 0, 1, 16, 31]), imm: 0x001 });
        if (k === 2) return a.emit('csrrs', { rd: this.w(), rs1: 0, imm: rng.pick([0x001, 0x002, 0x003]) });
        if (k === 3) return a.emit('csrrc', { rd: this.w(), rs1: this.any(), imm: 0x001 });
        return a.emit('csrrw', { rd: this.w(), rs1: this.any(), imm: 0x003 });
      }
      default: {
        // mstatus.FS: Off (in programs that allow it), Initial, Clean or Dirty
        const fs = this.fsToggles ? rng.int(0, 3) : rng.int(1, 3);
        a.emit('lui', { rd: TMP, imm: MSTATUS_FS });
        a.emit('csrrc', { rd: 0, rs1: TMP, imm: 0x300 });
        if (fs === 0) return;
        a.emit('lui', { rd: TMP, imm: fs << 13 });
        return a.emit('csrrs', { rd: 0, rs1: TMP, imm: 0x300 });
      }
    }
  }

  /** M with the operands that have defined special results: x/0 and MIN/-1. */
  private divide(): void {
    const { a, rng } = this;
    const [x, y] = [this.wnz(), this.wnz()];
    const k = rng.u32() % 4;
    if (k === 0) a.emit('c.li', { rd: y, imm: 0 });
    else if (k === 1) {
      a.emit('addi', { rd: x, rs1: 0, imm: -1 });
      a.emit('slli', { rd: x, rs1: x, imm: 63 });
      a.emit('addi', { rd: y, rs1: 0, imm: -1 });
    } else if (k === 2) {
      a.emit('lui', { rd: x, imm: -0x8000_0000 });
      a.emit('c.li', { rd: y, imm: -1 });
    }
    a.emit(rng.pick(DIV_OPS), { rd: this.w(), rs1: x, rs2: y });
  }

  /** A base register and an offset (any alignment) so that [base + offset, + size) is scratch. */
  private address(size: number): { rs1: number; imm: number } {
    const aligned = this.rng.chance(0.7);
    const base = this.rng.chance(0.5) ? BASE : SP;
    const lo = base === BASE ? 0 : -2048;
    const hi = (base === BASE ? 2047 : 2047) - (size - 1);
    let imm = this.rng.int(lo, hi);
    if (aligned) imm -= ((imm % size) + size) % size;
    return { rs1: base, imm };
  }

  private load(): void {
    const { a, rng } = this;
    if (rng.chance(0.3)) {
      const d = rng.u32() % 4;
      if (d === 0) return a.emit('c.lw', { rd: rng.pick(WC), rs1: BASE, imm: 4 * rng.int(0, 31) });
      if (d === 1) return a.emit('c.ld', { rd: rng.pick(WC), rs1: BASE, imm: 8 * rng.int(0, 31) });
      if (d === 2) return a.emit('c.lwsp', { rd: this.wnz(), rs1: SP, imm: 4 * rng.int(0, 63) });
      return a.emit('c.ldsp', { rd: this.wnz(), rs1: SP, imm: 8 * rng.int(0, 63) });
    }
    const [op, size] = rng.pick(LOADS);
    a.emit(op, { rd: this.w(), ...this.address(size) });
  }

  private store(): void {
    const { a, rng } = this;
    if (rng.chance(0.3)) {
      const d = rng.u32() % 4;
      if (d === 0) return a.emit('c.sw', { rs2: rng.pick(ANYC), rs1: BASE, imm: 4 * rng.int(0, 31) });
      if (d === 1) return a.emit('c.sd', { rs2: rng.pick(ANYC), rs1: BASE, imm: 8 * rng.int(0, 31) });
      if (d === 2) return a.emit('c.swsp', { rs2: this.any(), rs1: SP, imm: 4 * rng.int(0, 63) });
      return a.emit('c.sdsp', { rs2: this.any(), rs1: SP, imm: 8 * rng.int(0, 63) });
    }
    const [op, size] = rng.pick(STORES);
    a.emit(op, { rs2: this.any(), ...this.address(size) });
  }

  /** AMOs and LR/SC on an aligned scratch address in x7 (rarely misaligned: a trap). */
  private atomic(): void {
    const { a, rng } = this;
    const d = rng.chance(0.5);
    const size = d ? 8 : 4;
    const suffix = d ? '.d' : '.w';
    const at = () => {
      const imm = size * rng.int(0, 2040 / size) + (rng.chance(0.03) ? rng.int(1, size - 1) : 0);
      a.emit('addi', { rd: TMP, rs1: BASE, imm });
    };
    // aq/rl (bits 26:25) are accepted and ignored: set them at random.
    const amo = (name: string, ops: Operands) => {
      const { raw } = encode(name, ops);
      a.word(raw | ((rng.u32() & 3) << 25));
    };
    at();
    const k = rng.u32() % 4;
    if (k < 2) return amo(rng.pick(AMOS) + suffix, { rd: this.w(), rs1: TMP, rs2: this.any() });
    if (k === 2) {
      // lr ... sc: usually the pair succeeds; sometimes the sc goes elsewhere and fails.
      amo('lr' + suffix, { rd: this.w(), rs1: TMP });
      for (let i = rng.int(0, 2); i > 0; i--) this.alu();
      if (rng.chance(0.2)) at();
      return amo('sc' + suffix, { rd: this.w(), rs1: TMP, rs2: this.any() });
    }
    // A lone lr, or a lone sc (fails unless an earlier lr reserved this address).
    if (rng.chance(0.5)) amo('lr' + suffix, { rd: this.w(), rs1: TMP });
    else amo('sc' + suffix, { rd: this.w(), rs1: TMP, rs2: this.any() });
  }

  private csr(): void {
    const { a, rng } = this;
    const k = rng.u32() % 4;
    if (k < 2) return a.emit('csrrs', { rd: this.w(), rs1: 0, imm: rng.pick(CSR_READS) });
    if (k === 2) {
      const op = rng.pick(['csrrw', 'csrrs', 'csrrc']);
      return a.emit(op, {
        rd: rng.pick([0, this.w()]),
        rs1: this.any(),
        imm: rng.chance(0.8) ? MSCRATCH : MCYCLE,
      });
    }
    const op = rng.pick(['csrrwi', 'csrrsi', 'csrrci']);
    a.emit(op, { rd: rng.pick([0, this.w()]), rs1: rng.int(0, 31), imm: MSCRATCH });
  }

  /** An instruction that traps (all 4 bytes long: the handler skips 4). */
  private trap(): void {
    const { a, rng } = this;
    switch (rng.u32() % 6) {
      case 0: return a.emit('ecall');
      case 1: return a.emit('ebreak');
      case 2: return a.word(0xffff_ffff); // no such instruction
      case 3: return a.emit('csrrs', { rd: this.w(), rs1: 0, imm: NO_CSR });
      default: {
        // Nothing is mapped at 0x3000_0000: an access fault from the supervisor's MMIO path.
        a.emit('lui', { rd: TMP, imm: 0x3000_0000 });
        if (rng.chance(0.5)) a.emit('ld', { rd: this.w(), rs1: TMP, imm: 0 });
        else a.emit('sw', { rs1: TMP, rs2: this.any(), imm: 0 });
      }
    } // prettier-ignore
  }

  /** A byte to the UART: console output both engines must produce alike. */
  private uart(): void {
    this.a.emit('lui', { rd: TMP, imm: 0x1000_0000 });
    this.a.emit('sb', { rs1: TMP, rs2: this.any(), imm: 0 });
  }

  /** Loads and stores at the last bytes of RAM, some reaching past it (an access fault). */
  private ramEnd(): void {
    const { a, rng } = this;
    // x7 = the end of RAM, from the scratch base (lui alone would sign-extend 0x8010_0000).
    a.emit('lui', { rd: TMP, imm: Number(CODE_BASE + BigInt(PROGRAM_RAM) - SCRATCH_BASE) });
    a.emit('add', { rd: TMP, rs1: TMP, rs2: BASE });
    const [op] = rng.pick(rng.chance(0.5) ? LOADS : STORES);
    const imm = -rng.int(1, 16);
    if (op.startsWith('l')) a.emit(op, { rd: this.w(), rs1: TMP, imm });
    else a.emit(op, { rs1: TMP, rs2: this.any(), imm });
  }

  /**
   * Self-modifying code: a store rewrites the instruction right after it (an integer op), with
   * fence.i in between or not. Translated code must see the new instruction at once, as the
   * interpreter does.
   */
  private selfModify(): void {
    const { a, rng } = this;
    const aluWord = () => {
      const op = rng.pick(I_OPS);
      return encode(op, { rd: this.wnz(), rs1: this.any(), imm: this.imm12() }).raw;
    };
    const word = aluWord() | 0;
    const hi = (word + 0x800) & ~0xfff; // lui + addi make the word (sign-extended: sw keeps 32 bits)
    const r = this.wnz();
    const fence = rng.chance(0.5);
    const from = a.pos;
    a.emit('auipc', { rd: TMP, imm: 0 });
    a.emit('lui', { rd: r, imm: hi | 0 });
    a.emit('addi', { rd: r, rs1: r, imm: ((word & 0xfff) ^ 0x800) - 0x800 });
    a.emit('sw', { rs1: TMP, rs2: r, imm: 16 + (fence ? 4 : 0) });
    if (fence) a.emit('fence.i');
    if (a.pos - from !== 16 + (fence ? 4 : 0)) throw new Error('randprog: self-modifying item misplaced');
    a.word(aluWord()); // the instruction the store replaces
  }

  /** A forward conditional branch over a block. */
  private forward(ctx: Ctx): void {
    const { a, rng } = this;
    const skip: Label = {};
    if (rng.chance(0.3)) {
      a.later(rng.pick(['c.beqz', 'c.bnez']), (at) => ({ rs1: rng.pick(ANYC), imm: off(skip, at) }));
      this.block(rng.int(1, 6), { ...ctx, flat: true });
    } else {
      const op = rng.pick(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']);
      const [rs1, rs2] = [this.any(), this.any()];
      a.later(op, (at) => ({ rs1, rs2, imm: off(skip, at) }));
      this.block(rng.int(1, 8), ctx);
    }
    a.place(skip);
  }

  /** A forward jump: direct (c.j, jal with a link) or indirect through x7 (jalr, c.jr, c.jalr). */
  private jump(ctx: Ctx): void {
    const { a, rng } = this;
    const to: Label = {};
    const k = rng.u32() % 5;
    if (k === 0) a.later('c.j', (at) => ({ imm: off(to, at) }));
    else if (k === 1) {
      const rd = rng.pick([0, this.w()]);
      a.later('jal', (at) => ({ rd, imm: off(to, at) }));
    } else {
      const from = a.pos;
      a.emit('auipc', { rd: TMP, imm: 0 });
      if (k === 2) {
        const rd = rng.pick([0, this.w()]);
        a.later('jalr', () => ({ rd, rs1: TMP, imm: off(to, from) }));
      } else {
        a.later('addi', () => ({ rd: TMP, rs1: TMP, imm: off(to, from) }));
        a.emit(k === 4 && !ctx.inCall ? 'c.jalr' : 'c.jr', { rs1: TMP });
      }
    }
    this.block(rng.int(0, 2), { ...ctx, flat: true }); // skipped
    a.place(to);
  }

  /** A call to a function placed right after it, and its return. */
  private call(ctx: Ctx): void {
    const { a, rng } = this;
    const fn: Label = {};
    const after: Label = {};
    a.later('jal', (at) => ({ rd: LINK, imm: off(fn, at) }));
    a.later('jal', (at) => ({ rd: 0, imm: off(after, at) })); // the body may be past c.j's reach
    a.place(fn);
    this.block(rng.int(1, 10), { ...ctx, inCall: true });
    if (rng.chance(0.5)) a.emit('c.jr', { rs1: LINK });
    else a.emit('jalr', { rd: 0, rs1: LINK, imm: 0 });
    a.place(after);
  }

  /** A counted loop (at most 6 iterations; loops nest two deep). */
  private loop(ctx: Ctx): void {
    const { a, rng } = this;
    const counter = COUNTERS[ctx.depth];
    const n = rng.int(1, ctx.depth === 0 ? 6 : 4);
    const top: Label = {};
    a.begin(false); // loop control stays when minimizing, so the loop still ends
    a.emit(rng.chance(0.5) ? 'c.li' : 'addi', { rd: counter, rs1: 0, imm: n });
    a.end();
    a.place(top);
    this.block(rng.int(1, 12), { ...ctx, depth: ctx.depth + 1 });
    a.begin(false);
    a.emit(rng.chance(0.5) ? 'c.addi' : 'addi', { rd: counter, rs1: counter, imm: -1 });
    const back = top.pos! - a.pos;
    const k = rng.u32() % 4;
    if (k === 0 && counter < 16 && back >= -256) a.emit('c.bnez', { rs1: counter, imm: back });
    else if (k === 1) a.emit('blt', { rs1: 0, rs2: counter, imm: back });
    else if (k === 2) a.emit('bltu', { rs1: 0, rs2: counter, imm: back });
    else a.emit('bne', { rs1: counter, rs2: 0, imm: back });
    a.end();
  }
}

/** Interesting 64-bit values: edges of the signed and unsigned ranges, small numbers, pointers. */
function value(rng: Rng): bigint {
  switch (rng.u32() % 8) {
    case 0: return BigInt.asUintN(64, BigInt(rng.int(-16, 16)));
    case 1: return rng.pick([0n, 1n, (1n << 64n) - 1n, (1n << 63n) - 1n, 1n << 63n, 0x7fff_ffffn, 0x8000_0000n,
      0xffff_ffffn, 0xffff_ffff_8000_0000n, 1n << 32n]); // prettier-ignore
    case 2: return BigInt.asUintN(64, BigInt(rng.u32() | 0)); // sign-extended 32 bits
    case 3: return 1n << BigInt(rng.int(0, 63));
    case 4: return SCRATCH_BASE + BigInt(rng.int(0, SCRATCH_SIZE - 1));
    default: return rng.u64();
  } // prettier-ignore
}

/** Interesting f register contents: edges of both formats, NaNs, singles boxed or not. */
function fvalue(rng: Rng): bigint {
  const single = (bits: number) => (rng.chance(0.9) ? 0xffff_ffff_0000_0000n : 0n) | BigInt(bits >>> 0);
  switch (rng.u32() % 8) {
    case 0: return rng.pick([0n, 1n << 63n, 0x7ff0_0000_0000_0000n, 0xfff0_0000_0000_0000n, 0x7ff8_0000_0000_0000n,
      0x7ff0_0000_0000_0001n, 0x0000_0000_0000_0001n, 0x000f_ffff_ffff_ffffn, 0x0010_0000_0000_0000n,
      0x7fef_ffff_ffff_ffffn, 0x3ff0_0000_0000_0000n, 0xbff0_0000_0000_0000n, 0x4330_0000_0000_0000n]); // prettier-ignore
    case 1: return single(rng.pick([0, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x7f80_0001, 1,
      0x007f_ffff, 0x0080_0000, 0x7f7f_ffff, 0x3f80_0000, 0xbf80_0000, 0x4b00_0000])); // prettier-ignore
    case 2: return single(rng.u32());
    case 3: return single((rng.u32() & 0x807f_ffff) | ((rng.int(100, 154) << 23) >>> 0)); // near 1
    case 4: return (rng.u64() & 0x800f_ffff_ffff_ffffn) | (BigInt(rng.int(1000, 1086)) << 52n); // near 1
    default: return rng.u64();
  } // prettier-ignore
}

/** The program of `seed`, with about `items` random items (instructions or small constructs). */
export function randomProgram(seed: number, items = 60): RandomProgram {
  const rng = new Rng(seed);
  const g = new Generator(rng, items);
  g.program();
  const code = g.a.finish();
  const optional = g.a.groups;
  const regs = Array.from({ length: 32 }, () => value(rng));
  regs[0] = 0n;
  regs[LINK] = 0n;
  regs[SP] = SCRATCH_BASE + 2048n;
  regs[BASE] = SCRATCH_BASE;
  const scratch = new Uint8Array(SCRATCH_SIZE);
  for (let i = 0; i < SCRATCH_SIZE; i += 4) new DataView(scratch.buffer).setUint32(i, rng.u32(), true);
  const fregs = Array.from({ length: 32 }, () => fvalue(rng));
  return { seed, code, scratch, regs, fregs, optional };
}

/** The program's disassembly, one instruction per line (runs of nops folded). */
export function listing(p: { code: Uint8Array }): string[] {
  const dv = new DataView(p.code.buffer, p.code.byteOffset, p.code.byteLength);
  const lines: string[] = [];
  let nops = 0;
  for (let at = 0; at < p.code.length;) {
    const raw = at + 4 <= p.code.length ? dv.getUint32(at, true) : dv.getUint16(at, true);
    const len = (raw & 3) === 3 ? 4 : 2;
    const text = disassemble(raw, CODE_BASE + BigInt(at));
    if (text === 'addi zero,zero,0') nops++;
    else {
      if (nops) lines.push(`                  (${nops} nop${nops > 1 ? 's' : ''})`);
      nops = 0;
      const bits = (len === 4 ? raw >>> 0 : raw & 0xffff).toString(16).padStart(len * 2, '0');
      lines.push(`${(CODE_BASE + BigInt(at)).toString(16)}:  ${bits.padEnd(8)}  ${text}`);
    }
    at += len;
  }
  if (nops) lines.push(`                  (${nops} nop${nops > 1 ? 's' : ''})`);
  return lines;
}
