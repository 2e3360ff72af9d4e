// Differential testing of privileged behaviour against QEMU (the reference): a program from
// privprog.ts runs on `qemu-system-riscv64 -M virt -bios none` and on wasmvisor's engines; each
// prints its log as hex lines on the UART, and the texts must be equal. A failing program is
// minimized (steps, then operations inside the steps left, dropped while the difference stays).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '../../src/index.ts';
import { PRIV_RAM, buildProgram, describeLine, type PrivProgram, type StepPlan } from './privprog.ts';

export const QEMU = 'qemu-system-riscv64';
/** The hart QEMU models must match wasmvisor's ISA: RV64GC (H off), S and U. */
export const QEMU_ARGS = ['-M', 'virt', '-cpu', 'rv64,h=off', '-bios', 'none', '-nographic', '-m', '128M'];

export function haveQemu(): boolean {
  try {
    return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

export interface Outcome {
  /** The printed log (lines of 16 hex digits), carriage returns removed. */
  text: string;
  /** How the run ended: 'exit 0', or what went wrong. */
  end: string;
}

let dir: string | undefined;
function scratchDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'wasmvisor-qemu-'));
    process.once('exit', () => rmSync(dir!, { recursive: true, force: true }));
  }
  return dir;
}

let serial = 0;
export async function runQemu(elf: Uint8Array, timeoutMs = 20_000): Promise<Outcome> {
  const path = join(scratchDir(), `p${process.pid}-${serial++}.elf`);
  writeFileSync(path, elf);
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, [...QEMU_ARGS, '-kernel', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(path, { force: true });
      const stderr = Buffer.concat(err).toString().trim();
      const end = signal ? `killed (${signal}): timeout` : code === 0 ? 'exit 0' : `exit ${code} ${stderr}`;
      resolve({ text: Buffer.concat(out).toString('latin1').replace(/\r/g, ''), end });
    });
  });
}

export interface WasmvisorConfig {
  name: string;
  engine: 'interp' | 'jit';
  jitThreshold?: number;
}

export const WASMVISOR_CONFIGS: WasmvisorConfig[] = [
  { name: 'wasmvisor interp', engine: 'interp' },
  { name: 'wasmvisor jit threshold 0', engine: 'jit', jitThreshold: 0 },
];

export async function runWasmvisor(elf: Uint8Array, c: WasmvisorConfig): Promise<Outcome> {
  const vm = await createMachine({
    engine: c.engine,
    jitThreshold: c.jitThreshold,
    deterministic: true,
    memory: PRIV_RAM,
  });
  await vm.jitReady();
  vm.loadElf(elf, 'privprog.elf');
  const out: Buffer[] = [];
  vm.onOutput((b) => out.push(Buffer.from(b)));
  const r = await vm.run({ maxInsns: 20_000_000n });
  const end =
    r.exitReason === 'exit' && r.exitCode === 0
      ? 'exit 0'
      : `${r.exitReason} ${r.exitCode}${r.message ? `: ${r.message}` : ''}`;
  return { text: Buffer.concat(out).toString('latin1'), end };
}

/** The first difference between two outcomes, described, or undefined. */
export function compareOutcomes(
  ref: Outcome,
  got: Outcome,
  refName: string,
  gotName: string,
): string | undefined {
  const a = ref.text.split('\n');
  const b = got.text.split('\n');
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const what = describeLine(a, i);
      return `${what}: ${refName} ${a[i] ?? '(nothing)'}, ${gotName} ${b[i] ?? '(nothing)'}`;
    }
  }
  if (ref.end !== got.end) return `end: ${refName} ${ref.end}; ${gotName} ${got.end}`;
  return undefined;
}

/**
 * Runs `p` on QEMU and on each wasmvisor configuration; the first disagreement, or undefined. A
 * program QEMU does not run to a clean exit is reported too (a generator bug).
 */
export async function qemuDiff(p: PrivProgram, configs = WASMVISOR_CONFIGS): Promise<string | undefined> {
  const ref = await runQemu(p.elf);
  if (ref.end !== 'exit 0') return `qemu did not exit cleanly: ${ref.end}`;
  for (const c of configs) {
    const got = await runWasmvisor(p.elf, c);
    const diff = compareOutcomes(ref, got, 'qemu', c.name);
    if (diff) return `${c.name} disagrees with qemu: ${diff}`;
  }
  return undefined;
}

/** Delta debugging over a list: the smallest sublist found for which `fails` holds. */
async function ddmin<T>(items: T[], fails: (xs: T[]) => Promise<boolean>): Promise<T[]> {
  let current = items;
  let parts = 2;
  while (current.length > 0) {
    const size = Math.ceil(current.length / parts);
    let shrunk = false;
    for (let i = 0; i < current.length; i += size) {
      const trial = [...current.slice(0, i), ...current.slice(i + size)];
      if (await fails(trial)) {
        current = trial;
        parts = Math.max(parts - 1, 2);
        shrunk = true;
        break;
      }
    }
    if (!shrunk) {
      if (size === 1) break;
      parts = Math.min(current.length, parts * 2);
    }
  }
  return current;
}

/**
 * Shrinks a failing program: drops steps, then operations inside the steps left, while `fails`
 * holds (by default: wasmvisor still disagrees with QEMU, and QEMU still exits cleanly).
 */
export async function minimizePriv(
  p: PrivProgram,
  configs = WASMVISOR_CONFIGS,
  fails: (q: PrivProgram) => Promise<boolean> = async (q) => {
    const d = await qemuDiff(q, configs);
    return d !== undefined && !d.startsWith('qemu did not exit');
  },
  /** Date.now() past which it stops shrinking (what it has by then is returned). */
  until = Infinity,
): Promise<PrivProgram> {
  const build = (steps: StepPlan[]) => buildProgram(p.seed, steps);
  const shrinks = async (q: PrivProgram) => Date.now() < until && (await fails(q));
  let steps = await ddmin(p.steps, (xs) => shrinks(build(xs)));
  for (let k = 0; k < steps.length; k++) {
    const ops = await ddmin(steps[k].ops, (os) =>
      shrinks(build(steps.map((s, i) => (i === k ? { ...s, ops: os } : s)))),
    );
    steps = steps.map((s, i) => (i === k ? { ...s, ops } : s));
  }
  return build(steps);
}

/** A failing program as text: seed, what differs, its steps and the disassembly. */
export function reportPriv(p: PrivProgram, diff: string): string {
  return [
    `seed ${p.seed}: ${diff}`,
    `steps kept: ${p.steps.map((s) => `${s.index}:${s.kind}[${s.ops.join(',')}]`).join(' ')}`,
    ...p.listing,
  ].join('\n');
}
