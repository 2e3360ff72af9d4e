// The translator's code cache: translates hot regions, installs them in the shared function table
// and the jump cache (where the interpreter and other regions find them), tracks which guest code
// each covers, and invalidates them when the guest writes that code.
import { PAGE_CODE, type Core, type Layout } from '../core/core.ts';
import type { CompiledBatch } from './codegen.ts';
import { discoverRegion, regionExport, type CodePage, type Region } from './region.ts';
import {
  JOBS_IN_FLIGHT,
  MAX_BATCH_REGIONS,
  MAX_LIVE_REGIONS,
  MAX_QUEUED_HOT,
  MAX_THRESHOLD_SCALE,
} from './tuning.ts';
import type { CompileWorker } from './worker-host.ts';

/** Compiles regions into one module in this thread (loads binaryen); see codegen.ts. */
export type CompileInThread = (regions: Region[], layout: Layout, ramSize: number) => CompiledBatch;

/** A region waiting for the worker, with the guest code it was discovered from. */
interface Pending {
  region: Region;
  code: Uint8Array[];
  key: string;
  /** The jump-cache context it was discovered in (see Translator.where). */
  context: bigint;
}

/** A compiled region to install: which function of its batch, under which key and context. */
interface ToInstall {
  region: Region;
  index: number;
  key: string;
  context: bigint;
}

/** Where a pc is being executed: the cache key of a region entered there, and how to read it. */
interface Place {
  key: string;
  page?: CodePage;
  context: bigint;
}

/** A translated region in the cache. */
interface Installed {
  key: string;
  region: Region;
  slot: number;
  lines: number[];
  /** Jump-cache entries: pcs the region can be entered at, with the block to pass. */
  entries: { pc: bigint; block: number }[];
}

export interface TranslatorStats {
  regions: number;
  guestInsns: number;
  fallbackInsns: number;
  /** Regions the Relooper could not structure with all their entries (see buildRegion). */
  restructured: number;
  modules: number;
  translateSeconds: number;
  compileSeconds: number;
  /** Bytes of Wasm compiled (every module, including those since dropped). */
  wasmBytes: number;
  invalidations: number;
  flushes: number;
}

const NO_PC = 1n; // an odd pc never matches a jump-cache lookup

/** The address of `pc`'s record in one of the core's tables indexed by pc >> 1 (as the core does). */
function pcSlot(table: number, entries: number, size: number, pc: bigint): number {
  return table + Number((pc >> 1n) & BigInt(entries - 1)) * size;
}

/** The cache key of a region entered at block `pc` of `region` (as Translator.where makes it). */
function blockKey(pc: bigint, region: Region): string {
  const p = region.paged;
  return p ? `${pc}:${p.ppage}:${p.priv}` : `${pc}`;
}

export class Translator {
  /** Regions by key: the entry pc, and with paging the physical page and privilege too. */
  private readonly byEntry = new Map<string, Installed>();
  private readonly byLine = new Map<number, Set<Installed>>();
  private readonly freeSlots: number[] = [];
  /**
   * Hot entries not sent yet, oldest first: the newest go together as the next job once the
   * worker is free (their regions are discovered then), and past MAX_QUEUED_HOT the oldest are
   * dropped, to be reported again if they stay hot.
   */
  private queued: { pc: bigint; at: Place }[] = [];
  /** Jobs at the worker, with the hot entries that their regions cover (see `covered`). */
  private readonly pending = new Map<number, { regions: Pending[]; epoch: number; deferred: bigint[] }>();
  private readonly pendingEntries = new Set<string>();
  /**
   * The blocks of the regions at the worker (keys as in where()), by job. While a loop compiles,
   * the interpreter runs on through it and its other block entries get hot too: they wait for the
   * job instead of becoming regions of their own with the same code (sieve's inner loop was
   * translated six times over).
   */
  private readonly covered = new Map<string, number>();
  private nextJob = 1;
  /** Bumped by flush(): results of jobs sent before it are stale. */
  private epoch = 0;
  /** The hot threshold set by the machine; raised while the worker falls behind (see onHot). */
  private readonly baseThreshold: number;
  readonly stats: TranslatorStats = {
    regions: 0,
    guestInsns: 0,
    fallbackInsns: 0,
    restructured: 0,
    modules: 0,
    translateSeconds: 0,
    compileSeconds: 0,
    wasmBytes: 0,
    invalidations: 0,
    flushes: 0,
  };

