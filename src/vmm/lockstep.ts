// Lockstep: the translator and the interpreter run side by side from the same state, and their
// architectural state is compared wherever the translator's machine comes back to the supervisor,
// so a translation bug shows up as the first point where the two disagree instead of as a wrong
// checksum millions of instructions later. The translator's machine is the one the user sees
// (console, exit code); the interpreter's only follows. Browser-safe, like the rest of the
// supervisor.
//
// How the two stay comparable: both run on the deterministic clock (time = retired instructions),
// and the interpreter follows the translator's machine from boundary to boundary (the points where
// that machine called into its core, recorded through Machine.syncTime). Timer interrupts become
// pending only where the supervisor updates the CLINT, so the interpreter updates it exactly at
// those boundaries and nowhere else; the boundaries of its own (a budget used up by traps) change
// nothing. The interpreter stops at any retired-instruction count, and takes traps one at a time
// (Machine.step) to reach a boundary the translator's machine recorded just after a trap.
//
// Assumption: the guest does not write minstret (the two machines are matched by it).
import { WasmvisorError } from '../errors.ts';
import { ABI_NAMES, CSR_NAMES, FABI_NAMES } from '../isa/disasm.ts';
import type { ElfImage } from '../loader/elf.ts';
import { Machine, nextTurn, type MachineOptions, type RunOptions, type RunResult } from './machine.ts';
import { YIELD_EVERY_MS, YIELD_WHILE_JIT_LOADS_MS } from './tuning.ts';

/** wasmvisor's exit code when the engines diverged: next to its 124 and 125, and rare as a guest's. */
export const EXIT_CODE_DIVERGED = 123;

/**
 * Guest instructions the translator runs between comparisons. A divergence is reported at the
 * first boundary where it is visible, at most this many instructions after it happened; each step
 * costs a few microseconds of comparison, so 10 000 keeps the overhead to a few percent.
 */
export const LOCKSTEP_STEP = 10_000;

/**
 * After each step, RAM pages are compared where stores usually land, the pages registers point
 * into (sp and s0 first, then arguments and saved registers; at most POINTED_PAGES), plus a
 * rolling sweep of one page per INSNS_PER_SWEPT_PAGE instructions run: about 10 µs per 10 000
 * instructions, a fifth of running them on both engines. All of RAM is compared when a run ends.
 */
const POINTED_PAGES = 8;
const INSNS_PER_SWEPT_PAGE = 5000;
// prettier-ignore
const POINTER_REGS = [2, 8, 10, 11, 12, 13, 14, 15, 16, 17, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
  5, 6, 7, 28, 29, 30, 31, 3, 4, 1];

/** Traps the interpreter may take in a row, without retiring, to reach a recorded boundary. */
const MAX_TRAPS_IN_A_ROW = 16;

export interface LockstepOptions extends Omit<MachineOptions, 'engine' | 'deterministic'> {
  /** Guest instructions between comparisons (default LOCKSTEP_STEP); smaller pins a bug down closer. */
  lockstepStep?: number;
}

// The state compared: x1..x31, pc, privilege, f0..f31 and the CSRs that matter.
const CSRS = [
  0x300,
  0x341,
  0x342,
  0x343,
  0x305,
  0x340,
  0x304,
  0x344,
  0x302,
  0x303, // machine
  0x141,
  0x142,
  0x143,
  0x105,
  0x140,
  0x180,
  0x14d, // supervisor
  0x003, // fcsr
  0xb02, // minstret last (INSTRET below)
];
const FIELDS = [
  ...ABI_NAMES.slice(1).map((name, i) => `${name} (x${i + 1})`),
  'pc',
  'privilege',
  ...FABI_NAMES.map((name, i) => `${name} (f${i})`),
  ...CSRS.map((n) => CSR_NAMES.get(n)!),
];
const PC = 31;
const INSTRET = FIELDS.length - 1;

