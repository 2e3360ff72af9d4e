// PMP behaviour the test guest (test/guests/pmp.c) cannot check against QEMU 7.2, which only
// checks where a translation block starts and never checks the page walk's A/D writes, and the
// supervisor's part: the SBI boot state and per-hart PMP state.
import { describe, expect, test } from 'vitest';
import { createMachine, type Machine } from '../src/index.ts';
import { encode } from './helpers/encode.ts';

const RAM = 0x8000_0000n;
const PMPCFG0 = 0x3a0;
const PMPADDR0 = 0x3b0;
const SATP = 0x180;
const MTVEC = 0x305;
const MCAUSE = 0x342;
const MEPC = 0x341;
const MTVAL = 0x343;
const [R, W, X, TOR, NA4, NAPOT] = [1n, 2n, 4n, 0x08n, 0x10n, 0x18n];
const HANDLER = RAM + 0x8000n; // M-mode trap handler: j . (the test reads mcause and friends)

function words(...insns: { raw: number; len: 2 | 4 }[]): Uint8Array {
  const b = new Uint8Array(insns.reduce((n, i) => n + i.len, 0));
  const dv = new DataView(b.buffer);
  let at = 0;
  for (const i of insns) {
    if (i.len === 2) dv.setUint16(at, i.raw, true);
    else dv.setUint32(at, i.raw >>> 0, true);
    at += i.len;
  }
  return b;
}
const napot = (base: bigint, size: bigint) => (base >> 2n) | ((size >> 3n) - 1n);

const CONFIGS = [
  { name: 'interp', engine: 'interp' as const },
  { name: 'jit, threshold 0', engine: 'jit' as const, jitThreshold: 0 },
  { name: 'jit, threshold 2', engine: 'jit' as const, jitThreshold: 2 },
];

async function machine(config: (typeof CONFIGS)[number]): Promise<Machine> {
  const vm = await createMachine({ ...config, memory: 1 << 20 });
  await vm.jitReady();
  vm.writeMemory(HANDLER, words(encode('jal', { rd: 0, imm: 0 })));
  vm.core.fn.writeCsr(MTVEC, HANDLER);
  return vm;
}

/** Starts S-mode at `pc` (as an mret would). */
function enterS(vm: Machine, pc: bigint): void {
  vm.core.dv.setBigUint64(vm.core.layout.priv, 1n, true);
  vm.pc = pc;
}

const trap = (vm: Machine) => ({
  mcause: vm.readCsr(MCAUSE),
  mepc: vm.readCsr(MEPC),
  mtval: vm.readCsr(MTVAL),
  priv: vm.core.priv,
});