  /**
   * `compile` translates in this thread (translate(), synchronous); `worker`, when given, takes
   * the work of request() off the main thread.
   */
  constructor(
    private readonly core: Core,
    private readonly ramSize: number,
    private readonly compile?: CompileInThread,
    private readonly worker?: CompileWorker,
    /** Live regions at most before the cache is flushed (a host's per-guest code-cache limit). */
    private readonly maxLiveRegions = MAX_LIVE_REGIONS,
  ) {
    this.baseThreshold = this.threshold;
    this.clearJumpCache();
    if (core.table.length < 1) core.table.grow(1);
  }

  /** Jobs sent to the worker and not back yet. */
  get pendingJobs(): number {
    return this.pending.size + this.queued.length;
  }

  /**
   * A block entry got hot: reinstall a known region, or translate one — in the worker when there
   * is one (the interpreter runs on meanwhile), else right here.
   */
  onHot(pc: bigint): void {
    const at = this.where(pc);
    // Its fetch faults now (the interpreter raises it), or PMP lets only part of its page execute
    // (the interpreter checks each fetch there).
    if (!at) return this.rearm(pc);
    const known = this.byEntry.get(at.key);
    if (known) return this.publish(known, at.context);
    if (!this.worker) return this.translate(pc);
    if (this.pendingEntries.has(at.key)) return;
    const job = this.covered.get(at.key);
    if (job !== undefined) return void this.pending.get(job)?.deferred.push(pc);
    this.queued.push({ pc, at });
    this.pendingEntries.add(at.key);
    if (this.queued.length > MAX_QUEUED_HOT) {
      const dropped = this.queued.shift()!;
      this.pendingEntries.delete(dropped.at.key);
      this.rearm(dropped.pc);
      // More code gets hot than the worker keeps up with: only hotter code is worth its time.
      this.setThreshold(Math.min(this.threshold * 2, this.baseThreshold * MAX_THRESHOLD_SCALE));
    }
    this.submitQueued();
  }

  /**
   * How the hart fetches `pc` right now. Without paging a region is found by its pc. With paging
   * (a non-zero jump-cache context) its code is the physical page `pc` maps to, read at the
   * current privilege, so both join the key: the same code reached through another mapping is
   * another region, and a region survives address-space switches as long as its page maps the same.
   */
  private where(pc: bigint): Place | undefined {
    const { dv, layout, fn } = this.core;
    const context = dv.getBigUint64(layout.jcContext, true);
    if (context === 0n) return { key: `${pc}`, context };
    const pa = fn.fetchPhysical(pc);
    if (pa === (1n << 64n) - 1n) return undefined;
    const priv = Number(dv.getBigUint64(layout.priv, true));
    const page = { vpage: pc & ~0xfffn, ppage: pa & ~0xfffn, priv };
    return { key: `${pc}:${page.ppage}:${priv}`, page, context };
  }

  /**
   * Sends the queued regions as one job, unless the worker already has JOBS_IN_FLIGHT: regions
   * that get hot while it is busy (at first: while binaryen loads) then share a module, and the
   * worker still never waits for this thread to hand it the next job.
   */
  private submitQueued(): void {
    if (!this.worker || this.queued.length === 0 || this.pending.size >= JOBS_IN_FLIGHT) return;
    const id = this.nextJob++;
    const job = { regions: [] as Pending[], epoch: this.epoch, deferred: [] as bigint[] };
    this.pending.set(id, job);
    for (const { pc, at } of this.queued.splice(-MAX_BATCH_REGIONS).reverse()) {
      // The newest first: an entry inside a region discovered before it waits for that region.
      const covering = this.covered.get(at.key);
      if (covering !== undefined) {
        this.pendingEntries.delete(at.key);
        this.pending.get(covering)!.deferred.push(pc);
        continue;
      }
      const region = discoverRegion(this.core, pc, at.page, this.taken);
      job.regions.push({ region, code: this.codeOf(region), key: at.key, context: at.context });
      for (const b of region.blocks) this.covered.set(blockKey(b.start, region), id);
    }
    if (job.regions.length === 0) return void this.pending.delete(id);
    this.worker.submit(
      job.regions.map((p) => p.region),
      this.core.layout,
      this.ramSize,
      (result) => this.received(id, result),
    );
  }

