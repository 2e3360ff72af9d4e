// results.json: every raw sample of a bench run, with the machine it ran on. Its shape is versioned
// by `schema`; validateResults checks a file before --compare or --from trusts it.
import type { LinuxBootResult } from './linux-boot.ts';
import type { Summary } from './stats.ts';
import type { WasmvisorStats } from './runners.ts';

export const SCHEMA = 'wasmvisor-bench/1';

/** The engines of wasmvisor, then the references. */
export type RunnerName = 'interp' | 'jit' | 'lockstep' | 'qemu' | 'native';
export const ENGINES = ['interp', 'jit', 'lockstep'] as const;
export const RUNNERS: readonly RunnerName[] = ['interp', 'jit', 'lockstep', 'qemu', 'native'];

/** One measurement: one fresh process. */
export interface RawSample {
  /** A warm-up run: reported, but left out of the median. */
  warmup: boolean;
  /** Exited 0 and printed the reference output (or there was none to compare with). */
  ok: boolean;
  exitCode: number | null;
  /**
   * The seconds runners are compared by: guest time (`--stats`: first instruction to the end) for
   * wasmvisor; the wall time of the whole process for QEMU and native.
   */
  seconds: number;
  /** The wall time of the whole process, start-up included. */
  wallSeconds: number;
  /** Why the run is not ok (one line). */
  error?: string;
  /** wasmvisor's --stats line: instructions, exits, translator figures, samples, profile. */
  stats?: WasmvisorStats;
}

/** Where the time of one wasmvisor run went (the run whose seconds are the row's median). */
export interface Breakdown {
  /** Process start to the first guest instruction (Node, wasmvisor's modules, the core). */
  startupSeconds: number | null;
  guestSeconds: number;
  /** In the core (interpreter and translated code). */
  coreSeconds: number | null;
  /** Instructions retired in translated code, as a fraction of all. */
  translatedFraction: number | null;
  /**
   * Estimated split of core time: interpreted instructions at the interpreter row's rate, the rest
   * in translated code (with the jit-mode interpreter's extra bookkeeping). Null without an
   * interpreter row, or when under 5% of the instructions ran translated.
   */
  translatedSecondsEstimate: number | null;
  /** In the supervisor, handling exits: seconds, count and microseconds per exit, by reason. */
  exits: Record<string, { count: number; seconds: number | null; micros: number | null }>;
  /** Yielded to the event loop: console, translations arriving from the worker, WFI sleeps. */
  yieldSeconds: number | null;
  /** The jit: first instruction to the translator's being ready (binaryen loaded in its worker). */
  translatorReadySeconds: number | null;
  /** The jit: building modules with binaryen (in the compile worker, beside the guest). */
  translateSeconds: number | null;
  /** The jit: V8 compiling and instantiating modules (on the guest's thread). */
  compileSeconds: number | null;
  regions: number | null;
  modules: number | null;
  liveRegions: number | null;
  wasmBytes: number | null;
  invalidations: number | null;
  flushes: number | null;
  /** The jit: guest seconds after which it has retired more instructions than the interpreter had by then (null: not within the run). */
  breakEvenSeconds: number | null;
  /** MIPS over the last quarter of the run's samples: the rate once warm. */
  steadyMips: number | null;
}

export type RowStatus = 'ok' | 'unchecked' | 'wrong' | 'failed';

export interface Row {
  runner: RunnerName;
  /** ok: checked against the reference; unchecked: there was none; wrong / failed: not timed. */
  status: RowStatus;
  note?: string;
  samples: RawSample[];
  /** Over the measured (not warm-up) samples; null for a wrong or failed row. */
  seconds: Summary | null;
  /** Guest instructions / median seconds (QEMU and native: the guest's count, their time). */
  mips: number | null;
  /** Speed relative to another row, its median seconds / this row's: above 1 is faster. */
  vsInterp: number | null;
  vsQemu: number | null;
  vsNative: number | null;
  breakdown?: Breakdown;
  /** Steady-state speed from runs at a second scale (null: native, or no bench_scale; absent in older files). */
  warm?: WarmFigures | null;
}

/**
 * The row's speed once warm: the slope between the workload's scale S and WARM_SCALE_FACTOR × S.
 * Start-up, the translator's warm-up and QEMU's start-up are paid at both scales, so they cancel
 * in the difference, if the warm-up is over within the run at S (else see `from`).
 */
