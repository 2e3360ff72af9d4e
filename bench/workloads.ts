// The guests a bench runs: the bundled workloads (bench/guests/*.elf, with their C sources and the
// natively computed outputs in expected.json) or ELF files named on the command line.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../src/loader/elf.ts';
import { BenchError } from './errors.ts';

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const GUESTS_DIR = join(BENCH_DIR, 'guests');

export interface WorkloadSpec {
  name: string;
  /** The ELF file as given (unscaled). */
  file: string;
  /** The C source of a native build of the same program (bundled workloads only). */
  source?: string;
  /** A bundled workload: expected.json may know its output. */
  bundled: boolean;
}

/** expected.json: each bundled workload's console output, by scale ("1", "3"). */
export function loadExpected(): Record<string, Record<string, string>> {
  return JSON.parse(readFileSync(join(GUESTS_DIR, 'expected.json'), 'utf8'));
}

/** Every bench/guests/*.elf. paged-<name> is <name>.c run under paging: its native twin is <name>.c. */
export function bundledWorkloads(): WorkloadSpec[] {
  return readdirSync(GUESTS_DIR)
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => bundled(f.slice(0, -4)));
}

function bundled(name: string): WorkloadSpec {
  const src = join(GUESTS_DIR, `${name.replace(/^paged-/, '')}.c`);
  return {
    name,
    file: join(GUESTS_DIR, `${name}.elf`),
    source: existsSync(src) ? src : undefined,
    bundled: true,
  };
}

/**
 * The guests named on the command line: a bundled workload by name (sha256) or by its file, or any
 * other ELF file (run as it is: no native twin, and no known output unless the engines agree).
 */
export function resolveGuests(args: string[]): WorkloadSpec[] {
  const names = new Set(bundledWorkloads().map((w) => w.name));
  const seen = new Set<string>();
  return args.map((arg) => {
    let spec: WorkloadSpec;
    if (names.has(arg) && !existsSync(arg)) spec = bundled(arg);
    else {
      const file = resolve(arg);
      if (!existsSync(file)) {
        throw new BenchError(
          `no guest '${arg}': not a file, nor a bundled workload (${[...names].join(', ')})`,
        );
      }
      const name = basename(file).replace(/\.elf$/, '');
      spec = resolve(GUESTS_DIR, `${name}.elf`) === file ? bundled(name) : { name, file, bundled: false };
    }
    let unique = spec.name;
    for (let k = 2; seen.has(unique); k++) unique = `${spec.name}-${k}`;
    seen.add(unique);
    return { ...spec, name: unique };
  });
}

/** Where `bench_scale` sits in the file, if the ELF has one in its loaded data. */
function benchScaleOffset(elf: Uint8Array, name: string): number | undefined {
  const image = parseElf(elf, name);
  const addr = image.symbols.get('bench_scale');
  if (addr === undefined) return undefined;
  const seg = image.segments.find((s) => addr >= s.paddr && addr + 4n <= s.paddr + BigInt(s.data.length));
  return seg ? seg.data.byteOffset + Number(addr - seg.paddr) : undefined;
}

export function hasBenchScale(elf: Uint8Array, name: string): boolean {
  return benchScaleOffset(elf, name) !== undefined;
}

/** A copy of the ELF with `bench_scale` set, so every engine (and QEMU) runs the same file. */
export function scaledElf(elf: Uint8Array, name: string, scale: number, dir: string): string {
  const at = benchScaleOffset(elf, name);
  if (at === undefined) throw new BenchError(`${name}: no bench_scale in the file's data`);
  const copy = Uint8Array.from(elf);
  new DataView(copy.buffer).setUint32(at, scale, true);
  const path = join(dir, `${name}-x${scale}.elf`);
  writeFileSync(path, copy);
  return path;
}
