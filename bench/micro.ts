// Virtualization microbenchmarks, in the spirit of the table in Adams and Agesen's comparison of
// software and hardware techniques for x86 virtualization (ASPLOS 2006): the cost of one
// operation that a virtual machine monitor must see — a system call, a page fault, a CSR write,
// an MMIO access, a timer interrupt, an SBI call, FENCE.I after a code write — and of printing a
// line paravirtualized (SBI debug console) against fully virtualized (UART registers).
//
// The guest is bench/micro/micro.elf, an S-mode kernel run with `sbi: 'builtin'` that does
// operation `micro_op` `micro_count` times (both patched in RAM after loading) and checks what it
// counted (see bench/micro/micro.c). A measurement times fresh machines in this process with two
// counts n1 < n2: ns/op = (t(n2) - t(n1)) / (n2 - n1), t being the run's time (RunResult.seconds),
// so start-up cancels (boot, page tables, the jit's first translations). The counts are
// calibrated for each engine (TIMES). Every row includes the bare loop's two instructions: the
// `loop` row is that overhead.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createMachine, type EngineName } from '../src/index.ts';

export interface MicroResult {
  name: string;
  label: string;
  engine: string;
  /** Operations in the timed difference (n2 - n1). */
  ops: number;
  /** From the fastest of the runs of each count (see runMicrobenchmark). */
  nsPerOp: number;
  /** ns per op, one per repeat. */
  samples: number[];
  note?: string;
}

export interface Microbenchmark {
  name: string;
  label: string;
  /** The first count tried for n1 (about 5 ms on the interpreter); it grows from there. */
  n1: number;
  /** The most operations the guest can do in one run. */
  max?: number;
  note?: string;
}

/** In the guest's order (micro.c numbers them from 1; 0 runs them all). */
export const MICROBENCHMARKS: readonly Microbenchmark[] = [
  {
    name: 'loop',
    label: 'empty loop iteration',
    n1: 500_000,
    note: 'two instructions; included in every row',
  },
  { name: 'syscall', label: 'system call round trip (ecall U→S, sret)', n1: 30_000 },
  {
    name: 'page-fault',
    label: 'page fault handled by the guest kernel',
    n1: 4_000,
    max: 262_144,
    note: 'a fresh page each time: fault, install the PTE, sfence.vma of the page, sret, retry',
  },
  {
    name: 'satp',
    label: 'address-space switch (satp write, sfence.vma)',
    n1: 8_000,
    note: 'between two roots, then a load through a page each maps differently',
  },
  { name: 'stimecmp', label: 'timer CSR write (stimecmp)', n1: 50_000 },
  {
    name: 'mmio',
    label: 'MMIO write and read of a device register',
    n1: 6_000,
    note: 'UART scratch register',
  },
  {
    name: 'timer-irq',
    label: 'timer interrupt delivery (Sstc)',
    n1: 20_000,
    note: 'stimecmp in the past, trap, disarm, sret',
  },
  { name: 'sbi-call', label: 'SBI call (base get_spec_version)', n1: 8_000 },
  {
    name: 'fence-i',
    label: 'code write, FENCE.I, call the new code',
    n1: 80_000,
    note: 'on the jit the rewritten code stays interpreted: each translation of it comes back stale',
  },
  {
    name: 'print-sbi',
    label: 'print a 64-byte line: SBI debug console (paravirtual)',
    n1: 2_000,
    note: 'one DBCN console_write',
  },
  {
    name: 'print-uart',
    label: 'print a 64-byte line: UART registers (full virtualization)',
    n1: 100,
    note: '64 LSR reads, 64 THR writes',
  },
];

/**
 * Guest time of the shorter run (`warm`: past the jit's warm-up) and of the difference between the
 * two (`target`: long against timer and scheduling noise).
 */
const TIMES = { quick: { warm: 0.03, target: 0.06 }, full: { warm: 0.15, target: 0.5 } };
/** Counts are 32-bit in the guest. */
const MAX_COUNT = 0xffff_ffff;
/** RAM of each machine: the kernel, its 2 MiB of demand page tables and the device tree fit. */
const MEMORY = 8 << 20;

const elfPath = new URL('micro/micro.elf', import.meta.url);
let elfBytes: Uint8Array | undefined;

