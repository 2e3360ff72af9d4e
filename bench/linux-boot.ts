// Linux on the console: boots the fixtures of test/guests/linux/ (scripts/build-linux.sh) on
// wasmvisor or QEMU, types lines at the shell's prompts, and times how long the shell took to
// come up. Shared by test/linux.test.ts (the session and its checks) and `wasmvisor bench` (boot
// time to the shell prompt, each engine beside QEMU).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { summarize, type Summary } from './stats.ts';

export const LINUX_DIR = new URL('../test/guests/linux/', import.meta.url).pathname;
const QEMU = process.env.QEMU ?? 'qemu-system-riscv64';
export const OPENSBI = process.env.OPENSBI ?? '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const WASMVISOR = new URL('../bin/wasmvisor.js', import.meta.url).pathname;

/** /init prints this once the console is open; what is typed after it is not lost. */
export const READY = 'wasmvisor-linux: ready';
/** The shell's prompt (busybox ash, PS1 '\w \$ ' as root) ends so. */
export const PROMPT = '# ';
const APPEND = 'console=ttyS0 earlycon=sbi';

/** Who runs the guest, and what answers its SBI calls: the built-in SBI or OpenSBI's fw_jump. */
export interface LinuxTarget {
  runner: 'interp' | 'jit' | 'qemu';
  firmware: 'builtin' | 'opensbi';
}

export const targetLabel = (t: LinuxTarget): string =>
  `${t.runner === 'qemu' ? 'QEMU' : `wasmvisor ${t.runner}`}, ${t.firmware === 'builtin' ? 'built-in SBI' : 'OpenSBI'}`;

