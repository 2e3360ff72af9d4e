// Code generation for one region: one Wasm function, guest registers in locals for the whole
// region, its blocks structured by binaryen's Relooper (loops in the guest are loops in Wasm,
// branches are direct), and one shared exit tail that writes state back and chains to the next region
// through the jump cache with a tail call, without returning to JavaScript.
import type Binaryen from 'binaryen';
import { binaryen, loadBinaryen } from './binaryen.ts';
import { addBranchHints, enableBranchHints } from './branch-hints.ts';
import type { Layout } from '../core/core.ts';
import {
  Ctx,
  EXIT_BUDGET,
  EXIT_CONTINUE,
  L_ENTRY,
  L_EXITPC,
  L_LABEL,
  L_LEFT,
  L_STATUS,
  MINSTRET_CSR,
} from './context.ts';
import { EMITTERS, TERMINATORS } from './emit/index.ts';
import { regionExport, type Block, type Region } from './region.ts';
import { ENTRY_BY_NAME } from '../isa/table.ts';

await loadBinaryen(); // before any code below runs (the emitters use it at call time)
await enableBranchHints();

export const TABLE_NAME = 't';

const NO_RD = new Set(['sb', 'sh', 'sw', 'sd', 'beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu', 'fence', 'fetch']);
/** Whether the instruction's rd field names a destination (stores and branches use it for imm). */
function writesRd(name: string): boolean {
  return !NO_RD.has(name);
}

/** One region's module (see buildRegion). */
export interface RegionCode extends RegionInfo {
  module: Binaryen.Module;
}

/** What installing one translated region needs, besides its module. */
export interface RegionInfo {
  /** Guest pcs the region can be entered at, with the block index to pass it. */
  entries: { pc: bigint; block: number }[];
  /** Guest instructions that went through the interpreter's op instead of inline code. */
  fallbacks: number;
  /** How its control flow was structured (see addRegion). */
  structure: Structure;
}

/**
 * Regions that became hot together, as one module's bytes: region i is its export
 * `regionExport(i)`. Batching saves a module (and its instantiation) per region.
 */
export interface CompiledBatch {
  bytes: Uint8Array;
  regions: RegionInfo[];
  /** Milliseconds spent building and emitting. */
  buildMs: number;
  /**
   * The bytes compiled by V8, where a compile worker did it (a WebAssembly.Module posted to
   * another thread shares its code): the main thread then only instantiates it.
   */
  module?: WebAssembly.Module;
  /** Milliseconds V8 spent compiling `module`. */
  compileMs?: number;
}

/** Builds and emits one module for `regions` (in the main thread or in a compile worker). */
export function compileRegions(regions: Region[], layout: Layout, ramSize: number): CompiledBatch {
  const t0 = performance.now();
  const m = newModule();
  const infos = regions.map((r, i) => addRegion(m, r, layout, ramSize, regionExport(i)));
  const bytes = addBranchHints(m.emitBinary());
  m.dispose();
  return { bytes, regions: infos, buildMs: performance.now() - t0 };
}

/**
 * Builds the module for one region (tests look at its text). Its function `region: (entry block)
 * -> i32` returns an exit reason (EXIT_CONTINUE when it simply left the region; the pc is then in
 * the state).
 */
export function buildRegion(region: Region, layout: Layout, ramSize: number): RegionCode {
  const m = newModule();
  return { module: m, ...addRegion(m, region, layout, ramSize, 'region') };
}

/** Adds the function `name` (exported under that name) for `region` to `m`. */
function addRegion(
  m: Binaryen.Module,
  region: Region,
  layout: Layout,
  ramSize: number,
  name: string,
): RegionInfo {
  try {
    return build(m, region, layout, ramSize, 'relooper', name);
  } catch {
    // binaryen's Relooper throws on loops entered in the middle (a hot entry inside a loop nest,
    // a return address): it then renames labels, and a branch to a label outside the code it was
    // given (our `br $exit`) is an error to it. Exits by tail call have no such branch.
    try {
      return build(m, region, layout, ramSize, 'relooper, exits by call', name);
    } catch {
      // The dispatch loop structures any graph, at the cost of an indirect branch per block.
      return build(m, region, layout, ramSize, 'dispatch', name);
    }
  }
}

/** How the blocks of a region become Wasm control flow. */
export type Structure = 'relooper' | 'relooper, exits by call' | 'dispatch';

