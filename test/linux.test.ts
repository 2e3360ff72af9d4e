// The Linux guest of test/guests/linux/ (built by scripts/build-linux.sh): it boots to the busybox
// shell, which is fed session.in a line per prompt (busybox arithmetic, awk's floating point, a raw
// read of the virtio disk, an ext2 file system written, remounted and read) and ends with
// poweroff, which must end the run with status 0. The console must hold session.expected's
// lines, in order, as whole lines; the disk image afterwards what the guest wrote. On wasmvisor
// (interp and jit, with the built-in SBI and under Debian's OpenSBI fw_jump) and, as the
// reference, on QEMU; the QEMU and OpenSBI runs are skipped without qemu-system-riscv64 or
// OpenSBI (package opensbi).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = new URL('guests/linux/', import.meta.url).pathname;
const QEMU = process.env.QEMU ?? 'qemu-system-riscv64';
const OPENSBI = process.env.OPENSBI ?? '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';

/** The disk: 8 MiB of zeros but for a line at 6 MiB (sector 12288) that session.in reads raw. */
const DISK_BYTES = 8 << 20;
const MARKER_OFFSET = 6 << 20;
const MARKER = 'wasmvisor: read from the virtio disk\n';
/** What the guest writes to its ext2 file system (session.in). */
const WRITTEN = 'written on the virtio disk\n';

/** /init prints this once the console is open; what is typed after it is not lost. */
const READY = 'wasmvisor-linux: ready';
/** The shell's prompt (busybox ash, PS1 '\w \$ ' as root) ends so. */
const PROMPT = '# ';

function haveQemu(): boolean {
  try {
    return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

interface Session {
  output: string;
  code: number | null;
  readyMs: number;
  totalMs: number;
}

/** How to boot the fixtures with `disk`: a command and its arguments. */
type Boot = (disk: string) => [string, string[]];

const qemuBoot: Boot = (disk) => [
  QEMU,
  [
    ...['-M', 'virt', '-m', '256M', '-nographic', '-bios', OPENSBI],
    ...['-kernel', join(dir, 'Image'), '-initrd', join(dir, 'initramfs.cpio')],
    ...['-append', 'console=ttyS0 earlycon=sbi'],
    ...['-drive', `file=${disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0'],
  ],
];

const wasmvisorBoot =
  (engine: string, firmware: 'builtin' | 'opensbi'): Boot =>
  (disk) => [
    process.execPath,
    [
      join(dir, '../../../bin/wasmvisor.js'),
      ...['run', '--kernel', join(dir, 'Image'), '--initrd', join(dir, 'initramfs.cpio')],
      ...['--append', 'console=ttyS0 earlycon=sbi', '--memory', '256M', '--engine', engine],
      ...(firmware === 'builtin' ? ['--sbi', 'builtin'] : ['--bios', OPENSBI]),
      ...['--drive', `${disk},writable`],
    ],
  ];

/** Boots the fixtures with `disk`, types each line after a prompt, waits for the end. */
function runSession(boot: Boot, disk: string, lines: string[], timeoutMs: number): Promise<Session> {
  const [command, args] = boot(disk);
  const start = performance.now();
  const qemu = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let readyMs = NaN;
  let next = 0; // the next line to type
  let typedAt = -1; // output length when the last line was typed; -1 before the shell is ready
  const timer = setTimeout(() => qemu.kill('SIGKILL'), timeoutMs);
  qemu.stdout.setEncoding('latin1');
  qemu.stdout.on('data', (chunk: string) => {
    output += chunk;
    if (typedAt < 0) {
      if (!output.includes(READY)) return;
      readyMs = performance.now() - start;
      typedAt = output.indexOf(READY) + READY.length;
    }
    if (next < lines.length && output.length > typedAt && output.endsWith(PROMPT)) {
      typedAt = output.length;
      qemu.stdin.write(`${lines[next++]}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    qemu.on('error', reject);
    qemu.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, code, readyMs, totalMs: performance.now() - start });
    });
  });
}

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

const haveOpenSbi = existsSync(OPENSBI);
const runs: { name: string; boot: Boot; skip: boolean }[] = [
  { name: 'QEMU 7.2 with OpenSBI', boot: qemuBoot, skip: !haveQemu() || !haveOpenSbi },
  { name: 'wasmvisor interp, built-in SBI', boot: wasmvisorBoot('interp', 'builtin'), skip: false },
  { name: 'wasmvisor jit, built-in SBI', boot: wasmvisorBoot('jit', 'builtin'), skip: false },
  { name: 'wasmvisor interp, OpenSBI', boot: wasmvisorBoot('interp', 'opensbi'), skip: !haveOpenSbi },
  { name: 'wasmvisor jit, OpenSBI', boot: wasmvisorBoot('jit', 'opensbi'), skip: !haveOpenSbi },
];

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

          const s = await runSession(run.boot, disk, lines, 60_000);
          const consoleLines = s.output.replace(/\r/g, '').split('\n');
          const missing = findInOrder(consoleLines, expected);
          if (missing !== undefined || s.code !== 0) process.stderr.write(s.output);
          expect(missing, 'a line of session.expected not on the console, in order').toBeUndefined();
          expect(s.code, 'the exit status (poweroff ends the run with 0)').toBe(0);
          expect(readFileSync(disk).includes(WRITTEN), 'the ext2 file reached the disk image').toBe(true);
          console.log(
            `Linux, ${run.name}: shell ready ${s.readyMs.toFixed(0)} ms after start, ` +
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
