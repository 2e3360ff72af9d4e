// A compile worker (Node worker_threads): builds region modules with binaryen off the main
// thread, so the interpreter keeps running while hot code is translated. Jobs and results are
// plain data (regions are decoded instructions; results are module bytes).
import { parentPort } from 'node:worker_threads';
import { compileRegions } from './codegen.ts';
import type { CompileJob } from './worker-host.ts';

parentPort!.on('message', (job: CompileJob) => {
  try {
    const result = compileRegions(job.regions, job.layout, job.ramSize);
    parentPort!.postMessage({ id: job.id, result }, [result.bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: String((e as Error)?.message ?? e) });
  }
});