/** Word indices (of 32 bits) in a core's memory of each field's low half; the high half follows. */
function fieldWords(m: Machine): Uint32Array {
  const { layout } = m.core;
  const at = [
    ...Array.from({ length: 31 }, (_, i) => layout.regs + (i + 1) * 8),
    layout.pc,
    layout.priv,
    ...Array.from({ length: 32 }, (_, i) => layout.fregs + i * 8),
    ...CSRS.map((n) => layout.csrs + n * 8), // the stored values: exact while the core is stopped
  ];
  return Uint32Array.from(at, (a) => a >>> 2);
}

/** The compared state of a stopped machine, as 32-bit halves (BigInts only for reports). */
function capture(m: Machine, words: Uint32Array): Uint32Array {
  const mem = new Uint32Array(m.core.memory.buffer);
  const s = new Uint32Array(words.length * 2);
  for (let k = 0; k < words.length; k++) {
    s[2 * k] = mem[words[k]];
    s[2 * k + 1] = mem[words[k] + 1];
  }
  return s;
}

/** Field k of a captured state. */
const field = (s: Uint32Array, k: number): bigint => (BigInt(s[2 * k + 1]) << 32n) | BigInt(s[2 * k]);

/** A boundary of the translator's machine: where it called into its core, and its state there. */
interface Mark {
  instret: bigint;
  pc: bigint;
  state: Uint32Array;
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

export class Lockstep {
  readonly engine = 'lockstep';
  readonly deterministic = true;
  private readonly stepInsns: bigint;
  /** The translator's machine's boundaries during the current step, in order. */
  private marks: Mark[] = [];
  /** Where the interpreter's machine may update time: instret -> the translator's first pc there. */
  private readonly timePoints = new Map<bigint, bigint>();
  /** The last point where both machines were compared equal. */
  private agreed = { instret: 0n, pc: 0n };
  private divergence: RunResult | undefined;
  private stopRequested = false;
  private listeners: ((bytes: Uint8Array) => void)[] = [];
  /** Console output not yet matched against the other machine's. */
  private readonly pendingOut = { jit: [] as number[], interp: [] as number[] };
  private outMatched = 0;
  /** Per RAM page, the instret when it was last compared equal (-1: never). */
  private readonly pageAgreed: Float64Array;
  private sweepPage = 0;
  private readonly jitWords: Uint32Array;
  private readonly interpWords: Uint32Array;

  private constructor(
    readonly jit: Machine,
    readonly interp: Machine,
    step: number,
  ) {
    this.stepInsns = BigInt(step);
    this.pageAgreed = new Float64Array(Math.ceil(jit.ramSize / 4096)).fill(-1);
    this.jitWords = fieldWords(jit);
    this.interpWords = fieldWords(interp);
    jit.syncTime = () => {
      // Update here (as the machine would) so the recorded state is the one its core runs from.
      jit.updateTimers();
      this.marks.push({ instret: jit.instret, pc: jit.pc, state: capture(jit, this.jitWords) });
      return false;
    };
    interp.syncTime = () => this.timePoints.get(interp.instret) === interp.pc;
    jit.onOutput((bytes) => {
      for (const l of this.listeners) l(bytes);
      for (const b of bytes) this.pendingOut.jit.push(b);
    });
    interp.onOutput((bytes) => {
      for (const b of bytes) this.pendingOut.interp.push(b);
    });
  }

  /** Two machines on the deterministic clock: the translator (what the user sees) and the interpreter. */
  static async create(options: LockstepOptions = {}): Promise<Lockstep> {
    if ((options.harts ?? 1) > 1) {
      throw new WasmvisorError('lockstep runs one hart (its engines would switch harts at different points)');
    }
    const step = options.lockstepStep ?? LOCKSTEP_STEP;
    if (!Number.isInteger(step) || step < 1 || step > 0xffff_ffff) {
      throw new WasmvisorError(`lockstep step ${step} is out of range (1 to 2^32-1)`);
    }
    // Both machines write their disks; writes reaching a shared image would let the one ahead
    // change what the other reads.
    if (options.drives?.some((d) => d.writable)) {
      throw new WasmvisorError(
        'lockstep runs drives without writable (the two machines would share the image)',
      );
    }
    const common = {
      drives: options.drives,
      memory: options.memory,
      jitThreshold: options.jitThreshold,
      deterministic: true,
      sbi: options.sbi,
      bootargs: options.bootargs,
    };
    const jit = await Machine.create({ ...common, engine: 'jit' });
    const interp = await Machine.create({ ...common, engine: 'interp' });
    return new Lockstep(jit, interp, step);
  }