export interface WarmFigures {
  /** The second scale. */
  scale: number;
  /**
   * Set when the row's own runs at S were not yet warm (see WARM_DONE in measure.ts): the pair is
   * then this first scale (WARM_SCALE_FACTOR times S, its runs here) and `scale`, as many times
   * more. Without it the first scale is S and its runs are the row's.
   */
  from?: { scale: number; instret: number | null; samples: RawSample[] };
  /** Guest instructions at that scale (from wasmvisor's runs: the same on every runner). */
  instret: number | null;
  /** The runs at that scale, one per measured round beside the row's own. */
  samples: RawSample[];
  /** Warm seconds per round: seconds at `scale` minus the same round's at the first scale (null: a run failed). */
  seconds: Summary | null;
  /**
   * (instructions at `scale` - at the first) / (median seconds at `scale` - at the first) / 1e6;
   * null when a run failed or the difference in time is not positive.
   */
  mips: number | null;
  /** This row's warm MIPS over the interpreter's (QEMU's): above 1 is faster. */
  vsInterp: number | null;
  vsQemu: number | null;
}

export type ReferenceKind = 'expected.json' | 'native' | 'engines-agree' | 'generated' | 'none';

export interface WorkloadResult {
  name: string;
  file: string;
  /** bench_scale, or null for a guest without one (run as it is). */
  scale: number | null;
  instret: number | null;
  /** What the rows' output was checked against. */
  reference: ReferenceKind;
  rows: Row[];
  notes: string[];
}

export interface SweepPoint {
  series: string;
  runner: RunnerName;
  x: number;
  status: RowStatus;
  seconds: number | null;
  instret: number | null;
  mips: number | null;
  /** Figures particular to the sweep (hot code bytes, writes per second, translate seconds ...). */
  extra: Record<string, number | null>;
  /** The run, when the point is one `wasmvisor run` process. */
  sample?: RawSample;
}

export type SweepId = 'scale' | 'footprint' | 'smc' | 'guests';

export interface SweepResult {
  id: SweepId;
  title: string;
  xLabel: string;
  xLog: boolean;
  status: 'measured' | 'skipped' | 'not-built';
  note?: string;
  points: SweepPoint[];
}

/** The microbenchmark interface (bench/micro.ts). */
export interface MicroResult {
  name: string;
  label: string;
  engine: string;
  ops: number;
  nsPerOp: number;
  samples: number[];
  note?: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  v8: string;
  wasmvisor: string;
  commit: string | null;
  qemu: string | null;
  cc: string | null;
  /** The 1-minute load average when the run started and when it ended (other work on the machine). */
  loadAverage?: [number, number];
}

export interface Results {
  schema: typeof SCHEMA;
  createdAt: string;
  argv: string[];
  config: {
    quick: boolean;
    scale: number;
    repeat: number;
    warmup: number;
    engines: string[];
    runners: RunnerName[];
    skip: string[];
    noiseTolerance: number;
    timeoutSeconds: number;
  };
  machine: MachineInfo;
  notes: string[];
  /** The fixed cost of one run: each runner's whole process on a guest that only exits. */
  startup: { runner: RunnerName; wallSeconds: Summary; samples: number[] }[];
  workloads: WorkloadResult[];
  summary: {
    runner: RunnerName;
    geomeanMips: number | null;
    vsInterp: number | null;
    vsQemu: number | null;
    vsNative: number | null;
    rows: number;
    /** Geometric means of the rows' warm figures (absent in older files). */
    warm?: { geomeanMips: number | null; vsInterp: number | null; vsQemu: number | null; rows: number };
  }[];
  sweeps: SweepResult[];
  microbenchmarks: {
    status: 'measured' | 'skipped' | 'unavailable' | 'failed';
    note?: string;
    results: MicroResult[];
  };
  /** Linux boot time to the shell prompt (bench/linux-boot.ts); absent in older files. */
  linuxBoot?: LinuxBootResult;
  seconds: number;
}