/** A module with what every region function imports: memory, table and the core's helpers. */
function newModule(): Binaryen.Module {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.TailCall | binaryen.Features.SignExt);
  m.setMemory(0, -1, null, [], false, false, 'mem');
  m.addMemoryImport('mem', 'env', 'memory');
  m.addTable(TABLE_NAME, 0, -1);
  m.addTableImport(TABLE_NAME, 'env', 'table');
  m.addFunctionImport('execOp', 'env', 'execOp', binaryen.none, binaryen.i32);
  return m;
}

function build(
  m: Binaryen.Module,
  region: Region,
  layout: Layout,
  ramSize: number,
  structure: Structure,
  name: string,
): RegionInfo {
  const c = new Ctx(m, layout, ramSize);
  if (structure === 'relooper, exits by call') c.exitBy = 'leave';
  c.paged = region.paged !== undefined;
  if (region.paged) {
    const { vpage, ppage } = region.paged;
    c.codeAddend = Number(BigInt.asIntN(32, BigInt(layout.ram) + ppage - layout.ramBase - vpage));
  }
  c.leaveName = `${name}_leave`;
  const blocks: Block[] = region.blocks.length
    ? region.blocks
    : // Nothing decodable at the entry (outside RAM): one instruction through the interpreter's
      // op, which raises the fault exactly as the interpreter would.
      [
        {
          start: region.entry,
          insns: [{ pc: region.entry, name: 'fetch', rd: 0, rs1: 0, rs2: 0, imm: 0, len: 4, raw: 0 }],
        },
      ];
  const entryIndex = region.blocks.length ? region.entryIndex : 0;
  // Entry points: the hot entry, and the return addresses of the region's calls (reached from
  // callees outside the region, they would otherwise become regions of their own).
  const entries = [{ pc: blocks[entryIndex].start, block: entryIndex }];
  for (const pc of region.returnTargets ?? []) {
    const b = blocks.findIndex((x) => x.start === pc);
    if (b >= 0 && b !== entryIndex) entries.push({ pc, block: b });
  }
  // Every register the region may write, known before emission: a fallback in a loop must spill
  // registers written later in the block too (they hold values from the previous iteration).
  for (const b of blocks) for (const i of b.insns) if (writesRd(i.name) && i.rd !== 0) c.willWrite(i.rd);
  c.setFirst = setFirst(entries.map((e) => blocks[e.block]));
  const indexOf = new Map(blocks.map((b, i) => [b.start, i]));
  c.returnTargets = region.returnTargets ?? [];

  // Emit each block's statements and record where it goes next.
  const emitted = blocks.map((block) => {
    c.stmts = [];
    c.edges = [];
    const count = block.insns.length;
    block.insns.forEach((insn, k) => {
      c.insn = insn;
      c.k = k;
      const emitter = EMITTERS.get(insn.name);
      if (TERMINATORS.has(insn.name)) c.emit(...c.addRetired(count));
      if (emitter) emitter(c, insn);
      else c.fallback();
    });
    const last = block.insns[count - 1];
    if (!TERMINATORS.has(last.name)) {
      c.emit(...c.addRetired(count));
      c.jumpTo(last.pc + BigInt(last.len));
    }
    return { stmts: c.stmts, edges: c.edges };
  });

  const structured =
    structure !== 'dispatch'
      ? relooperStructure(m, c, emitted, indexOf, entries)
      : dispatchStructure(m, c, emitted, indexOf, entries);

  if (structure === 'relooper, exits by call') {
    // The tail is the function `leave(pc, status, left, written registers...)`; every exit calls it.
    const regs = c.leaveRegs ?? [];
    const P = { exitPc: 0, status: 1, left: 2 };
    const params = [binaryen.i64, binaryen.i32, binaryen.i64, ...regs.map(() => binaryen.i64)];
    const spill = regs.map((r, i) => c.storeState64(layout.regs + r * 8, m.local.get(3 + i, binaryen.i64)));
    const leave = tail(m, c, layout, { ...P, spill, j: params.length });
    m.addFunction(
      c.leaveName,
      binaryen.createType(params),
      binaryen.i32,
      [binaryen.i32],
      m.block(null, leave),
    );
    const body = m.block(null, [...c.reload(), c.syncBudget(), structured, m.unreachable()]);
    c.finishPageCaches();
    m.addFunction(name, binaryen.i32, binaryen.i32, c.locals, body);
  } else {
    const j = c.temp(binaryen.i32);
    const leave = tail(m, c, layout, {
      exitPc: L_EXITPC,
      status: L_STATUS,
      left: L_LEFT,
      spill: c.spill(),
      j,
    });
    const body = m.block(null, [...c.reload(), c.syncBudget(), m.block('exit', [structured]), ...leave]);
    c.finishPageCaches();
    m.addFunction(name, binaryen.i32, binaryen.i32, c.locals, body);
  }
  m.addFunctionExport(name, name);
  return { entries, fallbacks: c.fallbacks, structure };
}

