// Snapshots (src/vmm/snapshot.ts, Machine.snapshot/restore): a run cut by snapshots at several
// points, each resumed on the other engine, must end exactly as the uninterrupted run does (console
// output, exit code, instructions, every hart's registers and CSRs, RAM); bad files are refused.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Machine, restoreMachine, WasmvisorError, type MachineOptions } from '../src/index.ts';
import { crc32, SNAPSHOT_MAGIC } from '../src/vmm/snapshot.ts';

// CSR numbers (the privileged spec's).
const CSRS = [0x300, 0x304, 0x344, 0x341, 0x342, 0x180, 0x141, 0x142, 0xb02]; // mstatus mie mip mepc mcause satp sepc scause minstret
const TIME = 0xc01;

const root = new URL('..', import.meta.url).pathname;
const MEMORY = 16 << 20;

interface Guest {
  name: string;
  elf: string;
  options: MachineOptions;
}

const GUESTS: Guest[] = [
  // Bare metal: UART console, CLINT timer interrupts, mtime reads, WFI.
  { name: 'timer (bare metal)', elf: 'test/guests/timer.elf', options: {} },
  // An S-mode kernel under the built-in SBI: Sv39 paging, U-mode, page faults, Sstc timer ticks.
  {
    name: 'skernel-sbi (S-mode, sbi builtin)',
    elf: 'test/guests/smode/skernel-sbi.elf',
    options: { sbi: 'builtin' },
  },
  // Two harts: atomics, LR/SC, an IPI waking a hart from WFI.
  { name: 'smp2 (two harts)', elf: 'test/guests/smp/smp2.elf', options: { harts: 2 } },
];

type Engine = 'interp' | 'jit';
// The jit translates every block before it runs (threshold 0), so translated code really runs.
const JIT = { engine: 'jit' as const, jitThreshold: 0 };
const onEngine = (engine: Engine) => (engine === 'jit' ? JIT : { engine });

async function boot(guest: Guest, engine: Engine): Promise<Machine> {
  const vm = await Machine.create({
    ...guest.options,
    ...onEngine(engine),
    memory: MEMORY,
    deterministic: true,
  });
  vm.loadElf(readFileSync(join(root, guest.elf)), guest.elf);
  return vm;
}

function collect(vm: Machine): () => string {
  const chunks: Uint8Array[] = [];
  vm.onOutput((b) => chunks.push(b));
  return () => Buffer.concat(chunks).toString('latin1');
}

/** Everything architectural a run ends with: each hart's registers, pc, privilege and CSRs, and RAM. */
function finalState(vm: Machine) {
  const harts = [];
  for (let h = 0; h < vm.harts.count; h++) {
    harts.push(
      vm.harts.with(h, () => ({
        regs: Array.from({ length: 32 }, (_, i) => vm.getReg(i)),
        pc: vm.pc,
        priv: vm.core.priv,
        csrs: CSRS.map((c) => vm.readCsr(c)),
      })),
    );
  }
  const ram = createHash('sha256').update(vm.readMemory(0x8000_0000n, vm.ramSize)).digest('hex');
  return { harts, ram, status: [...vm.harts.status] };
}

describe.each(GUESTS)('snapshots of $name', (guest) => {
  test('cut at several points and resumed on the other engine each time, the run ends the same', async () => {
    const whole = await boot(guest, 'interp');
    const wholeOutput = collect(whole);
    const expected = await whole.run({ maxInsns: 50_000_000n });
    expect(expected.exitReason).toBe('exit');

    for (const first of ['jit', 'interp'] as const) {
      let engine: Engine = first;
      let vm = await boot(guest, engine);
      let output = collect(vm);
      let text = '';
      const sizes: number[] = [];
      for (const [num, den] of [
        [1n, 7n],
        [1n, 3n],
        [1n, 2n],
        [9n, 10n],
      ]) {
        const at = (expected.instret * num) / den;
        const stop = await vm.run({ maxInsns: at });
        // Exactly there, on the jit too: the snapshot point is the same instruction on both engines.
        expect(stop).toMatchObject({ exitReason: 'max-insns', instret: at });
        const bytes = await vm.snapshot();
        sizes.push(bytes.length);
        text += output();
        engine = engine === 'jit' ? 'interp' : 'jit';
        vm = await restoreMachine(bytes, onEngine(engine));
        expect(vm.instret).toBe(at);
        output = collect(vm);
      }
      const result = await vm.run({ maxInsns: 50_000_000n });
      text += output();
      expect(text).toBe(wholeOutput());
      expect(result.exitReason).toBe('exit');
      expect(result.exitCode).toBe(expected.exitCode);
      expect(result.instret).toBe(expected.instret);
      expect(finalState(vm)).toEqual(finalState(whole));
      // 16 MiB of RAM, of which the guest touched a few pages: only those are kept, compressed.
      for (const size of sizes) expect(size).toBeLessThan(64 << 10);
    }
  });
});

