// Random bare-metal programs for privileged behaviour, compared against QEMU (qemudiff.ts): M/S/U
// transitions (MRET/SRET with random MPP/SPP/MPIE/SPIE), CSR reads and writes with their WARL
// rules, ECALL/EBREAK/illegal instructions from each mode, delegation, and Sv39 with random page
// tables (random R/W/X/U/A/D/V/G bits, superpages, misaligned superpages, reserved bits,
// non-canonical addresses, SUM/MXR, MPRV with MPP), each change followed by SFENCE.VMA.
//
// The program starts in M-mode at 0x8000_0000, runs a list of independent steps (each from its
// own seed, so the minimizer can drop steps and operations without changing the others), records
// every trap and the results of every step in a log in RAM, dumps registers, CSRs, chosen memory
// words and checksums, prints the whole log as hex lines on the UART and stops through the
// SiFive test finisher. The same text comes out of QEMU and wasmvisor when they agree.
//
// Physical map (all identity-mapped in the fixed part of the page tables, so code VA = PA):
//   0x8000_0000 entry, trap handlers, the M-mode driver (the steps)   non-U RWX pages
//   0x8002_0000 bodies run in S-mode                                  non-U RWX pages
//   0x8003_0000 bodies run in U-mode                                  U RWX pages
//   0x8004_0000 page tables: root, the fixed L1/L0, two fuzzed L1 and two fuzzed L0 tables
//   0x8004_8000 the dump list (addresses of words to print at the end)
//   0x8010_0000 the log (word 0: next free entry, word 1: current step)   non-U RW pages
//   0x8040_0000 data: STORE_PAGES pages of loads/stores/AMOs; at 0x8050_0000 FETCH_PAGES pages
//               filled with `jalr x0, 0(s11)` (a successful fetch returns to the continuation)
//
// Registers: x5..x15 are what operations use; x25 (s9) the driver's continuation after a body,
// x26 (s10) the address of the body's final ECALL, x27 (s11) where a fetch fault resumes,
// x28..x31 the handlers' temporaries.
import { disassemble } from '../../src/isa/disasm.ts';
import { ENTRY_BY_NAME } from '../../src/isa/table.ts';
import { encode, type Operands } from './encode.ts';
import { Rng } from './randprog.ts';

export const BASE = 0x8000_0000n;
const DRIVER = 0x8000_0000n;
const DRIVER_END = 0x8002_0000n;
const SBODY = 0x8002_0000n;
const UBODY = 0x8003_0000n;
const BODY_SIZE = 0x1_0000n;
const TABLES = 0x8004_0000n;
const ROOT = TABLES;
const L1C = TABLES + 0x1000n;
const L0C = TABLES + 0x2000n;
const L1F = [TABLES + 0x3000n, TABLES + 0x4000n];
const L0F = [TABLES + 0x5000n, TABLES + 0x6000n];
const DUMP = 0x8004_8000n;
const IMAGE_END = 0x8004_c000n;
export const LOG = 0x8010_0000n;
const LOG_ENTRIES = LOG + 16n;
/** The handlers stop the program once the log reaches this (a runaway trap loop). */
const LOG_LIMIT = LOG + 0x10000n;
const DATA = 0x8040_0000n;
const STORE_PAGES = 4;
const FETCH = 0x8050_0000n;
const FETCH_PAGES = 2;
/** RAM the programs need on wasmvisor (QEMU's default 128 MiB is more). */
export const PRIV_RAM = 8 << 20;
const UART = 0x1000_0000n;
const FINISHER = 0x10_0000n;
const CLINT_MTIMECMP = 0x200_4000n;

const S9 = 25;
const S10 = 26;
const S11 = 27;
const T3 = 28;
const T4 = 29;
const T5 = 30;
const T6 = 31;
/** Registers operations use. */
const OPR = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

// Log record kinds (the tag word: 0x7a << 56 | kind << 40 | words << 32 | step).
export const REC_MTRAP = 1; // mcause, mepc, mtval, mstatus
export const REC_STRAP = 2; // scause, sepc, stval, sstatus
export const REC_BODY_END = 3; // x5..x15 when a body returns to the driver
export const REC_CSR = 4; // csr number, value read by the op, value read back, mip
export const REC_REGS = 5; // final x1..x27
export const REC_CSRS = 6; // final CSRs (FINAL_CSRS)
export const REC_DUMP = 7; // the dump list's words, then checksums of the tables and data pages
export const REC_NAMES: Record<number, string> = {
  [REC_MTRAP]: 'M trap [mcause, mepc, mtval, mstatus]',
  [REC_STRAP]: 'S trap [scause, sepc, stval, sstatus]',
  [REC_BODY_END]: 'body end [x5..x15]',
  [REC_CSR]: 'csr op [csr, read by op, read back, mip]',
  [REC_REGS]: 'final registers [x1..x27]',
  [REC_CSRS]: 'final CSRs',
  [REC_DUMP]: 'dump [listed words..., checksums of tables and data pages]',
};
const tag = (kind: number, words: number) => (0x7an << 56n) | (BigInt(kind) << 40n) | (BigInt(words) << 32n);

// CSR numbers.
const C = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sscratch: 0x140, sepc: 0x141,
  scause: 0x142, stval: 0x143, sip: 0x144, stimecmp: 0x14d, satp: 0x180, mstatus: 0x300, misa: 0x301,
  medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305, mcounteren: 0x306, menvcfg: 0x30a, mscratch: 0x340,
  mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344, pmpcfg0: 0x3a0, pmpaddr0: 0x3b0, cycle: 0xc00,
  time: 0xc01, instret: 0xc02, mhartid: 0xf14,
} as const; // prettier-ignore
export const FINAL_CSRS: [string, number][] = (
  [
    'mstatus', 'sstatus', 'medeleg', 'mideleg', 'mie', 'sie', 'mip', 'sip', 'mtvec', 'stvec', 'mepc', 'sepc',
    'mcause', 'scause', 'mtval', 'stval', 'mscratch', 'sscratch', 'satp', 'mcounteren', 'scounteren', 'menvcfg',
    'senvcfg', 'stimecmp', 'misa', 'mhartid',
  ] as const
).map((n) => [n, C[n]]); // prettier-ignore

// mstatus fields.
const SIE = 1n << 1n;
const MIE = 1n << 3n;
const SPIE = 1n << 5n;
const MPIE = 1n << 7n;
const SPP = 1n << 8n;
const MPP_SHIFT = 11n;
const MPRV = 1n << 17n;
const SUM = 1n << 18n;
const MXR = 1n << 19n;
const TVM = 1n << 20n;
const TW = 1n << 21n;
const TSR = 1n << 22n;
const SSTATUS_FIELDS = SIE | SPIE | SPP | SUM | MXR;

// PTE bits.
const V = 1n;
const R = 2n;
const W = 4n;
const X = 8n;
const U = 16n;
const G = 32n;
const A = 64n;
const D = 128n;
const pointer = (table: bigint, extra = 0n) => ((table >> 12n) << 10n) | V | extra;
const leaf = (pa: bigint, flags: bigint) => ((pa >> 12n) << 10n) | flags;

// ---------------------------------------------------------------------------------------------
// A small assembler: areas of code at fixed addresses, labels across areas, fix-ups at the end.

export interface Label {
  area?: Area;
  pos?: number;
}

interface Slot {
  at: number;
  len: 2 | 4;
  raw: number;
  fix?: () => number;
}