  /** Translates the region entered at `pc` in this thread and makes it reachable. */
  translate(pc: bigint): void {
    const at = this.where(pc);
    if (!at) return this.rearm(pc);
    const known = this.byEntry.get(at.key);
    if (known) return this.publish(known, at.context);
    if (!this.compile) throw new Error('translator has no in-thread compiler');
    const region = discoverRegion(this.core, pc, at.page, this.taken);
    const compiled = this.compile([region], this.core.layout, this.ramSize);
    this.install([{ region, index: 0, key: at.key, context: at.context }], compiled);
  }

  /** A worker result: install what it holds unless the guest rewrote that code or the cache was flushed. */
  private received(id: number, batch: CompiledBatch | undefined): void {
    const job = this.pending.get(id);
    if (!job) return;
    this.pending.delete(id);
    const keep: ToInstall[] = [];
    job.regions.forEach(({ region, code, key, context }, index) => {
      this.pendingEntries.delete(key);
      for (const b of region.blocks) {
        const k = blockKey(b.start, region);
        if (this.covered.get(k) === id) this.covered.delete(k);
      }
      if (job.epoch !== this.epoch || this.byEntry.has(key)) return;
      const now = this.codeOf(region);
      const changed = now.some((bytes, i) => !bytes.every((b, k) => b === code[i][k]));
      if (!batch || changed) return this.rearm(region.entry); // dropped: may get hot again
      keep.push({ region, index, key, context });
    });
    if (batch && keep.length) this.install(keep, batch);
    // Entries the job's regions cover but cannot be entered at (only the hot entry and return
    // points are): counted again, so that they become regions if the interpreter keeps reaching them.
    for (const pc of job.deferred) if (!this.reachable(pc)) this.rearm(pc);
    if (this.queued.length === 0) this.setThreshold(Math.max(this.threshold >>> 1, this.baseThreshold));
    this.submitQueued();
  }

  /** The guest bytes a region was translated from, to detect rewrites while it compiled. */
  private codeOf(region: Region): Uint8Array[] {
    const { layout, u8 } = this.core;
    return region.ranges.map(([s, e]) =>
      u8.slice(layout.ram + Number(s - layout.ramBase), layout.ram + Number(e - layout.ramBase)),
    );
  }