export interface MicroRun {
  exitCode: number;
  /** Guest time of the run. */
  seconds: number;
  instret: bigint;
  /** Operations the guest counted as done right. */
  done: number;
  output: string;
  /** jit: regions translated during the run. */
  regions: number;
}

function find(name: string): { bench: Microbenchmark; op: number } {
  const i = MICROBENCHMARKS.findIndex((b) => b.name === name);
  if (i < 0) {
    throw new Error(
      `unknown microbenchmark '${name}' (expected ${MICROBENCHMARKS.map((b) => b.name).join(', ')})`,
    );
  }
  return { bench: MICROBENCHMARKS[i], op: i + 1 };
}

/**
 * Boots micro.elf on a fresh machine and runs microbenchmark `name` `count` times. Throws when the
 * guest fails or does not report `count` operations done.
 */
export async function runMicro(
  name: string,
  engine: string,
  count: number,
  options: {
    jitThreshold?: number;
    deterministic?: boolean;
    /** Called after the ELF is loaded and patched, before the run (tests change the guest here). */
    before?: (vm: Awaited<ReturnType<typeof createMachine>>) => void;
  } = {},
): Promise<MicroRun> {
  const { op } = find(name);
  if (engine !== 'interp' && engine !== 'jit' && engine !== 'lockstep') {
    throw new Error(`unknown engine '${engine}' (expected interp, jit or lockstep)`);
  }
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new Error(`micro ${name}: count ${count} is out of range (1 to ${MAX_COUNT})`);
  }
  elfBytes ??= readFileSync(elfPath);
  const vm = await createMachine({
    engine: engine as EngineName,
    sbi: 'builtin',
    memory: MEMORY,
    jitThreshold: options.jitThreshold,
    deterministic: options.deterministic,
  });
  await vm.jitReady(); // binaryen's load is start-up, not guest time
  vm.loadElf(elfBytes, 'micro.elf');
  for (const [symbol, value] of [
    ['micro_op', op],
    ['micro_count', count],
  ] as const) {
    const addr = vm.symbol(symbol);
    if (addr === undefined) throw new Error(`micro.elf has no ${symbol} symbol: rebuild it (npm run guests)`);
    const word = new Uint8Array(4);
    new DataView(word.buffer).setUint32(0, value, true);
    vm.writeMemory(addr, word);
  }
  options.before?.(vm);
  const chunks: Uint8Array[] = [];
  vm.onOutput((bytes) => chunks.push(bytes));
  const result = await vm.run({ maxInsns: 50_000_000_000n });
  const output = Buffer.concat(chunks).toString('latin1');
  const report = [...output.matchAll(/^micro: (\S+) (\d+)\/(\d+) (ok|FAILED)$/gm)].at(-1);
  const done = report && report[1] === name && Number(report[3]) === count ? Number(report[2]) : -1;
  if (result.exitCode !== 0 || done !== count) {
    const last = output.trimEnd().split('\n').at(-1) ?? '';
    throw new Error(
      `micro ${name} on ${engine} (count ${count}): exit ${result.exitCode} (${result.exitReason})` +
        (result.message ? `: ${result.message}` : '') +
        `; last line: ${JSON.stringify(last.slice(0, 200))}`,
    );
  }
  const regions = vm.jitStats()?.regions ?? 0;
  return {
    exitCode: result.exitCode,
    seconds: result.seconds,
    instret: result.instret,
    done,
    output,
    regions,
  };
}

let workerWarm: Promise<void> | undefined;

/**
 * The jit compiles in one worker per process, which loads binaryen (0.4 s or more) on its first
 * job; until then nothing is translated. Short loops run until one of them gets its translation,
 * so that wait is not in anything timed.
 */
function warmCompileWorker(): Promise<void> {
  workerWarm ??= (async () => {
    for (let i = 0; i < 100; i++) if ((await runMicro('loop', 'jit', 2_000_000)).regions > 0) return;
    throw new Error(
      'micro: the jit translated nothing in 100 runs (is its compile worker built? npm run build:ts)',
    );
  })();
  return workerWarm;
}