export class Area {
  pos = 0;
  readonly slots: Slot[] = [];
  constructor(
    readonly base: bigint,
    readonly limit: bigint,
    readonly name: string,
  ) {}
  get pc(): bigint {
    return this.base + BigInt(this.pos);
  }
  private add(s: Slot): void {
    if (this.pc + BigInt(s.len) > this.limit) throw new Error(`privprog: the ${this.name} area is full`);
    this.slots.push(s);
    this.pos += s.len;
  }
  emit(name: string, ops: Operands = {}): void {
    const { raw, len } = encode(name, ops);
    this.add({ at: this.pos, len, raw });
  }
  word(raw: number): void {
    this.add({ at: this.pos, len: 4, raw: raw >>> 0 });
  }
  half(raw: number): void {
    this.add({ at: this.pos, len: 2, raw: raw & 0xffff });
  }
  /** An instruction whose operands depend on labels; `at` is its address. */
  later(name: string, ops: (at: bigint) => Operands): void {
    const at = this.pc;
    this.add({
      at: this.pos,
      len: ENTRY_BY_NAME.get(name)!.len,
      raw: 0,
      fix: () => encode(name, ops(at)).raw,
    });
  }
  place(l: Label): void {
    l.area = this;
    l.pos = this.pos;
  }
  align(n: number): void {
    while (this.pos % n) this.emit(this.pos % 4 === 2 ? 'c.nop' : 'addi', { rd: 0, rs1: 0, imm: 0 });
  }
  write(image: Uint8Array): void {
    const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
    const off = Number(this.base - BASE);
    for (const s of this.slots) {
      const raw = s.fix ? s.fix() : s.raw;
      if (s.len === 4) dv.setUint32(off + s.at, raw >>> 0, true);
      else dv.setUint16(off + s.at, raw & 0xffff, true);
    }
  }
}

export const addr = (l: Label): bigint => {
  if (!l.area || l.pos === undefined) throw new Error('privprog: label never placed');
  return l.area.base + BigInt(l.pos);
};

/** rd = the address of `l` (auipc + addi). */
function la(a: Area, rd: number, l: Label | bigint): void {
  let hi = 0;
  const target = () => (typeof l === 'bigint' ? l : addr(l));
  const at = a.pc;
  const delta = () => Number(target() - at);
  a.later('auipc', () => {
    const d = delta();
    hi = (d + 0x800) & ~0xfff;
    return { rd, imm: hi | 0 };
  });
  a.later('addi', () => ({ rd, rs1: rd, imm: delta() - hi }));
}

/** rd = v (any 64-bit value) without memory accesses. */
function li(a: Area, rd: number, value: bigint): void {
  const v = BigInt.asIntN(64, value);
  if (v >= -2048n && v < 2048n) return a.emit('addi', { rd, rs1: 0, imm: Number(v) });
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const lo = BigInt.asIntN(12, v);
    const hi = Number(BigInt.asIntN(32, v - lo));
    a.emit('lui', { rd, imm: hi });
    if (lo !== 0n) a.emit('addiw', { rd, rs1: rd, imm: Number(lo) });
    return;
  }
  const lo = BigInt.asIntN(12, v);
  let hi = (v - lo) >> 12n;
  let shift = 12;
  while ((hi & 1n) === 0n && shift < 60) {
    hi >>= 1n;
    shift++;
  }
  li(a, rd, hi);
  a.emit('slli', { rd, rs1: rd, imm: shift });
  if (lo !== 0n) a.emit('addi', { rd, rs1: rd, imm: Number(lo) });
}

function csrw(a: Area, csr: number, v: bigint, tmp = T3): void {
  if (v === 0n) return a.emit('csrrw', { rd: 0, rs1: 0, imm: csr });
  li(a, tmp, v);
  a.emit('csrrw', { rd: 0, rs1: tmp, imm: csr });
}
const csrr = (a: Area, rd: number, csr: number) => a.emit('csrrs', { rd, rs1: 0, imm: csr });

function branch(a: Area, op: string, rs1: number, rs2: number, to: Label): void {
  a.later(op, (at) => ({ rs1, rs2, imm: Number(addr(to) - at) }));
}
function jump(a: Area, to: Label): void {
  a.later('jal', (at) => ({ rd: 0, imm: Number(addr(to) - at) }));
}

/** Appends a record: the tag, then `regs` (registers to store), using t5/t6 (t6 = LOG on return). */
function logRecord(a: Area, kind: number, regs: number[], tagReg = T4): void {
  la(a, T6, LOG);
  a.emit('ld', { rd: T5, rs1: T6, imm: 0 });
  li(a, tagReg, tag(kind, regs.length));
  a.emit('ld', { rd: T6, rs1: T6, imm: 8 }); // the current step
  a.emit('or', { rd: tagReg, rs1: tagReg, rs2: T6 });
  a.emit('sd', { rs1: T5, rs2: tagReg, imm: 0 });
  regs.forEach((r, i) => a.emit('sd', { rs1: T5, rs2: r, imm: 8 * (i + 1) }));
  a.emit('addi', { rd: T5, rs1: T5, imm: 8 * (regs.length + 1) });
  la(a, T6, LOG);
  a.emit('sd', { rs1: T6, rs2: T5, imm: 0 });
}

// ---------------------------------------------------------------------------------------------
// Random choices.

const pick = <T>(rng: Rng, xs: readonly T[]): T => rng.pick(xs);
const bits = (rng: Rng, mask: bigint): bigint => rng.u64() & mask;

/** A value for a random CSR write: edges, small numbers, random 64 bits. */
function value(rng: Rng): bigint {
  switch (rng.u32() % 5) {
    case 0: return pick(rng, [0n, (1n << 64n) - 1n, 1n, 1n << 63n, 0x8000_0000n]);
    case 1: return BigInt(rng.int(0, 4095));
    default: return rng.u64();
  } // prettier-ignore
}
/** A canonical Sv39 virtual address (what mtval/stval/mepc/sepc must be able to hold). */
const canonical = (rng: Rng): bigint => BigInt.asUintN(64, BigInt.asIntN(39, rng.u64()));

/** Exception causes and interrupts a program may write to mcause/scause (legal values, WLRL). */
const CAUSES = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 11n, 12n, 13n, 15n, ...[1n, 3n, 5n, 7n, 9n, 11n].map((c) => (1n << 63n) | c)]; // prettier-ignore

// ---------------------------------------------------------------------------------------------
// Address scenarios: a virtual address and the page-table entries on its path.

interface Scenario {
  va: bigint;
  writes: [bigint, bigint][];
}

type Use = 'data' | 'fetch';

/** A physical address in the data pages (8-byte aligned) or the fetch pages (4-byte aligned). */
function physical(rng: Rng, use: Use): bigint {
  if (use === 'fetch') return FETCH + BigInt(rng.int(0, FETCH_PAGES - 1) * 4096 + 4 * rng.int(0, 1023));
  return DATA + BigInt(rng.int(0, STORE_PAGES - 1) * 4096 + 8 * rng.int(0, 511));
}

function leafFlags(rng: Rng): bigint {
  let f = 0n;
  if (!rng.chance(0.08)) f |= V;
  if (rng.chance(0.7)) f |= R;
  if (rng.chance(0.55)) f |= W;
  if (rng.chance(0.55)) f |= X;
  if (rng.chance(0.5)) f |= U;
  if (rng.chance(0.2)) f |= G;
  if (rng.chance(0.75)) f |= A;
  if (rng.chance(0.6)) f |= D;
  if ((f & (R | W | X)) === 0n) f |= pick(rng, [R, X, R | W]); // a leaf (pointers are built apart)
  f |= BigInt(rng.int(0, 3)) << 8n; // RSW: ignored
  if (rng.chance(0.04)) f |= 1n << BigInt(rng.int(54, 63)); // reserved, Svpbmt, Svnapot bits
  return f;
}

function pointerExtra(rng: Rng): bigint {
  if (!rng.chance(0.08)) return 0n;
  return pick(rng, [A, D, U, W, G, 1n << 60n]); // reserved in a pointer (but G)
}

/**
 * A scenario for `use` through Sv39. `taken` keeps the step's scenarios on distinct entries: a
 * later one rewriting an earlier one's path would make the earlier access go somewhere else.
 */
