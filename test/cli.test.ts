// The command-line contract that users and the benchmark scripts rely on: exit codes, the stats
// line, one-line errors for bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const guest = (name: string) => join(root, 'test/guests', `${name}.elf`);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^wasmvisor: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-cli-'));

describe('wasmvisor run', () => {
  test('prints the guest console unchanged and exits 0 when the guest passes', () => {
    const r = cli('run', guest('hello'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, 'test/guests/expected/hello.out'), 'latin1'));
  });

  test('exits with the guest exit code', () => {
    const r = cli('run', guest('exitcode'), '--engine', 'interp');
    expect(r.code).toBe(3);
  });

  test('--stats ends stderr with one JSON object', () => {
    const r = cli('run', guest('hello'), '--stats');
    const last = r.stderr.trim().split('\n').at(-1)!;
    const stats = JSON.parse(last);
    expect(stats).toMatchObject({ engine: 'interp', exitCode: 0, exitReason: 'exit' });
    expect(stats.instret).toBeGreaterThan(100);
    expect(stats.seconds).toBeGreaterThan(0);
    expect(stats.mips).toBeGreaterThan(0);
  });

  test('--max-insns stops a long guest with exit code 124 and says so', () => {
    const r = cli('run', join(root, 'bench/guests/sieve.elf'), '--max-insns', '10000', '--stats');
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/--max-insns/);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).exitReason).toBe('max-insns');
  });

  test('--trace prints each executed instruction with its disassembly', () => {
    const r = cli('run', guest('exitcode'), '--trace', '--max-insns', '50');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines.length).toBeGreaterThanOrEqual(50);
    expect(lines[0]).toMatch(/^0x0000000080000000\s+\S+/);
  });

  test('--memory sizes are parsed and bad ones refused', () => {
    expect(cli('run', guest('hello'), '--memory', '16M').code).toBe(0);
    const r = cli('run', guest('hello'), '--memory', 'lots');
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /--memory/);
  });

  test('an unknown flag is refused with usage', () => {
    const r = cli('run', guest('hello'), '--turbo');
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /turbo/);
  });

  test('an unknown engine is refused', () => {
    const r = cli('run', guest('hello'), '--engine', 'warp');
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /engine 'warp'/);
  });

  test('a missing file is named', () => {
    const r = cli('run', join(tmp, 'nope.elf'));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /nope\.elf.*ENOENT/);
  });

  test('a file that is not an ELF is refused with its name', () => {
    const f = join(tmp, 'text.elf');
    writeFileSync(f, 'hello, I am not an ELF file\n');
    const r = cli('run', f);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /text\.elf/);
  });

  test('a truncated ELF is refused with its name', () => {
    const f = join(tmp, 'cut.elf');
    writeFileSync(f, readFileSync(guest('hello')).subarray(0, 100));
    const r = cli('run', f);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /cut\.elf/);
  });

  test('--deterministic runs a timer-driven guest the same way twice', () => {
    const stats = (stderr: string) => JSON.parse(stderr.trim().split('\n').pop()!);
    const a = cli('run', guest('timer'), '--engine', 'jit', '--deterministic', '--stats');
    const b = cli('run', guest('timer'), '--engine', 'jit', '--deterministic', '--stats');
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(stats(b.stderr).instret).toBe(stats(a.stderr).instret);
    expect(stats(b.stderr).exits).toEqual(stats(a.stderr).exits);
  });

  test('--bios with --sbi builtin is refused, and a missing firmware file is named', () => {
    const both = cli('run', guest('hello'), '--bios', guest('hello'), '--sbi', 'builtin');
    expect(both.code).toBe(2);
    expectOneLineError(both.stderr, /--bios/);
    const missing = cli('run', guest('hello'), '--bios', join(tmp, 'no-such-firmware.elf'));
    expect(missing.code).toBe(1);
    expectOneLineError(missing.stderr, /no-such-firmware\.elf/);
  });

  test('--smp out of range is refused; --smp 2 runs a two-hart guest', () => {
    const bad = cli('run', guest('hello'), '--smp', '9');
    expect(bad.code).toBe(2);
    expectOneLineError(bad.stderr, /--smp 9/);
    const ok = cli('run', join(root, 'test/guests/smp/smp2.elf'), '--smp', '2');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/hart 1 woke from wfi/);
  });
});
