// A compile worker (Node worker_threads): builds region modules with binaryen off the main
// thread, so the interpreter keeps running while hot code is translated. Jobs and results are
// plain data (regions are decoded instructions; results are module bytes).
import { parentPort, type MessagePort } from 'node:worker_threads';
import { lowerThreadPriority, type CompileJob } from './worker-host.ts';
import { eagerOptimizer } from './optimize.ts';

// From before binaryen loads: translation must not slow the interpreter that runs meanwhile.
await lowerThreadPriority();
const { compileRegions } = await import('./codegen.ts');
const optimize = await eagerOptimizer();

/** Answers jobs arriving on `port`; a message carrying a port opens another channel (another thread's). */
function serve(port: MessagePort | NonNullable<typeof parentPort>): void {
  port.on('message', (job: CompileJob | { port: MessagePort }) => {
    if ('port' in job) return serve(job.port);
    try {
      const result = compileRegions(job.regions, job.layout, job.ramSize);
      // V8's compile here too, off the guest's thread (~1 ms per 20 KB of Wasm, on every module),
      // and its optimizing compile (see optimize.ts).
      if (result.regions.length) {
        const t0 = performance.now();
        result.module = new WebAssembly.Module(result.bytes as BufferSource);
        optimize?.(result.module);
        result.compileMs = performance.now() - t0;
      }
      port.postMessage({ id: job.id, result }, [result.bytes.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: job.id, error: String((e as Error)?.message ?? e) });
    }
  });
}

serve(parentPort!);
