// Measuring one workload on every runner: the same ELF (bench_scale patched in a copy), warm-up
// runs then repeated runs, taken in rounds (one run of each runner per round, so a slow drift of
// the machine hits every runner alike). Each measured round also runs every runner but native at
// WARM_SCALE_FACTOR times the scale, for the warm (steady-state) speed. Every run's output is
// checked against the reference; a runner whose output differs is flagged wrong and not run (or
// timed) again.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { emptyGuest } from './gen.ts';
import type { Progress } from './progress.ts';
import { buildNative, runNative, runQemu, runWasmvisor, type Outcome } from './runners.ts';
import type {
  Breakdown,
  RawSample,
  ReferenceKind,
  Row,
  RowStatus,
  RunnerName,
  Results,
  WarmFigures,
  WorkloadResult,
} from './schema.ts';
import { breakEven, geomean, median, summarize } from './stats.ts';
import { hasBenchScale, scaledElf, type WorkloadSpec } from './workloads.ts';

/**
 * The second scale of the warm figures, as a multiple of --scale: the slope between the two is the
 * speed once warm (start-up and warm-up cancel in the difference). 3 makes the difference twice
 * the base run, enough to stand above the noise, while the extra runs stay short.
 */
export const WARM_SCALE_FACTOR = 3;

/**
 * The runs at S are warm when their last quarter runs at this fraction of the warm runs' last
 * quarter or more. Below it the runner's warm-up (the jit's: translating the hot code while
 * binaryen itself gets hot, ~0.5 s for paged-qsort) outlasts the run at S, and the slope from S
 * would still hold part of it: that runner's warm pair moves up a scale (see measureWorkload).
 */
export const WARM_DONE = 0.9;

export interface BenchContext {
  scale: number;
  repeat: number;
  warmup: number;
  engines: string[];
  /** QEMU is installed and wanted. */
  qemu: boolean;
  /** The host C compiler, when there is one and native rows are wanted. */
  cc?: string;
  /** Where native builds go (under --out). */
  nativeDir: string;
  /** Scaled and generated ELFs (removed at the end). */
  tmpDir: string;
  timeoutMs: number;
  expected: Record<string, Record<string, string>>;
  progress: Progress;
}

export interface Reference {
  text: string;
  kind: ReferenceKind;
}

/** Reference outputs (expected.json, else the native build at that scale) and native builds, cached. */
export class References {
  private builds = new Map<string, { binary?: string; error?: string }>();
  private outputs = new Map<string, Reference | undefined>();

  constructor(private readonly ctx: BenchContext) {}

  /** The native build of a workload's source, or why there is none. */
  native(spec: WorkloadSpec): { binary?: string; error?: string } {
    if (!spec.source) return { error: 'no C source' };
    if (!this.ctx.cc) return { error: 'no host C compiler' };
    let b = this.builds.get(spec.source);
    if (!b) {
      mkdirSync(this.ctx.nativeDir, { recursive: true });
      const binary = join(this.ctx.nativeDir, basename(spec.source, '.c'));
      const error = buildNative(this.ctx.cc, spec.source, binary);
      b = error ? { error: `native build failed: ${error}` } : { binary };
      this.builds.set(spec.source, b);
    }
    return b;
  }

  get(spec: WorkloadSpec, scale: number | null): Reference | undefined {
    const key = `${spec.name}@${scale}`;
    if (this.outputs.has(key)) return this.outputs.get(key);
    let ref: Reference | undefined;
    const known = spec.bundled && scale !== null ? this.ctx.expected[spec.name]?.[String(scale)] : undefined;
    if (known !== undefined) ref = { text: known, kind: 'expected.json' };
    else if (spec.bundled && scale !== null) {
      const { binary } = this.native(spec);
      if (binary) {
        const r = runNative(binary, scale, this.ctx.timeoutMs);
        if (r.code === 0) ref = { text: r.stdout, kind: 'native' };
      }
    }
    this.outputs.set(key, ref);
    return ref;
  }
}

/** A run's outcome as a sample, judged against the reference output. */
export function toSample(
  o: Outcome,
  runner: RunnerName,
  warmup: boolean,
  ref: Reference | undefined,
): RawSample {
  const engine = runner !== 'qemu' && runner !== 'native';
  let error = o.error;
  if (!error && ref && o.stdout !== ref.text) error = `output differs from the reference (${ref.kind})`;
  return {
    warmup,
    ok: error === undefined,
    exitCode: o.code,
    seconds: engine && o.stats ? o.stats.seconds : o.wallSeconds,
    wallSeconds: o.wallSeconds,
    ...(error && { error }),
    ...(o.stats && { stats: o.stats }),
  };
}

