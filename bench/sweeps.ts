// How cost grows: sweeps of one parameter, one run per point and engine, each drawn as a chart.
//   scale      work size: a workload's bench_scale (run time grows, the code stays the same)
//   footprint  code footprint: a generated guest with more and more distinct hot blocks, the same
//              number of instructions (translation work grows)
//   smc        self-modifying code: a generated guest that rewrites a hot function (and runs
//              FENCE.I) more and more often (invalidations per second grow)
//   guests     number of guests running at once: a slot, filled by multi-guest hosting's sweep
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { footprintGuest, smcGuest, type GeneratedGuest } from './gen.ts';
import { toSample, type BenchContext, type Reference, type References } from './measure.ts';
import { runWasmvisor } from './runners.ts';
import type { RawSample, RunnerName, SweepId, SweepPoint, SweepResult } from './schema.ts';
import { scaledElf, type WorkloadSpec } from './workloads.ts';

export const SWEEPS: readonly SweepId[] = ['scale', 'footprint', 'smc', 'guests'];

/** Sweep points: full run, and --quick (fewer, smaller). */
export const SWEEP_POINTS = {
  scale: { full: [1, 2, 5, 10, 20, 40], quick: [1, 3] },
  scaleWorkloads: { full: ['crc32', 'qsort'], quick: ['crc32'] },
  /** Distinct 32-byte hot blocks. */
  footprint: { full: [16, 64, 256, 1024, 4096, 16384], quick: [16, 256, 4096] },
  /** Guest instructions per footprint point. */
  footprintInsns: { full: 100e6, quick: 10e6 },
  /** Calls of the hot function between two rewrites of it (Infinity: written once). */
  smc: { full: [1, 10, 100, 1000, 10_000, 100_000, Infinity], quick: [10, 1000, Infinity] },
  smcInsns: { full: 50e6, quick: 10e6 },
};

export interface SweepContext extends BenchContext {
  quick: boolean;
  refs: References;
  /** Bundled workloads available for the scale sweep. */
  bundled: WorkloadSpec[];
}

/**
 * The "number of guests" sweep's slot. Multi-guest hosting (src/vmm/host.ts) brings its runner:
 * register a function that measures N guests at once for each N it chooses and returns one point
 * per N and series (x = guests, mips = the guests' instructions per second together, sample
 * omitted for in-process runs; see SweepPoint), and the JSON, the terminal table and the report's
 * chart pick it up like the other sweeps. bench/multi-guest.ts's runMultiGuest measures just that.
 * Until one is registered the sweep is listed as not built.
 */
export type GuestCountSweep = (ctx: SweepContext) => Promise<SweepPoint[]>;
let guestCountSweep: GuestCountSweep | undefined;
export function registerGuestCountSweep(fn: GuestCountSweep | undefined): void {
  guestCountSweep = fn;
}

/** Runs planned per sweep (for the progress display). */
export function plannedSweepRuns(ctx: SweepContext, which: readonly SweepId[]): number {
  const mode = ctx.quick ? 'quick' : 'full';
  const engines = sweepEngines(ctx).length;
  const workloads = SWEEP_POINTS.scaleWorkloads[mode].filter((n) =>
    ctx.bundled.some((w) => w.name === n),
  ).length;
  let n = 0;
  if (which.includes('scale')) n += SWEEP_POINTS.scale[mode].length * workloads * engines;
  if (which.includes('footprint')) n += SWEEP_POINTS.footprint[mode].length * engines;
  if (which.includes('smc')) n += SWEEP_POINTS.smc[mode].length * engines;
  return n;
}

/** Lockstep runs two engines in step: its curves would measure that, so sweeps leave it out. */
function sweepEngines(ctx: BenchContext): RunnerName[] {
  return ctx.engines.filter((e) => e !== 'lockstep') as RunnerName[];
}

/** One run at a sweep point. `check.ref` is the output to expect; without one, the first good run sets it. */
function point(
  ctx: BenchContext,
  elf: string,
  engine: RunnerName,
  series: string,
  x: number,
  check: { ref?: Reference },
  label: string,
): SweepPoint & { sample: RawSample } {
  ctx.progress.step(label);
  const o = runWasmvisor(elf, engine, ctx.timeoutMs);
  if (!check.ref && !o.error) check.ref = { text: o.stdout, kind: 'engines-agree' };
  const sample: RawSample = toSample(o, engine, false, check.ref);
  const status = !sample.ok
    ? sample.error?.startsWith('output differs')
      ? 'wrong'
      : 'failed'
    : check.ref && check.ref.kind !== 'engines-agree'
      ? 'ok'
      : 'unchecked';
  const instret = sample.stats?.instret ?? null;
  return {
    series,
    runner: engine,
    x,
    status,
    seconds: sample.ok ? sample.seconds : null,
    instret,
    mips: sample.ok && instret !== null && sample.seconds > 0 ? instret / sample.seconds / 1e6 : null,
    extra: {},
    sample,
  };
}

