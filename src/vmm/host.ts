// A host for several guests, each its own Machine (own memory, devices, code cache), in one of
// two placements:
//  - time-shared: one thread, turns handed out by stride scheduling on measured CPU time, so each
//    guest's share of the CPU follows its weight (as Xen's credit scheduler does);
//  - partitioned: a worker thread per guest (as Jailhouse pins a cell to its cores), so guests run
//    in parallel on the host's cores; each worker drives its guest with this same scheduler.
// A guest's failure stays its own: a crash, a limit or an internal error ends that guest only.
import { WasmvisorError } from '../errors.ts';
import { Machine, nextTurn, type MachineOptions, type RunResult } from './machine.ts';
import { MAX_HOST_WAIT_MS, YIELD_EVERY_MS, YIELD_WHILE_JIT_LOADS_MS } from './tuning.ts';

export type Placement = 'time-shared' | 'partitioned';

/** One guest of a host: what to run, on what machine, with what share and limits. */
export interface GuestConfig extends MachineOptions {
  /** Shown in console prefixes and the summary; unique within a host. */
  name: string;
  /** The guest's ELF image. */
  elf: Uint8Array;
  /** CPU share relative to the other guests (time-shared placement); default 1. */
  weight?: number;
  /** Instruction budget: the guest stops with exit code 124 after this many. */
  maxInsns?: bigint;
  /** Wall-clock limit in milliseconds from the host's start: the guest stops with exit code 124. */
  timeLimitMs?: number;
}

export type GuestState = 'ready' | 'waiting' | 'paused' | 'done';

/** What a host reports of a guest, while it runs and at the end. */
export interface GuestStats {
  name: string;
  state: GuestState;
  instret: bigint;
  /** Host CPU time spent running this guest (its turns, including translating its code). */
  cpuSeconds: number;
  /** cpuSeconds as a fraction of all guests' (0 to 1). */
  share: number;
  /** Set once the guest is done. */
  result?: RunResult;
}

export interface HostOptions {
  placement?: Placement;
  /** Console output of guest `name`, in order, as byte chunks. */
  onOutput?: (name: string, bytes: Uint8Array) => void;
}

/**
 * Target length of a turn. Short enough that shares follow weights within a tenth of a second
 * and consoles stay lively; long enough that the cost of switching (a few microseconds) vanishes.
 */
export const TURN_MS = 5;

/** Instructions per millisecond assumed for a guest's first turn, before its speed is measured. */
const FIRST_RATE = 20_000;

/** A guest in a time-shared host: its machine, its scheduling state and its accounts. */
class Guest {
  state: GuestState = 'ready';
  /** Stride scheduling: CPU milliseconds used divided by weight; the lowest runs next. */
  pass = 0;
  cpuMs = 0;
  /** Measured instructions per CPU millisecond, to size turns in time. */
  rate = FIRST_RATE;
  /** While waiting: when to look again (host time, ms). */
  wakeAt = 0;
  result: RunResult | undefined;
  readonly weight: number;
  private stopRequest: { reason: 'stopped' | 'time-limit'; message: string } | undefined;

  constructor(
    readonly config: GuestConfig,
    readonly machine: Machine,
  ) {
    this.weight = config.weight ?? 1;
  }

  get runnable(): boolean {
    return this.state === 'ready' || (this.state === 'waiting' && this.wakeAt <= performance.now());
  }

  requestStop(reason: 'stopped' | 'time-limit', message: string): void {
    this.stopRequest ??= { reason, message };
  }

  /** Runs one turn of about TURN_MS. */
  turn(hostStart: number): void {
    const t0 = performance.now();
    const limit = this.config.timeLimitMs;
    if (limit !== undefined && t0 - hostStart >= limit) {
      this.requestStop('time-limit', `stopped at its time limit of ${limit} ms`);
    }
    if (this.stopRequest) {
      this.finish(this.machine.stopped(this.stopRequest.reason, this.stopRequest.message));
      return;
    }
    const before = this.machine.instret;
    let outcome: RunResult | number | undefined;
    try {
      outcome = this.machine.runTurn(BigInt(Math.max(1000, Math.round(this.rate * TURN_MS))), {
        maxInsns: this.config.maxInsns,
      });
      this.machine.flushConsole();
    } catch (e) {
      // A bug of ours met by this guest: it ends this guest, not the host.
      const message = `internal error: ${(e as Error).message ?? e}`;
      outcome = this.machine.stopped('stopped', message);
    }
    const ms = performance.now() - t0;
    this.cpuMs += ms;
    this.pass += ms / this.weight;
    const ran = Number(this.machine.instret - before);
    if (ms > 0.2 && ran > 0) this.rate = 0.5 * this.rate + 0.5 * (ran / ms);
    if (typeof outcome === 'object') this.finish(outcome);
    else if (typeof outcome === 'number') {
      this.state = 'waiting';
      this.wakeAt = performance.now() + outcome;
    } else this.state = 'ready';
  }

  private finish(result: RunResult): void {
    this.result = result;
    this.state = 'done';
  }
}