/**
 * The shared tail: write back, then chain when the next pc is translated and budget remains.
 *   spill; pc = exitpc; minstret = limit - left
 *   if (status == CONTINUE && jc[exitpc].tag == exitpc ^ context && left > 0) return_call jc.slot
 *   return status
 * counter += 1 (for --stats: how often regions chain, and how often they return).
 * `at` names the locals holding exitpc, status and left, and a free i32 local j.
 */
function tail(
  m: Binaryen.Module,
  c: Ctx,
  layout: Layout,
  at: {
    exitPc: number;
    status: number;
    left: number;
    spill: Binaryen.ExpressionRef[];
    j: number;
  },
): Binaryen.ExpressionRef[] {
  const minstret = c.csrAddr(MINSTRET_CSR);
  const bump = (addr: number) => c.storeState64(addr, m.i64.add(c.loadState64(addr), c.i64(1)));
  const exitPc = () => m.local.get(at.exitPc, binaryen.i64);
  const j = () => m.local.get(at.j, binaryen.i32);
  return [
    ...at.spill,
    c.storeState64(layout.pc, exitPc()),
    c.storeState64(minstret, c.minstretAt(m.local.get(at.left, binaryen.i64))),
    m.if(
      m.i32.eq(m.local.get(at.status, binaryen.i32), c.i32(EXIT_CONTINUE)),
      m.block(null, [
        m.local.set(
          at.j,
          m.i32.add(
            m.i32.shl(
              m.i32.and(m.i32.wrap(m.i64.shr_u(exitPc(), c.i64(1))), c.i32(layout.jumpEntries - 1)),
              c.i32(4),
            ),
            c.i32(layout.jumpCache),
          ),
        ),
        // Two tests, two branches (an `if` on `a & b` made V8 compute both flags first):
        // jump-cache tags are pc ^ context (0 unless paging; see assembly/layout.ts)
        m.if(
          m.i64.eq(m.i64.load(0, 8, j()), m.i64.xor(exitPc(), c.loadState64(layout.jcContext))),
          m.if(
            m.i64.gt_s(m.local.get(at.left, binaryen.i64), c.i64(0)),
            m.block(null, [
              bump(layout.stats.chained),
              m.return_call_indirect(
                TABLE_NAME,
                m.i32.load(8, 4, j()),
                [m.i32.load(12, 4, j())],
                binaryen.i32,
                binaryen.i32,
              ),
            ]),
          ),
        ),
      ]),
    ),
    bump(layout.stats.returned),
    m.return(m.local.get(at.status, binaryen.i32)),
  ];
}

/** Integer instructions that only compute (no access, no exit): what setFirst looks through. */
const PURE_FORMATS = new Set(['R', 'I', 'SH6', 'SH5', 'U']);

/**
 * The x registers that each of `entryBlocks` sets before reading them, among its first
 * instructions up to the first that could leave the region (a load, a store, a fallback, a
 * control transfer...). Their values at entry are dead: every exit and every read comes after the
 * set. A case of a switch, entered through the jump cache, often starts by setting temporaries.
 */
function setFirst(entryBlocks: Block[]): Set<number> {
  let common: Set<number> | undefined;
  for (const block of entryBlocks) {
    const read = new Set<number>();
    const set = new Set<number>();
    for (const i of block.insns) {
      const format = ENTRY_BY_NAME.get(i.name)?.format;
      if (!format || !PURE_FORMATS.has(format) || !EMITTERS.has(i.name)) break;
      if (format !== 'U') read.add(i.rs1);
      if (format === 'R') read.add(i.rs2);
      if (i.rd !== 0 && !read.has(i.rd)) set.add(i.rd);
    }
    common = common ? new Set([...common].filter((r) => set.has(r))) : set;
  }
  return common ?? new Set();
}

type Emitted = {
  stmts: Binaryen.ExpressionRef[];
  edges: { cond: Binaryen.ExpressionRef; pc: bigint | number }[];
};

/** if (left <= 0) exit(pc, BUDGET): every backward edge checks the budget. */
function budgetCheck(m: Binaryen.Module, c: Ctx, pc: bigint): Binaryen.ExpressionRef {
  // signed: an overdrawn budget is negative
  const over = m.i64.le_s(m.local.get(L_LEFT, binaryen.i64), c.i64(0));
  return m.if(over, c.exit(c.i64(pc), EXIT_BUDGET, 0));
}

