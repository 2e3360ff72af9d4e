// One guest of a partitioned host (src/vmm/host.ts), alone in its worker thread: it runs under a
// time-shared host of its own with a single guest, and reports output and figures to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { WasmvisorError } from '../errors.ts';
import { useCompileWorkerPort } from '../jit/worker-host.ts';
import { Host, type FromWorker, type GuestWorkerData, type ToWorker } from './host.ts';

/** How often the parent hears the guest's figures while it runs. */
const STATS_EVERY_MS = 100;

const { config, compilePort } = workerData as GuestWorkerData;
if (compilePort) useCompileWorkerPort(compilePort);
const post = (m: FromWorker) => parentPort!.postMessage(m);
const host = new Host({ onOutput: (_name, bytes) => post({ type: 'output', bytes }) });
const report = () => post({ type: 'stats', stats: { ...host.stats()[0], share: 0 } });

try {
  await host.add(config);
  host.pause(config.name); // until the parent's first resume (Host.run)
  post({ type: 'ready' });
} catch (e) {
  const exitCode = e instanceof WasmvisorError ? e.exitCode : 70;
  post({ type: 'error', message: (e as Error).message, exitCode });
  process.exit(0);
}

let running: Promise<unknown> | undefined;
parentPort!.on('message', (m: ToWorker) => {
  if (m.type === 'input') host.pushInput(config.name, m.bytes);
  else if (m.type === 'pause') host.pause(config.name);
  else if (m.type === 'stop') host.stop(config.name);
  else if (m.type === 'resume') {
    host.resume(config.name);
    running ??= host.run().then(() => {
      clearInterval(timer);
      report();
      parentPort!.close();
    });
  }
});
const timer = setInterval(report, STATS_EVERY_MS);