function scenario(rng: Rng, use: Use, taken: Set<string>): Scenario {
  const fresh = (key: string, candidates: readonly number[]): number => {
    const free = candidates.filter((c) => !taken.has(`${key}:${c}`));
    const c = free.length ? pick(rng, free) : pick(rng, candidates);
    taken.add(`${key}:${c}`);
    return c;
  };
  // Root entries 2 (the code) is fixed; the rest are fair game, low and high halves.
  const vpn2 = fresh('root', [0, 1, 3, 4, 100, 255, 256, 300, 510, 511]);
  const pa = physical(rng, use);
  const writes: [bigint, bigint][] = [];
  let va: bigint;
  const k = rng.u32() % 10;
  if (k < 3) {
    // A gigapage: aligned at 0x8000_0000, or misaligned.
    const mis = rng.chance(0.25);
    const ppnPa = mis ? BASE + pick(rng, [0x1000n, 0x20_0000n, 0x40_0000n]) : BASE;
    writes.push([ROOT + 8n * BigInt(vpn2), leaf(ppnPa, leafFlags(rng))]);
    va = (BigInt(vpn2) << 30n) | (pa - BASE);
  } else {
    const t = rng.int(0, 1);
    const vpn1 = fresh(`l1-${t}`, [0, 1, 2, 7, 255, 256, 511]);
    writes.push([ROOT + 8n * BigInt(vpn2), pointer(L1F[t], pointerExtra(rng))]);
    if (k < 6) {
      // A megapage at 0x8040_0000 (the data and fetch pages lie in it), or misaligned.
      const mis = rng.chance(0.25);
      const ppnPa = DATA + (mis ? pick(rng, [0x1000n, 0x10_0000n]) : 0n);
      writes.push([L1F[t] + 8n * BigInt(vpn1), leaf(ppnPa, leafFlags(rng))]);
      va = (BigInt(vpn2) << 30n) | (BigInt(vpn1) << 21n) | (pa - DATA);
    } else {
      const u = rng.int(0, 1);
      const vpn0 = fresh(`l0-${u}`, [0, 1, 2, 3, 100, 256, 511]);
      writes.push([L1F[t] + 8n * BigInt(vpn1), pointer(L0F[u], pointerExtra(rng))]);
      // Level 0 must be a leaf; now and then a pointer there (a page fault).
      const pte = rng.chance(0.05) ? pointer(L0F[u]) : leaf(pa & ~0xfffn, leafFlags(rng));
      writes.push([L0F[u] + 8n * BigInt(vpn0), pte]);
      va = (BigInt(vpn2) << 30n) | (BigInt(vpn1) << 21n) | (BigInt(vpn0) << 12n) | (pa & 0xfffn);
    }
  }
  va = BigInt.asUintN(64, BigInt.asIntN(39, va));
  if (rng.chance(0.06)) va ^= 1n << BigInt(rng.int(39, 63)); // not canonical: a page fault
  return { va, writes };
}

// ---------------------------------------------------------------------------------------------
// Steps.

type Mode = 0 | 1 | 3;

interface Config {
  /** menvcfg.STCE: stimecmp drives STIP. */
  stce: boolean;
  medeleg: bigint;
  mideleg: bigint;
  sv39: boolean;
  satp: bigint;
  tsrAllowed: boolean;
}

interface Ctx {
  d: Area; // the driver
  s: Area; // S bodies
  u: Area; // U bodies
  /** Words the final dump prints (PTEs written, data words accessed). */
  dump: Set<bigint>;
  /** The step has an AMO: its set-up delegates load and store page faults alike (see amoCause). */
  amo: boolean;
}

/** Per-step and per-operation seeds: independent of which other steps are kept. */
const mix = (...xs: number[]): number => {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
};

const STEP_KINDS = ['csr', 'body-s', 'body-u', 'mprv', 'mtrap', 'sret-m', 'mret-m'] as const;
type StepKind = (typeof STEP_KINDS)[number];

/** The shape of a step: what the minimizer keeps or drops. */
export interface StepPlan {
  index: number;
  kind: StepKind;
  /** Operations kept (indices into the step's operations). */
  ops: number[];
}

export interface PrivProgram {
  seed: number;
  steps: StepPlan[];
  image: Uint8Array;
  elf: Uint8Array;
  /** Disassembly of the driver and the bodies (for reports). */
  listing: string[];
}

function pickKind(rng: Rng): StepKind {
  const r = rng.u32() % 100;
  if (r < 25) return 'csr';
  if (r < 45) return 'body-s';
  if (r < 62) return 'body-u';
  if (r < 77) return 'mprv';
  if (r < 87) return 'mtrap';
  if (r < 94) return 'sret-m';
  return 'mret-m';
}

/** Ops per step when generated (the minimizer keeps a subset). */
const opCount = (kind: StepKind, rng: Rng): number =>
  kind === 'csr' ? 1 : kind === 'sret-m' || kind === 'mret-m' ? 1 : rng.int(1, 6);

/** The M-mode set-up every step starts with: a complete, random but workable configuration. */
function setup(c: Ctx, rng: Rng, index: number): Config {
  const { d } = c;
  li(d, T3, BigInt(index));
  la(d, T6, LOG);
  d.emit('sd', { rs1: T6, rs2: T3, imm: 8 });
  csrw(d, C.mstatus, 0n); // calm: MIE off, MPRV off, MPP = U
  csrw(d, C.mtvec, MVEC_ADDR | BigInt(rng.int(0, 1)));
  csrw(d, C.stvec, SVEC_ADDR | BigInt(rng.int(0, 1)));
  // ECALL from S (9) stays with M: the S handler's own ECALL is how it hands a body back.
  const medeleg = rng.chance(0.25) ? 0n : bits(rng, 0xb3ffn & ~(1n << 9n));
  const mideleg = rng.chance(0.3) ? 0n : bits(rng, 0x222n);
  csrw(d, C.medeleg, medeleg);
  csrw(d, C.mideleg, mideleg);
  const menvcfg = bits(rng, 1n | (1n << 63n));
  csrw(d, C.menvcfg, menvcfg);
  csrw(d, C.senvcfg, bits(rng, 1n));
  csrw(d, C.stimecmp, -1n);
  // Only software interrupts may be enabled (the timers' and PLIC's state is the board's).
  csrw(d, C.mie, bits(rng, 0x00an));
  csrw(d, C.mip, rng.chance(0.15) ? 2n : 0n); // SSIP, sometimes: an interrupt in S or U
  csrw(d, C.mcounteren, bits(rng, 7n));
  csrw(d, C.scounteren, bits(rng, 7n));
  const sv39 = rng.chance(0.75);
  const satp = sv39 ? (8n << 60n) | (BigInt(rng.int(0, 0xffff)) << 44n) | (ROOT >> 12n) : 0n;
  csrw(d, C.satp, satp);
  d.emit('sfence.vma', { rs1: 0, rs2: 0 });
  return {
    stce: menvcfg >> 63n === 1n,
    medeleg,
    mideleg,
    sv39,
    satp,
    tsrAllowed: medeleg === 0n && mideleg === 0n,
  };
}

/** mstatus for entering a body or an MRET/SRET test: random fields, MIE and MPRV off. */
function randomMstatus(rng: Rng, cfg: Config, mpp: Mode): bigint {
  let s = bits(rng, SIE | SPIE | MPIE | SPP | SUM | MXR | TVM | TW);
  if (cfg.tsrAllowed && rng.chance(0.4)) s |= TSR;
  return s | (BigInt(mpp) << MPP_SHIFT);
}

const LOADS = ['lb', 'lbu', 'lh', 'lhu', 'lw', 'lwu', 'ld'];
const STORES = ['sb', 'sh', 'sw', 'sd'];
const AMOS = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];

interface OpPlan {
  emit: (a: Area) => void;
  /** PTE writes the set-up must do first. */
  writes: [bigint, bigint][];
}

