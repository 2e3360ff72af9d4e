// Region discovery: the basic blocks reachable by direct branches from a hot entry, bounded in
// size. Instructions are decoded by the core's own decoder (decodeOne), the one the interpreter
// uses, so both engines always agree on what an instruction is.
import type { Core } from '../core/core.ts';
import { OP_NAMES } from '../isa/ops.ts';
import { ENTRY_BY_NAME } from '../isa/table.ts';
import { MAX_REGION_INSNS, MAX_REGION_SPAN, MAX_RETURN_TARGETS } from './tuning.ts';

export interface Insn {
  pc: bigint;
  /** Base mnemonic (compressed instructions appear as their expansion), e.g. 'addi'. */
  name: string;
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  len: number;
  /** The instruction's bits (16 or 32), for reports. */
  raw: number;
}

export interface Block {
  start: bigint;
  insns: Insn[];
}

export interface Region {
  entry: bigint;
  /** Blocks in address order; blocks[0] is not necessarily the entry (see entryIndex). */
  blocks: Block[];
  entryIndex: number;
  /** Return addresses of the calls (jal with a link register) in the region: likely targets of
   * its jalr instructions, which then stay inside the region when they match. */
  returnTargets: bigint[];
  /** Physical byte ranges of guest code this region was translated from: [start, end) pairs. */
  ranges: [bigint, bigint][];
  insnCount: number;
  /**
   * Translated with paging on: the virtual page it lies in (it never leaves it) and the physical
   * page that maps there, and the privilege it runs at. Loads and stores then go through the TLB.
   */
  paged?: { vpage: bigint; ppage: bigint; priv: number };
}

/** Where a region's instructions are read from: the virtual page and its physical page. */
export interface CodePage {
  vpage: bigint;
  ppage: bigint;
  priv: number;
}