  // --- the Machine surface: reads come from the translator's machine, writes go to both ---

  get ramSize(): number {
    return this.jit.ramSize;
  }
  get jitThreshold(): number {
    return this.jit.jitThreshold;
  }
  get exits(): Record<string, number> {
    return this.jit.exits;
  }
  jitStats(): ReturnType<Machine['jitStats']> {
    return this.jit.jitStats();
  }
  jitReady(): Promise<void> {
    return this.jit.jitReady();
  }
  loadElf(bytes: Uint8Array, fileName = 'guest'): ElfImage {
    this.interp.loadElf(bytes, fileName);
    const image = this.jit.loadElf(bytes, fileName);
    this.agreed = { instret: this.jit.instret, pc: this.jit.pc };
    return image;
  }
  loadFirmware(bytes: Uint8Array, fileName = 'firmware'): ElfImage {
    this.interp.loadFirmware(bytes, fileName);
    const image = this.jit.loadFirmware(bytes, fileName);
    this.agreed = { instret: this.jit.instret, pc: this.jit.pc };
    return image;
  }
  loadKernel(bytes: Uint8Array, options: Parameters<Machine['loadKernel']>[1] = {}): ElfImage {
    this.interp.loadKernel(bytes, options);
    const image = this.jit.loadKernel(bytes, options);
    this.agreed = { instret: this.jit.instret, pc: this.jit.pc };
    return image;
  }
  deviceTree(): Uint8Array {
    return this.jit.deviceTree();
  }
  /** Ends a run at the next step, as Machine.requestStop. */
  requestStop(): void {
    this.stopRequested = true;
  }
  symbol(name: string): bigint | undefined {
    return this.jit.symbol(name);
  }
  get pc(): bigint {
    return this.jit.pc;
  }
  set pc(v: bigint) {
    this.jit.pc = v;
    this.interp.pc = v;
    this.agreed = { instret: this.jit.instret, pc: this.jit.pc };
  }
  getReg(i: number): bigint {
    return this.jit.getReg(i);
  }
  setReg(i: number, v: bigint): void {
    this.jit.setReg(i, v);
    this.interp.setReg(i, v);
  }
  getFreg(i: number): bigint {
    return this.jit.getFreg(i);
  }
  setFreg(i: number, v: bigint): void {
    this.jit.setFreg(i, v);
    this.interp.setFreg(i, v);
  }
  readCsr(num: number): bigint {
    return this.jit.readCsr(num);
  }
  get instret(): bigint {
    return this.jit.instret;
  }
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.jit.readMemory(addr, length);
  }
  writeMemory(addr: bigint, bytes: Uint8Array): void {
    this.jit.writeMemory(addr, bytes);
    this.interp.writeMemory(addr, bytes);
  }
  /** The translator's machine's console output (the interpreter's is only compared with it). */
  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }
  /** Input reaches both machines at the same instruction: runs only stop where they agree. */
  pushInput(bytes: Uint8Array): void {
    this.jit.pushInput(bytes);
    this.interp.pushInput(bytes);
  }
  disassembleAt(pc: bigint): string {
    return this.jit.disassembleAt(pc);
  }

  // --- running ---

  /** Runs both until the guest exits, crashes, reaches `maxInsns`, or the engines disagree. */
  async run(options: RunOptions = {}): Promise<RunResult> {
    if (this.jit.jitThreshold === 0) await this.jit.jitReady();
    // Console input and regions back from the compile worker arrive on event-loop turns.
    const every = this.jit.jitThreshold > 0 ? YIELD_WHILE_JIT_LOADS_MS : YIELD_EVERY_MS;
    const start = performance.now();
    let lastYield = start;
    for (;;) {
      const result = this.step(options.maxInsns, options.trace);
      if (result) return { ...result, seconds: (performance.now() - start) / 1000 };
      if (performance.now() - lastYield > every) {
        await nextTurn();
        lastYield = performance.now();
      }
    }
  }

  /** Runs about `insns` more instructions on both, synchronously; 'budget' when the guest can go on. */
  runFor(insns: bigint, options: RunOptions = {}): RunResult {
    const start = performance.now();
    const stopAt = this.jit.instret + insns;
    const limit = options.maxInsns !== undefined && options.maxInsns < stopAt ? options.maxInsns : stopAt;
    for (;;) {
      const result = this.step(limit, options.trace);
      if (!result) continue;
      const seconds = (performance.now() - start) / 1000;
      if (result.exitReason === 'max-insns' && limit === stopAt && options.maxInsns !== stopAt) {
        return { ...result, exitReason: 'budget', exitCode: 0, message: undefined, seconds };
      }
      return { ...result, seconds };
    }
  }

  /**
   * One step: the translator's machine runs ahead, the interpreter's follows it through the same
   * boundaries, and the two are compared at each. A result when the run is over.
   */
  private step(limit: bigint | undefined, trace: RunOptions['trace']): RunResult | undefined {
    if (this.divergence) return this.divergence;
    if (this.stopRequested) {
      this.stopRequested = false;
      return this.jit.stopped('stopped', 'stopped on request');
    }
    const { jit, interp } = this;
    this.marks = [];
    const ahead = jit.runFor(this.stepInsns, { maxInsns: limit, trace });
    this.timePoints.clear();
    for (const mark of this.marks) {
      if (this.timePoints.has(mark.instret)) continue; // nothing changes at a second one
      this.timePoints.set(mark.instret, mark.pc);
      const stop = this.follow(mark);
      if (stop) return stop;
    }
    jit.board.clint.update(); // as at a boundary, so both are compared in the same light
    const end = { instret: jit.instret, pc: jit.pc, state: capture(jit, this.jitWords) };
    const stop = this.follow(end, ahead);
    if (stop) return stop;
    const over = ahead.exitReason !== 'budget';
    const apart = this.compareRam(end.state, over) ?? this.compareOutput(over);
    if (apart) return this.diverged(end, [apart]);
    return over ? ahead : undefined;
  }

  /**
   * Brings the interpreter's machine to a point the translator's reached and compares them there;
   * `ended` is how the translator's run ended, at its last point. A result when they disagree.
   */
  private follow(target: Mark, ended?: RunResult): RunResult | undefined {
    const vm = this.interp;
    let stopped: RunResult | undefined;
    if (vm.instret < target.instret) {
      const r = vm.runFor(target.instret - vm.instret);
      if (r.exitReason !== 'budget') stopped = r;
    }
    let state: Uint32Array | undefined;
    for (let i = 0; !stopped && i < MAX_TRAPS_IN_A_ROW; i++) {
      if (vm.instret !== target.instret || vm.pc === target.pc) break;
      // The translator's machine got here through a trap the interpreter has not taken yet.
      state = capture(vm, this.interpWords);
      stopped = vm.step();
      if (vm.instret !== target.instret) break; // it retired one instead: report where it stood
      state = undefined;
    }
    if (!state) {
      vm.board.clint.update();
      state = capture(vm, this.interpWords);
    }
    // How each run ended: the interpreter must stop exactly where the translator's machine did.
    const final = ended && ended.exitReason !== 'budget' && ended.exitReason !== 'max-insns';
    if (final && !stopped && vm.instret === target.instret) {
      const r = vm.runFor(1n);
      if (r.exitReason !== 'budget') stopped = r;
    }
    const details: string[] = [];
    for (let k = 0; k < FIELDS.length; k++) {
      if (state[2 * k] === target.state[2 * k] && state[2 * k + 1] === target.state[2 * k + 1]) continue;
      details.push(`${FIELDS[k]}: jit ${hex(field(target.state, k))}, interp ${hex(field(state, k))}`);
    }
    if (final || stopped) {
      const say = (r: RunResult | undefined) =>
        !r
          ? 'went on'
          : `${r.exitReason}${r.exitReason === 'exit' ? ` ${r.exitCode}` : ''}${r.message ? ` (${r.message})` : ''}`;
      const jitEnd = final ? ended : undefined;
      if (say(jitEnd) !== say(stopped)) details.push(`run ended: jit ${say(jitEnd)}, interp ${say(stopped)}`);
    }
    if (details.length) return this.diverged(target, details);
    this.agreed = { instret: target.instret, pc: target.pc };
    return undefined;
  }

  /**
   * Compares guest RAM: all of it when the run is over, else the pages the registers point into
   * plus a rolling sweep (comparing 128 MiB after every step would cost more than running).
   */
  private compareRam(state: Uint32Array, all: boolean): string | undefined {
    const a = this.jit.core;
    const b = this.interp.core;
    const words = this.jit.ramSize >>> 2;
    const wa = new Int32Array(a.memory.buffer, a.layout.ram, words);
    const wb = new Int32Array(b.memory.buffer, b.layout.ram, words);
    const pages = this.pageAgreed.length;
    const instret = Number(field(state, INSTRET));
    const check = (first: number, last: number): number => {
      for (let i = first; i < last; i++) if (wa[i] !== wb[i]) return i;
      return -1;
    };
    let diff = -1;
    if (all) {
      diff = check(0, words);
      if (diff < 0) {
        for (let i = words << 2; i < this.jit.ramSize; i++) {
          if (a.u8[a.layout.ram + i] !== b.u8[b.layout.ram + i]) {
            diff = i >>> 2;
            break;
          }
        }
      }
      if (diff < 0) this.pageAgreed.fill(instret);
    } else {
      const base = Number(a.layout.ramBase);
      const chosen = new Set<number>();
      for (const r of POINTER_REGS) {
        const off = state[2 * r - 1] * 2 ** 32 + state[2 * r - 2] - base; // exact: RAM ends below 2^53
        if (off >= 0 && off < this.jit.ramSize) chosen.add(Math.floor(off / 4096));
        if (chosen.size === POINTED_PAGES) break;
      }
      const sweep = Math.min(pages, Math.ceil(Number(this.stepInsns) / INSNS_PER_SWEPT_PAGE));
      for (let i = 0; i < sweep; i++) chosen.add((this.sweepPage + i) % pages);
      this.sweepPage = (this.sweepPage + sweep) % pages;
      for (const page of chosen) {
        diff = check(page << 10, Math.min((page + 1) << 10, words));
        if (diff >= 0) break;
        this.pageAgreed[page] = instret;
      }
    }
    if (diff < 0) return undefined;
    const addr = a.layout.ramBase + BigInt(diff << 2);
    const word = (c: typeof a) => hex(c.dv.getUint32(c.layout.ram + (diff << 2), true));
    const since = this.pageAgreed[diff >>> 10];
    return (
      `guest RAM at ${hex(addr)} (32 bits): jit ${word(a)}, interp ${word(b)}` +
      (since >= 0 ? ` (its page last agreed at instret ${since})` : ' (its page was never compared before)')
    );
  }

  /** Compares what both consoles printed so far (all of it when the run is over). */
  private compareOutput(all: boolean): string | undefined {
    const { jit, interp } = this.pendingOut;
    const n = Math.min(jit.length, interp.length);
    let i = 0;
    while (i < n && jit[i] === interp[i]) i++;
    if (i < n || (all && jit.length !== interp.length)) {
      const show = (bytes: number[]) => JSON.stringify(String.fromCharCode(...bytes.slice(i, i + 16)));
      return `console output from byte ${this.outMatched + i}: jit ${show(jit)}, interp ${show(interp)}`;
    }
    jit.splice(0, n);
    interp.splice(0, n);
    this.outMatched += n;
    return undefined;
  }

  /** Ends the run with one line naming where the engines parted and everything that differs. */
  private diverged(at: Mark, details: string[]): RunResult {
    const where = `instret ${at.instret}, pc ${hex(at.pc)} (${this.jit.disassembleAt(at.pc)})`;
    const before = `instret ${this.agreed.instret}, pc ${hex(this.agreed.pc)}`;
    this.divergence = {
      exitReason: 'diverged',
      exitCode: EXIT_CODE_DIVERGED,
      instret: at.instret,
      seconds: 0,
      message: `lockstep: jit and interp diverged by ${where}, after agreeing at ${before}: ${details.join('; ')}`,
    };
    return this.divergence;
  }
}
