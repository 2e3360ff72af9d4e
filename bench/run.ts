// `npm run bench`: runs the bundled workloads on each engine through the public API and prints a
// table (workload, instructions, seconds, MIPS) with the geometric mean. Every row's console
// output is checked against the natively computed checksum; a wrong row is flagged, not timed.
import { readFile, readdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createMachine, type EngineName } from '../src/index.ts';

const here = new URL('./guests/', import.meta.url);

interface Row {
  workload: string;
  engine: EngineName;
  instret: bigint;
  seconds: number;
  mips: number;
  ok: boolean;
}

/** Runs one workload at `scale` and returns its output, instructions and guest time. */
export async function runWorkload(elf: Uint8Array, name: string, engine: EngineName, scale: number) {
  const vm = await createMachine({ engine });
  vm.loadElf(elf, name);
  const scaleAddr = vm.symbol('bench_scale');
  if (scaleAddr === undefined) throw new Error(`${name}: no bench_scale symbol`);
  const le = new Uint8Array(4);
  new DataView(le.buffer).setUint32(0, scale, true);
  vm.writeMemory(scaleAddr, le);
  const out: number[] = [];
  vm.onOutput((b) => out.push(...b));
  const result = await vm.run();
  return { output: new TextDecoder().decode(Uint8Array.from(out)), result };
}

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      scale: { type: 'string', default: '3' },
      engine: { type: 'string', multiple: true },
      repeat: { type: 'string', default: '3' },
    },
  });
  const scale = Number(values.scale);
  const repeat = Number(values.repeat);
  const engines = (values.engine ?? ['interp']) as EngineName[];
  const expected = JSON.parse(await readFile(new URL('expected.json', here), 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const names = positionals.length
    ? positionals
    : (await readdir(here)).filter((f) => f.endsWith('.elf')).map((f) => f.replace(/\.elf$/, ''));
  const rows: Row[] = [];
  for (const name of names.sort()) {
    const elf = await readFile(new URL(`${name}.elf`, here));
    const want = expected[name]?.[String(scale)];
    for (const engine of engines) {
      const samples: number[] = [];
      let instret = 0n;
      let ok = true;
      for (let i = 0; i < repeat; i++) {
        const { output, result } = await runWorkload(elf, name, engine, scale);
        ok &&= result.exitCode === 0 && (want === undefined || output === want);
        samples.push(result.seconds);
        instret = result.instret;
      }
      samples.sort((a, b) => a - b);
      const seconds = samples[Math.floor(samples.length / 2)];
      const row = { workload: name, engine, instret, seconds, mips: Number(instret) / seconds / 1e6, ok };
      rows.push(row);
      process.stdout.write(formatRow(row) + '\n');
    }
  }
  for (const engine of engines) {
    const good = rows.filter((r) => r.engine === engine && r.ok);
    const geo = Math.exp(good.reduce((s, r) => s + Math.log(r.mips), 0) / Math.max(good.length, 1));
    process.stdout.write(
      `${'geomean'.padEnd(16)} ${engine.padEnd(7)} ${''.padStart(14)} ${''.padStart(9)} ${geo.toFixed(1).padStart(9)}\n`,
    );
  }
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

function formatRow(r: Row): string {
  const mips = r.ok ? r.mips.toFixed(1) : 'WRONG';
  return `${r.workload.padEnd(16)} ${r.engine.padEnd(7)} ${r.instret.toString().padStart(14)} ${r.seconds.toFixed(3).padStart(9)} ${mips.padStart(9)}`;
}

if (process.argv[1]?.endsWith('bench/run.ts')) {
  process.stdout.write(
    `${'workload'.padEnd(16)} ${'engine'.padEnd(7)} ${'instructions'.padStart(14)} ${'seconds'.padStart(9)} ${'MIPS'.padStart(9)}\n`,
  );
  await main();
}
