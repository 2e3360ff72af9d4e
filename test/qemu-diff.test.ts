// Privileged behaviour against QEMU (test/helpers/qemudiff.ts): a fixed sample of random programs
// (test/helpers/privprog.ts) must print the same log on QEMU and on wasmvisor's interpreter and
// translator. Skipped when qemu-system-riscv64 is not installed; `npm run fuzz:qemu` runs many.
import { describe, expect, it } from 'vitest';
import { privProgram } from './helpers/privprog.ts';
import { haveQemu, minimizePriv, qemuDiff, reportPriv } from './helpers/qemudiff.ts';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

describe.skipIf(!haveQemu())('privileged behaviour agrees with QEMU', () => {
  it.each(SEEDS)(
    'program %i',
    async (seed) => {
      const p = privProgram(seed);
      let diff = await qemuDiff(p);
      if (diff) {
        // Shrunk for 30 s at most: a difference is reported, not the test's timeout.
        const small = await minimizePriv(p, undefined, undefined, Date.now() + 30_000);
        diff = reportPriv(small, (await qemuDiff(small)) ?? diff);
      }
      expect(diff).toBeUndefined();
    },
    60_000,
  );
});
