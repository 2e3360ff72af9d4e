// Differential testing: a random program (randprog.ts) runs on every engine configuration from the
// same state, and each must end exactly as the interpreter does: run result, registers, pc, CSRs,
// scratch memory and console output. Lockstep also compares along the way and names the first
// instruction where the translator went wrong.
import { createMachine, type Machine, type RunResult } from '../../src/index.ts';
import {
  CODE_BASE,
  EXIT_FLAG,
  PROGRAM_RAM,
  SCRATCH_BASE,
  SCRATCH_SIZE,
  listing,
  type RandomProgram,
} from './randprog.ts';

export interface DiffConfig {
  name: string;
  engine: 'interp' | 'jit' | 'lockstep';
  jitThreshold?: number;
  lockstepStep?: number;
  /** Run twice, the second time once the first run's hot regions have compiled (in the worker). */
  warm?: boolean;
}

/** The reference first. */
export const DIFF_CONFIGS: DiffConfig[] = [
  { name: 'interp', engine: 'interp' },
  { name: 'jit threshold 0', engine: 'jit', jitThreshold: 0 },
  { name: 'jit threshold 2, second run', engine: 'jit', jitThreshold: 2, warm: true },
  { name: 'lockstep (step 64)', engine: 'lockstep', jitThreshold: 0, lockstepStep: 64 },
];

/** Far above what a program runs (loops nest two deep and count at most 6 and 4). */
const MAX_INSNS = 1_000_000n;

// minstret before mcycle: writing mcycle sets it relative to the instructions retired so far;
// fcsr before mstatus: writing fcsr makes mstatus.FS Dirty.
const CSRS: [string, number][] = [
  ['fcsr', 0x003],
  ['minstret', 0xb02],
  ['mstatus', 0x300],
  ['mtvec', 0x305],
  ['mscratch', 0x340],
  ['mepc', 0x341],
  ['mcause', 0x342],
  ['mtval', 0x343],
  ['mcycle', 0xb00],
];

/** Where a run ended. */
export interface End {
  result: string;
  state: [string, bigint][];
  /** The RAM a program may write: its code, the scratch area, the last bytes of RAM. */
  memory: [bigint, Uint8Array][];
  output: string;
}

const RAM_TAIL = 16;

const u64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};

type Vm = Awaited<ReturnType<typeof createMachine>>;

/** Puts the program and its initial state in the machine (RAM beyond it is as it was). */
function load(vm: Vm, p: RandomProgram, exit: boolean, code = true): void {
  if (code) vm.writeMemory(CODE_BASE, p.code);
  vm.writeMemory(SCRATCH_BASE, p.scratch);
  vm.writeMemory(EXIT_FLAG, u64(exit ? 1n : 0n));
  p.regs.forEach((v, i) => vm.setReg(i, v));
  p.fregs.forEach((v, i) => vm.setFreg(i, v));
  vm.pc = CODE_BASE;
}

/**
 * Waits until the translator has no compile jobs out. A test-only look inside the machine: with a
 * threshold above 0 regions compile in a worker and are installed on event-loop turns. Should the
 * shape change, this returns at once (the second run then just has fewer regions).
 */
async function translatorIdle(vm: Machine): Promise<void> {
  const t = (vm as unknown as { translator?: { pendingJobs?: number } }).translator;
  for (let i = 0; i < 5000 && (t?.pendingJobs ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 1));
}

const summary = (r: RunResult) =>
  `${r.exitReason} ${r.exitCode} at instret ${r.instret}${r.message ? `: ${r.message}` : ''}`;

/** Runs a program on one configuration, on the deterministic clock. */
export async function runOn(p: RandomProgram, c: DiffConfig): Promise<End> {
  const vm = await createMachine({
    engine: c.engine,
    jitThreshold: c.jitThreshold,
    lockstepStep: c.lockstepStep,
    deterministic: true,
    memory: PROGRAM_RAM,
  });
  await vm.jitReady();
  if (c.warm && vm.engine === 'jit') {
    // The first run stops in WFI (a deadlock: the machine can run again); then the hart is put
    // back as it was, RAM included, with the regions the first run made hot now translated.
    load(vm, p, false);
    const initial = CSRS.map(([, n]) => vm.readCsr(n));
    await vm.run({ maxInsns: MAX_INSNS });
    await translatorIdle(vm);
    CSRS.forEach(([, n], i) => vm.core.fn.writeCsr(n, initial[i]));
    // Only the instructions the program rewrote go back (a host write drops the translations it
    // touches); then the rest of RAM it may have written.
    const now = vm.readMemory(CODE_BASE, p.code.length);
    for (let at = 0; at < p.code.length; at += 2) {
      if (now[at] !== p.code[at] || now[at + 1] !== p.code[at + 1]) {
        vm.writeMemory(CODE_BASE + BigInt(at), p.code.subarray(at, at + 2));
      }
    }
    vm.writeMemory(CODE_BASE + BigInt(PROGRAM_RAM - RAM_TAIL), new Uint8Array(RAM_TAIL));
  }
  load(vm, p, true, !c.warm);
  const out: number[] = [];
  vm.onOutput((b) => out.push(...b));
  const result = await vm.run({ maxInsns: MAX_INSNS });
  const state: [string, bigint][] = [];
  for (let i = 1; i < 32; i++) state.push([`x${i}`, vm.getReg(i)]);
  for (let i = 0; i < 32; i++) state.push([`f${i}`, vm.getFreg(i)]);
  state.push(['pc', vm.pc]);
  for (const [name, n] of CSRS) state.push([name, vm.readCsr(n)]);
  return {
    result: summary(result),
    state,
    memory: (
      [
        [CODE_BASE, p.code.length],
        [SCRATCH_BASE, SCRATCH_SIZE],
        [CODE_BASE + BigInt(PROGRAM_RAM - RAM_TAIL), RAM_TAIL],
      ] as const
    ).map(([at, n]) => [at, vm.readMemory(at, n)]),
    output: String.fromCharCode(...out),
  };
}

