// The main thread's side of the compile worker, behind a small interface: where workers exist
// (Node's worker_threads here; a Web Worker would do in a page), regions are compiled there, one
// worker per process shared by every machine; elsewhere the translator compiles in the main thread.
import type { Layout } from '../core/core.ts';
import type { CompiledBatch } from './codegen.ts';
import type { Region } from './region.ts';

export interface CompileJob {
  id: number;
  regions: Region[];
  layout: Layout;
  ramSize: number;
}

type Done = (result: CompiledBatch | undefined) => void;

export interface CompileWorker {
  /** Compiles regions into one module in the worker; `done` runs on this thread when it is back. */
  submit(regions: Region[], layout: Layout, ramSize: number, done: Done): void;
}

/**
 * The compile worker's nice value. On a 2-core machine binaryen competed with the guest's thread;
 * 5 rather than more: a partitioned host's guest threads (at 0) fill every core, and with the
 * worker at 10 eight guests of one workload waited seconds for their translations (622 MIPS in
 * all, against 2239 at 5).
 */
export const COMPILE_WORKER_NICE = 5;

/**
 * The nice value of V8's background threads once the compile worker runs (lowerBackgroundThreads):
 * as code generation warms binaryen up, V8 compiles binaryen's hot functions with TurboFan there,
 * ~0.6 s of CPU on 4 threads during a Linux boot, at the guest thread's priority: the boot reached
 * its shell in 0.7–0.9 s on the jit, ~0.6 s with them at 10. Not 19: on a machine busy with other
 * processes they still get a share of a core, and translated code still tiers up.
 */
export const BACKGROUND_NICE = 10;

/**
 * Runs this thread (the compile worker) at COMPILE_WORKER_NICE. Only on Linux, where a thread's
 * nice value is its own (elsewhere it is the whole process's). A partitioned host's guest threads
 * stay at 0, level with other processes: the worker then gets less than a guest's share when
 * they fill every core, which slows translation but never stops it.
 */
export async function lowerThreadPriority(): Promise<void> {
  if (process.platform === 'linux') (await import('node:os')).setPriority(COMPILE_WORKER_NICE);
}

/**
 * The process's threads when this module loaded (Linux): V8's background threads, made at start-up,
 * before any guest thread of a partitioned host, which must keep its priority.
 */
const startupThreads = await threadIds();

async function threadIds(): Promise<number[]> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return [];
  try {
    return (await import('node:fs')).readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
}

/**
 * Lowers V8's background threads to BACKGROUND_NICE once the compile worker exists: they compile
 * (TurboFan) the functions of binaryen that translation makes hot, for every isolate of the
 * process, and must not take the guest's core. The main thread keeps its priority.
 */
async function lowerBackgroundThreads(): Promise<void> {
  const { setPriority } = await import('node:os');
  for (const tid of startupThreads) {
    if (tid === process.pid) continue;
    try {
      setPriority(tid, BACKGROUND_NICE);
    } catch {
      // The thread ended, or the system refused: it only costs speed.
    }
  }
}

let shared: Promise<CompileWorker | undefined> | undefined;

/** The process's compile worker, started on first use; undefined where none can run. */
export function compileWorker(): Promise<CompileWorker | undefined> {
  shared ??= start();
  return shared;
}

/**
 * Resolves once the compile worker has loaded binaryen (its first answer comes after that), for
 * measurements that must not include the load; at once where there is no worker.
 */
export async function compileWorkerReady(): Promise<void> {
  const w = await compileWorker();
  if (w) await holdingCompileWorker(answered(w));
}

let holders = 0;

/**
 * Waits for `p` with the compile worker ref'd: it is unref'd (it never keeps a finished run's
 * process open), so whoever waits for an answer from it must keep the process alive meanwhile.
 */
export async function holdingCompileWorker<T>(p: Promise<T>): Promise<T> {
  await compileWorker();
  if (holders++ === 0) worker?.ref();
  try {
    return await p;
  } finally {
    if (--holders === 0) worker?.unref();
  }
}

/** Resolves when `w` answers an empty job: its first answer comes once binaryen has loaded. */
export function answered(w: CompileWorker): Promise<void> {
  return new Promise<void>((resolve) => w.submit([], {} as Layout, 0, () => resolve()));
}

/** Where the worker's results come back: its own port, or a channel handed to another thread. */
interface JobPort {
  postMessage(message: unknown): void;
  // `any`: Node's `on` is overloaded per event, and only 'message' is used here.
  on(event: string, listener: (value: any) => void): unknown;
}

/** Sends jobs through `port` and calls each job's `done` when its result comes back. */
function overPort(port: JobPort): CompileWorker {
  const waiting = new Map<number, Done>();
  let nextId = 1;
  port.on('message', (m: { id: number; result?: CompiledBatch }) => {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(m.result);
  });
  return {
    submit(regions, layout, ramSize, done) {
      const id = nextId++;
      waiting.set(id, done);
      port.postMessage({ id, regions, layout, ramSize } satisfies CompileJob);
    },
  };
}

/**
 * A channel to this process's compile worker for another thread (a partitioned guest's worker,
 * src/vmm/host.ts), so that all guests share one binaryen instead of loading one each (0.3 s and
 * ~100 MB apiece). Undefined where no compile worker can run.
 */
export async function compileWorkerPort(): Promise<import('node:worker_threads').MessagePort | undefined> {
  await compileWorker();
  if (!worker) return undefined;
  const { MessageChannel } = await import('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ port: port2 }, [port2]);
  return port1;
}

/** In a thread given such a port: its machines compile through it (call before creating them). */
export function useCompileWorkerPort(port: import('node:worker_threads').MessagePort): void {
  const remote = overPort(port);
  // The port must not keep the thread alive once its guest is done (as worker.unref() below).
  port.unref();
  shared = Promise.resolve(remote);
}

let worker: import('node:worker_threads').Worker | undefined;

/**
 * Where a worker's script is, given the importing module's URL and the script's path below dist/:
 * workers run compiled JavaScript, next to the importer in dist/, or in dist/ when the importer is
 * the TypeScript source (tests, tsx). Undefined when it has not been built.
 */
export async function compiledWorkerUrl(importer: string, script: string): Promise<URL | undefined> {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const fromSource = new URL(importer).pathname.endsWith('.ts');
  const url = new URL(fromSource ? `../../dist/${script}` : `../${script}`, importer);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

async function start(): Promise<CompileWorker | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  const { Worker } = await import('node:worker_threads');
  const url = await compiledWorkerUrl(import.meta.url, 'jit/compile-worker.js');
  if (!url) return undefined;
  worker = new Worker(url);
  await lowerBackgroundThreads();
  const compile = overPort(worker);
  worker.on('error', () => {
    // A crashed worker only means slower code: its jobs never finish and the interpreter runs.
  });
  // Never keeps the process alive: while a guest runs, the run loop does; results that arrive
  // after it ended do not matter, and a short guest must not wait for binaryen to load. (After
  // the listeners: adding a 'message' listener refs the worker again.)
  worker.unref();
  return compile;
}
