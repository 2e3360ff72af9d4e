#!/usr/bin/env node
// The command line, from the JavaScript that `npm install` compiles out of src/ (dist/). Plain
// Node loads binaryen natively (a TypeScript loader would re-transform its 14 MB each start).
import { wantsCompileWorker } from '../dist/cli-args.js';

// The translator's worker spends ~0.3 s loading binaryen: start it before the rest of the command
// line loads (~60 ms), when the arguments ask for tiered translation.
if (wantsCompileWorker(process.argv.slice(2))) {
  void import('../dist/jit/worker-host.js').then((w) => w.compileWorker());
}
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
