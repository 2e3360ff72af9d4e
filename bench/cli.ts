// `wasmvisor bench` (and `npm run bench`): measures the workloads on each engine beside QEMU and a
// native build, where the jit's time goes, how cost grows (sweeps), the virtualization
// microbenchmarks (bench/micro.ts) and Linux's boot time to the shell prompt (bench/linux-boot.ts);
// prints the tables, writes DIR/results.json (every raw sample, the machine) and DIR/report.html
// (the charts). See README.md, "Benchmark".
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareResults, type Comparison } from './compare.ts';
import { BenchError } from './errors.ts';
import { linuxTargets, measureLinuxBoot } from './linux-boot.ts';
import { machineInfo } from './machine-info.ts';
import {
  measureStartup,
  measureWorkload,
  plannedRuns,
  References,
  summarizeRunners,
  type BenchContext,
} from './measure.ts';
import { Progress } from './progress.ts';
import { renderReport } from './report-html.ts';
import { hostCompiler, qemuVersion } from './runners.ts';
import {
  ENGINES,
  SCHEMA,
  validateResults,
  type MicroResult,
  type Results,
  type RunnerName,
  type SweepId,
} from './schema.ts';
import { NOISE_TOLERANCE } from './stats.ts';
import { guestCountSweep } from './multi-guest.ts';
import { plannedSweepRuns, registerGuestCountSweep, runSweeps, SWEEPS, type SweepContext } from './sweeps.ts';
import {
  ansi,
  breakdownTables,
  compareTable,
  headerLines,
  linuxBootTable,
  microTable,
  resultsTable,
  sweepTables,
  textTable,
} from './tables.ts';
import { BENCH_DIR, bundledWorkloads, loadExpected, resolveGuests } from './workloads.ts';

registerGuestCountSweep(guestCountSweep);

export const HELP = `usage: wasmvisor bench [guest.elf | workload ...] [options]
Without guests: the bundled workloads (bench/guests/*.elf), with a native row for each. Also boots
Linux (test/guests/linux) to its shell prompt on each engine and QEMU, and times it.
  --quick              a run of under a minute: scale 2, one run per row, no warm-up run, fewer sweep points
  --out DIR            where results.json, report.html and the native builds go (default bench/out)
  --compare OLD.json   the change against an earlier results.json (a regression in red)
  --from RESULTS.json  measure nothing: print the tables and write the report of a results.json
  --repeat N           measured runs per row (default 3; --quick 1)
  --warmup N           warm-up runs per row, reported but not in the median (default 1; --quick 0)
  --scale N            bench_scale of the workloads (default 10; --quick 2)
  --engines LIST       engines to measure: interp,jit (default); lockstep on request
  --skip LIST          parts to leave out: qemu, native, sweeps (or scale, footprint, smc, guests), micro,
                       linux (the boot to the shell prompt)
  --timeout SECONDS    the longest one run may take (default 600)`;

/** A 1-minute load average from which a run is flagged as taken on a busy machine. */
const BUSY_LOAD = 1;

const SKIPPABLE = ['qemu', 'native', 'sweeps', 'scale', 'footprint', 'smc', 'guests', 'micro', 'linux'];

/** Each Linux boot may take this long at most (--timeout if shorter): QEMU needs ~0.3 s, the jit ~1.5 s. */
const LINUX_BOOT_TIMEOUT_MS = 60_000;

interface Options {
  guests: string[];
  quick: boolean;
  out: string;
  compare?: string;
  from?: string;
  repeat: number;
  warmup: number;
  scale: number;
  engines: string[];
  skip: Set<string>;
  timeoutSeconds: number;
}

function wholeNumber(text: string | undefined, flag: string, min: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 0xffff_ffff) {
    throw new BenchError(
      `invalid ${flag} '${text}' (expected a whole number${min > 0 ? ` of at least ${min}` : ''})`,
    );
  }
  return Number(text);
}

function list(text: string, flag: string, allowed: readonly string[]): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new BenchError(`${flag} needs a list (e.g. ${allowed.slice(0, 2).join(',')})`);
  for (const i of items) {
    if (!allowed.includes(i)) throw new BenchError(`unknown ${flag} '${i}' (expected ${allowed.join(', ')})`);
  }
  return [...new Set(items)];
}

export function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        compare: { type: 'string' },
        from: { type: 'string' },
        repeat: { type: 'string' },
        warmup: { type: 'string' },
        scale: { type: 'string' },
        engines: { type: 'string' },
        skip: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    const first = (e as Error).message.split('\n')[0].split('. ')[0].replace(/\.$/, '');
    throw new BenchError(`${first} (see wasmvisor bench --help)`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) throw new BenchError(HELP, 0);
  const quick = v.quick ?? false;
  const timeout = v.timeout;
  if (timeout !== undefined && !(Number(timeout) > 0)) {
    throw new BenchError(`invalid --timeout '${timeout}' (expected seconds, e.g. 600)`);
  }
  if (v.from !== undefined && positionals.length)
    throw new BenchError('--from redraws a results file: it takes no guests');
  return {
    guests: positionals,
    quick,
    out: resolve(v.out ?? join(BENCH_DIR, 'out')),
    compare: v.compare,
    from: v.from,
    repeat: wholeNumber(v.repeat, '--repeat', 1, quick ? 1 : 3),
    warmup: wholeNumber(v.warmup, '--warmup', 0, quick ? 0 : 1),
    scale: wholeNumber(v.scale, '--scale', 1, quick ? 2 : 10),
    engines: v.engines !== undefined ? list(v.engines, '--engines', ENGINES) : ['interp', 'jit'],
    skip: new Set(v.skip !== undefined ? list(v.skip, '--skip', SKIPPABLE) : []),
    timeoutSeconds: timeout !== undefined ? Number(timeout) : 600,
  };
}