/** An access (load, store, AMO, LR; or a fetch) at an address for the privilege given. */
function accessOp(
  rng: Rng,
  cfg: Config,
  c: Ctx,
  taken: Set<string>,
  translated: boolean,
  fetch: boolean,
): OpPlan {
  const use: Use = fetch ? 'fetch' : 'data';
  let va: bigint;
  let writes: [bigint, bigint][] = [];
  if (translated) {
    const sc = scenario(rng, use, taken);
    va = sc.va;
    writes = sc.writes;
    for (const [at] of writes) c.dump.add(at);
  } else va = physical(rng, use);
  const [ra, rd, rv] = [pick(rng, OPR), pick(rng, OPR), pick(rng, OPR)];
  const data = rng.u64();
  if (!fetch) c.dump.add((translated ? physical(rng, 'data') : va) & ~7n); // (a sample of the pages)
  return {
    writes,
    emit: (a) => {
      if (fetch) {
        // s11 = the instruction after the jalr: the fetched word jumps back there, a fault resumes there.
        li(a, ra, va);
        a.emit('auipc', { rd: S11, imm: 0 });
        a.emit('addi', { rd: S11, rs1: S11, imm: 12 });
        a.emit('jalr', { rd: pick(rng, [0, rd]), rs1: ra, imm: 0 });
        return;
      }
      const k = rng.u32() % 10;
      if (k < 4 || (k >= 7 && k < 9 && translated)) {
        const op = pick(rng, LOADS);
        const size = { b: 1, h: 2, w: 4, d: 8 }[op[1] as 'b' | 'h' | 'w' | 'd'];
        li(a, ra, va + BigInt(size * rng.int(0, 8 / size - 1)));
        a.emit(op, { rd, rs1: ra, imm: 0 });
      } else if (k < 7) {
        const op = pick(rng, STORES);
        const size = { b: 1, h: 2, w: 4, d: 8 }[op[1] as 'b' | 'h' | 'w' | 'd'];
        li(a, rv, data);
        li(a, ra, va + BigInt(size * rng.int(0, 8 / size - 1)));
        a.emit(op, { rs1: ra, rs2: rv, imm: 0 });
      } else if (k < 9 && !translated) {
        // AMOs only untranslated: QEMU 7.2 checks an AMO's read permission first under Sv39
        // (a load page fault instead of store/AMO, and A set on an AMO that faults).
        c.amo = true;
        const dbl = rng.chance(0.5);
        li(a, rv, data);
        li(a, ra, va + (dbl ? 0n : pick(rng, [0n, 4n])));
        a.emit(pick(rng, AMOS) + (dbl ? '.d' : '.w'), { rd, rs1: ra, rs2: rv });
      } else {
        li(a, ra, va);
        a.emit(pick(rng, ['lr.w', 'lr.d']), { rd, rs1: ra });
      }
    },
  };
}