const CONTROL = new Set(['jal', 'jalr', 'beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']);
const BRANCHES = new Set(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']);

/**
 * Decodes the instruction at `pc`, or undefined when pc is outside RAM (or, with `page`, when
 * the instruction does not lie entirely in that virtual page).
 */
export function decodeAt(core: Core, pc: bigint, page?: CodePage): Insn | undefined {
  const { layout, dv } = core;
  let phys = pc;
  if (page) {
    const at = pc - page.vpage;
    if (at < 0n || at > 4094n) return undefined;
    phys = page.ppage + at;
  }
  const off = phys - layout.ramBase;
  const ramSize = BigInt(core.memory.buffer.byteLength - layout.ram - layout.ramPad);
  if (off < 0n || off + 4n > ramSize + 2n) return undefined;
  const raw32 = dv.getUint32(layout.ram + Number(off), true);
  const e = core.fn.decodeOne(raw32);
  const d = layout.decoded;
  const len = dv.getUint8(e + d.len);
  if (page && pc - page.vpage + BigInt(len) > 4096n) return undefined; // its upper half is elsewhere
  const sink = layout.regSink;
  const rdOff = dv.getUint16(e + d.rd, true);
  return {
    pc,
    name: OP_NAMES[dv.getUint8(e + d.op)],
    rd: rdOff === sink ? 0 : rdOff >> 3,
    rs1: dv.getUint16(e + d.rs1, true) >> 3,
    rs2: dv.getUint16(e + d.rs2, true) >> 3,
    imm: dv.getInt32(e + d.imm, true),
    len,
    raw: len === 2 ? raw32 & 0xffff : raw32 >>> 0,
  };
}

/** Whether the region must stop after this instruction (control transfer or sensitive). */
export function endsBlock(i: Insn): boolean {
  if (i.name === 'illegal') return true;
  return ENTRY_BY_NAME.get(i.name)?.endsBlock ?? true;
}

/**
 * Discovers the region reachable from `entry` by direct branches (with `page`: only within that
 * virtual page, whose mapping the region's translation then assumes). With `taken`, a branch or
 * jump target is followed only where the interpreter has jumped to it: code that never ran stays
 * out, and the region leaves for it. A region entered at a case of a switch was otherwise the
 * whole function around it (bytecode: 45 blocks a case, 2938 instructions in all; 358 with it),
 * loading and storing every register the function uses at each entry and exit.
 */
export function discoverRegion(
  core: Core,
  entry: bigint,
  page?: CodePage,
  taken?: (pc: bigint) => boolean,
): Region {
  const found = discover(core, entry, page, taken, new Set());
  // A recursive call made from inside the function it calls, entered elsewhere than at its start
  // (qsort's partition loop, calling quicksort from the middle of it): followed, it brings that
  // function's start into the region as a second way into its loops, and the region's return
  // targets a third; binaryen's Relooper then dispatches on a label variable inside the hot loops.
  // Such calls leave the region instead (qsort ~1750 -> ~1950 warm MIPS, paged-qsort ~1300 ->
  // ~1600). A region entered at the function's start keeps its recursion (a loop to its entry).
  const recursive = recursiveCalls(found, entry);
  return recursive.size ? discover(core, entry, page, taken, recursive).region : found.region;
}

/** The calls (jal with a link) whose target leads back to the call without a return, by pc. */
function recursiveCalls(found: { region: Region; calls: Map<bigint, bigint> }, entry: bigint): Set<bigint> {
  const { region, calls } = found;
  const recursive = new Set<bigint>();
  const blockAt = new Map(region.blocks.map((b) => [b.start, b]));
  const blockOf = (pc: bigint) => region.blocks.find((b) => b.insns.some((i) => i.pc === pc));
  for (const [callPc, target] of calls) {
    if (target === entry || !blockAt.has(target)) continue;
    const home = blockOf(callPc);
    const seen = new Set<bigint>();
    const work = [target];
    while (work.length) {
      const start = work.pop()!;
      if (seen.has(start)) continue;
      seen.add(start);
      if (start === home?.start) {
        recursive.add(callPc);
        break;
      }
      const b = blockAt.get(start);
      if (b) for (const next of successors(b)) if (blockAt.has(next)) work.push(next);
    }
  }
  return recursive;
}

/** Where control can go from the end of block `b` by direct branches, jumps and falls. */
function successors(b: Block): bigint[] {
  const last = b.insns[b.insns.length - 1];
  const fall = last.pc + BigInt(last.len);
  if (!endsBlock(last)) return [fall];
  if (BRANCHES.has(last.name)) return [last.pc + BigInt(last.imm), fall];
  if (last.name === 'jal')
    return last.rd !== 0 ? [last.pc + BigInt(last.imm), fall] : [last.pc + BigInt(last.imm)];
  return [];
}

/** discoverRegion's walk, not following the calls at the pcs in `noFollow`. */
function discover(
  core: Core,
  entry: bigint,
  page: CodePage | undefined,
  taken: ((pc: bigint) => boolean) | undefined,
  noFollow: Set<bigint>,
): { region: Region; calls: Map<bigint, bigint> } {
  const calls = new Map<bigint, bigint>();
  const insns = new Map<bigint, Insn>();
  const leaders = new Set<bigint>([entry]);
  const work: bigint[] = [entry];
  let lo = entry - BigInt(MAX_REGION_SPAN / 2);
  let hi = entry + BigInt(MAX_REGION_SPAN / 2);
  if (page) {
    if (lo < page.vpage) lo = page.vpage;
    if (hi > page.vpage + 4096n) hi = page.vpage + 4096n;
  }
  const inSpan = (pc: bigint) => pc >= lo && pc < hi;
  const returns = new Set<bigint>();

  while (work.length > 0 && insns.size < MAX_REGION_INSNS) {
    let pc = work.pop()!;
    while (!insns.has(pc) && insns.size < MAX_REGION_INSNS) {
      const i = decodeAt(core, pc, page);
      if (!i) break;
      insns.set(pc, i);
      if (!endsBlock(i)) {
        pc += BigInt(i.len);
        if (!inSpan(pc)) break;
        continue;
      }
      if (CONTROL.has(i.name) && i.name !== 'jalr') {
        const target = pc + BigInt(i.imm);
        const call = i.name === 'jal' && i.rd !== 0;
        if (call) calls.set(pc, target);
        if (inSpan(target) && (!taken || taken(target)) && !(call && noFollow.has(pc))) {
          leaders.add(target);
          work.push(target);
        }
        // A branch falls through; a call (jal with a link) comes back after itself.
        if (BRANCHES.has(i.name) || (i.name === 'jal' && i.rd !== 0)) {
          const fall = pc + BigInt(i.len);
          if (inSpan(fall)) {
            leaders.add(fall);
            work.push(fall);
            if (i.name === 'jal') returns.add(fall);
          }
        }
      }
      break;
    }
  }

  // Blocks: maximal runs of decoded instructions from each leader, split at the next leader.
  const blocks: Block[] = [];
  const starts = [...leaders].filter((pc) => insns.has(pc)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const start of starts) {
    const block: Block = { start, insns: [] };
    let pc = start;
    for (;;) {
      const i = insns.get(pc);
      if (!i) break;
      block.insns.push(i);
      pc += BigInt(i.len);
      if (endsBlock(i) || leaders.has(pc)) break;
    }
    blocks.push(block);
  }

  // Coalesced byte ranges of the code, for invalidation.
  const toPhys = page ? (pc: bigint) => pc - page.vpage + page.ppage : (pc: bigint) => pc;
  const ranges: [bigint, bigint][] = [];
  for (const i of [...insns.values()].sort((a, b) => (a.pc < b.pc ? -1 : 1))) {
    const last = ranges.at(-1);
    const start = toPhys(i.pc);
    if (last && last[1] === start) last[1] = start + BigInt(i.len);
    else ranges.push([start, start + BigInt(i.len)]);
  }
  const entryIndex = blocks.findIndex((b) => b.start === entry);
  const returnTargets = [...returns].filter((pc) => insns.has(pc)).slice(0, MAX_RETURN_TARGETS);
  const region = { entry, blocks, entryIndex, returnTargets, ranges, insnCount: insns.size, paged: page };
  return { region, calls };
}

/** The export name of region i in a batch's module (kept here: this file does not load binaryen). */
export const regionExport = (i: number): string => `region_${i}`;
