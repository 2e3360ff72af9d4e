// Lockstep (src/vmm/lockstep.ts): the jit and the interpreter side by side. The shared guest and
// bench suites already run on it (test/helpers/engines.ts); here, that a disagreement is caught and
// reported well, that the guest sees one machine, and the command line.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createMachine, EXIT_CODE_DIVERGED, type Lockstep } from '../src/index.ts';
import { encode } from './helpers/encode.ts';

const RAM = 0x8000_0000n;
const root = new URL('..', import.meta.url).pathname;

function code(...insns: [string, Parameters<typeof encode>[1]][]): Uint8Array {
  const b = new Uint8Array(insns.length * 4);
  insns.forEach(([name, ops], i) =>
    new DataView(b.buffer).setUint32(i * 4, encode(name, ops).raw >>> 0, true),
  );
  return b;
}

/** addi a0,a0,1; j back: a loop the jit translates. */
const LOOP = code(['addi', { rd: 10, rs1: 10, imm: 1 }], ['jal', { rd: 0, imm: -4 }]);

async function loop(step?: number): Promise<Lockstep> {
  const vm = await createMachine({
    engine: 'lockstep',
    jitThreshold: 0,
    memory: 1 << 20,
    lockstepStep: step,
  });
  await vm.jitReady();
  vm.writeMemory(RAM, LOOP);
  vm.pc = RAM;
  return vm;
}

test('stale translated code is caught at the first comparison, with the registers that differ', async () => {
  const vm = await loop(100);
  expect(vm.runFor(1000n).exitReason).toBe('budget');
  // Rewrite the loop in both RAMs behind the translator's back (as a missed invalidation would):
  // the interpreter decodes the new addi, the jit still runs its old translation.
  for (const m of [vm.jit, vm.interp]) {
    new DataView(m.core.memory.buffer).setUint32(
      m.core.layout.ram,
      encode('addi', { rd: 10, rs1: 10, imm: 2 }).raw,
      true,
    );
  }
  const r = await vm.run({ maxInsns: 100_000n });
  expect(r.exitReason).toBe('diverged');
  expect(r.exitCode).toBe(EXIT_CODE_DIVERGED);
  expect(r.instret).toBeLessThanOrEqual(1200n);
  expect(r.message).toMatch(/^lockstep: jit and interp diverged by instret \d+, pc 0x8000000[04] \(.+\)/);
  expect(r.message).toMatch(/after agreeing at instret 1\d\d\d, pc 0x8000000[04]/);
  expect(r.message).toMatch(/a0 \(x10\): jit 0x[0-9a-f]+, interp 0x[0-9a-f]+$/);
  // Over is over: the run does not go on.
  expect((await vm.run()).exitReason).toBe('diverged');
});

test('a difference in RAM is found by the sweep or at the end, with its address', async () => {
  const vm = await loop();
  vm.interp.writeMemory(RAM + 0x4_0000n, new Uint8Array([0x5a]));
  const r = await vm.run({ maxInsns: 30_000n });
  expect(r.exitReason).toBe('diverged');
  expect(r.message).toMatch(/guest RAM at 0x80040000 \(32 bits\): jit 0x0, interp 0x5a/);
});

test('the guest sees one machine: console output once, input on both', async () => {
  const vm = await createMachine({ engine: 'lockstep', memory: 1 << 20 });
  // Read a byte from the UART, print it, and exit through the finisher.
  vm.writeMemory(
    RAM,
    code(
      ['lui', { rd: 5, imm: 0x1000_0000 }],
      ['lbu', { rd: 6, rs1: 5, imm: 5 }], // LSR: wait for data ready
      ['andi', { rd: 6, rs1: 6, imm: 1 }],
      ['beq', { rs1: 6, rs2: 0, imm: -8 }],
      ['lbu', { rd: 6, rs1: 5, imm: 0 }],
      ['sb', { rs1: 5, rs2: 6, imm: 0 }],
      ['lui', { rd: 5, imm: 0x100 << 12 }],
      ['lui', { rd: 6, imm: 5 << 12 }],
      ['addi', { rd: 6, rs1: 6, imm: 0x555 }],
      ['sw', { rs1: 5, rs2: 6, imm: 0 }],
    ),
  );
  vm.pc = RAM;
  const out: number[] = [];
  vm.onOutput((b) => out.push(...b));
  vm.pushInput(new Uint8Array([0x41]));
  const r = await vm.run({ maxInsns: 100_000n });
  expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
  expect(String.fromCharCode(...out)).toBe('A');
});

test('bad lockstep options are refused', async () => {
  await expect(createMachine({ engine: 'lockstep', lockstepStep: 0 })).rejects.toThrow(/lockstep step 0/);
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), 'run', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--engine lockstep prints the jit machine console once, exits with the guest code, reports stats', () => {
  const hello = join(root, 'test/guests/hello.elf');
  const r = cli(hello, '--engine', 'lockstep', '--stats');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(readFileSync(join(root, 'test/guests/expected/hello.out'), 'latin1'));
  expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toMatchObject({ engine: 'lockstep', exitCode: 0 });
  expect(cli(join(root, 'test/guests/exitcode.elf'), '--engine', 'lockstep').code).toBe(3);
  const bad = cli(hello, '--engine', 'lockstep', '--lockstep-step', 'often');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^wasmvisor: invalid --lockstep-step 'often'/);
});
