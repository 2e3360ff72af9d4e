// What an emitter sees while translating one instruction: guest registers as Wasm locals, the
// machine-state layout, and the ways out of the region (an exit to the host, the fallback into
// the interpreter's op). One Ctx per region function.
import type Binaryen from 'binaryen';
import { binaryen, setBlockChildren } from './binaryen.ts';
import { hinted } from './branch-hints.ts';
import type { Layout } from '../core/core.ts';
import type { Insn } from './region.ts';

type Ref = Binaryen.ExpressionRef;

/**
 * A condition on which an access leaves its fast path (an i32), or a statement that branches to
 * the slow path's label itself: one that also does work on the way to its fast path (a TLB
 * lookup that fills a page cache) would otherwise have to produce a flag for the branch to test,
 * and V8 materializes such a flag (xor, test, jump) instead of branching straight on.
 */
export type Miss = Ref | ((slowLabel: string) => Ref);

export const EXIT_CONTINUE = -1;
/** The interpreter runs the instruction at pc, then goes on (assembly/layout.ts). */
export const EXIT_STEP = -2;
export const EXIT_BUDGET = 0;

// Fixed locals of a region function (it has no parameters).
export const L_ENTRY = 0; // param i32: the block to enter at (from the jump cache entry)
export const L_LABEL = 1; // i32: the Relooper's label helper (which block to enter next, when needed)
export const L_STATUS = 2; // i32: exit reason when leaving
export const L_EXITPC = 3; // i64: guest pc to leave at
// i64: instructions the region may still retire before its budget is over, INSTRET_LIMIT less
// minstret less those retired here and not yet added to it (counted down: one local, not two)
export const L_LEFT = 4;
const L_REG0 = 4; // x1..x31 live in locals 5..35 (x0 is never stored); f registers: see regLocal
const fixedLocals = () => [binaryen.i32, binaryen.i32, binaryen.i64, binaryen.i64]; // after the param

/** A page cache's value when empty: bit 6 is clear in every address a lookup compares with it. */
const NO_PAGE = 1 << 6;

/** A load's or store's page cache (see Ctx.pageCache): locals. */
export interface PageCache {
  linear: number;
  page: number;
  addend: number;
}

export const MINSTRET_CSR = 0xb02;
export const MSTATUS_CSR = 0x300;

export class Ctx {
  readonly locals: Binaryen.Type[] = [...fixedLocals(), ...Array<Binaryen.Type>(31).fill(binaryen.i64)];
  /** Registers the region reads or writes (loaded at entry). */
  readonly used = new Set<number>();
  /** Registers the region writes (stored back at every exit and before every fallback). */
  readonly written = new Set<number>();
  /** Statements of the block being emitted. */
  stmts: Ref[] = [];
  /** The instruction being emitted, and how many of its block precede it. */
  insn!: Insn;
  k = 0;
  /** Instructions that went through the fallback (for stats). */
  fallbacks = 0;
  /**
   * Translated with paging on (Region.paged): loads and stores look up the MMU's TLBs, whose tags
   * end in `tlbLow` (an i64 local: MXR, SUM, privilege, valid; see assembly/layout.ts). Regions
   * run only where loads and stores are at their own privilege (no MPRV).
   */
  paged = false;
  /**
   * Paged: the addend (i32) of the region's own code page, VA to Wasm address. Identity and
   * linear maps (xv6, the bench kernel, a Linux kernel's image) give their data pages the same
   * one, and an access to such a page then adds this constant instead of a cached addend: a
   * loop-carried local that V8 keeps in a stack slot and reloads on the way to the load
   * (paged-qsort ~1830 -> ~2050 steady MIPS).
   */
  codeAddend = 0;
  private tlbLowLocal: number | undefined;
  get tlbLow(): number {
    return (this.tlbLowLocal ??= this.temp());
  }
  /**
   * Paged: for each load or store, the page it last found in its TLB (va & ~0xfff, or NO_PAGE)
   * with the codeAddend (`linear`), and the one it last found with another addend (`page`, and
   * that `addend`, i32). Per instruction rather than per base register: qsort's two
   * partition scans walk one register from either end of the array, and would take turns
   * evicting each other's page. They copy TLB entries, so they are forgotten wherever the TLB may
   * change: at entry and after each fallback (the blocks syncBudget leaves in pageCacheResets,
   * filled by finishPageCaches once every cache is known).
   */
  private readonly pageCaches = new Map<string, PageCache>();
  private readonly pageCacheResets: Ref[] = [];
  /** The page cache of the current instruction's accesses through `table`. */
  pageCache(table: number): PageCache {
    const key = `${table}:${this.insn.pc}`;
    let cache = this.pageCaches.get(key);
    if (!cache)
      this.pageCaches.set(
        key,
        (cache = { linear: this.temp(), page: this.temp(), addend: this.temp(binaryen.i32) }),
      );
    return cache;
  }
  finishPageCaches(): void {
    const caches = [...this.pageCaches.values()];
    const reset = () =>
      caches.flatMap((c) => [c.linear, c.page].map((local) => this.m.local.set(local, this.i64(NO_PAGE))));
    for (const block of this.pageCacheResets) setBlockChildren(block, reset());
  }