/** The command that boots the fixtures on `t`, with `disk` as its virtio drive (writable) if given. */
export function linuxBootCommand(t: LinuxTarget, disk?: string): [string, string[]] {
  const [image, initrd] = [join(LINUX_DIR, 'Image'), join(LINUX_DIR, 'initramfs.cpio')];
  if (t.runner === 'qemu') {
    const kernel = ['-kernel', image, '-initrd', initrd];
    const drive = disk
      ? ['-drive', `file=${disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0']
      : [];
    return [
      QEMU,
      ['-M', 'virt', '-m', '256M', '-nographic', '-bios', OPENSBI, ...kernel, '-append', APPEND, ...drive],
    ];
  }
  return [
    process.execPath,
    [
      WASMVISOR,
      ...['run', '--kernel', image, '--initrd', initrd],
      ...['--append', APPEND, '--memory', '256M', '--engine', t.runner],
      ...(t.firmware === 'builtin' ? ['--sbi', 'builtin'] : ['--bios', OPENSBI]),
      ...(disk ? ['--drive', `${disk},writable`] : []),
    ],
  ];
}

/** Why `t` cannot run here (QEMU or OpenSBI missing, fixtures not built), or undefined. */
export function linuxTargetMissing(t: LinuxTarget, haveQemu: boolean): string | undefined {
  if (!existsSync(join(LINUX_DIR, 'Image'))) return 'the Linux fixtures are not built (npm run linux)';
  if (t.runner === 'qemu' && !haveQemu) return 'qemu-system-riscv64 is not installed';
  if (t.firmware === 'opensbi' && !existsSync(OPENSBI))
    return `no OpenSBI firmware at ${OPENSBI} (package opensbi)`;
  return undefined;
}

export interface Session {
  output: string;
  stderr: string;
  /** The exit status; null when killed (timeout) or never started (`error`). */
  code: number | null;
  /** Killed after `timeoutMs`. */
  timedOut: boolean;
  /** The process could not be started (e.g. ENOENT). */
  error?: string;
  /** Milliseconds from the spawn to READY, and to the first shell prompt after it (NaN if never). */
  readyMs: number;
  promptMs: number;
  totalMs: number;
}

/**
 * Runs `command`, types each of `lines` after a prompt once READY has appeared, waits for the end
 * (SIGKILL after `timeoutMs`). Never rejects: a process that cannot start resolves with `error`.
 */
export function runSession(
  command: [string, string[]],
  lines: string[],
  timeoutMs: number,
): Promise<Session> {
  const start = performance.now();
  const child = spawn(command[0], command[1], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  let readyMs = NaN;
  let promptMs = NaN;
  let timedOut = false;
  let error: string | undefined;
  let next = 0; // the next line to type
  let typedAt = -1; // output length when the last line was typed; -1 before the shell is ready
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  // A guest that exits while a line is being typed makes the pipe fail (EPIPE): the exit says why.
  child.stdin.on('error', () => {});
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    if (typedAt < 0) {
      if (!output.includes(READY)) return;
      readyMs = performance.now() - start;
      typedAt = output.indexOf(READY) + READY.length;
    }
    if (next < lines.length && output.length > typedAt && output.endsWith(PROMPT)) {
      if (next === 0) promptMs = performance.now() - start;
      typedAt = output.length;
      child.stdin.write(`${lines[next++]}\n`);
    }
  });
  return new Promise((resolve) => {
    child.on('error', (e) => (error = e.message));
    // 'close' follows 'error' too, once the streams are done.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        output,
        stderr,
        code,
        timedOut,
        error,
        readyMs,
        promptMs,
        totalMs: performance.now() - start,
      });
    });
  });
}

/** Why a boot-to-prompt-and-poweroff session failed, in one line (undefined: it did not). */
export function sessionFailure(s: Session, timeoutMs: number): string | undefined {
  if (s.error) return `could not start: ${s.error}`;
  const secs = `${(timeoutMs / 1000).toFixed(0)} s`;
  // The program's own message (wasmvisor: ..., qemu-system-riscv64: ...), else its last line.
  const lines = s.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
  const why = (lines.find((l) => /^(wasmvisor|qemu-system-riscv64):/.test(l)) ?? lines.at(-1))?.trim();
  const because = why ? ` (${why.slice(0, 200)})` : '';
  if (Number.isNaN(s.promptMs)) {
    if (s.timedOut) return `no shell prompt within ${secs}`;
    return `exit ${s.code} before the shell prompt${because}`;
  }
  if (s.timedOut) return `no exit within ${secs} after poweroff`;
  if (s.code !== 0) return `poweroff ended with exit ${s.code}${because}`;
  return undefined;
}

/** One target's boot times in the bench: seconds from the spawn to the shell's first prompt. */
export interface LinuxBootRow extends LinuxTarget {
  status: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped (one line). */
  note?: string;
  /** Over the measured (not warm-up) runs; null when failed or skipped. */
  seconds: Summary | null;
  /** The measured runs' seconds. */
  samples: number[];
  warmupSamples: number[];
  /** This row's median over QEMU's: 2 is twice QEMU's time (null without a QEMU row). */
  qemuRatio: number | null;
}

export interface LinuxBootResult {
  status: 'measured' | 'skipped';
  note?: string;
  rows: LinuxBootRow[];
}

/** The bench's targets: each engine with both firmwares, and QEMU with OpenSBI (as it boots by default). */
export const LINUX_TARGETS: LinuxTarget[] = [
  { runner: 'interp', firmware: 'builtin' },
  { runner: 'jit', firmware: 'builtin' },
  { runner: 'interp', firmware: 'opensbi' },
  { runner: 'jit', firmware: 'opensbi' },
  { runner: 'qemu', firmware: 'opensbi' },
];

/** The targets of a bench run: those of the engines measured (lockstep is not), QEMU unless left out. */
export const linuxTargets = (engines: string[], qemu: boolean): LinuxTarget[] =>
  LINUX_TARGETS.filter((t) => (t.runner === 'qemu' ? qemu : engines.includes(t.runner)));

/** What a boot is: the bench's is runSession of the target's command, typing only poweroff. */
export type BootRunner = (t: LinuxTarget, timeoutMs: number) => Promise<Session>;
const bootToPoweroff: BootRunner = (t, timeoutMs) => runSession(linuxBootCommand(t), ['poweroff'], timeoutMs);

/**
 * Boots each target `warmup + repeat` times in rounds (one boot of each target per round, so a
 * drift of the machine hits all alike), typing `poweroff` at the prompt. A boot that does not
 * reach the prompt or does not power off with status 0 within `timeoutMs` fails its target,
 * which is not run again.
 */
export async function measureLinuxBoot(opts: {
  targets: LinuxTarget[];
  haveQemu: boolean;
  repeat: number;
  warmup: number;
  timeoutMs: number;
  onRun?: (message: string) => void;
  /** For tests: what boots a target, and why a target cannot run (default: linuxTargetMissing). */
  boot?: BootRunner;
  missing?: (t: LinuxTarget) => string | undefined;
}): Promise<LinuxBootResult> {
  const boot = opts.boot ?? bootToPoweroff;
  const missing = opts.missing ?? ((t: LinuxTarget) => linuxTargetMissing(t, opts.haveQemu));
  const rows: LinuxBootRow[] = opts.targets.map((t) => {
    const note = missing(t);
    const status = note ? 'skipped' : 'ok';
    return { ...t, status, note, seconds: null, samples: [], warmupSamples: [], qemuRatio: null };
  });
  if (rows.every((r) => r.status === 'skipped'))
    return { status: 'skipped', note: rows[0]?.note ?? 'no target', rows };
  for (let round = 0; round < opts.warmup + opts.repeat; round++) {
    for (const row of rows) {
      if (row.status !== 'ok') continue;
      opts.onRun?.(`linux boot: ${targetLabel(row)}`);
      const s = await boot(row, opts.timeoutMs);
      const failure = sessionFailure(s, opts.timeoutMs);
      if (failure) {
        row.status = 'failed';
        row.note = failure;
      } else (round < opts.warmup ? row.warmupSamples : row.samples).push(s.promptMs / 1000);
    }
  }
  for (const row of rows) if (row.status === 'ok') row.seconds = summarize(row.samples);
  const qemu = rows.find((r) => r.runner === 'qemu')?.seconds?.median;
  for (const row of rows) if (row.seconds && qemu) row.qemuRatio = row.seconds.median / qemu;
  return { status: 'measured', rows };
}