/** Reads and checks a results.json (for --compare and --from). */
export function readResults(path: string, flag: string): Results {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code ? err.code : 'not JSON';
    throw new BenchError(`${flag} ${path}: ${why}`);
  }
  const problems = validateResults(data);
  if (problems.length) {
    throw new BenchError(
      `${flag} ${path}: not a wasmvisor bench results file (${problems[0]}${problems.length > 1 ? `, and ${problems.length - 1} more` : ''})`,
    );
  }
  return data as Results;
}

interface MicroModule {
  runMicrobenchmarks(opts: {
    engines: string[];
    repeat: number;
    quick: boolean;
    onProgress?: (message: string) => void;
  }): Promise<MicroResult[]>;
  MICROBENCHMARKS?: readonly unknown[];
}

/** bench/micro.ts, when it is there (the microbenchmarks are a module of their own). */
async function loadMicro(): Promise<MicroModule | string> {
  if (!existsSync(join(BENCH_DIR, 'micro.ts'))) return 'bench/micro.ts is not there: no microbenchmarks';
  try {
    const spec = './micro.ts';
    const mod = (await import(spec)) as Partial<MicroModule>;
    if (typeof mod.runMicrobenchmarks !== 'function') return 'bench/micro.ts has no runMicrobenchmarks';
    return mod as MicroModule;
  } catch (e) {
    return `bench/micro.ts failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function measure(o: Options, argv: string[]): Promise<Results> {
  const started = performance.now();
  const loadAtStart = loadavg()[0];
  const notes: string[] = [];
  if (loadAtStart >= BUSY_LOAD) {
    notes.push(
      `the machine was busy when the run started (load average ${loadAtStart.toFixed(1)} over the last minute, ${cpus().length} cores): ` +
        'other processes share the CPU, so times are longer and noisier than on an idle machine',
    );
  }
  const qemu = o.skip.has('qemu') ? undefined : qemuVersion();
  const cc = o.skip.has('native') ? undefined : hostCompiler();
  if (o.skip.has('qemu')) notes.push('no QEMU rows: --skip qemu');
  else if (!qemu)
    notes.push(
      'no QEMU rows: qemu-system-riscv64 is not installed (Debian: apt-get install qemu-system-misc)',
    );
  if (o.skip.has('native')) notes.push('no native rows: --skip native');
  else if (!cc) notes.push('no native rows: no host C compiler (cc, gcc or $CC)');
  const specs = o.guests.length ? resolveGuests(o.guests) : bundledWorkloads();
  if (specs.some((s) => !s.bundled))
    notes.push(
      'guests from the command line have no native row, and their output is checked only against each other',
    );
  const sweepIds = SWEEPS.filter((id) => !o.skip.has('sweeps') && !o.skip.has(id));
  const micro = o.skip.has('micro') ? 'skipped (--skip micro)' : await loadMicro();

  mkdirSync(o.out, { recursive: true });
  const tmpDir = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-'));
  const progress = new Progress(0);
  const ctx: SweepContext = {
    scale: o.scale,
    repeat: o.repeat,
    warmup: o.warmup,
    engines: o.engines,
    qemu: qemu !== undefined,
    cc: cc?.cmd,
    nativeDir: join(o.out, 'native'),
    tmpDir,
    timeoutMs: o.timeoutSeconds * 1000,
    expected: loadExpected(),
    progress,
    quick: o.quick,
    refs: undefined as unknown as References,
    bundled: bundledWorkloads(),
  };
  ctx.refs = new References(ctx as BenchContext);
  const microEngines = o.engines.filter((e) => e !== 'lockstep');
  const microSteps =
    typeof micro === 'object' ? (micro.MICROBENCHMARKS?.length ?? 0) * microEngines.length : 0;
  // Linux boot to the shell: each engine (with both firmwares) and QEMU, unless --skip linux.
  const linux = !o.skip.has('linux');
  const bootTargets = linux ? linuxTargets(o.engines, !o.skip.has('qemu')) : [];
  progress.grow(
    Math.max(o.repeat, 1) * (o.engines.length + (qemu ? 1 : 0)) +
      (o.warmup + o.repeat) * bootTargets.length +
      plannedRuns(ctx, specs) +
      plannedSweepRuns(ctx, sweepIds) +
      microSteps,
  );
  try {
    const startup = measureStartup(ctx);
    const workloads = specs.map((s) => measureWorkload(s, ctx, ctx.refs));
    const sweeps = await runSweeps(ctx, sweepIds);
    let microbenchmarks: Results['microbenchmarks'];
    if (typeof micro === 'string') {
      microbenchmarks = { status: o.skip.has('micro') ? 'skipped' : 'unavailable', note: micro, results: [] };
    } else {
      try {
        const results = await micro.runMicrobenchmarks({
          engines: microEngines,
          repeat: o.repeat,
          quick: o.quick,
          onProgress: (m) => (microSteps ? progress.step(m) : progress.note(m)),
        });
        microbenchmarks = {
          status: 'measured',
          note:
            (o.engines.includes('lockstep') ? 'lockstep is not measured here. ' : '') +
            'Each figure: the difference between two runs of one guest with different operation counts, over that difference (start-up cancels); every row includes the empty loop.',
          results,
        };
      } catch (e) {
        microbenchmarks = {
          status: 'failed',
          note: `microbenchmarks failed: ${(e as Error).message.split('\n')[0]}`,
          results: [],
        };
      }
    }
    const linuxBoot = linux
      ? await measureLinuxBoot({
          targets: bootTargets,
          haveQemu: qemu !== undefined,
          repeat: o.repeat,
          warmup: o.warmup,
          timeoutMs: Math.min(LINUX_BOOT_TIMEOUT_MS, o.timeoutSeconds * 1000),
          onRun: (m) => progress.step(m),
        })
      : {
          status: 'skipped' as const,
          note: 'skipped (--skip linux)',
          rows: [],
        };
    const runners = [...o.engines, ...(qemu ? ['qemu'] : []), ...(cc ? ['native'] : [])] as RunnerName[];
    return {
      schema: SCHEMA,
      createdAt: new Date().toISOString(),
      argv,
      config: {
        quick: o.quick,
        scale: o.scale,
        repeat: o.repeat,
        warmup: o.warmup,
        engines: o.engines,
        runners,
        skip: [...o.skip],
        noiseTolerance: NOISE_TOLERANCE,
        timeoutSeconds: o.timeoutSeconds,
      },
      machine: { ...machineInfo(qemu, cc?.version), loadAverage: [loadAtStart, loadavg()[0]] },
      notes,
      startup,
      workloads,
      summary: summarizeRunners(workloads, runners),
      sweeps,
      microbenchmarks,
      linuxBoot,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    progress.clear();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

function printTables(r: Results, comparison: Comparison | undefined): void {
  const st = ansi(process.stdout.isTTY === true && !process.env.NO_COLOR);
  const blocks: string[] = [headerLines(r).join('\n')];
  for (const n of r.notes) blocks.push(st.tone('warn', `note: ${n}`));
  blocks.push(textTable(resultsTable(r), st));
  for (const t of breakdownTables(r)) blocks.push(textTable(t, st));
  for (const t of sweepTables(r)) blocks.push(textTable(t, st));
  const linuxTable = linuxBootTable(r);
  if (linuxTable) blocks.push(textTable(linuxTable, st));
  blocks.push(textTable(microTable(r), st));
  if (comparison) blocks.push(textTable(compareTable(comparison), st));
  process.stdout.write(blocks.join('\n\n') + '\n');
}

export async function bench(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const old = o.compare !== undefined ? readResults(o.compare, '--compare') : undefined;
  const results = o.from !== undefined ? readResults(o.from, '--from') : await measure(o, argv);
  const comparison = old ? compareResults(old, results, o.compare!) : undefined;
  mkdirSync(o.out, { recursive: true });
  if (o.from === undefined)
    writeFileSync(join(o.out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  printTables(results, comparison);
  writeFileSync(join(o.out, 'report.html'), await renderReport(results, comparison));
  process.stdout.write(
    `\n${o.from === undefined ? `wrote ${join(o.out, 'results.json')} and ` : 'wrote '}${join(o.out, 'report.html')}\n`,
  );
  const bad =
    results.workloads.some((w) => w.rows.some((r) => r.status === 'wrong' || r.status === 'failed')) ||
    results.sweeps.some((s) => s.points.some((p) => p.status === 'wrong' || p.status === 'failed')) ||
    (results.linuxBoot?.rows.some((r) => r.status === 'failed') ?? false);
  return o.from === undefined && bad ? 1 : 0;
}

/** The command: bad input ends in one line on stderr and exit code 2; help goes to stdout. */
export async function benchMain(argv: string[]): Promise<number> {
  try {
    return await bench(argv);
  } catch (e) {
    const err = e as Error & { exitCode?: number };
    if (err instanceof BenchError && err.exitCode === 0) {
      process.stdout.write(`${err.message}\n`);
      return 0;
    }
    if (typeof err.exitCode === 'number') {
      process.stderr.write(`wasmvisor: bench: ${err.message.split('\n')[0]}\n`);
      return err.exitCode;
    }
    process.stderr.write(`wasmvisor: bench: internal error: ${err.message ?? err}\n`);
    if (process.env.WASMVISOR_DEBUG) console.error(e);
    return 70;
  }
}