describe('what a snapshot keeps', () => {
  test('console input the guest has not read yet', async () => {
    const elf = readFileSync(join(root, 'test/guests/interactive/echo.elf'));
    const vm = await Machine.create({ memory: MEMORY, deterministic: true });
    vm.loadElf(elf, 'echo.elf');
    const before = collect(vm);
    await vm.run({ maxInsns: 100_000n });
    vm.pushInput(new TextEncoder().encode('hello\nquit\n'));
    const bytes = await vm.snapshot();
    const after = await restoreMachine(bytes, JIT);
    const output = collect(after);
    const r = await after.run({ maxInsns: 50_000_000n });
    expect(before()).toBe("echo: type lines, 'quit' ends\n");
    expect(output()).toMatch(/^1: HELLO \(\d+ polls\)\necho: bye after 1 lines\n$/);
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
    expect(after.consoleBytes).toBe(before().length + output().length);
  });

  test('a guest that has exited stays exited', async () => {
    const vm = await boot(GUESTS[0], 'interp');
    const r = await vm.run();
    const again = await restoreMachine(await vm.snapshot(), JIT);
    expect(await again.run()).toMatchObject({ exitReason: 'exit', exitCode: r.exitCode, instret: r.instret });
  });

  test('on the host clock, time goes on from where it was (never backwards)', async () => {
    const vm = await Machine.create({ memory: MEMORY });
    vm.loadElf(readFileSync(join(root, 'test/guests/timer.elf')), 'timer.elf');
    const stop = await vm.run({ maxInsns: 5_000n });
    expect(stop.exitReason).toBe('max-insns');
    const saved = vm.board.clint.mtime(); // the snapshot's mtime is this or later
    const bytes = await vm.snapshot();
    // The new machine's host clock starts at zero: its mtime must not.
    await new Promise((r) => setTimeout(r, 20));
    const after = await restoreMachine(bytes, { engine: 'interp' });
    expect(after.board.clint.mtime()).toBeGreaterThanOrEqual(saved);
    expect(after.readCsr(TIME)).toBeGreaterThanOrEqual(saved);
    const r = await after.run({ maxInsns: 50_000_000n });
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
  });

  test('what defines the VM comes from the snapshot, not from the restoring side', async () => {
    const vm = await Machine.create({ memory: 8 << 20, harts: 2, deterministic: true });
    const after = await restoreMachine(await vm.snapshot(), { engine: 'interp' });
    expect([after.ramSize, after.harts.count, after.deterministic]).toEqual([8 << 20, 2, true]);
  });
});

describe('bad snapshots are refused with one clear line', () => {
  let good: Uint8Array;
  const refused = async (bytes: Uint8Array, message: RegExp) => {
    const attempt = restoreMachine(bytes, {}, 'vm.snap');
    await expect(attempt).rejects.toThrow(WasmvisorError);
    await expect(attempt).rejects.toThrow(message);
  };
  const edit = (f: (b: Uint8Array, dv: DataView) => void, bytes = good) => {
    const b = bytes.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  /** A file whose header is replaced (and its CRC recomputed, so only the header is wrong). */
  const withHeader = (change: (h: Record<string, unknown>) => void) => {
    const dv = new DataView(good.buffer, good.byteOffset);
    const length = dv.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(16, 16 + length)));
    change(header);
    const text = new TextEncoder().encode(JSON.stringify(header));
    const rest = good.subarray(16 + length, good.length - 4);
    const out = new Uint8Array(16 + text.length + rest.length + 4);
    out.set(good.subarray(0, 16));
    out.set(text, 16);
    out.set(rest, 16 + text.length);
    const odv = new DataView(out.buffer);
    odv.setUint32(12, text.length, true);
    odv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  };

  test('the good one restores', async () => {
    const vm = await boot(GUESTS[0], 'interp');
    await vm.run({ maxInsns: 20_000n });
    good = await vm.snapshot();
    expect(Array.from(good.subarray(0, 8))).toEqual(Array.from(SNAPSHOT_MAGIC));
    expect((await restoreMachine(good)).instret).toBe(20_000n);
  });
  test('truncated', async () => {
    await refused(good.subarray(0, good.length - 1), /^vm\.snap: truncated snapshot/);
    await refused(good.subarray(0, 12), /^vm\.snap: truncated snapshot/);
    await refused(new Uint8Array(0), /bad magic/);
  });
  test('a flipped byte', async () => {
    await refused(
      edit((b) => (b[b.length >> 1] ^= 0x10)),
      /^vm\.snap: checksum mismatch/,
    );
  });
  test('not a snapshot', async () => {
    await refused(
      readFileSync(join(root, 'test/guests/hello.elf')),
      /^vm\.snap: not a wasmvisor snapshot \(bad magic\)$/,
    );
    await refused(
      edit((b) => (b[0] = 0x58)),
      /bad magic/,
    );
  });
  test('a future format version', async () => {
    await refused(
      edit((_, dv) => dv.setUint32(8, 2, true)),
      /^vm\.snap: snapshot format version 2 is not supported \(this wasmvisor reads version 1\)$/,
    );
  });
  test('bytes after the end', async () => {
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    await refused(longer, /3 unexpected bytes after the end/);
  });
  test('inconsistent sizes or a bad header, even with a valid checksum', async () => {
    await refused(
      withHeader((h) => ((h.ram as { pages: number }).pages += 1)),
      /the snapshot body is \d+ bytes, its header says \d+/,
    );
    await refused(
      withHeader((h) => ((h.core as { hartStateBytes: number }).hartStateBytes += 8)),
      /the snapshot body is/,
    );
    await refused(
      withHeader((h) => delete h.devices),
      /bad snapshot header \(devices\)/,
    );
    await refused(
      withHeader((h) => ((h.machine as { memory: number }).memory = 4096)),
      /RAM page \d+ is out of order or outside/,
    );
  });
});