  /**
   * How exits reach the shared tail: `br $exit` to the block around the region's code, or (for
   * code binaryen's Relooper must not see branch outward, see buildRegion) a tail call to the
   * module's `leave` function, passing it what the tail needs: pc, status, n and the written
   * registers in `leaveRegs` order.
   */
  exitBy: 'br' | 'leave' = 'br';
  leaveName = 'leave';
  leaveRegs: number[] | undefined;

  constructor(
    readonly m: Binaryen.Module,
    readonly layout: Layout,
    readonly ramSize: number,
  ) {}

  /**
   * left = INSTRET_LIMIT - minstret + pending (`pending` instructions counted in minstret that the
   * block will count again). Paged: also tlbLow = MXR << 11 | SUM << 10 | (priv + 1) << 7 | 1 << 6,
   * a TLB tag's low bits (at entry and after each fallback, the only place mstatus can change).
   */
  syncBudget(pending = 0): Ref {
    const m = this.m;
    const budget = m.local.set(L_LEFT, this.plus(this.budgetFromState(), pending));
    if (!this.paged) return budget;
    const mstatus = () => this.loadState64(this.csrAddr(MSTATUS_CSR));
    const bit = (from: number, to: number) =>
      m.i64.shl(m.i64.and(m.i64.shr_u(mstatus(), this.i64(from)), this.i64(1)), this.i64(to));
    const priv = m.i64.shl(m.i64.add(this.loadState64(this.layout.priv), this.i64(1)), this.i64(7));
    const low = m.i64.or(m.i64.or(bit(19, 11), bit(18, 10)), m.i64.or(priv, this.i64(1 << 6)));
    const resetPageCaches = m.block(null, []);
    this.pageCacheResets.push(resetPageCaches);
    return m.block(null, [budget, m.local.set(this.tlbLow, low), resetPageCaches]);
  }

  /** Locals of the f registers the region uses (numbered F_REG + n, see src/isa/table.ts). */
  private readonly fLocals = new Map<number, number>();
  /** The local holding guest register r: x1..x31 at fixed indices, f registers (their bits, i64) on first use. */
  regLocal(r: number): number {
    if (r < 32) return L_REG0 + r;
    let l = this.fLocals.get(r);
    if (l === undefined) this.fLocals.set(r, (l = this.temp()));
    return l;
  }

  private static readonly imported = new WeakMap<Binaryen.Module, Set<string>>();
  /** Imports one of the core's functions into this region's module on first use (env.<name>). */
  useImport(name: string, params: Binaryen.Type[], result: Binaryen.Type): void {
    let names = Ctx.imported.get(this.m);
    if (!names) Ctx.imported.set(this.m, (names = new Set()));
    if (names.has(name)) return;
    names.add(name);
    this.m.addFunctionImport(name, 'env', name, binaryen.createType(params), result);
  }

  // --- values ---

