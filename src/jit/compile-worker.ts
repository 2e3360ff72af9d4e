// A compile worker (Node worker_threads): builds region modules with binaryen off the main
// thread, so the interpreter keeps running while hot code is translated. Jobs and results are
// plain data (regions are decoded instructions; results are module bytes).
import { setPriority } from 'node:os';
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { CompileJob } from './worker-host.ts';

// Below the guest's thread, from before binaryen loads: on a machine with few cores, translation
// must not slow the interpreter that runs meanwhile. (On Linux a thread's nice value is its own;
// elsewhere it is the whole process's, so it is left alone.)
if (process.platform === 'linux') setPriority(10);
const { compileRegions } = await import('./codegen.ts');

/** Answers jobs arriving on `port`; a message carrying a port opens another channel (another thread's). */
function serve(port: MessagePort | NonNullable<typeof parentPort>): void {
  port.on('message', (job: CompileJob | { port: MessagePort }) => {
    if ('port' in job) return serve(job.port);
    try {
      const result = compileRegions(job.regions, job.layout, job.ramSize);
      port.postMessage({ id: job.id, result }, [result.bytes.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: job.id, error: String((e as Error)?.message ?? e) });
    }
  });
}

serve(parentPort!);
