// The "number of guests" sweep: aggregate throughput of 1, 2, 4 and 8 guests on one host, time-
// shared in one thread or partitioned across worker threads (src/vmm/host.ts). Every guest runs
// the same endless workload (a bench workload at a huge scale) for a fixed wall time; throughput
// is all guests' retired instructions over that time, so translation warm-up counts as it would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, type Placement } from '../src/index.ts';
import { compileWorkerReady } from '../src/jit/worker-host.ts';
import { parseElf } from '../src/loader/elf.ts';
import type { SweepPoint } from './schema.ts';
import type { GuestCountSweep } from './sweeps.ts';

export interface MultiGuestRow {
  placement: Placement;
  guests: number;
  engine: string;
  seconds: number;
  instret: number;
  /** Instructions retired by all guests per second of wall time, in millions. */
  aggregateMips: number;
  /** Each guest's share of the host CPU time (time-shared: should be equal). */
  shares: number[];
}

export interface MultiGuestOptions {
  counts?: number[];
  placements?: Placement[];
  engine?: 'interp' | 'jit';
  /** Wall time each configuration runs (default 2 s; --quick uses less). */
  seconds?: number;
  workload?: string;
  onProgress?: (message: string) => void;
}

const root = new URL('..', import.meta.url).pathname;

/** The workload with its bench_scale set so high that only the time limit ends it. */
function endless(name: string): Uint8Array {
  const bytes = Uint8Array.from(readFileSync(join(root, 'bench/guests', `${name}.elf`)));
  const image = parseElf(bytes, name);
  const addr = image.symbols.get('bench_scale');
  const seg = image.segments.find(
    (s) => addr !== undefined && addr >= s.paddr && addr < s.paddr + BigInt(s.data.length),
  );
  if (!seg || addr === undefined) throw new Error(`${name}: no bench_scale in the file's data`);
  new DataView(bytes.buffer).setUint32(seg.data.byteOffset + Number(addr - seg.paddr), 0xffff_ffff, true);
  return bytes;
}

export async function runMultiGuest(options: MultiGuestOptions = {}): Promise<MultiGuestRow[]> {
  const {
    counts = [1, 2, 4, 8],
    placements = ['time-shared', 'partitioned'],
    engine = 'jit',
    seconds = 2,
  } = options;
  const workload = options.workload ?? 'crc32';
  const elf = endless(workload);
  // binaryen's load (0.3 s or more) is start-up, not throughput: wait for it before timing.
  if (engine === 'jit') await compileWorkerReady();
  const rows: MultiGuestRow[] = [];
  for (const placement of placements) {
    for (const guests of counts) {
      options.onProgress?.(`${guests} guest${guests > 1 ? 's' : ''}, ${placement}, ${engine}`);
      const host = new Host({ placement });
      for (let i = 0; i < guests; i++) {
        await host.add({ name: `g${i}`, elf, engine, memory: 16 << 20, timeLimitMs: seconds * 1000 });
      }
      const t0 = performance.now();
      const stats = await host.run();
      const wall = (performance.now() - t0) / 1000;
      const instret = stats.reduce((sum, s) => sum + Number(s.instret), 0);
      rows.push({
        placement,
        guests,
        engine,
        seconds: wall,
        instret,
        aggregateMips: instret / wall / 1e6,
        shares: stats.map((s) => s.share),
      });
    }
  }
  return rows;
}

/** The sweep as a terminal table. */
export function formatMultiGuest(rows: MultiGuestRow[]): string {
  const lines = ['placement     guests  engine  seconds  aggregate MIPS'];
  for (const r of rows) {
    lines.push(
      `${r.placement.padEnd(12)}  ${String(r.guests).padStart(6)}  ${r.engine.padEnd(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.aggregateMips.toFixed(0).padStart(14)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The bench's "number of guests" sweep (registered in bench/cli.ts): a series per placement, on
 * the jit, x = guests running at once, mips = their instructions per second together.
 */
export const guestCountSweep: GuestCountSweep = async (ctx) => {
  const rows = await runMultiGuest({
    counts: ctx.quick ? [1, 2, 4] : [1, 2, 4, 8],
    seconds: ctx.quick ? 0.5 : 2,
  });
  return rows.map((r): SweepPoint => ({
    series: r.placement,
    runner: 'jit',
    x: r.guests,
    status: 'ok',
    seconds: r.seconds,
    instret: r.instret,
    mips: r.aggregateMips,
    extra: { minShare: Math.min(...r.shares), maxShare: Math.max(...r.shares) },
  }));
};

// `npx tsx bench/multi-guest.ts [--quick]`: the sweep alone.
if (process.argv[1]?.endsWith('multi-guest.ts')) {
  const quick = process.argv.includes('--quick');
  const rows = await runMultiGuest({
    seconds: quick ? 0.5 : 2,
    onProgress: (m) => process.stderr.write(`  ${m}\n`),
  });
  process.stdout.write(formatMultiGuest(rows));
}