function scaleSweep(ctx: SweepContext): SweepResult {
  const mode = ctx.quick ? 'quick' : 'full';
  const names = SWEEP_POINTS.scaleWorkloads[mode];
  const specs = names.map((n) => ctx.bundled.find((w) => w.name === n)).filter((w): w is WorkloadSpec => !!w);
  const points: SweepPoint[] = [];
  for (const spec of specs) {
    const bytes = readFileSync(spec.file);
    for (const scale of SWEEP_POINTS.scale[mode]) {
      const elf = scaledElf(bytes, spec.name, scale, ctx.tmpDir);
      const check = { ref: ctx.refs.get(spec, scale) };
      for (const engine of sweepEngines(ctx)) {
        const label = `sweep scale · ${spec.name} ×${scale} · ${engine}`;
        const p = point(ctx, elf, engine, `${engine} · ${spec.name}`, scale, check, label);
        p.extra = { instret: p.instret };
        points.push(p);
      }
    }
  }
  return {
    id: 'scale',
    title: 'Work size: MIPS as bench_scale grows (same code, longer runs)',
    xLabel: 'bench_scale',
    xLog: true,
    status: 'measured',
    note: `workloads ${specs.map((s) => s.name).join(', ')}; one run per point; MIPS over guest time, warm-up included`,
    points,
  };
}

function generatedPoint(ctx: SweepContext, g: GeneratedGuest, engine: RunnerName, x: number, label: string) {
  const file = join(ctx.tmpDir, `${g.name}.elf`);
  writeFileSync(file, g.elf);
  return point(ctx, file, engine, engine, x, { ref: { text: g.expected, kind: 'generated' } }, label);
}

function footprintSweep(ctx: SweepContext): SweepResult {
  const mode = ctx.quick ? 'quick' : 'full';
  const insns = SWEEP_POINTS.footprintInsns[mode];
  const points: SweepPoint[] = [];
  for (const blocks of SWEEP_POINTS.footprint[mode]) {
    const g = footprintGuest(blocks, insns);
    for (const engine of sweepEngines(ctx)) {
      const p = generatedPoint(
        ctx,
        g,
        engine,
        g.hotBytes / 1024,
        `sweep footprint · ${blocks} blocks · ${engine}`,
      );
      const j = p.sample.stats?.jit;
      p.extra = {
        blocks,
        hotBytes: g.hotBytes,
        translateSeconds: j?.translateSeconds ?? null,
        compileSeconds: j?.compileSeconds ?? null,
        regions: j?.regions ?? null,
        modules: j?.modules ?? null,
        flushes: j?.flushes ?? null,
      };
      points.push(p);
    }
  }
  return {
    id: 'footprint',
    title: 'Code footprint: MIPS as the hot code grows (same instruction count)',
    xLabel: 'hot code (KiB)',
    xLog: true,
    status: 'measured',
    note: `generated guest: N distinct 8-instruction blocks in a loop, ${insns / 1e6} M instructions per point`,
    points,
  };
}

function smcSweep(ctx: SweepContext): SweepResult {
  const mode = ctx.quick ? 'quick' : 'full';
  const insns = SWEEP_POINTS.smcInsns[mode];
  const points: SweepPoint[] = [];
  for (const calls of SWEEP_POINTS.smc[mode]) {
    const g = smcGuest(calls, insns);
    const label = Number.isFinite(calls) ? `every ${calls} calls` : 'once';
    for (const engine of sweepEngines(ctx)) {
      const p = generatedPoint(
        ctx,
        { ...g, name: `smc-${Number.isFinite(calls) ? calls : 'once'}` },
        engine,
        0,
        `sweep smc · rewrite ${label} · ${engine}`,
      );
      const secs = p.seconds;
      const inv = p.sample.stats?.jit?.invalidations ?? null;
      p.x = secs ? g.writes / secs : 0;
      p.extra = {
        callsPerWrite: Number.isFinite(calls) ? calls : null,
        writes: g.writes,
        writesPerSecond: secs ? g.writes / secs : null,
        invalidations: inv,
        invalidationsPerSecond: secs && inv !== null ? inv / secs : null,
      };
      points.push(p);
    }
  }
  return {
    id: 'smc',
    title: 'Self-modifying code: MIPS as a hot function is rewritten more often',
    xLabel: 'code rewrites per second (guest time)',
    xLog: true,
    status: 'measured',
    note: `generated guest: a 10-instruction function rewritten (store + FENCE.I) every N calls, ${insns / 1e6} M instructions per point`,
    points,
  };
}

export async function runSweeps(ctx: SweepContext, which: readonly SweepId[]): Promise<SweepResult[]> {
  const out: SweepResult[] = [];
  const skipped = (id: SweepId, title: string, xLabel: string): SweepResult => ({
    id,
    title,
    xLabel,
    xLog: false,
    status: 'skipped',
    note: 'skipped (--skip)',
    points: [],
  });
  out.push(which.includes('scale') ? scaleSweep(ctx) : skipped('scale', 'Work size', 'bench_scale'));
  out.push(
    which.includes('footprint')
      ? footprintSweep(ctx)
      : skipped('footprint', 'Code footprint', 'hot code (KiB)'),
  );
  out.push(
    which.includes('smc') ? smcSweep(ctx) : skipped('smc', 'Self-modifying code', 'code rewrites per second'),
  );
  const title = 'Number of guests: instructions per second as more guests run at once';
  if (!guestCountSweep) {
    out.push({
      id: 'guests',
      title,
      xLabel: 'guests',
      xLog: false,
      status: 'not-built',
      note: 'not measured yet: the number-of-guests sweep comes with multi-guest hosting (registerGuestCountSweep in bench/sweeps.ts)',
      points: [],
    });
  } else if (!which.includes('guests')) out.push(skipped('guests', title, 'guests'));
  else
    out.push({
      id: 'guests',
      title,
      xLabel: 'guests',
      xLog: false,
      status: 'measured',
      points: await guestCountSweep(ctx),
    });
  return out;
}