/** Checks a guest's configuration (names, weights, limits) before a machine is made for it. */
function checkConfig(config: GuestConfig, taken: Set<string>): void {
  const { name, weight, timeLimitMs, maxInsns } = config;
  if (!name || /\s/.test(name))
    throw new WasmvisorError(`guest name '${name}' must be non-empty, without spaces`, 2);
  if (taken.has(name)) throw new WasmvisorError(`two guests are named '${name}'`, 2);
  if (weight !== undefined && !(Number.isFinite(weight) && weight > 0)) {
    throw new WasmvisorError(`${name}: weight ${weight} must be a positive number`, 2);
  }
  if (timeLimitMs !== undefined && !(Number.isFinite(timeLimitMs) && timeLimitMs > 0)) {
    throw new WasmvisorError(`${name}: time limit ${timeLimitMs} ms must be positive`, 2);
  }
  if (maxInsns !== undefined && maxInsns < 0n)
    throw new WasmvisorError(`${name}: negative instruction budget`, 2);
}

/** Several guests on one host. Add guests, then run() until all are done; pause/resume/stop any time. */
export class Host {
  readonly placement: Placement;
  private readonly guests: Guest[] = [];
  private readonly workers = new Map<string, PartitionedGuest>();
  private readonly names = new Set<string>();
  private readonly onOutput: (name: string, bytes: Uint8Array) => void;
  private wake: (() => void) | undefined;

  constructor(options: HostOptions = {}) {
    this.placement = options.placement ?? 'time-shared';
    if (this.placement !== 'time-shared' && this.placement !== 'partitioned') {
      throw new WasmvisorError(
        `unknown placement '${this.placement}' (expected time-shared or partitioned)`,
        2,
      );
    }
    this.onOutput = options.onOutput ?? (() => {});
  }

  /** Creates the guest's machine and loads its ELF (in its worker, when partitioned). */
  async add(config: GuestConfig): Promise<void> {
    checkConfig(config, this.names);
    this.names.add(config.name);
    if (this.placement === 'partitioned') {
      this.workers.set(config.name, await PartitionedGuest.start(config, this.onOutput));
      return;
    }
    const machine = await Machine.create(config);
    machine.loadElf(config.elf, config.name);
    machine.onOutput((bytes) => this.onOutput(config.name, bytes));
    // Threshold 0 means no guest code runs untranslated: the translator must be there first.
    if (config.engine === 'jit' && config.jitThreshold === 0) await machine.jitReady();
    const guest = new Guest(config, machine);
    // A newcomer starts level with the others instead of owing (or being owed) their past.
    guest.pass = Math.min(...this.guests.filter((g) => g.state !== 'done').map((g) => g.pass), Infinity);
    if (!Number.isFinite(guest.pass)) guest.pass = 0;
    this.guests.push(guest);
  }

  /** Console input for a guest (its UART). */
  pushInput(name: string, bytes: Uint8Array): void {
    const w = this.workers.get(name);
    if (w) return w.send({ type: 'input', bytes });
    const g = this.find(name);
    g.machine.pushInput(bytes);
    if (g.state === 'waiting') g.wakeAt = 0;
    this.wake?.();
  }

  pause(name: string): void {
    const w = this.workers.get(name);
    if (w) return w.send({ type: 'pause' });
    const g = this.find(name);
    if (g.state !== 'done') g.state = 'paused';
  }

  resume(name: string): void {
    const w = this.workers.get(name);
    if (w) return w.send({ type: 'resume' });
    const g = this.find(name);
    if (g.state === 'paused') {
      g.state = 'ready';
      // Time spent paused is not owed back: rejoin level with the guests that kept running.
      const others = this.guests.filter((o) => o !== g && o.state !== 'done' && o.state !== 'paused');
      if (others.length) g.pass = Math.max(g.pass, Math.min(...others.map((o) => o.pass)));
      this.wake?.();
    }
  }

  /** Stops a guest: its run ends with exit reason 'stopped' at its next turn. */
  stop(name: string): void {
    const w = this.workers.get(name);
    if (w) return w.send({ type: 'stop' });
    const g = this.find(name);
    g.requestStop('stopped', 'stopped by the host');
    if (g.state === 'paused' || g.state === 'waiting') g.state = 'ready';
    this.wake?.();
  }

  /** Every guest's figures so far (for partitioned guests, as of their last report). */
  stats(): GuestStats[] {
    const rows =
      this.placement === 'partitioned'
        ? [...this.workers.values()].map((w) => w.stats)
        : this.guests.map((g) => ({
            name: g.config.name,
            state: g.state,
            instret: g.machine.instret,
            cpuSeconds: g.cpuMs / 1000,
            share: 0,
            result: g.result,
          }));
    const total = rows.reduce((sum, r) => sum + r.cpuSeconds, 0);
    return rows.map((r) => ({ ...r, share: total > 0 ? r.cpuSeconds / total : 0 }));
  }