  i64(v: bigint | number): Ref {
    return this.m.i64.const(BigInt.asIntN(64, BigInt(v)));
  }
  i32(v: number): Ref {
    return this.m.i32.const(v | 0);
  }
  /** x + k (x itself when k is 0). */
  plus(x: Ref, k: number): Ref {
    return k === 0 ? x : this.m.i64.add(x, this.i64(k));
  }
  /** The guest register's value (x0 reads as zero). */
  get(r: number): Ref {
    if (r === 0) return this.i64(0);
    this.used.add(r);
    return this.m.local.get(this.regLocal(r), binaryen.i64);
  }
  /** Declares that the region writes `r` (before emission, so every spill includes it). */
  willWrite(r: number): void {
    this.used.add(r);
    this.written.add(r);
  }
  /** Writes a guest register (a write to x0 is dropped; its value has no side effects). */
  set(r: number, value: Ref): void {
    if (r === 0) return;
    this.used.add(r);
    this.written.add(r);
    this.stmts.push(this.m.local.set(this.regLocal(r), value));
  }
  private labels = 0;
  /** A block label unique in the region's function. */
  label(name: string): string {
    return `${name}${this.labels++}`;
  }
  /** A fresh local of the given type, for values used more than once. */
  temp(type: Binaryen.Type = binaryen.i64): number {
    this.locals.push(type);
    return this.locals.length; // the param is local 0, so var i is local i + 1
  }
  emit(...stmts: Ref[]): void {
    this.stmts.push(...stmts);
  }
  /**
   * The fast path unless a miss condition holds, each tested by its own branch to one slow path
   * (an `if` on `a && b` makes V8 compute both flags into a register, and often the stack, first):
   *   block $done { block $slow { br_if $slow miss1 ... fast; br $done } slow }
   * A miss given as a function is a statement of its own that branches to the label it is given
   * (see Miss).
   */
  fastOrSlow(misses: Miss[], fast: Ref[], slow: Ref[]): Ref {
    const m = this.m;
    const [toSlow, done] = [this.label('slow'), this.label('done')];
    const tests = misses.flatMap((miss) =>
      typeof miss === 'function' ? [miss(toSlow)] : hinted(m, m.br(toSlow, miss), false),
    );
    return m.block(done, [m.block(toSlow, [...tests, ...fast, m.br(done)]), ...slow]);
  }
  /**
   * Emits fastOrSlow(misses, fast, step()): the interpreter runs the instruction on every miss.
   * Leaving, rather than calling the core's slow path, keeps calls out of the region: a Wasm call
   * clobbers every register, so V8 keeps each value live across one in a stack slot and stores it
   * there wherever it is set, fast path included (sieve ran at half speed with a call per store).
   */
  fastOrStep(misses: Miss[], fast: Ref[]): void {
    this.emit(this.fastOrSlow(misses, fast, [this.step()]));
  }
  /**
   * Leaves the region at the current instruction, not retired, for the interpreter to run it
   * (EXIT_STEP): MMIO, faults, TLB misses, the last bytes of RAM, stores near translated code.
   */
  step(): Ref {
    return this.exit(this.i64(this.insn.pc), EXIT_STEP, this.k);
  }
  /** Runs `fn` and returns the statements it emitted instead of emitting them. */
  capture(fn: () => void): Ref[] {
    const saved = this.stmts;
    this.stmts = [];
    try {
      fn();
      return this.stmts;
    } finally {
      this.stmts = saved;
    }
  }
  /**
   * Where the current block goes next: conditional edges in order, then the unconditional one
   * (cond 0). Codegen turns them into structured control flow (binaryen's Relooper) when the
   * target is in the region, or into exits.
   */
  edges: { cond: Ref; pc: bigint | number }[] = [];
  /** Return addresses of the region's calls (see Region.returnTargets). */
  returnTargets: bigint[] = [];
  /** Ends the block: go to `pc` when `cond` holds (evaluated at the end of the block). */
  branchTo(cond: Ref, pc: bigint): void {
    this.edges.push({ cond, pc });
  }
  /** Ends the block: go to `pc`. */
  jumpTo(pc: bigint): void {
    this.edges.push({ cond: 0, pc });
  }
  /** Ends the block: go to the pc held in i64 local `local` (leaves the region). */
  jumpToLocal(local: number): void {
    this.edges.push({ cond: 0, pc: local });
  }
  /** The guest pc of the current instruction, and of the one after it. */
  get pc(): bigint {
    return this.insn.pc;
  }
  get nextPc(): bigint {
    return this.insn.pc + BigInt(this.insn.len);
  }

  // --- machine state ---

  /** Wasm address of a CSR slot. */
  csrAddr(num: number): number {
    return this.layout.csrs + num * 8;
  }
  loadState64(addr: number): Ref {
    return this.m.i64.load(0, 8, this.i32(addr));
  }
  storeState64(addr: number, value: Ref): Ref {
    return this.m.i64.store(0, 8, this.i32(addr), value);
  }
  /**
   * The index of a guest RAM access at an offset already known to be in range; the access adds
   * RAM's Wasm address as its static offset (`layout.ram`), which V8 folds into the address
   * instead of an i32 add (an add that wraps at 2^32 cannot be folded).
   */
  ramIndex(offset: Ref): Ref {
    return this.m.i32.wrap(offset);
  }

  // --- leaving the region ---