function statusOf(samples: RawSample[], refs: (Reference | undefined)[]): RowStatus {
  const bad = samples.find((s) => !s.ok);
  if (bad) return bad.error?.startsWith('output differs') ? 'wrong' : 'failed';
  return refs.every((ref) => ref && ref.kind !== 'engines-agree') ? 'ok' : 'unchecked';
}

function runOnce(
  runner: RunnerName,
  elf: string,
  native: string | undefined,
  scale: number | null,
  timeoutMs: number,
): Outcome {
  if (runner === 'qemu') return runQemu(elf, timeoutMs);
  if (runner === 'native') return runNative(native!, scale, timeoutMs);
  return runWasmvisor(elf, runner, timeoutMs);
}

/** The sample whose seconds are the median (the one a breakdown describes). */
function medianSample(samples: RawSample[]): RawSample | undefined {
  const measured = samples.filter((s) => !s.warmup && s.ok);
  const sorted = [...measured].sort((a, b) => a.seconds - b.seconds);
  return sorted[(sorted.length - 1) >> 1];
}

function steadyMips(curve: [number, number][] | undefined): number | null {
  if (!curve || curve.length < 4) return null;
  const end = curve[curve.length - 1];
  const from = curve.find((p) => p[0] >= end[0] * 0.75) ?? curve[0];
  return end[0] > from[0] ? (end[1] - from[1]) / (end[0] - from[0]) / 1e6 : null;
}

export function breakdownOf(s: RawSample): Breakdown | undefined {
  const st = s.stats;
  if (!st) return undefined;
  // Lockstep runs its own loop, which fills in no profile.
  const p =
    st.profile && (st.profile.coreSeconds > 0 || Object.keys(st.profile.exitSeconds).length)
      ? st.profile
      : undefined;
  const exits: Breakdown['exits'] = {};
  for (const [reason, count] of Object.entries(st.exits ?? {})) {
    const seconds = p?.exitSeconds[reason] ?? null;
    exits[reason] = {
      count,
      seconds,
      micros: seconds !== null && count > 0 ? (seconds / count) * 1e6 : null,
    };
  }
  const j = st.jit;
  return {
    startupSeconds: st.startupSeconds ?? null,
    guestSeconds: st.seconds,
    coreSeconds: p?.coreSeconds ?? null,
    translatedFraction:
      j?.translatedInsns !== undefined && st.instret > 0 ? j.translatedInsns / st.instret : null,
    translatedSecondsEstimate: null,
    exits,
    yieldSeconds: p?.yieldSeconds ?? null,
    translatorReadySeconds: st.translatorReadySeconds ?? null,
    translateSeconds: j?.translateSeconds ?? null,
    compileSeconds: j?.compileSeconds ?? null,
    regions: j?.regions ?? null,
    modules: j?.modules ?? null,
    liveRegions: j?.liveRegions ?? null,
    wasmBytes: j?.wasmBytes ?? null,
    invalidations: j?.invalidations ?? null,
    flushes: j?.flushes ?? null,
    breakEvenSeconds: null,
    steadyMips: steadyMips(st.samples),
  };
}