  /** Runs every guest until all are done; resolves with the final figures, in the order added. */
  async run(): Promise<GuestStats[]> {
    if (this.placement === 'partitioned') {
      await Promise.all([...this.workers.values()].map((w) => w.run()));
    } else {
      await this.runTimeShared();
    }
    return this.stats();
  }

  private async runTimeShared(): Promise<void> {
    const start = performance.now();
    let lastYield = start;
    for (;;) {
      const live = this.guests.filter((g) => g.state !== 'done');
      if (live.length === 0) return;
      const runnable = live.filter((g) => g.runnable);
      if (runnable.length) {
        let next = runnable[0];
        for (const g of runnable) if (g.pass < next.pass) next = g;
        next.turn(start);
      }
      const now = performance.now();
      const busy = live.some((g) => g.machine.translatorBusy);
      if (!runnable.length || now - lastYield > (busy ? YIELD_WHILE_JIT_LOADS_MS : YIELD_EVERY_MS)) {
        // Nobody can run: sleep until the earliest wake-up (or input, or a resume); else just let
        // input, translator results and timers in.
        const waiting = live.filter((g) => g.state === 'waiting');
        const limits = live.map((g) => (g.config.timeLimitMs ?? Infinity) + start);
        const until = Math.min(...waiting.map((g) => g.wakeAt), ...limits, now + MAX_HOST_WAIT_MS);
        await (runnable.length
          ? nextTurn()
          : new Promise<void>((resolve) => {
              this.wake = resolve;
              setTimeout(resolve, Math.max(0, until - now));
            }));
        this.wake = undefined;
        // A guest whose time is up gets one more turn to be stopped, paused or not.
        for (const g of live) {
          if (g.config.timeLimitMs !== undefined && performance.now() - start >= g.config.timeLimitMs) {
            g.requestStop('time-limit', `stopped at its time limit of ${g.config.timeLimitMs} ms`);
            if (g.state !== 'done') g.state = 'ready';
          }
        }
        lastYield = performance.now();
      }
    }
  }

  private find(name: string): Guest {
    const g = this.guests.find((x) => x.config.name === name);
    if (!g) throw new WasmvisorError(`no guest named '${name}'`, 2);
    return g;
  }
}

// --- partitioned placement: a worker thread per guest (src/vmm/guest-worker.ts) ---

/** What a guest's worker starts with. */
export interface GuestWorkerData {
  config: GuestConfig;
  /** A channel to the host's compile worker (see compileWorkerPort). */
  compilePort?: import('node:worker_threads').MessagePort;
}

/** Messages from the host to a guest's worker. */
export type ToWorker =
  { type: 'input'; bytes: Uint8Array } | { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

/** Messages from a guest's worker to the host. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'output'; bytes: Uint8Array }
  | { type: 'stats'; stats: GuestStats }
  | { type: 'error'; message: string; exitCode: number };

/** The host's side of a guest pinned to its own worker thread. */
class PartitionedGuest {
  stats: GuestStats;
  private finished!: Promise<void>;

  private constructor(
    private readonly worker: import('node:worker_threads').Worker,
    name: string,
  ) {
    this.stats = { name, state: 'ready', instret: 0n, cpuSeconds: 0, share: 0 };
  }

  static async start(
    config: GuestConfig,
    onOutput: (name: string, bytes: Uint8Array) => void,
  ): Promise<PartitionedGuest> {
    const { Worker } = await import('node:worker_threads');
    const { compiledWorkerUrl, compileWorkerPort } = await import('../jit/worker-host.ts');
    const url = await compiledWorkerUrl(import.meta.url, 'vmm/guest-worker.js');
    if (!url)
      throw new WasmvisorError('partitioned placement needs the compiled worker (run npm run build:ts)');
    // Tiered translation: the guests share this thread's compile worker (one binaryen, loaded
    // once) instead of loading one each; everything else of theirs is their own.
    const tiered = config.engine === 'jit' && config.jitThreshold !== 0 && !config.deterministic;
    const compilePort = tiered ? await compileWorkerPort() : undefined;
    const workerData: GuestWorkerData = { config, compilePort };
    const worker = new Worker(url, { workerData, transferList: compilePort ? [compilePort] : [] });
    const guest = new PartitionedGuest(worker, config.name);
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const started = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
    guest.finished = new Promise<void>((resolve) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') ready();
        else if (m.type === 'output') onOutput(config.name, m.bytes);
        else if (m.type === 'stats') guest.stats = m.stats;
        else if (m.type === 'error') failed(new WasmvisorError(m.message, m.exitCode));
      });
      worker.on('error', (e) => {
        const message = `worker failed: ${e.message}`;
        failed(new WasmvisorError(message));
        guest.stats = { ...guest.stats, state: 'done', result: crashed(guest.stats.instret, message) };
      });
      worker.on('exit', () => resolve());
    });
    await started;
    return guest;
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** Lets the guest run; resolves when it is done and its worker has exited. */
  async run(): Promise<void> {
    this.send({ type: 'resume' });
    await this.finished;
  }
}

function crashed(instret: bigint, message: string): RunResult {
  return { exitReason: 'fatal', exitCode: 125, instret, seconds: 0, message };
}