/** The first difference between two ends, or undefined. */
export function compareEnds(a: End, b: End, aName: string, bName: string): string | undefined {
  if (a.result !== b.result) return `run: ${aName} ${a.result}; ${bName} ${b.result}`;
  const diffs = a.state
    .map(([name, v], i) => [name, v, b.state[i][1]] as const)
    .filter(([, x, y]) => x !== y)
    .map(([name, x, y]) => `${name}: ${aName} 0x${x.toString(16)}, ${bName} 0x${y.toString(16)}`);
  if (diffs.length) return diffs.join('; ');
  for (const [k, [base, x]] of a.memory.entries()) {
    const y = b.memory[k][1];
    const at = x.findIndex((v, i) => v !== y[i]);
    if (at >= 0) {
      const addr = (base + BigInt(at)).toString(16);
      return `RAM byte at 0x${addr}: ${aName} 0x${x[at].toString(16)}, ${bName} 0x${y[at].toString(16)}`;
    }
  }
  if (a.output !== b.output)
    return `console: ${aName} ${JSON.stringify(a.output)}, ${bName} ${JSON.stringify(b.output)}`;
  return undefined;
}

/**
 * Runs `p` on every configuration; the first disagreement with the interpreter, or undefined.
 * A program the interpreter does not run to a clean exit is reported too (a generator bug).
 */
export async function differential(p: RandomProgram, configs = DIFF_CONFIGS): Promise<string | undefined> {
  const [ref, ...others] = configs;
  const expected = await runOn(p, ref);
  if (!expected.result.startsWith('exit 0 ')) return `${ref.name} did not exit cleanly: ${expected.result}`;
  for (const c of others) {
    const got = await runOn(p, c);
    const diff = compareEnds(got, expected, c.name, ref.name);
    if (diff) return `${c.name} disagrees with ${ref.name}: ${diff}`;
  }
  return undefined;
}

const NOP4 = 0x0000_0013; // addi zero,zero,0
const NOP2 = 0x0001; // c.nop

/** `p` with the instructions at `offsets` replaced by nops of their length (the layout stays). */
function withNops(p: RandomProgram, offsets: number[]): RandomProgram {
  const code = p.code.slice();
  const dv = new DataView(code.buffer);
  for (const at of offsets) {
    if ((code[at] & 3) === 3) dv.setUint32(at, NOP4, true);
    else dv.setUint16(at, NOP2, true);
  }
  return { ...p, code };
}

/**
 * Shrinks a failing program (delta debugging over the items the generator marked optional): nops
 * replace what the failure does not need. `fails` says whether a candidate still fails; by
 * default, whether the engines still disagree while the interpreter still exits cleanly.
 */
export async function minimize(
  p: RandomProgram,
  fails: (q: RandomProgram) => Promise<boolean> = async (q) => {
    const d = await differential(q);
    return d !== undefined && !d.includes('did not exit cleanly');
  },
): Promise<RandomProgram> {
  let current = p;
  let left = p.optional.slice();
  let parts = 2;
  while (left.length > 0) {
    const size = Math.ceil(left.length / parts);
    let shrunk = false;
    for (let i = 0; i < left.length; i += size) {
      const chunk = left.slice(i, i + size);
      const trial = withNops(current, chunk.flat());
      if (await fails(trial)) {
        current = trial;
        left = left.filter((at) => !chunk.includes(at));
        parts = Math.max(parts - 1, 2);
        shrunk = true;
        break;
      }
    }
    if (!shrunk) {
      if (size === 1) break;
      parts = Math.min(left.length, parts * 2);
    }
  }
  return { ...current, optional: left };
}

/** A failing program as text: the seed, what differs, the initial registers and the disassembly. */
export function report(p: RandomProgram, diff: string): string {
  const regs = p.regs
    .map((v, i) => (i > 0 ? `x${i}=0x${v.toString(16)}` : ''))
    .filter(Boolean)
    .join(' ');
  return [
    `seed ${p.seed}: ${diff}`,
    `initial registers: ${regs}`,
    `initial f registers: ${p.fregs.map((v, i) => `f${i}=0x${v.toString(16)}`).join(' ')}`,
    `scratch at 0x${SCRATCH_BASE.toString(16)} (${SCRATCH_SIZE} random bytes), code at 0x${CODE_BASE.toString(16)}:`,
    ...listing(p),
  ].join('\n');
}
