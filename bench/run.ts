// `npm run bench`: runs the bundled workloads on each engine and prints a table (workload,
// instructions, seconds, MIPS, speedup over the interpreter) with geometric means, and
// qemu-system-riscv64 on the same ELFs when it is installed. Every measurement is a fresh
// `wasmvisor run --stats` process (as a user runs it) on an ELF copy whose `bench_scale` is set
// to the requested scale; every row's output is checked against the natively computed checksum,
// and a wrong row is flagged, not timed. The workloads are every bench/guests/*.elf: the
// bare-metal ones (M-mode, no paging) and paged-<name>.elf, workload <name> run in U-mode under an
// S-mode kernel with Sv39 paging, which prints the same checksum (its expected.json entry is a copy
// of <name>'s) and measures the MMU's cost.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseElf } from '../src/loader/elf.ts';

const root = new URL('..', import.meta.url).pathname;
const guests = join(root, 'bench/guests');

interface Sample {
  seconds: number;
  instret: number;
  ok: boolean;
}

/** A copy of the ELF with `bench_scale` set, so every engine (and QEMU) runs the same file. */
export function scaledElf(elf: Uint8Array, name: string, scale: number, dir: string): string {
  const image = parseElf(elf, name);
  const addr = image.symbols.get('bench_scale');
  const seg = image.segments.find(
    (s) => addr !== undefined && addr >= s.paddr && addr + 4n <= s.paddr + BigInt(s.data.length),
  );
  if (!seg || addr === undefined) throw new Error(`${name}: no bench_scale in the file's data`);
  const copy = Uint8Array.from(elf);
  new DataView(copy.buffer).setUint32(seg.data.byteOffset + Number(addr - seg.paddr), scale, true);
  const path = join(dir, `${name}-x${scale}.elf`);
  writeFileSync(path, copy);
  return path;
}

function runWasmvisor(elf: string, engine: string, expected: string | undefined): Sample {
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin/wasmvisor.js'), 'run', elf, '--engine', engine, '--stats'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const stats = JSON.parse(r.stderr.trim().split('\n').at(-1) ?? '{}');
  const ok = r.status === 0 && (expected === undefined || r.stdout === expected);
  return { seconds: stats.seconds, instret: stats.instret, ok };
}

/** QEMU's wall time for the same ELF (it has no instruction count of its own to report). */
function runQemu(elf: string, expected: string | undefined): Sample | undefined {
  const t0 = performance.now();
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-nographic', '-kernel', elf], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) return undefined;
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, instret: 0, ok: r.status === 0 && (expected === undefined || r.stdout === expected) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / Math.max(xs.length, 1));
}

function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      scale: { type: 'string', default: '3' },
      engine: { type: 'string', multiple: true },
      repeat: { type: 'string', default: '3' },
      'no-qemu': { type: 'boolean', default: false },
    },
  });
  const scale = Number(values.scale);
  const repeat = Number(values.repeat);
  const engines = values.engine ?? ['interp', 'jit'];
  const expected = JSON.parse(readFileSync(join(guests, 'expected.json'), 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const names = positionals.length
    ? positionals
    : readdirSync(guests)
        .filter((f) => f.endsWith('.elf'))
        .map((f) => f.slice(0, -4))
        .sort();
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-'));
  const qemu = !values['no-qemu'] && !spawnSync('qemu-system-riscv64', ['--version']).error;
  const columns = [...engines, ...(qemu ? ['qemu'] : [])];
  const head = ['workload'.padEnd(14), 'instructions'.padStart(12)];
  for (const c of columns) head.push(`${c} s`.padStart(9), `${c} MIPS`.padStart(11));
  const vsInterp = engines.includes('interp') ? engines.filter((e) => e !== 'interp') : [];
  head.push(...vsInterp.map((e) => `${e}/interp`.padStart(12)));
  if (qemu) head.push(...engines.map((e) => `${e}/qemu`.padStart(11)));
  process.stdout.write(head.join(' ') + '\n');
  if (!qemu) {
    const why = values['no-qemu'] ? '--no-qemu' : 'qemu-system-riscv64 is not installed';
    process.stdout.write(`(no QEMU column: ${why})\n`);
  }

  const mips: Record<string, number[]> = {};
  let wrong = false;
  for (const name of names) {
    const path = scaledElf(readFileSync(join(guests, `${name}.elf`)), name, scale, dir);
    const want = expected[name]?.[String(scale)];
    const row: Record<string, { seconds: number; ok: boolean }> = {};
    let instret = 0;
    for (const c of columns) {
      const samples: Sample[] = [];
      for (let i = 0; i < repeat; i++) {
        const s = c === 'qemu' ? runQemu(path, want) : runWasmvisor(path, c, want);
        if (s) samples.push(s);
      }
      if (c !== 'qemu' && samples[0]) instret = samples[0].instret;
      row[c] = { seconds: median(samples.map((s) => s.seconds)), ok: samples.every((s) => s.ok) };
    }
    const cells = [name.padEnd(14), String(instret).padStart(12)];
    for (const c of columns) {
      const { seconds, ok } = row[c];
      const m = instret / seconds / 1e6;
      if (ok) (mips[c] ??= []).push(m);
      else wrong = true;
      cells.push(seconds.toFixed(3).padStart(9), (ok ? m.toFixed(1) : 'WRONG').padStart(11));
    }
    for (const e of vsInterp) {
      cells.push(`${(row.interp.seconds / row[e].seconds).toFixed(2)}x`.padStart(12));
    }
    if (qemu)
      for (const e of engines) cells.push(`${(row.qemu.seconds / row[e].seconds).toFixed(2)}x`.padStart(11));
    process.stdout.write(cells.join(' ') + '\n');
  }
  const geo = ['geomean MIPS'.padEnd(14), ''.padStart(12)];
  for (const c of columns)
    geo.push(
      ''.padStart(9),
      geomean(mips[c] ?? [])
        .toFixed(1)
        .padStart(11),
    );
  process.stdout.write(geo.join(' ') + '\n');
  process.stdout.write(
    `scale ${scale}, median of ${repeat}; seconds = guest time from --stats (QEMU: wall time of the whole process, ` +
      'including its start-up); x = how many times faster than the column named\n',
  );
  if (wrong) process.exitCode = 1;
}

main();