/** Fills in the figures that compare rows: MIPS, speed ratios, the jit's break-even and time split. */
export function relate(rows: Row[], instret: number | null): void {
  const by = (r: RunnerName) => rows.find((x) => x.runner === r && x.seconds);
  const interp = by('interp');
  const qemu = by('qemu');
  const native = by('native');
  for (const row of rows) {
    if (!row.seconds) continue;
    const t = row.seconds.median;
    row.mips = instret !== null && t > 0 ? instret / t / 1e6 : null;
    row.vsInterp = interp ? interp.seconds!.median / t : null;
    row.vsQemu = qemu ? qemu.seconds!.median / t : null;
    row.vsNative = native ? native.seconds!.median / t : null;
  }
  // Warm: the slope between the two scales, then each row's over the interpreter's and QEMU's.
  for (const row of rows) {
    const w = row.warm;
    if (!w) continue;
    w.mips = null;
    // The first scale of the pair: S (the row's own runs), or the one warm-up moved it to.
    if (!row.seconds || !w.seconds || w.instret === null) continue;
    const first = w.from
      ? { instret: w.from.instret, seconds: median(w.from.samples.map((s) => s.seconds)) }
      : { instret, seconds: row.seconds.median };
    if (first.instret === null) continue;
    const dt = median(w.samples.map((s) => s.seconds)) - first.seconds;
    if (dt > 0 && w.instret > first.instret) w.mips = (w.instret - first.instret) / dt / 1e6;
  }
  const warmOf = (r: RunnerName) => rows.find((x) => x.runner === r)?.warm?.mips ?? null;
  for (const row of rows) {
    const w = row.warm;
    if (!w || w.mips === null) continue;
    const [wi, wq] = [warmOf('interp'), warmOf('qemu')];
    w.vsInterp = wi !== null ? w.mips / wi : null;
    w.vsQemu = wq !== null ? w.mips / wq : null;
  }
  const ib = interp?.breakdown;
  const interpCurve = interp && medianSample(interp.samples)?.stats?.samples;
  for (const row of rows) {
    const b = row.breakdown;
    if (!b || row.runner === 'interp') continue;
    // Below a few percent the estimate would be noise (and the jit-mode interpreter's bookkeeping).
    if (
      ib?.coreSeconds &&
      b.coreSeconds !== null &&
      b.translatedFraction !== null &&
      b.translatedFraction >= 0.05 &&
      instret
    ) {
      const interpRate = instret / ib.coreSeconds; // instructions per core second, interpreted
      const interpreted = instret * (1 - b.translatedFraction);
      b.translatedSecondsEstimate = Math.max(0, b.coreSeconds - interpreted / interpRate);
    }
    const curve = medianSample(row.samples)?.stats?.samples;
    if (row.runner === 'jit' && interpCurve && curve) b.breakEvenSeconds = breakEven(interpCurve, curve);
  }
}

export function runnersFor(
  ctx: BenchContext,
  spec: WorkloadSpec,
  notes: string[],
  refs: References,
): RunnerName[] {
  const runners = [...ctx.engines] as RunnerName[];
  if (ctx.qemu) runners.push('qemu');
  if (spec.bundled && ctx.cc) {
    const { binary, error } = refs.native(spec);
    if (binary) runners.push('native');
    else notes.push(`no native row: ${error}`);
  }
  return runners;
}

/** How many runs measureWorkload makes (for the progress display). */
export function plannedRuns(ctx: BenchContext, workloads: WorkloadSpec[]): number {
  const perRunner = ctx.warmup + ctx.repeat;
  const timed = ctx.engines.length + (ctx.qemu ? 1 : 0);
  return workloads.reduce((n, w) => {
    // The warm runs: `repeat` more per runner but native, for a guest with bench_scale.
    const warm = hasBenchScale(readFileSync(w.file), w.name) ? ctx.repeat * timed : 0;
    return n + perRunner * (timed + (w.bundled && ctx.cc ? 1 : 0)) + warm;
  }, 0);
}

