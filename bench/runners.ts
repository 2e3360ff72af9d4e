// What runs a guest once: wasmvisor (a fresh `wasmvisor run --stats --stats-samples` process, as a
// user runs it), qemu-system-riscv64 on the same ELF, or the native build of the same C source.
// Each returns the console output (for the checksum), the exit code and the seconds measured.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR } from './workloads.ts';

const CLI = join(BENCH_DIR, '..', 'bin', 'wasmvisor.js');
const QEMU = process.env.QEMU ?? 'qemu-system-riscv64';

/** The `--stats` line of `wasmvisor run` (with --stats-samples). */
export interface WasmvisorStats {
  engine: string;
  instret: number;
  /** Guest time: from the first instruction to the end, without process start-up. */
  seconds: number;
  mips: number;
  exitCode: number;
  exitReason: string;
  exits: Record<string, number>;
  jit?: {
    regions: number;
    modules: number;
    translateSeconds: number;
    compileSeconds: number;
    wasmBytes?: number;
    invalidations: number;
    flushes: number;
    liveRegions: number;
    translatedInsns?: number;
    [k: string]: number | undefined;
  };
  /** Process start to the first guest instruction. */
  startupSeconds?: number;
  /** First guest instruction to the translator's being ready (binaryen loaded in the worker). */
  translatorReadySeconds?: number;
  profile?: { coreSeconds: number; exitSeconds: Record<string, number>; yieldSeconds: number };
  /** [guest seconds, instructions retired] at the run loop's yields. */
  samples?: [number, number][];
}

export interface Outcome {
  stdout: string;
  /** null when the process did not end by itself (timeout, signal) or could not start. */
  code: number | null;
  wallSeconds: number;
  /** One line: why the run failed to produce a result. */
  error?: string;
  stats?: WasmvisorStats;
}

function timed(cmd: string, args: string[], timeoutMs: number): Outcome & { stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    encoding: 'latin1',
    maxBuffer: 1 << 28,
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const stderr = r.stderr ?? '';
  let error: string | undefined;
  if (r.error)
    error = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? 'timed out' : r.error.message;
  else if (r.signal) error = `killed by ${r.signal}`;
  else if (r.status !== 0) {
    // The program's own one-line message, else the last line it printed (e.g. Node's error).
    const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    const why = lines.find((l) => l.startsWith('wasmvisor: ')) ?? lines.at(-1);
    error = `exit code ${r.status}${why ? ` (${why.trim().slice(0, 200)})` : ''}`;
  }
  return { stdout: r.stdout ?? '', code: r.error || r.signal ? null : r.status, wallSeconds, error, stderr };
}

export function runWasmvisor(elf: string, engine: string, timeoutMs: number): Outcome {
  const r = timed(
    process.execPath,
    [CLI, 'run', elf, '--engine', engine, '--stats', '--stats-samples'],
    timeoutMs,
  );
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  let stats: WasmvisorStats | undefined;
  try {
    if (last.startsWith('{')) stats = JSON.parse(last);
  } catch {
    /* no stats line: the run failed before it (error says why) */
  }
  if (!stats && !r.error) r.error = 'no --stats line';
  return { stdout: r.stdout, code: r.code, wallSeconds: r.wallSeconds, error: r.error, stats };
}

export function runQemu(elf: string, timeoutMs: number): Outcome {
  const { stderr: _, ...r } = timed(
    QEMU,
    ['-M', 'virt', '-bios', 'none', '-nographic', '-kernel', elf],
    timeoutMs,
  );
  return r;
}

export function runNative(binary: string, scale: number | null, timeoutMs: number): Outcome {
  const { stderr: _, ...r } = timed(binary, scale === null ? [] : [String(scale)], timeoutMs);
  return r;
}

function firstLine(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0].trim() || undefined;
}

/** QEMU's version line, or undefined when it is not installed. */
export function qemuVersion(): string | undefined {
  return firstLine(QEMU, ['--version']);
}

/** The host C compiler ($CC, cc or gcc) and its version line, or undefined when there is none. */
export function hostCompiler(): { cmd: string; version: string } | undefined {
  for (const cmd of [process.env.CC, 'cc', 'gcc']) {
    if (!cmd) continue;
    const version = firstLine(cmd, ['--version']);
    if (version) return { cmd, version };
  }
  return undefined;
}

/** Builds a workload's C source for the host as scripts/build-guests.sh does for expected.json. */
export function buildNative(cc: string, source: string, out: string): string | undefined {
  const r = spawnSync(cc, ['-O2', '-DNATIVE', '-I', join(BENCH_DIR, 'guests'), '-o', out, source], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return (r.stderr.trim().split('\n')[0] ?? `exit code ${r.status}`).slice(0, 300);
  return undefined;
}