describe('wasmvisor run --snapshot-at and wasmvisor resume', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-snap-'));
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
      encoding: 'latin1',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const kernel = join(root, 'test/guests/smode/skernel-sbi.elf');

  test('a run cut in three by snapshot files, resumed on both engines, prints what the whole run prints', () => {
    const whole = cli('run', kernel, '--sbi', 'builtin', '--deterministic');
    expect(whole.code).toBe(0);
    const a = join(tmp, 'a.snap');
    const b = join(tmp, 'b.snap');
    const first = cli(
      'run',
      kernel,
      '--sbi',
      'builtin',
      '--deterministic',
      '--snapshot-at',
      '9000',
      '--snapshot-file',
      a,
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(
      `wasmvisor: snapshot at instruction 9000 written to ${a} (${readFileSync(a).length} bytes)\n`,
    );
    const second = cli(
      'resume',
      a,
      '--engine',
      'jit',
      '--jit-threshold',
      '0',
      '--snapshot-at',
      '20000',
      '--snapshot-file',
      b,
    );
    expect(second.code).toBe(0);
    const third = cli('resume', b, '--stats');
    expect(third.code).toBe(0);
    expect(first.stdout + second.stdout + third.stdout).toBe(whole.stdout);
    expect(JSON.parse(third.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      exitReason: 'exit',
      exitCode: 0,
    });
  });

  test('bad files and flags: one line, no stack trace, a non-zero exit code', () => {
    const bad = join(tmp, 'bad.snap');
    // The magic, version 1, a header of 1000 bytes announced, and then the file ends.
    writeFileSync(
      bad,
      Buffer.concat([SNAPSHOT_MAGIC, new Uint8Array([1, 0, 0, 0, 0xe8, 3, 0, 0]), Buffer.from('{}')]),
    );
    const cases: [string[], number, RegExp][] = [
      [['resume', bad], 1, /^wasmvisor: .*bad\.snap: truncated snapshot/],
      [['resume', join(root, 'test/guests/hello.elf')], 1, /not a wasmvisor snapshot \(bad magic\)/],
      [['resume', join(tmp, 'missing.snap')], 1, /missing\.snap: cannot read \(ENOENT\)/],
      [['resume'], 2, /expected one snapshot file/],
      [['resume', bad, '--engine', 'lockstep'], 2, /resume runs on interp or jit/],
      [['run', kernel, '--snapshot-at', '100'], 2, /--snapshot-at and --snapshot-file go together/],
      [['run', kernel, '--snapshot-at', 'soon', '--snapshot-file', bad], 2, /invalid --snapshot-at 'soon'/],
      [
        ['run', kernel, '--engine', 'lockstep', '--snapshot-at', '1', '--snapshot-file', bad],
        2,
        /needs --engine interp or jit/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('a guest that ends first writes no snapshot and says so', () => {
    const file = join(tmp, 'never.snap');
    const r = cli(
      'run',
      join(root, 'test/guests/hello.elf'),
      '--snapshot-at',
      '100000000',
      '--snapshot-file',
      file,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ended before instruction 100000000: no snapshot written/);
    expect(() => readFileSync(file)).toThrow();
  });
});
