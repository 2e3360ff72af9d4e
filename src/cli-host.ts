// Several guests from the command line: `wasmvisor run a.elf b.elf ...` (the same options for
// each) and `wasmvisor host config.json` (a file that lists the guests with their own options).
// Each guest's console is prefixed with its name or written to its own file; a summary follows.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseCount, parseSize } from './cli-args.ts';
import { Host, WasmvisorError, type GuestConfig, type GuestStats, type Placement } from './index.ts';

/**
 * Console bytes kept per guest: past this a guest's output is dropped (with one notice), so a
 * guest that floods its console cannot fill the host's memory or drown its neighbours' lines.
 */
export const CONSOLE_LIMIT_BYTES = 16 << 20;

/** What the command line gives every guest of a multi-guest run. */
export type CommonGuestOptions = Omit<GuestConfig, 'name' | 'elf' | 'weight'>;

export interface HostRun {
  placement: Placement;
  guests: (GuestConfig & { console?: string })[];
  /** Write each guest's console to DIR/<name>.log instead of prefixed lines on stdout. */
  consoleDir?: string;
}

export async function readGuest(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new WasmvisorError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** Guest names from file names (a.elf -> a), made unique with -2, -3... */
function uniqueNames(files: string[]): string[] {
  const seen = new Map<string, number>();
  return files.map((f) => {
    const base =
      basename(f)
        .replace(/\.elf$/i, '')
        .replace(/\s+/g, '_') || 'guest';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** `run a.elf b.elf ...`: the same options for every guest, weights in order. */
export async function guestsFromFiles(
  files: string[],
  common: CommonGuestOptions,
  weights: number[] | undefined,
): Promise<GuestConfig[]> {
  if (weights && weights.length !== files.length) {
    throw new WasmvisorError(`--weights gives ${weights.length} weights for ${files.length} guests`, 2);
  }
  const names = uniqueNames(files);
  return Promise.all(
    files.map(async (file, i) => ({
      ...common,
      name: names[i],
      elf: await readGuest(file),
      weight: weights?.[i],
    })),
  );
}

/** Parses --weights 1,1,2,4. */
export function parseWeights(text: string): number[] {
  const weights = text.split(',').map(Number);
  if (weights.some((w) => !(Number.isFinite(w) && w > 0))) {
    throw new WasmvisorError(`invalid --weights '${text}' (expected positive numbers, e.g. 1,1,2,4)`, 2);
  }
  return weights;
}

const GUEST_KEYS = [
  'elf',
  'name',
  'engine',
  'memory',
  'weight',
  'maxInsns',
  'timeLimit',
  'codeCache',
  'jitThreshold',
  'sbi',
  'bootargs',
  'smp',
  'deterministic',
  'console',
];

/** `host config.json`: { placement?, consoleDir?, guests: [{ elf, name?, engine?, memory?, ... }] }. */
export async function readHostConfig(path: string): Promise<HostRun> {
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(await readGuest(path)));
  } catch (e) {
    if (e instanceof WasmvisorError) throw e;
    throw new WasmvisorError(`${path}: not valid JSON (${(e as Error).message})`, 2);
  }
  const bad = (what: string) => new WasmvisorError(`${path}: ${what}`, 2);
  if (
    typeof config !== 'object' ||
    config === null ||
    !Array.isArray((config as { guests?: unknown }).guests)
  ) {
    throw bad('expected an object with a "guests" array');
  }
  const { placement = 'time-shared', consoleDir, guests, ...rest } = config as Record<string, unknown>;
  if (Object.keys(rest).length)
    throw bad(`unknown key '${Object.keys(rest)[0]}' (expected placement, consoleDir, guests)`);
  if (placement !== 'time-shared' && placement !== 'partitioned') {
    throw bad(`unknown placement '${String(placement)}' (expected time-shared or partitioned)`);
  }
  if (consoleDir !== undefined && typeof consoleDir !== 'string') throw bad('consoleDir must be a string');
  const list = guests as Record<string, unknown>[];
  if (list.length === 0) throw bad('no guests');
  const here = dirname(path);
  const fileNames = uniqueNames(list.map((g) => String(g?.elf ?? '')));
  const parsed = await Promise.all(
    list.map(async (g, i) => {
      const where = `guest ${i + 1}`;
      if (typeof g !== 'object' || g === null) throw bad(`${where} is not an object`);
      const unknown = Object.keys(g).find((k) => !GUEST_KEYS.includes(k));
      if (unknown) throw bad(`${where}: unknown key '${unknown}' (expected ${GUEST_KEYS.join(', ')})`);
      if (typeof g.elf !== 'string') throw bad(`${where}: "elf" must be a file name`);
      const num = (key: string) => {
        const v = g[key];
        if (v === undefined) return undefined;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          throw bad(`${where}: "${key}" must be a non-negative number`);
        return v;
      };
      const str = (key: string) => {
        const v = g[key];
        if (v !== undefined && typeof v !== 'string') throw bad(`${where}: "${key}" must be a string`);
        return v as string | undefined;
      };
      const memory =
        g.memory === undefined
          ? undefined
          : typeof g.memory === 'number'
            ? g.memory
            : parseSize(String(g.memory), 'memory');
      const maxInsns = num('maxInsns');
      const timeLimit = num('timeLimit');
      if (g.deterministic !== undefined && typeof g.deterministic !== 'boolean')
        throw bad(`${where}: "deterministic" must be true or false`);
      return {
        name: str('name') ?? fileNames[i],
        elf: await readGuest(resolve(here, g.elf)),
        engine: str('engine') as GuestConfig['engine'],
        memory,
        weight: num('weight'),
        maxInsns: maxInsns === undefined ? undefined : parseCount(String(maxInsns), 'maxInsns'),
        timeLimitMs: timeLimit === undefined ? undefined : timeLimit * 1000,
        codeCacheRegions: num('codeCache'),
        jitThreshold: num('jitThreshold'),
        sbi: str('sbi') as GuestConfig['sbi'],
        bootargs: str('bootargs'),
        harts: num('smp'),
        deterministic: g.deterministic as boolean | undefined,
        console: g.console === undefined ? undefined : resolve(here, String(g.console)),
      };
    }),
  );
  return {
    placement,
    guests: parsed,
    consoleDir: consoleDir === undefined ? undefined : resolve(here, consoleDir),
  };
}

/** A guest's console: lines prefixed with its name on stdout, or its own file; bounded. */
class Console {
  private partial = '';
  private bytes = 0;
  private readonly decoder = new TextDecoder('latin1');

  constructor(
    private readonly name: string,
    private readonly file: WriteStream | undefined,
  ) {}

  write(chunk: Uint8Array): void {
    if (this.bytes >= CONSOLE_LIMIT_BYTES) return;
    this.bytes += chunk.length;
    if (this.bytes >= CONSOLE_LIMIT_BYTES) {
      chunk = chunk.subarray(0, chunk.length - (this.bytes - CONSOLE_LIMIT_BYTES));
    }
    if (this.file) this.file.write(chunk);
    else {
      const lines = (this.partial + this.decoder.decode(chunk, { stream: true })).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) process.stdout.write(`[${this.name}] ${line}\n`);
    }
    if (this.bytes >= CONSOLE_LIMIT_BYTES) {
      this.end();
      process.stderr.write(
        `wasmvisor: ${this.name}: console output cut at ${CONSOLE_LIMIT_BYTES >> 20} MiB\n`,
      );
    }
  }

  end(): void {
    if (this.partial) process.stdout.write(`[${this.name}] ${this.partial}\n`);
    this.partial = '';
  }

  async close(): Promise<void> {
    this.end();
    if (this.file) await new Promise((done) => this.file!.end(done));
  }
}

/** Runs the guests, prints the summary on stderr; returns the first failing guest's exit code, else 0. */
export async function runHost(run: HostRun): Promise<number> {
  const consoles = new Map<string, Console>();
  for (const g of run.guests) {
    const path = g.console ?? (run.consoleDir ? join(run.consoleDir, `${g.name}.log`) : undefined);
    consoles.set(g.name, new Console(g.name, path ? createWriteStream(path) : undefined));
  }
  const host = new Host({
    placement: run.placement,
    onOutput: (name, bytes) => consoles.get(name)!.write(bytes),
  });
  let stats: GuestStats[];
  try {
    for (const g of run.guests) await host.add(g);
    stats = await host.run();
  } finally {
    for (const c of consoles.values()) await c.close();
  }
  process.stderr.write(summary(stats, run.placement));
  return stats.find((s) => (s.result?.exitCode ?? 0) !== 0)?.result?.exitCode ?? 0;
}

/** The end-of-run table: per guest, exit code and reason, instructions, host CPU time and share. */
export function summary(stats: GuestStats[], placement: Placement): string {
  const rows = [['guest', 'exit', 'reason', 'instructions', 'cpu s', 'share']];
  for (const s of stats) {
    rows.push([
      s.name,
      String(s.result?.exitCode ?? '-'),
      s.result?.exitReason ?? s.state,
      String(s.instret),
      s.cpuSeconds.toFixed(3),
      `${(s.share * 100).toFixed(1)}%`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
  );
  const notes = stats.filter((s) => s.result?.message).map((s) => `  ${s.name}: ${s.result!.message}`);
  return (
    [`wasmvisor: ${stats.length} guests, ${placement}`, ...lines.map((l) => `  ${l}`), ...notes].join('\n') +
    '\n'
  );
}
