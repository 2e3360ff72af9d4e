// npm run fuzz [-- --seed S] [--count N] [--items K]: random RV64GC programs on every engine
// configuration (test/helpers/differential.ts), from a random seed unless one is given. Program i
// is generated from seed S + i, so `--seed <its seed> --count 1` repeats a failure. The first
// failing program is minimized and printed (seed, first difference, disassembly); exit code 1.
import { parseArgs } from 'node:util';
import { firstSeed, wholeNumber } from './helpers/fuzzargs.ts';
import { differential, minimize, report } from './helpers/differential.ts';
import { randomProgram } from './helpers/randprog.ts';

const USAGE = 'usage: npm run fuzz -- [--seed S] [--count N] [--items K]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      count: { type: 'string', default: '1000' },
      items: { type: 'string', default: '60' },
    },
  });
  const seed = firstSeed(values.seed, USAGE);
  const n = wholeNumber(values.count!, '--count', USAGE);
  const items = wholeNumber(values.items!, '--items', USAGE);
  console.log(
    `fuzz: seed ${seed}, ${n} programs of up to ${items} items (repeat: npm run fuzz -- --seed ${seed})`,
  );
  const start = performance.now();
  let lastReport = start;
  for (let i = 0; i < n; i++) {
    const s = (seed + i) >>> 0;
    const p = randomProgram(s, items);
    const diff = await differential(p);
    if (diff) {
      console.log(`fuzz: program ${s} fails: ${diff}\nminimizing...`);
      const small = await minimize(p);
      console.log(report(small, (await differential(small)) ?? diff));
      console.log(`repeat: npm run fuzz -- --seed ${s} --count 1 --items ${items}`);
      return 1;
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.log(`fuzz: ${i + 1} programs agree so far`);
    }
  }
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(
    `fuzz: all ${n} programs agree on every engine (seeds ${seed} to ${(seed + n - 1) >>> 0}, ${seconds} s)`,
  );
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`fuzz: ${e.message}`);
    process.exitCode = 2;
  },
);
