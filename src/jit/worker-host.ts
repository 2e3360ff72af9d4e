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

let shared: Promise<CompileWorker | undefined> | undefined;

/** The process's compile worker, started on first use; undefined where none can run. */
export function compileWorker(): Promise<CompileWorker | undefined> {
  shared ??= start();
  return shared;
}

async function start(): Promise<CompileWorker | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  const { Worker } = await import('node:worker_threads');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  // The worker runs compiled JavaScript: next to this file in dist/, or in dist/ when this is the
  // TypeScript source (tests).
  const here = import.meta.url.endsWith('.ts') ? '../../dist/jit/compile-worker.js' : './compile-worker.js';
  const url = new URL(here, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const worker = new Worker(url);
  const waiting = new Map<number, Done>();
  let nextId = 1;
  worker.on('message', (m: { id: number; result?: CompiledBatch }) => {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(m.result);
  });
  worker.on('error', () => {
    // A crashed worker only means slower code: its jobs never finish and the interpreter runs.
  });
  // Never keeps the process alive: while a guest runs, the run loop does; results that arrive
  // after it ended do not matter, and a short guest must not wait for binaryen to load. (After
  // the listeners: adding a 'message' listener refs the worker again.)
  worker.unref();
  return {
    submit(regions, layout, ramSize, done) {
      const id = nextId++;
      waiting.set(id, done);
      worker.postMessage({ id, regions, layout, ramSize } satisfies CompileJob);
    },
  };
}