function relooperStructure(
  m: Binaryen.Module,
  c: Ctx,
  emitted: Emitted[],
  indexOf: Map<bigint, number>,
  entries: { block: number }[],
): Binaryen.ExpressionRef {
  // Structure the control flow: binaryen's Relooper turns the blocks and edges into Wasm loops,
  // blocks and ifs. Edges leaving the region go to small exit blocks.
  const relooper = new binaryen.Relooper(m);
  const rblocks = emitted.map((e) => relooper.addBlock(m.block(null, e.stmts)));
  const exits = new Map<bigint | number, number>();
  // An exit block per target: a constant pc, or (a number) the i64 local holding a dynamic one.
  const exitBlock = (pc: bigint | number) => {
    let b = exits.get(pc);
    const target = typeof pc === 'bigint' ? c.i64(pc) : m.local.get(pc, binaryen.i64);
    if (b === undefined) exits.set(pc, (b = relooper.addBlock(c.exit(target, EXIT_CONTINUE, 0))));
    return b;
  };
  emitted.forEach(({ edges }, from) => {
    // A block's conditions are mutually exclusive, so an edge to where an earlier edge or the
    // unconditional (last) edge leads is moot, and the Relooper needs that last edge kept.
    const targetOf = (pc: bigint | number) => {
      const to = typeof pc === 'bigint' ? indexOf.get(pc) : undefined;
      return { to, target: to === undefined ? exitBlock(pc) : rblocks[to] };
    };
    const last = edges.length ? targetOf(edges[edges.length - 1].pc).target : -1;
    const seen = new Set<number>();
    for (const edge of edges) {
      const { to, target } = targetOf(edge.pc);
      if (seen.has(target) || (edge.cond !== 0 && target === last)) continue;
      seen.add(target);
      // A backward edge goes through a block that checks the budget first.
      let via = target;
      if (to !== undefined && to <= from) {
        via = relooper.addBlock(budgetCheck(m, c, edge.pc as bigint));
        relooper.addBranch(via, target, 0, 0);
      }
      relooper.addBranch(rblocks[from], via, edge.cond, 0);
    }
  });
  if (entries.length === 1) return relooper.renderAndDispose(rblocks[entries[0].block], L_LABEL);
  // Several entry points: a switch on the entry parameter picks the block (default: the first).
  const start = relooper.addBlockWithSwitch(m.nop(), m.local.get(L_ENTRY, binaryen.i32));
  relooper.addBranchForSwitch(start, rblocks[entries[0].block], [], 0);
  for (const e of entries.slice(1)) relooper.addBranchForSwitch(start, rblocks[e.block], [e.block], 0);
  return relooper.renderAndDispose(start, L_LABEL);
}

/**
 * The dispatch loop: block Bi ends right before code i, so `br_table Bi` on the block index runs
 * block i; an edge sets the index and branches back to the loop.
 *   loop $loop { block $Bn-1 { ... block $B0 { br_table $B0..$Bn-1 (bb) } code0 ... } coden-1 }
 */
function dispatchStructure(
  m: Binaryen.Module,
  c: Ctx,
  emitted: Emitted[],
  indexOf: Map<bigint, number>,
  entries: { block: number }[],
): Binaryen.ExpressionRef {
  const goTo = (from: number, pc: bigint | number) => {
    if (typeof pc === 'number') return c.exit(m.local.get(pc, binaryen.i64), EXIT_CONTINUE, 0);
    const to = indexOf.get(pc);
    if (to === undefined) return c.exit(c.i64(pc), EXIT_CONTINUE, 0);
    const jump = m.block(null, [m.local.set(L_LABEL, c.i32(to)), m.br('loop')]);
    return to > from ? jump : m.block(null, [budgetCheck(m, c, pc), jump]);
  };
  const code = emitted.map(({ stmts, edges }, from) => {
    // Conditional edges in order, then the unconditional one.
    let tail: Binaryen.ExpressionRef = m.unreachable();
    for (let e = edges.length - 1; e >= 0; e--) {
      const { cond, pc } = edges[e];
      tail = cond ? m.if(cond, goTo(from, pc), tail) : goTo(from, pc);
    }
    return edges.length ? [...stmts, tail] : stmts;
  });
  const labels = emitted.map((_, i) => `B${i}`);
  let nest = m.block(labels[0], [m.switch(labels, labels[0], m.local.get(L_LABEL, binaryen.i32))]);
  code.forEach((stmts, i) => {
    nest = m.block(i + 1 < code.length ? labels[i + 1] : null, [nest, ...stmts]);
  });
  const first = entries.length === 1 ? c.i32(entries[0].block) : m.local.get(L_ENTRY, binaryen.i32);
  return m.block(null, [m.local.set(L_LABEL, first), m.loop('loop', nest)]);
}