/** Problems with a results file's shape (empty: well-formed). */
export function validateResults(x: unknown): string[] {
  const problems: string[] = [];
  const fail = (path: string, what: string) => problems.push(`${path}: ${what}`);
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const num = (v: unknown, path: string, nullable = false) => {
    if (nullable && v === null) return;
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(path, `expected a number, got ${JSON.stringify(v)}`);
  };
  const str = (v: unknown, path: string, nullable = false) => {
    if (nullable && v === null) return;
    if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
  };
  const arr = (v: unknown, path: string): unknown[] => {
    if (!Array.isArray(v)) {
      fail(path, 'expected an array');
      return [];
    }
    return v;
  };
  const summary = (v: unknown, path: string) => {
    if (v === null) return;
    if (!isObj(v)) return fail(path, 'expected a summary');
    for (const k of ['median', 'min', 'max', 'spread', 'n']) num(v[k], `${path}.${k}`);
    if (typeof v.noisy !== 'boolean') fail(`${path}.noisy`, 'expected a boolean');
  };
  const sample = (v: unknown, path: string) => {
    if (!isObj(v)) return fail(path, 'expected a sample');
    if (typeof v.warmup !== 'boolean') fail(`${path}.warmup`, 'expected a boolean');
    if (typeof v.ok !== 'boolean') fail(`${path}.ok`, 'expected a boolean');
    num(v.seconds, `${path}.seconds`);
    num(v.wallSeconds, `${path}.wallSeconds`);
    num(v.exitCode, `${path}.exitCode`, true);
    if (v.stats !== undefined) {
      if (!isObj(v.stats)) return fail(`${path}.stats`, 'expected an object');
      num(v.stats.instret, `${path}.stats.instret`);
      num(v.stats.seconds, `${path}.stats.seconds`);
    }
  };
  if (!isObj(x)) return ['results: expected a JSON object'];
  if (x.schema !== SCHEMA) fail('schema', `expected '${SCHEMA}', got ${JSON.stringify(x.schema)}`);
  str(x.createdAt, 'createdAt');
  num(x.seconds, 'seconds');
  if (!isObj(x.config)) fail('config', 'expected an object');
  else {
    num(x.config.scale, 'config.scale');
    num(x.config.repeat, 'config.repeat');
    num(x.config.warmup, 'config.warmup');
    arr(x.config.engines, 'config.engines');
    num(x.config.noiseTolerance, 'config.noiseTolerance');
  }
  if (!isObj(x.machine)) fail('machine', 'expected an object');
  else {
    for (const k of ['cpu', 'os', 'node', 'v8', 'wasmvisor']) str(x.machine[k], `machine.${k}`);
    for (const k of ['qemu', 'cc', 'commit']) str(x.machine[k], `machine.${k}`, true);
    num(x.machine.cores, 'machine.cores');
  }
  arr(x.notes, 'notes').forEach((n, i) => str(n, `notes[${i}]`));
  arr(x.startup, 'startup').forEach((s, i) => {
    if (!isObj(s)) return fail(`startup[${i}]`, 'expected an object');
    if (!RUNNERS.includes(s.runner as RunnerName)) fail(`startup[${i}].runner`, 'unknown runner');
    summary(s.wallSeconds, `startup[${i}].wallSeconds`);
  });
  arr(x.workloads, 'workloads').forEach((w, i) => {
    const p = `workloads[${i}]`;
    if (!isObj(w)) return fail(p, 'expected an object');
    str(w.name, `${p}.name`);
    str(w.file, `${p}.file`);
    num(w.scale, `${p}.scale`, true);
    num(w.instret, `${p}.instret`, true);
    arr(w.rows, `${p}.rows`).forEach((r, j) => {
      const q = `${p}.rows[${j}]`;
      if (!isObj(r)) return fail(q, 'expected an object');
      if (!RUNNERS.includes(r.runner as RunnerName))
        fail(`${q}.runner`, `unknown runner ${JSON.stringify(r.runner)}`);
      if (!['ok', 'unchecked', 'wrong', 'failed'].includes(r.status as string))
        fail(`${q}.status`, 'unknown status');
      summary(r.seconds, `${q}.seconds`);
      if ((r.status === 'wrong' || r.status === 'failed') && r.seconds !== null)
        fail(`${q}.seconds`, 'a wrong row is not timed');
      for (const k of ['mips', 'vsInterp', 'vsQemu', 'vsNative']) num(r[k], `${q}.${k}`, true);
      arr(r.samples, `${q}.samples`).forEach((s, k) => sample(s, `${q}.samples[${k}]`));
      if (r.warm !== undefined && r.warm !== null) {
        const wq = `${q}.warm`;
        if (!isObj(r.warm)) return fail(wq, 'expected an object');
        num(r.warm.scale, `${wq}.scale`);
        num(r.warm.instret, `${wq}.instret`, true);
        summary(r.warm.seconds, `${wq}.seconds`);
        for (const k of ['mips', 'vsInterp', 'vsQemu']) num(r.warm[k], `${wq}.${k}`, true);
        if (typeof r.warm.mips === 'number' && !(r.warm.mips > 0))
          fail(`${wq}.mips`, 'expected a positive number');
        if ((r.status === 'wrong' || r.status === 'failed') && r.warm.mips !== null)
          fail(`${wq}.mips`, 'a wrong row is not timed');
        arr(r.warm.samples, `${wq}.samples`).forEach((s, k) => sample(s, `${wq}.samples[${k}]`));
        if (r.warm.from !== undefined) {
          const from = r.warm.from as Record<string, unknown>;
          if (!isObj(from)) return fail(`${wq}.from`, 'expected an object');
          num(from.scale, `${wq}.from.scale`);
          num(from.instret, `${wq}.from.instret`, true);
          arr(from.samples, `${wq}.from.samples`).forEach((s, k) => sample(s, `${wq}.from.samples[${k}]`));
        }
      }
    });
  });
  arr(x.summary, 'summary').forEach((s, i) => {
    if (!isObj(s)) return fail(`summary[${i}]`, 'expected an object');
    num(s.geomeanMips, `summary[${i}].geomeanMips`, true);
    if (s.warm !== undefined) {
      if (!isObj(s.warm)) return fail(`summary[${i}].warm`, 'expected an object');
      for (const k of ['geomeanMips', 'vsInterp', 'vsQemu']) num(s.warm[k], `summary[${i}].warm.${k}`, true);
      num(s.warm.rows, `summary[${i}].warm.rows`);
    }
  });
  arr(x.sweeps, 'sweeps').forEach((s, i) => {
    const p = `sweeps[${i}]`;
    if (!isObj(s)) return fail(p, 'expected an object');
    if (!['scale', 'footprint', 'smc', 'guests'].includes(s.id as string)) fail(`${p}.id`, 'unknown sweep');
    str(s.title, `${p}.title`);
    arr(s.points, `${p}.points`).forEach((pt, j) => {
      if (!isObj(pt)) return fail(`${p}.points[${j}]`, 'expected an object');
      num(pt.x, `${p}.points[${j}].x`);
      num(pt.mips, `${p}.points[${j}].mips`, true);
      if (pt.sample !== undefined) sample(pt.sample, `${p}.points[${j}].sample`);
    });
  });
  if (x.linuxBoot !== undefined) {
    if (!isObj(x.linuxBoot)) fail('linuxBoot', 'expected an object');
    else {
      if (!['measured', 'skipped'].includes(x.linuxBoot.status as string))
        fail('linuxBoot.status', 'unknown status');
      arr(x.linuxBoot.rows, 'linuxBoot.rows').forEach((r, i) => {
        const p = `linuxBoot.rows[${i}]`;
        if (!isObj(r)) return fail(p, 'expected an object');
        if (!['interp', 'jit', 'qemu'].includes(r.runner as string)) fail(`${p}.runner`, 'unknown runner');
        if (!['builtin', 'opensbi'].includes(r.firmware as string)) fail(`${p}.firmware`, 'unknown firmware');
        if (!['ok', 'failed', 'skipped'].includes(r.status as string)) fail(`${p}.status`, 'unknown status');
        summary(r.seconds, `${p}.seconds`);
        if (r.status !== 'ok' && r.seconds !== null)
          fail(`${p}.seconds`, 'a failed or skipped row is not timed');
        arr(r.samples, `${p}.samples`).forEach((v, j) => num(v, `${p}.samples[${j}]`));
        num(r.qemuRatio, `${p}.qemuRatio`, true);
      });
    }
  }
  if (!isObj(x.microbenchmarks)) fail('microbenchmarks', 'expected an object');
  else
    arr(x.microbenchmarks.results, 'microbenchmarks.results').forEach((m, i) => {
      if (!isObj(m)) return fail(`microbenchmarks.results[${i}]`, 'expected an object');
      str(m.name, `microbenchmarks.results[${i}].name`);
      str(m.engine, `microbenchmarks.results[${i}].engine`);
      num(m.nsPerOp, `microbenchmarks.results[${i}].nsPerOp`);
    });
  return problems;
}