export function measureWorkload(spec: WorkloadSpec, ctx: BenchContext, refs: References): WorkloadResult {
  const notes: string[] = [];
  const bytes = readFileSync(spec.file);
  const scale = hasBenchScale(bytes, spec.name) ? ctx.scale : null;
  if (scale === null) notes.push('no bench_scale symbol: run as it is, no warm figures');
  // The runs at the second scale (none without bench_scale): the same ELF, patched again.
  const warmScale = scale === null ? null : scale * WARM_SCALE_FACTOR;
  const at = (warmScale === null ? [scale] : [scale, warmScale]).map((sc) => ({
    scale: sc,
    elf: sc === null ? spec.file : scaledElf(bytes, spec.name, sc, ctx.tmpDir),
    ref: refs.get(spec, sc),
  }));
  const runners = runnersFor(ctx, spec, notes, refs);
  const native = runners.includes('native') ? refs.native(spec).binary : undefined;
  // samples[0]: at the scale; samples[1]: at the warm scale.
  const samples = at.map(() => new Map<RunnerName, RawSample[]>(runners.map((r) => [r, []])));
  const stopped = new Set<RunnerName>();
  const rounds = ctx.warmup + ctx.repeat;
  for (let round = 0; round < rounds; round++) {
    const warmup = round < ctx.warmup;
    for (const runner of runners) {
      // A runner's two scales back to back, so each pair sees the same state of the machine.
      at.forEach((x, k) => {
        if (k > 0 && (warmup || runner === 'native')) return;
        const what = warmup
          ? `warm-up${ctx.warmup > 1 ? ` ${round + 1}` : ''}`
          : `run ${round - ctx.warmup + 1}/${ctx.repeat}`;
        ctx.progress.step(`${spec.name}${k > 0 ? ` ×${x.scale}` : ''} · ${runner} · ${what}`);
        if (stopped.has(runner)) return;
        const o = runOnce(runner, x.elf, native, x.scale, ctx.timeoutMs);
        // Without a reference, the first engine run that ends well sets it: the others must agree.
        if (!x.ref && !o.error && runner !== 'qemu' && runner !== 'native') {
          x.ref = { text: o.stdout, kind: 'engines-agree' };
          const where = x.scale === null ? '' : ` at scale ${x.scale}`;
          notes.push(`no reference output${where}: rows are checked against ${runner}'s output`);
        }
        const s = toSample(o, runner, warmup, x.ref);
        samples[k].get(runner)!.push(s);
        if (!s.ok) stopped.add(runner);
      });
    }
  }
  // Instructions at each scale, from wasmvisor's runs (QEMU and native report none).
  const [instret, warmInstret] = samples.map((bySample, k) => {
    const counts = runners
      .flatMap((r) => bySample.get(r)!)
      .filter((s) => s.ok && s.stats)
      .map((s) => s.stats!.instret);
    const where = k > 0 ? ` at scale ${at[k].scale}` : '';
    if (new Set(counts).size > 1)
      notes.push(`instruction counts differ between runs${where}: ${[...new Set(counts)].join(', ')}`);
    return counts.length ? counts[0] : null;
  });
  const rows: Row[] = runners.map((runner) => {
    const all = samples[0].get(runner)!;
    const atWarm = warmScale === null || runner === 'native' ? undefined : samples[1].get(runner)!;
    const status = statusOf([...all, ...(atWarm ?? [])], atWarm ? at.map((x) => x.ref) : [at[0].ref]);
    const timed = status === 'ok' || status === 'unchecked';
    const measured = all.filter((s) => !s.warmup);
    const bad = all.find((s) => !s.ok);
    const badWarm = atWarm?.find((s) => !s.ok);
    const rep = timed ? medianSample(all) : undefined;
    const breakdown = rep && runner !== 'qemu' && runner !== 'native' ? breakdownOf(rep) : undefined;
    // Warm seconds per round: the run at the warm scale less the same round's run at the scale.
    const warmFigures: WarmFigures | null = atWarm
      ? {
          scale: warmScale!,
          instret: warmInstret ?? null,
          samples: atWarm,
          seconds:
            timed && atWarm.length ? summarize(atWarm.map((s, i) => s.seconds - measured[i].seconds)) : null,
          mips: null,
          vsInterp: null,
          vsQemu: null,
        }
      : null;
    const note = bad?.error ?? (badWarm && `at scale ${warmScale}: ${badWarm.error}`);
    return {
      runner,
      status,
      ...(note && { note }),
      samples: all,
      seconds: timed && measured.length ? summarize(measured.map((s) => s.seconds)) : null,
      mips: null,
      vsInterp: null,
      vsQemu: null,
      vsNative: null,
      ...(breakdown && { breakdown }),
      warm: warmFigures,
    };
  });
  for (const row of rows) {
    const w = row.warm;
    if (!w?.seconds || row.runner === 'qemu' || row.runner === 'native') continue;
    const [atS, atWarm] = [steadyOf(row.samples), steadyOf(w.samples)];
    if (atS === null || atWarm === null || atS >= WARM_DONE * atWarm) continue;
    const next = w.scale * WARM_SCALE_FACTOR;
    notes.push(
      `${row.runner}: still warming up at scale ${scale} (its last quarter at ${Math.round(atS)} MIPS, ${Math.round(atWarm)} at ${w.scale}): its warm figures are the slope from ${w.scale} to ${next}`,
    );
    row.warm = nextWarmPair(spec, ctx, refs, row, w, next, bytes);
  }
  relate(rows, instret);
  // The slope cancels the warm-up only when it is over within the run at the smaller scale.
  const jit = rows.find((r) => r.runner === 'jit');
  if (jit?.warm?.mips && jit.breakdown?.translatorReadySeconds === null)
    notes.push(
      `the translator was not ready within the jit's run at scale ${scale}: its warm MIPS still holds part of its warm-up (a larger --scale avoids it)`,
    );
  return {
    name: spec.name,
    file: spec.file,
    scale,
    instret,
    reference: at[0].ref?.kind ?? 'none',
    rows,
    notes,
  };
}

