// The embedding API and the supervisor's handling of guests that cannot go on.
import { describe, expect, test } from 'vitest';
import { createMachine, WasmvisorError } from '../src/index.ts';
import { ENGINES } from './helpers/engines.ts';

const RAM = 0x8000_0000n;

/** Little-endian bytes of 32-bit instruction words. */
function code(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return b;
}

// Hand-assembled instructions (checked against riscv64-unknown-elf-as).
const ADDI_A0_A0_1 = 0x00150513; // addi a0,a0,1
const J_SELF = 0x0000006f; // j .
const WFI = 0x10500073;
const LUI_T0_0x100 = 0x001002b7; // lui t0,0x100 (the test finisher)
const LUI_T1_5 = 0x00005337; // lui t1,0x5
const ADDI_T1_T1_0x555 = 0x55530313; // addi t1,t1,0x555
const SW_T1_0_T0 = 0x0062a023; // sw t1,0(t0)

describe.each(ENGINES)('embedding API on $name', ({ engine, jitThreshold, deterministic }) => {
  test('registers, memory and a bounded run', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    vm.writeMemory(RAM, code(ADDI_A0_A0_1, ADDI_A0_A0_1, ADDI_A0_A0_1, J_SELF));
    vm.pc = RAM;
    vm.setReg(10, 40n);
    const r = vm.runFor(3n);
    expect(r.exitReason).toBe('budget');
    expect(vm.getReg(10)).toBe(43n);
    expect(vm.pc).toBe(RAM + 12n);
    // Translated code checks the budget on backward edges only: it may retire the `j .` too.
    expect(vm.instret).toBeGreaterThanOrEqual(3n);
    expect(vm.instret).toBeLessThanOrEqual(4n);
    expect(Array.from(vm.readMemory(RAM, 4))).toEqual([0x13, 0x05, 0x15, 0x00]);
    vm.setReg(0, 5n);
    expect(vm.getReg(0)).toBe(0n);
  });

  test('a guest that exits through the finisher', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    vm.writeMemory(RAM, code(LUI_T0_0x100, LUI_T1_5, ADDI_T1_T1_0x555, SW_T1_0_T0, J_SELF));
    vm.pc = RAM;
    const r = await vm.run({ maxInsns: 1000n });
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0, instret: 4n });
  });

  test('an endless loop stops at maxInsns', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    vm.writeMemory(RAM, code(J_SELF));
    vm.pc = RAM;
    const r = await vm.run({ maxInsns: 5000n });
    expect(r.exitReason).toBe('max-insns');
    expect(r.exitCode).toBe(124);
    expect(r.instret).toBe(5000n);
  });

  test('a guest with no trap vector is reported, not looped on', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    vm.pc = RAM; // RAM is zero: an illegal instruction, and mtvec is 0 (no RAM there)
    const r = await vm.run({ maxInsns: 1_000_000n });
    expect(r.exitReason).toBe('fatal');
    expect(r.exitCode).toBe(125);
    expect(r.message).toMatch(/instruction access fault at pc 0x0/);
    expect(r.message).toMatch(/illegal instruction at pc 0x80000000/);
  });

  test('WFI with no interrupt enabled is a deadlock report, not a hang', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    vm.writeMemory(RAM, code(WFI, J_SELF));
    vm.pc = RAM;
    const r = await vm.run({ maxInsns: 1000n });
    expect(r.exitReason).toBe('deadlock');
    expect(r.message).toMatch(/wfi/);
  });

  test('console output arrives as events', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    // li t0,0x10000000; li t1,'A'; sb t1,0(t0); then exit through the finisher
    vm.writeMemory(
      RAM,
      code(0x100002b7, 0x04100313, 0x00628023, LUI_T0_0x100, LUI_T1_5, ADDI_T1_T1_0x555, SW_T1_0_T0),
    );
    vm.pc = RAM;
    const out: number[] = [];
    vm.onOutput((b) => out.push(...b));
    const r = await vm.run({ maxInsns: 1000n });
    expect(r.exitCode).toBe(0);
    expect(String.fromCharCode(...out)).toBe('A');
  });

  test('memory access outside RAM is refused with a clear error', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, memory: 1 << 20 });
    expect(() => vm.readMemory(0x1000n, 4)).toThrow(WasmvisorError);
    expect(() => vm.writeMemory(RAM + (1n << 20n) - 2n, new Uint8Array(4))).toThrow(/outside guest RAM/);
  });
});

test('bad machine options are refused', async () => {
  await expect(createMachine({ memory: 1000 })).rejects.toThrow(/memory size/);
  await expect(createMachine({ engine: 'warp' as 'jit' })).rejects.toThrow(/unknown engine/);
  await expect(createMachine({ engine: 'jit', jitThreshold: -1 })).rejects.toThrow(/threshold/);
});