  /** Instantiates a batch's module and installs the given regions of it (`index` in the batch). */
  private install(regions: ToInstall[], batch: CompiledBatch): void {
    if (this.byEntry.size + regions.length > this.maxLiveRegions) this.flush();
    const t1 = performance.now();
    const module = batch.module ?? new WebAssembly.Module(batch.bytes as BufferSource);
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: this.core.memory,
        table: this.core.table,
        execOp: this.core.fn.execOp,
        floatOp: this.core.fn.floatOp, // imported only by regions with F/D instructions
      },
    });
    const t2 = performance.now();
    const s = this.stats;
    for (const { region, index, key, context } of regions) {
      const { entries, fallbacks, structure } = batch.regions[index];
      const slot = this.freeSlots.pop() ?? this.core.table.grow(1);
      this.core.table.set(slot, instance.exports[regionExport(index)] as WebAssembly.ExportValue);
      const installed: Installed = { key, region, slot, lines: this.coverLines(region), entries };
      for (const line of installed.lines) {
        let set = this.byLine.get(line);
        if (!set) this.byLine.set(line, (set = new Set()));
        set.add(installed);
      }
      this.byEntry.set(key, installed);
      this.index(installed, true);
      this.publish(installed, context);
      s.regions++;
      s.guestInsns += region.insnCount;
      s.fallbackInsns += fallbacks;
      if (structure !== 'relooper') s.restructured++;
    }
    s.modules++;
    s.wasmBytes += batch.bytes.byteLength;
    s.translateSeconds += batch.buildMs / 1000;
    s.compileSeconds += ((batch.compileMs ?? 0) + t2 - t1) / 1000;
  }

  /** The guest wrote [addr, addr + size): drop every region translated from those bytes. */
  invalidate(addr: bigint, size: number): void {
    const base = this.core.layout.ramBase;
    const shift = BigInt(this.core.layout.codeLineShift);
    const first = Number((addr - base) >> shift);
    const last = Number((addr + BigInt(size) - 1n - base) >> shift);
    for (let line = first; line <= last; line++) {
      for (const r of [...(this.byLine.get(line) ?? [])]) {
        if (r.region.ranges.some(([s, e]) => s < addr + BigInt(size) && addr < e)) this.remove(r);
      }
    }
  }

  /** Drops every translation (cache full, or RAM replaced). */
  flush(): void {
    for (const r of [...this.byEntry.values()]) this.remove(r);
    for (const q of this.queued) this.pendingEntries.delete(q.at.key);
    this.queued = [];
    this.epoch++;
    this.stats.flushes++;
  }

  get liveRegions(): number {
    return this.byEntry.size;
  }

  /** How control moved: jump-cache hits and misses at interpreter block entries, region exits that
   * chained to the next region, and those that returned to the interpreter or the host; and the
   * instructions retired in translated code (the rest were interpreted). */
  transitions(): {
    jumpCacheHits: number;
    jumpCacheMisses: number;
    chained: number;
    returned: number;
    translatedInsns: number;
  } {
    const { dv, layout } = this.core;
    const get = (a: number) => Number(dv.getBigUint64(a, true));
    return {
      jumpCacheHits: get(layout.stats.jcHits),
      jumpCacheMisses: get(layout.stats.jcMisses),
      chained: get(layout.stats.chained),
      returned: get(layout.stats.returned),
      translatedInsns: get(layout.stats.translatedInsns),
    };
  }

  private remove(r: Installed): void {
    this.byEntry.delete(r.key);
    this.index(r, false);
    const dv = this.core.dv;
    for (const e of r.entries) {
      // Whatever context it was published in, the entry is this region's if it names its slot.
      const j = this.jumpEntry(e.pc);
      if (dv.getBigUint64(j, true) !== NO_PC && dv.getUint32(j + 8, true) === r.slot)
        dv.setBigUint64(j, NO_PC, true);
      // Counted again: code that is rewritten is translated again once it got hot again.
      this.rearm(e.pc);
    }
    this.core.table.set(r.slot, null);
    this.freeSlots.push(r.slot);
    const { layout, u8 } = this.core;
    for (const line of r.lines) {
      const set = this.byLine.get(line)!;
      set.delete(r);
      if (set.size === 0) {
        this.byLine.delete(line);
        u8[layout.codeLines + (line >> 3)] &= ~(1 << (line & 7));
        const page = line >> (12 - layout.codeLineShift);
        if (!this.pageHasCode(page)) u8[layout.pageFlags + page] &= ~PAGE_CODE;
      }
    }
    this.stats.invalidations++;
  }

  private pageHasCode(page: number): boolean {
    const perPage = 1 << (12 - this.core.layout.codeLineShift);
    for (let line = page * perPage; line < (page + 1) * perPage; line++)
      if (this.byLine.has(line)) return true;
    return false;
  }

  /** Marks the code lines (and pages) a region was translated from, so stores to them exit. */
  private coverLines(region: Region): number[] {
    const { layout, u8 } = this.core;
    const lines = new Set<number>();
    for (const [s, e] of region.ranges) {
      const first = Number((s - layout.ramBase) >> BigInt(layout.codeLineShift));
      const last = Number((e - 1n - layout.ramBase) >> BigInt(layout.codeLineShift));
      for (let line = first; line <= last; line++) lines.add(line);
    }
    let newPage = false;
    for (const line of lines) {
      u8[layout.codeLines + (line >> 3)] |= 1 << (line & 7);
      const flags = layout.pageFlags + (line >> (12 - layout.codeLineShift));
      newPage ||= (u8[flags] & PAGE_CODE) === 0;
      u8[flags] |= PAGE_CODE;
    }
    // The MMU's store TLB holds only pages without flags: it must not let a store skip these.
    if (newPage) this.core.fn.flushStoreTlb();
    return [...lines];
  }

  /** Makes the region's entry points reachable (the hot entry last, so it wins any collision). */
  private publish(r: Installed, context: bigint): void {
    // Translated for a context that has passed (another privilege, or paging changed while it
    // compiled): keep it for when that place gets hot again, but do not make it reachable now.
    if (context !== this.core.dv.getBigUint64(this.core.layout.jcContext, true)) return;
    for (const e of [...r.entries].reverse()) {
      const j = this.jumpEntry(e.pc);
      const tag = e.pc ^ context;
      const displaced = this.core.dv.getBigUint64(j, true);
      if (displaced !== tag && displaced !== NO_PC) this.rearm(displaced); // it may come back
      this.core.dv.setBigUint64(j, tag, true);
      this.core.dv.setUint32(j + 8, r.slot, true);
      this.core.dv.setUint32(j + 12, e.block, true);
      // The core looks in the jump cache only at entries whose counter reached the threshold.
      this.core.dv.setUint32(this.counter(e.pc), this.core.layout.hotPublished, true);
    }
  }

  /**
   * Adds a region made under paging to the region index (layout.ts: REGION_INDEX), where the core
   * finds it again after a TLB flush, or takes it out (only entries that still name its slot).
   */
  private index(r: Installed, add: boolean): void {
    const paged = r.region.paged;
    if (!paged) return;
    const { layout, dv } = this.core;
    const page = BigInt(layout.ram) + paged.ppage - layout.ramBase;
    const tag = page | BigInt(paged.priv + 1);
    for (const e of [...r.entries].reverse()) {
      const at = pcSlot(layout.regionIndex, layout.regionIndexEntries, 32, e.pc);
      if (add) {
        dv.setBigUint64(at, e.pc, true);
        dv.setBigUint64(at + 8, tag, true);
        dv.setUint32(at + 16, r.slot, true);
        dv.setUint32(at + 20, e.block, true);
      } else if (dv.getBigUint64(at, true) === e.pc && dv.getUint32(at + 16, true) === r.slot) {
        dv.setBigUint64(at + 8, 0n, true); // never matches: the tag's low bits are privilege + 1
      }
    }
  }

  private get threshold(): number {
    return this.core.dv.getUint32(this.core.layout.hotThreshold, true);
  }

  private setThreshold(n: number): void {
    this.core.dv.setUint32(this.core.layout.hotThreshold, n, true);
  }

  /**
   * Lets the core report `pc` hot again (it reports each block entry once per re-arm). The
   * counter restarts at 1, not 0: it still says the interpreter has jumped there (`taken`), so
   * regions discovered meanwhile keep following branches to it. (With threshold 0 it restarts at
   * 0, where the core reports it.)
   */
  private rearm(pc: bigint): void {
    this.core.dv.setUint32(this.counter(pc), Math.min(1, this.threshold), true);
  }

  /**
   * Whether the interpreter has entered a block at `pc` by a jump (its hot counter is not 0; a
   * shared counter only errs towards yes), for discoverRegion. Undefined with threshold 0: no
   * counter counts then, and every target is followed.
   */
  private get taken(): ((pc: bigint) => boolean) | undefined {
    if (this.baseThreshold === 0) return undefined;
    return (pc) => this.core.dv.getUint32(this.counter(pc), true) !== 0;
  }

  /** The address of the hot counter of block entries at `pc`. */
  private counter(pc: bigint): number {
    const { layout } = this.core;
    return pcSlot(layout.hotCounters, layout.hotEntries, 4, pc);
  }

  /** The jump cache takes block entries at `pc` into translated code now. */
  private reachable(pc: bigint): boolean {
    const { dv, layout } = this.core;
    return dv.getBigUint64(this.jumpEntry(pc), true) === (pc ^ dv.getBigUint64(layout.jcContext, true));
  }

  private jumpEntry(pc: bigint): number {
    const { layout } = this.core;
    return pcSlot(layout.jumpCache, layout.jumpEntries, 16, pc);
  }

  private clearJumpCache(): void {
    const { layout, dv } = this.core;
    for (let i = 0; i < layout.jumpEntries; i++) dv.setBigUint64(layout.jumpCache + i * 16, NO_PC, true);
    this.core.u8.fill(0, layout.regionIndex, layout.regionIndex + layout.regionIndexEntries * 32);
  }
}