/** The last-quarter MIPS of the median measured run. */
function steadyOf(samples: RawSample[]): number | null {
  return steadyMips(medianSample(samples)?.stats?.samples);
}

/**
 * A runner's warm figures from the warm scale and `next`: `repeat` more runs at `next`, each
 * paired with the same round's run at the warm scale. A failed or unchecked run there makes the
 * row so.
 */
function nextWarmPair(
  spec: WorkloadSpec,
  ctx: BenchContext,
  refs: References,
  row: Row,
  w: WarmFigures,
  next: number,
  bytes: Uint8Array,
): WarmFigures {
  const elf = scaledElf(bytes, spec.name, next, ctx.tmpDir);
  const ref = refs.get(spec, next);
  const samples: RawSample[] = [];
  ctx.progress.grow(w.samples.length);
  for (let k = 0; k < w.samples.length; k++) {
    ctx.progress.step(`${spec.name} ×${next} · ${row.runner} · run ${k + 1}/${w.samples.length}`);
    const s = toSample(runOnce(row.runner, elf, undefined, next, ctx.timeoutMs), row.runner, false, ref);
    samples.push(s);
    if (!s.ok) break;
  }
  const bad = samples.find((s) => !s.ok);
  if (bad) {
    row.status = statusOf(samples, [ref]);
    row.note ??= `at scale ${next}: ${bad.error}`;
  } else if (row.status === 'ok' && statusOf(samples, [ref]) === 'unchecked') row.status = 'unchecked';
  return {
    from: { scale: w.scale, instret: w.instret, samples: w.samples },
    scale: next,
    instret: samples.find((s) => s.ok && s.stats)?.stats?.instret ?? null,
    samples,
    seconds: bad ? null : summarize(samples.map((s, i) => s.seconds - w.samples[i].seconds)),
    mips: null,
    vsInterp: null,
    vsQemu: null,
  };
}

/** The fixed cost of a run: each runner's whole process on a guest that only exits. */
export function measureStartup(ctx: BenchContext): Results['startup'] {
  const g = emptyGuest();
  const file = join(ctx.tmpDir, 'empty.elf');
  if (!existsSync(file)) writeFileSync(file, g.elf);
  const runners = [...ctx.engines, ...(ctx.qemu ? ['qemu'] : [])] as RunnerName[];
  const out: Results['startup'] = [];
  for (const runner of runners) {
    const walls: number[] = [];
    for (let k = 0; k < Math.max(ctx.repeat, 1); k++) {
      ctx.progress.step(`start-up · ${runner} · run ${k + 1}`);
      const o = runOnce(runner, file, undefined, null, ctx.timeoutMs);
      if (o.error || o.stdout !== g.expected) break;
      walls.push(o.wallSeconds);
    }
    if (walls.length) out.push({ runner, wallSeconds: summarize(walls), samples: walls });
  }
  return out;
}

/** Geometric means per runner over the workloads where the row was timed. */
export function summarizeRunners(workloads: WorkloadResult[], runners: RunnerName[]): Results['summary'] {
  return runners.map((runner) => {
    const rows = workloads.flatMap((w) => w.rows.filter((r) => r.runner === runner && r.seconds));
    const g = (f: (r: Row) => number | null) => {
      const xs = rows.map(f).filter((x): x is number => x !== null);
      return xs.length ? geomean(xs) : null;
    };
    return {
      runner,
      geomeanMips: g((r) => r.mips),
      vsInterp: g((r) => r.vsInterp),
      vsQemu: g((r) => r.vsQemu),
      vsNative: g((r) => r.vsNative),
      rows: rows.length,
      warm: {
        geomeanMips: g((r) => r.warm?.mips ?? null),
        vsInterp: g((r) => r.warm?.vsInterp ?? null),
        vsQemu: g((r) => r.warm?.vsQemu ?? null),
        rows: rows.filter((r) => typeof r.warm?.mips === 'number').length,
      },
    };
  });
}