describe.each(CONFIGS)('PMP on $name', (config) => {
  test('S-mode with no PMP entry active cannot fetch (as after reset)', async () => {
    const vm = await machine(config);
    vm.writeMemory(RAM, words(encode('addi', { rd: 10, rs1: 10, imm: 1 })));
    enterS(vm, RAM);
    vm.runFor(100n);
    expect(trap(vm)).toEqual({ mcause: 1n, mepc: RAM, mtval: RAM, priv: 3 });
    expect(vm.getReg(10)).toBe(0n);
  });

  test('code runs until it leaves a partly executable page, then the next fetch faults', async () => {
    // TOR X over [RAM + 0x1000, RAM + 0x1008): a loop of two instructions, then one outside.
    const vm = await machine(config);
    const at = RAM + 0x1000n;
    vm.writeMemory(
      at,
      words(
        encode('addi', { rd: 10, rs1: 10, imm: 1 }),
        encode('blt', { rs1: 10, rs2: 17, imm: -4 }),
        encode('addi', { rd: 10, rs1: 10, imm: 100 }),
      ),
    );
    vm.core.fn.writeCsr(PMPADDR0, at >> 2n);
    vm.core.fn.writeCsr(PMPADDR0 + 1, (at + 8n) >> 2n);
    vm.core.fn.writeCsr(PMPCFG0, (TOR | X) << 8n);
    vm.setReg(17, 500n);
    enterS(vm, at);
    vm.runFor(5000n);
    expect(trap(vm)).toEqual({ mcause: 1n, mepc: at + 8n, mtval: at + 8n, priv: 3 });
    expect(vm.getReg(10)).toBe(500n);
  });

  test('a 4-byte instruction whose upper half is not executable faults there', async () => {
    const vm = await machine(config);
    const at = RAM + 0x1000n;
    vm.writeMemory(at, words(encode('c.nop'), encode('addi', { rd: 10, rs1: 10, imm: 1 })));
    vm.core.fn.writeCsr(PMPADDR0, at >> 2n);
    vm.core.fn.writeCsr(PMPCFG0, NA4 | X);
    enterS(vm, at);
    vm.runFor(100n);
    expect(trap(vm)).toEqual({ mcause: 1n, mepc: at + 2n, mtval: at + 4n, priv: 3 });
  });

  test('the page walk sets A and D only where PMP lets S-mode write', async () => {
    // Sv39, one 1 GiB leaf mapping RAM to itself with A and D clear; entry 0 covers the page
    // table (read-only, then RW), entry 1 everything else (RWX).
    const vm = await machine(config);
    const root = RAM + 0x4000n;
    const leaf = root + 2n * 8n;
    const pte = ((RAM >> 12n) << 10n) | 0x0fn; // V R W X
    const setPte = (v: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      vm.writeMemory(leaf, b);
    };
    const readPte = () => new DataView(vm.readMemory(leaf, 8).buffer).getBigUint64(0, true);
    setPte(pte);
    const at = RAM + 0x1000n;
    vm.writeMemory(at, words(encode('sd', { rs1: 11, rs2: 10, imm: 0 }), encode('jal', { rd: 0, imm: 0 })));
    vm.core.fn.writeCsr(PMPADDR0, napot(root, 0x1000n));
    vm.core.fn.writeCsr(PMPADDR0 + 1, (1n << 54n) - 1n);
    vm.core.fn.writeCsr(PMPCFG0, ((NAPOT | R | W | X) << 8n) | NAPOT | R);
    vm.core.fn.writeCsr(SATP, (8n << 60n) | (root >> 12n));
    enterS(vm, at);
    vm.runFor(100n);
    expect(trap(vm)).toEqual({ mcause: 1n, mepc: at, mtval: at, priv: 3 });
    expect(readPte()).toBe(pte);

    vm.core.fn.writeCsr(PMPCFG0, ((NAPOT | R | W | X) << 8n) | NAPOT | R | W);
    vm.setReg(10, 0x1234n);
    vm.setReg(11, RAM + 0x2000n);
    vm.core.fn.writeCsr(MCAUSE, 0n);
    enterS(vm, at);
    vm.runFor(100n);
    expect(vm.readCsr(MCAUSE)).toBe(0n);
    expect(vm.core.priv).toBe(1);
    expect(readPte()).toBe(pte | 0xc0n); // A, and D for the store
    expect(new DataView(vm.readMemory(RAM + 0x2000n, 8).buffer).getBigUint64(0, true)).toBe(0x1234n);
  });
});

describe('PMP state in the supervisor', () => {
  test('with the built-in SBI, S-mode gets all memory and PMP costs nothing', async () => {
    const vm = await createMachine({ engine: 'interp', memory: 1 << 20, sbi: 'builtin' });
    vm.bootSupervisor(RAM);
    expect(vm.readCsr(PMPCFG0)).toBe(NAPOT | R | W | X);
    expect(vm.core.dv.getBigUint64(vm.core.layout.pmpState, true)).toBe(0n);
  });

  test('each hart has its own PMP state', async () => {
    const vm = await createMachine({ engine: 'interp', memory: 1 << 20, harts: 2 });
    const state = (h: number) =>
      vm.harts.with(h, () => vm.core.dv.getBigUint64(vm.core.layout.pmpState, true));
    expect(state(1)).toBe(1n); // after reset: S and U need checks (no entry), M does not
    vm.harts.with(1, () => {
      vm.core.fn.writeCsr(PMPADDR0, RAM >> 2n);
      vm.core.fn.writeCsr(PMPCFG0, 0x80n | NA4 | R); // locked: M needs checks too
    });
    expect(state(1)).toBe(3n);
    expect(state(0)).toBe(1n);
    expect(vm.harts.with(0, () => vm.readCsr(PMPCFG0))).toBe(0n);
  });
});
