// npm run fuzz:qemu [-- --seed S] [--count N] [--steps K] [--no-jit]: random privileged programs
// (test/helpers/privprog.ts) on QEMU and on wasmvisor (interp, and jit with threshold 0), their
// logs compared (test/helpers/qemudiff.ts). Program i is generated from seed S + i, so
// `--seed <its seed> --count 1` repeats a failure. The first failing program is minimized and
// printed (seed, first differing line, the steps kept, disassembly); exit code 1. With --all,
// every failing seed is listed (one line each) instead of stopping at the first.
import { parseArgs } from 'node:util';
import { firstSeed, wholeNumber } from './helpers/fuzzargs.ts';
import { privProgram } from './helpers/privprog.ts';
import { WASMVISOR_CONFIGS, haveQemu, minimizePriv, qemuDiff, reportPriv } from './helpers/qemudiff.ts';

const USAGE = 'usage: npm run fuzz:qemu -- [--seed S] [--count N] [--steps K] [--no-jit] [--all]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      count: { type: 'string', default: '200' },
      steps: { type: 'string', default: '24' },
      'no-jit': { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
    },
  });
  if (!haveQemu()) throw new Error('qemu-system-riscv64 is not on PATH (Debian: qemu-system-misc)');
  const seed = firstSeed(values.seed, USAGE);
  const n = wholeNumber(values.count!, '--count', USAGE);
  const steps = wholeNumber(values.steps!, '--steps', USAGE);
  const configs = values['no-jit']
    ? WASMVISOR_CONFIGS.filter((c) => c.engine === 'interp')
    : WASMVISOR_CONFIGS;
  console.log(
    `fuzz:qemu: seed ${seed}, ${n} programs of ${steps} steps against ${configs.map((c) => c.name).join(', ')}`,
  );
  const start = performance.now();
  let lastReport = start;
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const s = (seed + i) >>> 0;
    const p = privProgram(s, steps);
    const diff = await qemuDiff(p, configs);
    if (diff) {
      failures++;
      if (values.all) {
        console.log(`fuzz:qemu: program ${s} fails: ${diff}`);
        continue;
      }
      console.log(`fuzz:qemu: program ${s} fails: ${diff}\nminimizing...`);
      const small = await minimizePriv(p, configs);
      console.log(reportPriv(small, (await qemuDiff(small, configs)) ?? diff));
      console.log(`repeat: npm run fuzz:qemu -- --seed ${s} --count 1 --steps ${steps}`);
      return 1;
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.log(`fuzz:qemu: ${i + 1} programs done, ${failures} failing`);
    }
  }
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  const range = `seeds ${seed} to ${(seed + n - 1) >>> 0}, ${seconds} s`;
  if (failures) {
    console.log(`fuzz:qemu: ${failures} of ${n} programs disagree with QEMU (${range})`);
    return 1;
  }
  console.log(`fuzz:qemu: all ${n} programs agree with QEMU (${range})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`fuzz:qemu: ${e.message}`);
    process.exit(2);
  },
);