/**
 * Measures one microbenchmark on one engine with counts n1 < n2. n1 grows until a run lasts
 * `warm` (past start-up and the jit's first translations, so the n2 - n1 operations that make the
 * difference run at the engine's steady speed); n2 is sized so that the difference lasts about
 * `target`. Each repeat times both counts once: samples[r] is its difference per operation, and
 * nsPerOp comes from the fastest run of each count (a busy host only ever adds time).
 */
export async function runMicrobenchmark(
  name: string,
  opts: { engine: string; repeat: number; quick: boolean },
): Promise<MicroResult> {
  const { bench } = find(name);
  const { warm, target } = opts.quick ? TIMES.quick : TIMES.full;
  const max = bench.max ?? MAX_COUNT;
  const time = async (n: number) => (await runMicro(name, opts.engine, n)).seconds;

  if (opts.engine === 'jit') await warmCompileWorker();
  // A first run, not timed: V8 optimizes the supervisor's code for this operation (device, SBI,
  // trap paths), which would otherwise make the first timed run slower than the next ones.
  await time(bench.n1);
  let n1 = bench.n1;
  let t1 = await time(n1);
  while (t1 < warm && n1 * 8 <= max) t1 = await time((n1 *= 4));
  // t1 / n1 overestimates the cost of an operation (it includes start-up), so this n2 falls short
  // of the target rather than past it; a difference short of half the target is sized again from
  // its own slope (growing at most 8x, in case that slope is noise).
  let n2 = Math.min(max, n1 + Math.max(n1, Math.round((target * n1) / t1)));
  let t2 = await time(n2);
  for (let tries = 0; t2 - t1 < target / 2 && n2 < max && tries < 3; tries++) {
    const perOp = Math.max((t2 - t1) / (n2 - n1), 1e-12);
    n2 = Math.min(max, n1 + 8 * (n2 - n1), Math.round(n1 + target / perOp));
    t2 = await time(n2);
  }
  const runs1: number[] = [];
  const runs2: number[] = [];
  const samples: number[] = [];
  for (let r = 0; r < Math.max(1, opts.repeat); r++) {
    if (r > 0) [t1, t2] = [await time(n1), await time(n2)];
    runs1.push(t1);
    runs2.push(t2);
    samples.push(((t2 - t1) / (n2 - n1)) * 1e9);
  }
  const nsPerOp = ((Math.min(...runs2) - Math.min(...runs1)) / (n2 - n1)) * 1e9;
  if (!(nsPerOp > 0)) {
    throw new Error(
      `micro ${name} on ${opts.engine}: ${n2} operations did not take longer than ${n1} (a busy host?)`,
    );
  }
  return { name, label: bench.label, engine: opts.engine, ops: n2 - n1, nsPerOp, samples, note: bench.note };
}

/**
 * Every microbenchmark on every engine. `quick` with one repeat takes 6 to 9 s of CPU time for
 * interp and jit (12 to 14 s of wall time on a busy 2-core host); each repeat adds two runs a row.
 */
export async function runMicrobenchmarks(opts: {
  engines: string[];
  repeat: number;
  quick: boolean;
  onProgress?: (message: string) => void;
}): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const bench of MICROBENCHMARKS) {
    for (const engine of opts.engines) {
      const r = await runMicrobenchmark(bench.name, { engine, repeat: opts.repeat, quick: opts.quick });
      results.push(r);
      opts.onProgress?.(`micro ${r.name} on ${engine}: ${r.nsPerOp.toFixed(1)} ns/op (${r.ops} ops)`);
    }
  }
  return results;
}

// `npx tsx bench/micro.ts [--quick] [--repeat N] [--engine E ...] [name ...]`: one line per
// measurement (the benchmark's report prints them as a table).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '3' },
      engine: { type: 'string', multiple: true },
    },
  });
  const engines = values.engine ?? ['interp', 'jit'];
  const names = positionals.length ? positionals : MICROBENCHMARKS.map((b) => b.name);
  for (const name of names)
    for (const engine of engines) {
      const r = await runMicrobenchmark(name, { engine, repeat: Number(values.repeat), quick: values.quick });
      const samples = r.samples.map((s) => s.toFixed(1)).join(' ');
      process.stdout.write(
        `${name.padEnd(11)} ${engine.padEnd(8)} ${r.nsPerOp.toFixed(1).padStart(10)} ns/op  (${r.ops} ops; samples ${samples})\n`,
      );
    }
}