  /** Statements that store every written register back into the state. */
  spill(): Ref[] {
    return [...this.written].map((r) =>
      this.m.i64.store(
        0,
        8,
        this.i32(this.layout.regs + r * 8),
        this.m.local.get(this.regLocal(r), binaryen.i64),
      ),
    );
  }
  /**
   * Registers every entry sets before reading them and before anything can leave the region
   * (see codegen's setFirst): region entry need not load them.
   */
  setFirst = new Set<number>();
  /** Loads every used register from the state (region entry), but those set first. */
  reload(): Ref[] {
    return [...this.used]
      .filter((r) => !this.setFirst.has(r))
      .map((r) =>
        this.m.local.set(this.regLocal(r), this.m.i64.load(0, 8, this.i32(this.layout.regs + r * 8))),
      );
  }

  /**
   * Leaves the region at `pc` with `status` (an exit reason, or an i32 expression computing one);
   * `retired` instructions of this block (from its start) have retired. The shared tail stores
   * registers, pc and minstret, and chains.
   */
  exit(pc: Ref, status: number | { expr: Ref }, retired: number): Ref {
    const m = this.m;
    const statusExpr = typeof status === 'number' ? this.i32(status) : status.expr;
    if (this.exitBy === 'leave') {
      // The registers written are all declared before emission (willWrite), so the list is final.
      this.leaveRegs ??= [...this.written];
      if (this.leaveRegs.length !== this.written.size)
        throw new Error('a register written after the first exit');
      const regs = this.leaveRegs.map((r) => m.local.get(this.regLocal(r), binaryen.i64));
      const left = m.local.get(L_LEFT, binaryen.i64);
      return m.block(null, [
        ...this.addRetired(retired),
        m.return_call(this.leaveName, [pc, statusExpr, left, ...regs], binaryen.i32),
      ]);
    }
    return m.block(null, [
      ...this.addRetired(retired),
      m.local.set(L_EXITPC, pc),
      m.local.set(L_STATUS, statusExpr),
      m.br('exit'),
    ]);
  }

  /** left -= retired (nothing when 0). */
  addRetired(retired: number): Ref[] {
    if (retired === 0) return [];
    return [
      this.m.local.set(L_LEFT, this.m.i64.sub(this.m.local.get(L_LEFT, binaryen.i64), this.i64(retired))),
    ];
  }
  /** INSTRET_LIMIT - minstret, from the state. */
  budgetFromState(): Ref {
    return this.m.i64.sub(
      this.loadState64(this.layout.instretLimit),
      this.loadState64(this.csrAddr(MINSTRET_CSR)),
    );
  }
  /** minstret as it is once `left` is: INSTRET_LIMIT - left. */
  minstretAt(left: Ref): Ref {
    return this.m.i64.sub(this.loadState64(this.layout.instretLimit), left);
  }

  /**
   * The guaranteed fallback: runs the current instruction through the interpreter's op (execOp)
   * with registers spilled around it, then continues with the next instruction, or leaves the
   * region when the op exited, trapped or jumped.
   *   spill; pc = this; minstret = limit - left + k; r = execOp(); left = limit - minstret + k + 1;
   *   reload rd
   *   if (r != 0 || pc != next) { left = limit - minstret; exit(pc, r ? r : CONTINUE) }
   * (k: the instructions of the block before this one, which the block counts at its end, as it
   * does this one: k + 1 counted twice.)
   */
  fallback(): void {
    const m = this.m;
    const i = this.insn;
    this.fallbacks++;
    const r = this.temp(binaryen.i32);
    const minstret = this.csrAddr(MINSTRET_CSR);
    this.emit(
      ...this.spill(),
      this.storeState64(this.layout.pc, this.i64(i.pc)),
      this.storeState64(minstret, this.plus(this.minstretAt(m.local.get(L_LEFT, binaryen.i64)), this.k)),
      m.local.set(r, m.call('execOp', [], binaryen.i32)),
      this.syncBudget(this.k + 1),
    );
    if (i.rd !== 0) {
      this.used.add(i.rd);
      this.emit(m.local.set(this.regLocal(i.rd), m.i64.load(0, 8, this.i32(this.layout.regs + i.rd * 8))));
    }
    this.emit(
      m.if(
        m.i32.or(
          m.local.get(r, binaryen.i32),
          m.i64.ne(this.loadState64(this.layout.pc), this.i64(this.nextPc)),
        ),
        m.block(null, [
          m.local.set(L_LEFT, this.budgetFromState()), // execOp already counted what retired
          this.exit(
            this.loadState64(this.layout.pc),
            {
              expr: m.select(
                m.local.get(r, binaryen.i32),
                m.local.get(r, binaryen.i32),
                this.i32(EXIT_CONTINUE),
              ),
            },
            0,
          ),
        ]),
      ),
    );
  }
}