/** CSRs an S- or U-mode body tries, with values that keep the handlers working if they succeed. */
function lowCsrOp(rng: Rng, cfg: Config): (a: Area) => void {
  const rd = pick(rng, OPR);
  const rs = pick(rng, OPR);
  const choices: [number, () => bigint][] = [
    [C.sstatus, () => bits(rng, SSTATUS_FIELDS & ~SPP)],
    [C.sie, () => bits(rng, 0x222n)],
    [C.sip, () => bits(rng, 0x222n)],
    [C.stvec, () => SVEC_ADDR | BigInt(rng.int(0, 1))],
    [C.sepc, () => canonical(rng) & ~1n],
    [C.scause, () => pick(rng, CAUSES)],
    [C.stval, () => canonical(rng)],
    [C.sscratch, () => value(rng)],
    [C.satp, () => cfg.satp],
    [C.scounteren, () => bits(rng, 7n)],
    [C.senvcfg, () => bits(rng, 1n)],
    [C.stimecmp, () => -1n],
    [C.cycle, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
    [C.time, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
    [C.instret, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
    [C.mstatus, () => 0n],
    [C.mscratch, () => value(rng)],
    [C.mepc, () => 0n],
    [C.medeleg, () => 0n],
    [C.mtvec, () => MVEC_ADDR],
    [C.mhartid, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
    [C.misa, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
    [0x800, () => 0n], // custom, not implemented
    [0x7c0, () => 0n], // custom M-mode, not implemented
  ];
  const [csr, val] = pick(rng, choices);
  const v = val();
  // stvec and satp: csrrs/csrrc of the working value would clear the handler's address or paging.
  const keep = csr === C.stvec || csr === C.satp;
  const op = pick(rng, keep ? ['csrrw', 'read'] : ['csrrw', 'csrrs', 'csrrc', 'read']);
  return (a) => {
    if (op === 'read') csrr(a, rd, csr);
    else {
      li(a, rs, v);
      a.emit(op, { rd, rs1: rs, imm: csr });
    }
    // Counter values differ between machines; whether the read traps is what counts.
    if (csr === C.cycle || csr === C.time || csr === C.instret) a.emit('addi', { rd, rs1: 0, imm: 0 });
  };
}

/** One operation of an S- or U-mode body. */
function bodyOp(rng: Rng, cfg: Config, c: Ctx, taken: Set<string>, mode: Mode): OpPlan {
  const r = rng.u32() % 100;
  if (r < 30) return accessOp(rng, cfg, c, taken, cfg.sv39, false);
  if (r < 42) return accessOp(rng, cfg, c, taken, cfg.sv39, true);
  if (r < 62) return { writes: [], emit: lowCsrOp(rng, cfg) };
  const k = rng.u32() % 10;
  const rs = pick(rng, OPR);
  const va = cfg.sv39 ? scenario(rng, 'data', new Set()).va : 0n;
  const asid = BigInt(rng.int(0, 3));
  return {
    writes: [],
    emit: (a) => {
      switch (k) {
        case 0:
          return a.emit('ecall');
        case 1:
          return a.emit('ebreak');
        case 2:
          return a.word(0xffff_ffff);
        case 3:
          return a.half(0); // c.unimp: illegal, 2 bytes
        case 4:
          return a.emit('mret');
        case 5:
          return a.emit('csrrw', { rd: rs, rs1: 0, imm: C.cycle }); // read-only: illegal
        case 6: {
          li(a, rs, va);
          const r2 = pick(
            rng,
            OPR.filter((x) => x !== rs),
          );
          li(a, r2, asid);
          return a.emit('sfence.vma', { rs1: pick(rng, [0, rs]), rs2: pick(rng, [0, r2]) });
        }
        default: {
          // SRET to the next instruction: from S a real return (to S when paging is on: the body
          // page is not a U page), from U an illegal instruction.
          a.emit('auipc', { rd: rs, imm: 0 });
          const sppToU = !cfg.sv39 && mode === 1 && rng.chance(0.5);
          const setSpp = mode === 1;
          const n = setSpp ? 4 : 0;
          a.emit('addi', { rd: rs, rs1: rs, imm: 16 + 4 * n });
          a.emit('csrrw', { rd: 0, rs1: rs, imm: C.sepc });
          if (setSpp) {
            a.emit('addi', { rd: rs, rs1: 0, imm: 1 });
            a.emit('slli', { rd: rs, rs1: rs, imm: 8 });
            a.emit(sppToU ? 'csrrc' : 'csrrs', { rd: 0, rs1: rs, imm: C.sstatus });
            a.emit('addi', { rd: 0, rs1: 0, imm: 0 });
          }
          return a.emit('sret');
        }
      }
    },
  };
}

/** An operation of an M-mode step that traps, or an MRET/SRET test. */
function mTrapOp(rng: Rng): (a: Area) => void {
  const k = rng.u32() % 6;
  const rd = pick(rng, OPR);
  return (a) => {
    switch (k) {
      case 0:
        return a.emit('ecall');
      case 1:
        return a.emit('ebreak');
      case 2:
        return a.word(0xffff_ffff);
      case 3:
        return a.half(0);
      case 4:
        return a.emit('csrrs', { rd, rs1: 0, imm: pick(rng, [0x800, 0x7c0, 0x5c0]) }); // not implemented
      default:
        return a.emit('csrrw', { rd, rs1: 0, imm: C.cycle }); // writing a read-only CSR
    }
  };
}

/** A random write (or read) of an M-mode-visible CSR with a value the spec fully determines. */
function mCsrOp(rng: Rng, cfg: Config): (a: Area) => void {
  const choices: [number, () => bigint][] = [
    [C.mstatus, () => randomMstatus(rng, cfg, pick(rng, [0, 1, 3] as Mode[])) | bits(rng, MIE)],
    [C.sstatus, () => bits(rng, SSTATUS_FIELDS)],
    [C.medeleg, () => bits(rng, 0xb3ffn)],
    [C.mideleg, () => bits(rng, 0x222n)],
    [C.mie, () => bits(rng, 0xaaan)],
    [C.sie, () => bits(rng, 0x222n)],
    [C.mip, () => bits(rng, 0x222n)],
    [C.sip, () => bits(rng, 0x222n)],
    [C.mtvec, () => (rng.u64() & ~3n) | BigInt(rng.int(0, 1))],
    [C.stvec, () => (rng.u64() & ~3n) | BigInt(rng.int(0, 1))],
    [C.mepc, () => canonical(rng) & ~1n], // bit 0 is always 0, but QEMU 7.2 keeps it: see the report
    [C.sepc, () => canonical(rng) & ~1n],
    [C.mcause, () => pick(rng, CAUSES)],
    [C.scause, () => pick(rng, CAUSES)],
    [C.mtval, () => canonical(rng)],
    [C.stval, () => canonical(rng)],
    [C.mscratch, () => value(rng)],
    [C.sscratch, () => value(rng)],
    [C.satp, () => satpValue(rng)],
    [C.mcounteren, () => bits(rng, 7n)],
    [C.scounteren, () => bits(rng, 7n)],
    [C.menvcfg, () => bits(rng, 1n | (1n << 63n))],
    [C.senvcfg, () => bits(rng, 1n)],
    // stimecmp = 0 only with STCE: QEMU 7.2 sets STIP from stimecmp even when STCE is 0.
    [C.stimecmp, () => (cfg.stce ? pick(rng, [0n, -1n]) : -1n)],
    [C.misa, () => -1n], // read only here (writes to misa are implementation-defined)
    [C.mhartid, () => 1n], // nonzero: QEMU 7.2 takes csrrs/csrrc of 0 as no write
  ];
  const [csr, val] = pick(rng, choices);
  const v = val();
  const readOnly = csr === C.misa || csr === C.mhartid;
  // satp: only whole writes. Setting or clearing bits of an Sv39 satp can make MODE 9 or 10
  // (Sv48, Sv57), which QEMU 7.2 implements and we do not: both are allowed, so not compared.
  const op = readOnly
    ? 'csrrs0'
    : csr === C.stimecmp || csr === C.satp
      ? 'csrrw'
      : pick(rng, ['csrrw', 'csrrs', 'csrrc', 'imm']);
  // csrrs/csrrc only set or clear: the value is ANDed with a mask that keeps it in the allowed set.
  const zimm = Number(v & 31n);
  const [r1, r2, r3] = [5, 6, 7];
  return (a) => {
    if (csr === C.mie || csr === C.mip) a.emit('csrrci', { rd: 0, rs1: 8, imm: C.mstatus }); // MIE off first
    if (op === 'csrrs0') a.emit('csrrs', { rd: r1, rs1: 0, imm: csr });
    else if (op === 'imm') {
      const iop = pick(rng, ['csrrwi', 'csrrsi', 'csrrci']);
      // Immediate forms write bits 4:0: keep them legal for this CSR.
      const legal = immLegal(csr, zimm);
      a.emit(iop, { rd: r1, rs1: legal, imm: csr });
    } else {
      li(a, r2, v);
      a.emit(op, { rd: r1, rs1: r2, imm: csr });
    }
    csrr(a, r2, csr);
    csrr(a, r3, C.mip);
    li(a, T3, BigInt(csr));
    logRecord(a, REC_CSR, [T3, r1, r2, r3]);
  };
}

/** A 5-bit immediate that keeps a CSR within the values compared. */
function immLegal(csr: number, zimm: number): number {
  switch (csr) {
    case C.mstatus: return zimm & 0b01010; // SIE, MIE
    case C.sstatus: return zimm & 0b00010;
    case C.medeleg: return zimm;
    case C.mideleg: case C.mie: case C.sie: case C.mip: case C.sip: return zimm & 0b00010;
    case C.mtvec: case C.stvec: return zimm & 0b11101; // not MODE 2 or 3
    case C.mcause: case C.scause: return [0, 1, 2, 3, 5, 8, 9, 11, 12, 13, 15].includes(zimm) ? zimm : 2;
    case C.mcounteren: case C.scounteren: return zimm & 7;
    case C.menvcfg: case C.senvcfg: return zimm & 1;
    case C.mepc: case C.sepc: return zimm & ~1; // see mepc in mCsrOp
    case C.satp: return 0; // would make a bare satp with other fields
    case C.stimecmp: return 0;
    default: return zimm;
  } // prettier-ignore
}

/** satp values whose effect the spec determines: bare (all zero), Sv39, or an unsupported mode. */
function satpValue(rng: Rng): bigint {
  const k = rng.u32() % 4;
  if (k === 0) return 0n;
  const mode = k === 1 ? pick(rng, [1n, 2n, 5n, 7n, 11n, 12n, 15n]) : 8n; // reserved modes: ignored
  return (mode << 60n) | (rng.u64() & ((1n << 60n) - 1n));
}

let MVEC_ADDR = 0n;
let SVEC_ADDR = 0n;

function step(c: Ctx, seed: number, plan: StepPlan): void {
  const { d } = c;
  const rng = new Rng(mix(seed, plan.index));
  const cfg = setup(c, rng, plan.index);
  const opRng = (j: number) => new Rng(mix(seed, plan.index, j, 77));
  const kept = (j: number) => plan.ops.includes(j);
  const n = opCount(plan.kind, new Rng(mix(seed, plan.index, 1)));
  const taken = new Set<string>();
  c.amo = false;
  const flushPtes = (ops: OpPlan[]) => {
    if (c.amo && ((cfg.medeleg >> 13n) & 1n) !== ((cfg.medeleg >> 15n) & 1n)) {
      li(d, T3, (1n << 13n) | (1n << 15n));
      d.emit((cfg.medeleg >> 13n) & 1n ? 'csrrs' : 'csrrc', { rd: 0, rs1: T3, imm: C.medeleg });
    }
    const ws = ops.flatMap((o) => o.writes);
    for (const [at, v] of ws) {
      li(d, T3, at);
      li(d, T4, v);
      d.emit('sd', { rs1: T3, rs2: T4, imm: 0 });
    }
    if (ws.length) d.emit('sfence.vma', { rs1: 0, rs2: 0 });
  };
  switch (plan.kind) {
    case 'csr': {
      if (kept(0)) mCsrOp(opRng(0), cfg)(d);
      return;
    }
    case 'body-s':
    case 'body-u': {
      const mode: Mode = plan.kind === 'body-s' ? 1 : 0;
      const b = mode === 1 ? c.s : c.u;
      const ops: OpPlan[] = [];
      for (let j = 0; j < n; j++) if (kept(j)) ops.push(bodyOp(opRng(j), cfg, c, taken, mode));
      flushPtes(ops);
      const body: Label = {};
      const end: Label = {};
      const cont: Label = {};
      b.align(4);
      b.place(body);
      for (const o of ops) o.emit(b);
      b.place(end);
      b.emit('ecall');
      la(d, S9, cont);
      la(d, S10, end);
      la(d, S11, end);
      la(d, T3, body);
      d.emit('csrrw', { rd: 0, rs1: T3, imm: C.mepc });
      csrw(d, C.mstatus, randomMstatus(rng, cfg, mode));
      d.emit('mret');
      d.place(cont);
      return;
    }
    case 'mprv': {
      const ops: { o: OpPlan; s: bigint; mpp: Mode }[] = [];
      for (let j = 0; j < n; j++) {
        if (!kept(j)) continue;
        const r = opRng(j);
        const mpp = pick(r, [0, 1, 1, 3] as Mode[]);
        const s = MPRV | (BigInt(mpp) << MPP_SHIFT) | bits(r, SUM | MXR);
        ops.push({ o: accessOp(r, cfg, c, taken, cfg.sv39 && mpp !== 3, false), s, mpp });
      }
      flushPtes(ops.map((x) => x.o));
      for (const { o, s } of ops) {
        // Set MPRV and MPP before each access: a trap taken in M sets MPP to M.
        csrw(d, C.mstatus, s);
        o.emit(d);
      }
      csrw(d, C.mstatus, 0n);
      return;
    }
    case 'mtrap': {
      for (let j = 0; j < n; j++) if (kept(j)) mTrapOp(opRng(j))(d);
      return;
    }
    case 'sret-m':
    case 'mret-m': {
      if (!kept(0)) return;
      const r = opRng(0);
      const target: Label = {};
      const cont: Label = {};
      la(d, S9, cont);
      la(d, S10, target);
      la(d, S11, target);
      if (plan.kind === 'sret-m') {
        // SRET in M-mode: to SPP (U only with paging off: the driver's pages are not U pages).
        la(d, T3, target);
        d.emit('csrrw', { rd: 0, rs1: T3, imm: C.sepc });
        let s = randomMstatus(r, cfg, 0) & ~SPP;
        if (!cfg.sv39 ? r.chance(0.5) : true) s |= SPP;
        csrw(d, C.mstatus, s);
        d.emit('sret');
        d.place(target);
        d.emit('ecall'); // from S or U: back to the driver
      } else {
        // MRET to M: random MPIE (MIE takes it).
        la(d, T3, target);
        d.emit('csrrw', { rd: 0, rs1: T3, imm: C.mepc });
        csrw(d, C.mstatus, randomMstatus(r, cfg, 3));
        d.emit('mret');
        d.place(target);
        csrr(d, 5, C.mstatus);
        li(d, T3, 0n);
        logRecord(d, REC_CSR, [T3, 5, 5, 5]);
      }
      d.place(cont);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The frame: start-up, handlers, the end.

function handlers(c: Ctx, finish: Label): { mvec: Label; svec: Label; sEscalate: Label } {
  const { d } = c;
  const mvec: Label = {};
  const svec: Label = {};
  const mh: Label = {};
  const sh: Label = {};
  const sEscalate: Label = {};
  d.align(64);
  d.place(mvec);
  for (let i = 0; i < 16; i++) jump(d, mh); // vectored mode: every interrupt cause lands here too
  d.place(svec);
  for (let i = 0; i < 16; i++) jump(d, sh);

  // M handler.
  const mIntr: Label = {};
  const mFetch: Label = {};
  const mSkip: Label = {};
  const mEnd: Label = {};
  const notEnd: Label = {};
  const notFull: Label = {};
  d.place(mh);
  logCsrs(d, REC_MTRAP, [C.mcause, C.mepc, C.mtval, C.mstatus]);
  maskBreakpointTval(d, C.mcause);
  amoCause(d, C.mcause, C.mepc, false);
  // Log full: stop.
  la(d, T4, LOG_LIMIT);
  branch(d, 'bltu', T5, T4, notFull);
  la(d, T4, finish);
  d.emit('jalr', { rd: 0, rs1: T4, imm: 0 });
  d.place(notFull);
  csrr(d, T3, C.mcause);
  branch(d, 'blt', T3, 0, mIntr);
  // ECALL from U, S or M at the body's end, or the S handler's escalation: back to the driver.
  d.emit('addi', { rd: T4, rs1: T3, imm: -8 });
  d.emit('sltiu', { rd: T4, rs1: T4, imm: 4 });
  branch(d, 'beq', T4, 0, notEnd);
  d.emit('addi', { rd: T4, rs1: T3, imm: -10 });
  branch(d, 'beq', T4, 0, notEnd); // cause 10 does not exist
  csrr(d, T4, C.mepc);
  branch(d, 'beq', T4, S10, mEnd);
  la(d, T5, sEscalate);
  branch(d, 'beq', T4, T5, mEnd);
  d.place(notEnd);
  d.emit('addi', { rd: T4, rs1: T3, imm: -1 });
  branch(d, 'beq', T4, 0, mFetch);
  d.emit('addi', { rd: T4, rs1: T3, imm: -12 });
  branch(d, 'beq', T4, 0, mFetch);
  jump(d, mSkip);
  d.place(mIntr);
  d.emit('csrrci', { rd: 0, rs1: 2, imm: C.mip });
  d.emit('mret');
  d.place(mFetch);
  d.emit('csrrw', { rd: 0, rs1: S11, imm: C.mepc });
  d.emit('mret');
  d.place(mSkip);
  csrr(d, T3, C.mepc);
  d.emit('lhu', { rd: T4, rs1: T3, imm: 0 });
  d.emit('andi', { rd: T4, rs1: T4, imm: 3 });
  d.emit('addi', { rd: T3, rs1: T3, imm: 2 });
  d.emit('addi', { rd: T5, rs1: 0, imm: 3 });
  const two: Label = {};
  branch(d, 'bne', T4, T5, two);
  d.emit('addi', { rd: T3, rs1: T3, imm: 2 });
  d.place(two);
  d.emit('csrrw', { rd: 0, rs1: T3, imm: C.mepc });
  d.emit('mret');
  d.place(mEnd);
  logRecord(d, REC_BODY_END, OPR);
  d.emit('jalr', { rd: 0, rs1: S9, imm: 0 });

  // S handler.
  const sIntr: Label = {};
  const sFetch: Label = {};
  const sSkip: Label = {};
  d.place(sh);
  logCsrs(d, REC_STRAP, [C.scause, C.sepc, C.stval, C.sstatus]);
  maskBreakpointTval(d, C.scause);
  amoCause(d, C.scause, C.sepc, true);
  // Log full (a runaway loop): hand over to M, which stops the program.
  const sNotFull: Label = {};
  la(d, T4, LOG_LIMIT);
  branch(d, 'bltu', T5, T4, sNotFull);
  d.emit('ecall');
  d.place(sNotFull);
  csrr(d, T3, C.scause);
  branch(d, 'blt', T3, 0, sIntr);
  d.emit('addi', { rd: T4, rs1: T3, imm: -8 });
  const sNotEnd: Label = {};
  branch(d, 'bne', T4, 0, sNotEnd);
  csrr(d, T4, C.sepc);
  branch(d, 'bne', T4, S10, sNotEnd);
  d.place(sEscalate);
  d.emit('ecall'); // from S, never delegated: the M handler returns to the driver
  d.place(sNotEnd);
  d.emit('addi', { rd: T4, rs1: T3, imm: -1 });
  branch(d, 'beq', T4, 0, sFetch);
  d.emit('addi', { rd: T4, rs1: T3, imm: -12 });
  branch(d, 'beq', T4, 0, sFetch);
  jump(d, sSkip);
  d.place(sIntr);
  d.emit('csrrci', { rd: 0, rs1: 2, imm: C.sip });
  d.emit('sret');
  d.place(sFetch);
  d.emit('csrrw', { rd: 0, rs1: S11, imm: C.sepc });
  d.emit('sret');
  d.place(sSkip);
  // The faulting instruction may be on a U page: read it with SUM set.
  csrr(d, T3, C.sepc);
  li(d, T5, SUM);
  d.emit('csrrs', { rd: T5, rs1: T5, imm: C.sstatus });
  d.emit('lhu', { rd: T4, rs1: T3, imm: 0 });
  d.emit('csrrw', { rd: 0, rs1: T5, imm: C.sstatus });
  d.emit('andi', { rd: T4, rs1: T4, imm: 3 });
  d.emit('addi', { rd: T3, rs1: T3, imm: 2 });
  d.emit('addi', { rd: T5, rs1: 0, imm: 3 });
  const sTwo: Label = {};
  branch(d, 'bne', T4, T5, sTwo);
  d.emit('addi', { rd: T3, rs1: T3, imm: 2 });
  d.place(sTwo);
  d.emit('csrrw', { rd: 0, rs1: T3, imm: C.sepc });
  d.emit('sret');
  return { mvec, svec, sEscalate };
}

/**
 * After a trap record (t5 = its end): a breakpoint's tval is logged as 0 and xtval set to 0. The spec lets it be 0 or
 * the pc (QEMU 7.2 writes 0, wasmvisor the pc): not a value to compare.
 */
function maskBreakpointTval(d: Area, cause: number): void {
  const skip: Label = {};
  csrr(d, T3, cause);
  d.emit('addi', { rd: T3, rs1: T3, imm: -3 });
  branch(d, 'bne', T3, 0, skip);
  d.emit('sd', { rs1: T5, rs2: 0, imm: -16 });
  d.emit('csrrw', { rd: 0, rs1: 0, imm: cause + 1 }); // xtval (xcause + 1) = 0 as well
  d.place(skip);
}

/**
 * After a trap record (t5 = its end): a load page fault (13) raised by an AMO becomes a store/AMO
 * page fault (15), in the log and in xcause. QEMU 7.2 checks an AMO's read permission first and
 * raises 13 when it fails; the spec (and wasmvisor) raise 15 for AMOs. With `sum`, the instruction
 * is read with sstatus.SUM set (it may be on a U page).
 */
function amoCause(d: Area, cause: number, epc: number, sum: boolean): void {
  const skip: Label = {};
  csrr(d, T3, cause);
  d.emit('addi', { rd: T3, rs1: T3, imm: -13 });
  branch(d, 'bne', T3, 0, skip);
  csrr(d, T3, epc);
  if (sum) {
    li(d, T6, SUM);
    d.emit('csrrs', { rd: T6, rs1: T6, imm: C.sstatus });
  }
  d.emit('lhu', { rd: T4, rs1: T3, imm: 0 });
  d.emit('lhu', { rd: T3, rs1: T3, imm: 2 });
  if (sum) d.emit('csrrw', { rd: 0, rs1: T6, imm: C.sstatus });
  d.emit('andi', { rd: T4, rs1: T4, imm: 0x7f });
  d.emit('addi', { rd: T4, rs1: T4, imm: -0x2f });
  branch(d, 'bne', T4, 0, skip);
  d.emit('srli', { rd: T3, rs1: T3, imm: 11 });
  d.emit('addi', { rd: T3, rs1: T3, imm: -2 });
  branch(d, 'beq', T3, 0, skip); // LR: a load
  d.emit('addi', { rd: T3, rs1: 0, imm: 15 });
  d.emit('sd', { rs1: T5, rs2: T3, imm: -32 });
  d.emit('csrrw', { rd: 0, rs1: T3, imm: cause });
  d.place(skip);
}

/** Appends a record of CSR values (read while storing: only t3..t6 are used). */
function logCsrs(d: Area, kind: number, csrs: number[]): void {
  la(d, T6, LOG);
  d.emit('ld', { rd: T5, rs1: T6, imm: 0 });
  li(d, T4, tag(kind, csrs.length));
  d.emit('ld', { rd: T3, rs1: T6, imm: 8 });
  d.emit('or', { rd: T4, rs1: T4, rs2: T3 });
  d.emit('sd', { rs1: T5, rs2: T4, imm: 0 });
  csrs.forEach((n, i) => {
    csrr(d, T4, n);
    d.emit('sd', { rs1: T5, rs2: T4, imm: 8 * (i + 1) });
  });
  d.emit('addi', { rd: T5, rs1: T5, imm: 8 * (csrs.length + 1) });
  d.emit('sd', { rs1: T6, rs2: T5, imm: 0 });
}

// ---------------------------------------------------------------------------------------------
// The whole program.

const CHECKSUM_K = 0x9e37_79b9_7f4a_7c15n;
const FETCH_WORD = encode('jalr', { rd: 0, rs1: S11, imm: 0 }).raw;

/** The steps of `seed`'s program, every operation kept. */
export function planProgram(seed: number, steps = 24): StepPlan[] {
  return Array.from({ length: steps }, (_, index) => {
    const kind = pickKind(new Rng(mix(seed, index, 2)));
    const n = opCount(kind, new Rng(mix(seed, index, 1)));
    return { index, kind, ops: Array.from({ length: n }, (_, j) => j) };
  });
}

/** Builds the program of `seed` with the steps (and operations) in `plans`. */
export function buildProgram(seed: number, plans: StepPlan[]): PrivProgram {
  const d = new Area(DRIVER, DRIVER_END, 'driver');
  const c: Ctx = { d, s: new Area(SBODY, SBODY + BODY_SIZE, 'S body'), u: new Area(UBODY, UBODY + BODY_SIZE, 'U body'), dump: new Set(), amo: false }; // prettier-ignore
  const finish: Label = {};
  const init: Label = {};
  for (let r = 1; r < 32; r++) d.emit('addi', { rd: r, rs1: 0, imm: 0 });
  jump(d, init);
  const { mvec, svec } = handlers(c, finish);
  MVEC_ADDR = addr(mvec);
  SVEC_ADDR = addr(svec);
  d.place(init);
  // PMP: everything RWX for S and U (QEMU refuses S/U accesses without a PMP entry).
  csrw(d, C.pmpaddr0, 0x3f_ffff_ffff_ffffn);
  csrw(d, C.pmpcfg0, 0x1fn);
  // No machine timer interrupt: mtimecmp as far as it goes (its reset value is the board's).
  li(d, T3, CLINT_MTIMECMP);
  d.emit('addi', { rd: T4, rs1: 0, imm: -1 });
  d.emit('sd', { rs1: T3, rs2: T4, imm: 0 });
  csrw(d, C.mtvec, MVEC_ADDR);
  csrw(d, C.stvec, SVEC_ADDR);
  for (const n of [
    C.mstatus,
    C.medeleg,
    C.mideleg,
    C.mie,
    C.mip,
    C.menvcfg,
    C.senvcfg,
    C.mcounteren,
    C.scounteren,
    C.satp,
    C.mepc,
    C.sepc,
    C.mcause,
    C.scause,
    C.mtval,
    C.stval,
    C.mscratch,
    C.sscratch,
  ])
    // prettier-ignore
    csrw(d, n, 0n);
  csrw(d, C.stimecmp, -1n);
  la(d, T6, LOG);
  la(d, T5, LOG_ENTRIES);
  d.emit('sd', { rs1: T6, rs2: T5, imm: 0 });
  d.emit('sd', { rs1: T6, rs2: 0, imm: 8 });
  // Data pages: word at p = p * K; fetch pages: `jalr x0, 0(s11)`.
  const fill = (from: bigint, to: bigint, word: boolean) => {
    const loop: Label = {};
    li(d, T3, from);
    li(d, T4, to);
    li(d, T6, word ? BigInt(FETCH_WORD) : CHECKSUM_K);
    d.place(loop);
    if (word) d.emit('sw', { rs1: T3, rs2: T6, imm: 0 });
    else {
      d.emit('mul', { rd: T5, rs1: T3, rs2: T6 });
      d.emit('sd', { rs1: T3, rs2: T5, imm: 0 });
    }
    d.emit('addi', { rd: T3, rs1: T3, imm: word ? 4 : 8 });
    branch(d, 'bltu', T3, T4, loop);
  };
  fill(DATA, DATA + BigInt(STORE_PAGES * 4096), false);
  fill(FETCH, FETCH + BigInt(FETCH_PAGES * 4096), true);

  const first: Label = {};
  d.place(first);
  for (const p of plans) step(c, seed, p);
  const last: Label = {};
  d.place(last);

  // The end: registers, CSRs, the dump, checksums; then print the log and stop.
  d.place(finish);
  logRecord(
    d,
    REC_REGS,
    Array.from({ length: 27 }, (_, i) => i + 1),
  );
  logCsrs(
    d,
    REC_CSRS,
    FINAL_CSRS.map(([, n]) => n),
  );
  csrw(d, C.mstatus, 0n);
  const dump = [...c.dump].sort((x, y) => (x < y ? -1 : 1));
  const regions: [bigint, bigint][] = [
    [ROOT, ROOT + 4096n],
    ...[...L1F, ...L0F].map((t): [bigint, bigint] => [t, t + 4096n]),
    [DATA, DATA + BigInt(STORE_PAGES * 4096)],
    [FETCH, FETCH + BigInt(FETCH_PAGES * 4096)],
  ];
  la(d, T6, LOG);
  d.emit('ld', { rd: T5, rs1: T6, imm: 0 });
  li(d, T4, tag(REC_DUMP, dump.length + regions.length));
  d.emit('sd', { rs1: T5, rs2: T4, imm: 0 });
  d.emit('addi', { rd: T5, rs1: T5, imm: 8 });
  for (const at of dump) {
    li(d, 5, at);
    d.emit('ld', { rd: 6, rs1: 5, imm: 0 });
    d.emit('sd', { rs1: T5, rs2: 6, imm: 0 });
    d.emit('addi', { rd: T5, rs1: T5, imm: 8 });
  }
  li(d, 9, CHECKSUM_K);
  for (const [from, to] of regions) {
    const loop: Label = {};
    li(d, 5, from);
    li(d, 6, to);
    d.emit('addi', { rd: 7, rs1: 0, imm: 0 });
    d.place(loop);
    d.emit('ld', { rd: 8, rs1: 5, imm: 0 });
    d.emit('mul', { rd: 7, rs1: 7, rs2: 9 });
    d.emit('add', { rd: 7, rs1: 7, rs2: 8 });
    d.emit('addi', { rd: 5, rs1: 5, imm: 8 });
    branch(d, 'bltu', 5, 6, loop);
    d.emit('sd', { rs1: T5, rs2: 7, imm: 0 });
    d.emit('addi', { rd: T5, rs1: T5, imm: 8 });
  }
  d.emit('sd', { rs1: T6, rs2: T5, imm: 0 });
  // Print every log word as 16 hex digits and a newline.
  const [next, done, digit, letter, put] = [{}, {}, {}, {}, {}] as Label[];
  la(d, 5, LOG_ENTRIES);
  d.emit('ld', { rd: 6, rs1: T6, imm: 0 });
  li(d, 7, UART);
  d.place(next);
  branch(d, 'bgeu', 5, 6, done);
  d.emit('ld', { rd: 8, rs1: 5, imm: 0 });
  d.emit('addi', { rd: 9, rs1: 0, imm: 60 });
  d.place(digit);
  d.emit('srl', { rd: 10, rs1: 8, rs2: 9 });
  d.emit('andi', { rd: 10, rs1: 10, imm: 15 });
  d.emit('addi', { rd: 11, rs1: 10, imm: -10 });
  branch(d, 'bge', 11, 0, letter);
  d.emit('addi', { rd: 10, rs1: 10, imm: 48 });
  jump(d, put);
  d.place(letter);
  d.emit('addi', { rd: 10, rs1: 11, imm: 97 });
  d.place(put);
  thrWait(d);
  d.emit('sb', { rs1: 7, rs2: 10, imm: 0 });
  d.emit('addi', { rd: 9, rs1: 9, imm: -4 });
  branch(d, 'bge', 9, 0, digit);
  d.emit('addi', { rd: 10, rs1: 0, imm: 10 });
  thrWait(d);
  d.emit('sb', { rs1: 7, rs2: 10, imm: 0 });
  d.emit('addi', { rd: 5, rs1: 5, imm: 8 });
  jump(d, next);
  d.place(done);
  li(d, 7, FINISHER);
  li(d, 8, 0x5555n);
  d.emit('sw', { rs1: 7, rs2: 8, imm: 0 });
  const hang: Label = {};
  d.place(hang);
  jump(d, hang);

  const image = new Uint8Array(Number(IMAGE_END - BASE));
  for (const a of [d, c.s, c.u]) a.write(image);
  // Page tables: root[2] -> L1C, L1C[0] -> L0C; L0C maps the code (the U bodies as U pages) and
  // the log identically, with A and D set.
  const dv = new DataView(image.buffer);
  const pte = (table: bigint, i: number, v: bigint) => dv.setBigUint64(Number(table - BASE) + 8 * i, v, true);
  pte(ROOT, 2, pointer(L1C));
  pte(L1C, 0, pointer(L0C));
  const rwx = V | R | W | X | A | D;
  for (let i = 0; i < 0x40; i++) {
    const pa = BASE + BigInt(i) * 4096n;
    pte(L0C, i, leaf(pa, pa >= UBODY && pa < UBODY + BODY_SIZE ? rwx | U : rwx));
  }
  for (let i = 0x100; i < 0x200; i++) pte(L0C, i, leaf(BASE + BigInt(i) * 4096n, V | R | W | A | D));
  const listing = [d, c.s, c.u].flatMap((a) =>
    a.pos === 0 ? [] : areaListing(a, image, a === d ? addr(first) : a.base, a === d ? addr(last) : a.pc),
  );
  return { seed, steps: plans, image, elf: elf64(BASE, BASE, image), listing };
}

/** Waits for the UART's transmitter (LSR.THRE) with x7 = the UART: QEMU drops bytes otherwise. */
function thrWait(d: Area): void {
  const poll: Label = {};
  d.place(poll);
  d.emit('lbu', { rd: 12, rs1: 7, imm: 5 });
  d.emit('andi', { rd: 12, rs1: 12, imm: 0x20 });
  branch(d, 'beq', 12, 0, poll);
}

/** A program from its seed alone: `steps` steps, everything kept. */
export function privProgram(seed: number, steps = 24): PrivProgram {
  return buildProgram(seed, planProgram(seed, steps));
}

function areaListing(a: Area, image: Uint8Array, from: bigint, to: bigint): string[] {
  const dv = new DataView(image.buffer);
  const lines = [`-- ${a.name} (steps) --`];
  for (const s of a.slots) {
    const at = a.base + BigInt(s.at);
    if (at < from || at >= to) continue;
    const off = Number(at - BASE);
    const raw = s.len === 4 ? dv.getUint32(off, true) : dv.getUint16(off, true);
    const bits = raw.toString(16).padStart(s.len * 2, '0');
    lines.push(`${at.toString(16)}:  ${bits.padEnd(8)}  ${disassemble(raw, at)}`);
  }
  return lines;
}

/** A minimal ELF64 RISC-V executable: one PT_LOAD segment of `image` at `base`. */
export function elf64(entry: bigint, base: bigint, image: Uint8Array): Uint8Array {
  const off = 0x1000;
  const out = new Uint8Array(off + image.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF64, little-endian, version 1, System V
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, entry, true);
  dv.setBigUint64(32, 64n, true); // e_phoff
  dv.setBigUint64(40, 0n, true); // no sections
  dv.setUint32(48, 0x5, true); // RVC, double-float ABI (as gcc marks them; nothing reads it)
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 1, true);
  dv.setUint16(58, 64, true);
  // The program header.
  dv.setUint32(64, 1, true); // PT_LOAD
  dv.setUint32(68, 7, true); // RWX
  dv.setBigUint64(72, BigInt(off), true);
  dv.setBigUint64(80, base, true);
  dv.setBigUint64(88, base, true);
  dv.setBigUint64(96, BigInt(image.length), true);
  dv.setBigUint64(104, BigInt(image.length), true);
  dv.setBigUint64(112, 0x1000n, true);
  out.set(image, off);
  return out;
}

/** What line `i` of a program's output is: its record (kind, step) and the word in it. */
export function describeLine(lines: string[], i: number): string {
  let at = 0;
  while (at < lines.length) {
    const t = BigInt('0x' + (lines[at] || '0'));
    if (t >> 56n !== 0x7an) return `line ${i + 1} (not inside a record)`;
    const kind = Number((t >> 40n) & 0xffn);
    const words = Number((t >> 32n) & 0xffn);
    const stepNo = Number(t & 0xffff_ffffn);
    if (i <= at + words) {
      const name = REC_NAMES[kind] ?? `record ${kind}`;
      let field = i === at ? 'the tag' : `word ${i - at}`;
      if (kind === REC_CSRS && i > at) field = FINAL_CSRS[i - at - 1]?.[0] ?? field;
      if (kind === REC_REGS && i > at) field = `x${i - at}`;
      if (kind === REC_BODY_END && i > at) field = `x${OPR[i - at - 1]}`;
      const where =
        kind === REC_DUMP || kind === REC_REGS || kind === REC_CSRS ? 'at the end' : `in step ${stepNo}`;
      return `line ${i + 1}: ${name} ${where}, ${field}`;
    }
    at += words + 1;
  }
  return `line ${i + 1} (past the records)`;
}
