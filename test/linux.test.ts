// The Linux guest of test/guests/linux/ (built by scripts/build-linux.sh): it boots to the busybox
// shell, which is fed session.in a line per prompt (busybox arithmetic, awk's floating point, a raw
// read of the virtio disk, an ext2 file system written, remounted and read) and ends with
// poweroff, which must end the run with status 0. The console must hold session.expected's
// lines, in order, as whole lines; the disk image afterwards what the guest wrote. On wasmvisor
// (interp and jit, with the built-in SBI and under Debian's OpenSBI fw_jump) and, as the
// reference, on QEMU; the QEMU and OpenSBI runs are skipped without qemu-system-riscv64 or
// OpenSBI (package opensbi).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LINUX_DIR as dir,
  linuxBootCommand,
  linuxTargetMissing,
  runSession,
  targetLabel,
  type LinuxTarget,
} from '../bench/linux-boot.ts';
import { qemuVersion } from '../bench/runners.ts';

/** The disk: 8 MiB of zeros but for a line at 6 MiB (sector 12288) that session.in reads raw. */
const DISK_BYTES = 8 << 20;
const MARKER_OFFSET = 6 << 20;
const MARKER = 'wasmvisor: read from the virtio disk\n';
/** What the guest writes to its ext2 file system (session.in). */
const WRITTEN = 'written on the virtio disk\n';

/** The first of `expected` not found among `console` after the ones before it, if any. */
function findInOrder(console: string[], expected: string[]): string | undefined {
  let at = 0;
  for (const want of expected) {
    const i = console.indexOf(want, at);
    if (i < 0) return want;
    at = i + 1;
  }
  return undefined;
}

const qemu = qemuVersion() !== undefined;
const targets: LinuxTarget[] = [
  { runner: 'qemu', firmware: 'opensbi' },
  { runner: 'interp', firmware: 'builtin' },
  { runner: 'jit', firmware: 'builtin' },
  { runner: 'interp', firmware: 'opensbi' },
  { runner: 'jit', firmware: 'opensbi' },
];
const runs = targets.map((t) => ({
  name: targetLabel(t),
  target: t,
  // The fixtures are committed: only QEMU and OpenSBI may be missing here.
  skip: (t.runner === 'qemu' || t.firmware === 'opensbi') && linuxTargetMissing(t, qemu) !== undefined,
}));

describe('Linux guest', () => {
  for (const run of runs) {
    it.skipIf(run.skip)(
      `${run.name}: boots to the busybox shell, runs the session on the console and the disk, powers off`,
      async () => {
        const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-linux-'));
        try {
          const disk = join(tmp, 'disk.img');
          const image = Buffer.alloc(DISK_BYTES);
          image.write(MARKER, MARKER_OFFSET, 'latin1');
          writeFileSync(disk, image);
          const lines = readFileSync(join(dir, 'session.in'), 'utf8').split('\n').filter(Boolean);
          const expected = readFileSync(join(dir, 'session.expected'), 'utf8').split('\n').filter(Boolean);

          const s = await runSession(linuxBootCommand(run.target, disk), lines, 60_000);
          const consoleLines = s.output.replace(/\r/g, '').split('\n');
          const missing = findInOrder(consoleLines, expected);
          if (missing !== undefined || s.code !== 0) process.stderr.write(s.output + s.stderr);
          expect(missing, 'a line of session.expected not on the console, in order').toBeUndefined();
          expect(s.code, 'the exit status (poweroff ends the run with 0)').toBe(0);
          expect(readFileSync(disk).includes(WRITTEN), 'the ext2 file reached the disk image').toBe(true);
          console.log(
            `Linux, ${run.name}: shell prompt ${s.promptMs.toFixed(0)} ms after start, ` +
              `session and poweroff done at ${s.totalMs.toFixed(0)} ms`,
          );
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      },
      90_000,
    );
  }
});
