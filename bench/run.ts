// `tsx bench/run.ts [options]`: the same bench as `wasmvisor bench` (bench/cli.ts), for running it
// from the TypeScript sources; `npm run bench` goes through the command line itself.
import { benchMain } from './cli.ts';

process.exitCode = await benchMain(process.argv.slice(2));
