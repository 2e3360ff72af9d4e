// The built-in SBI: each extension driven directly through a fake machine, then a hand-written
// S-mode guest making real ECALLs on a machine with `sbi: 'builtin'`, through the API and the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createMachine, DTB_RESERVED_BYTES, Sbi, WasmvisorError, type SbiHost } from '../src/index.ts';
import {
  SBI_ERR_ALREADY_AVAILABLE,
  SBI_ERR_INVALID_PARAM,
  SBI_ERR_NOT_SUPPORTED,
  SBI_EXT_BASE,
  SBI_EXT_DBCN,
  SBI_EXT_HSM,
  SBI_EXT_IPI,
  SBI_EXT_RFENCE,
  SBI_EXT_SRST,
  SBI_EXT_TIME,
  SBI_IMPL_ID_WASMVISOR,
} from '../src/vmm/sbi.ts';
import { encode } from './helpers/encode.ts';
import { ENGINES } from './helpers/engines.ts';

const RAM = 0x8000_0000n;
const U64 = (1n << 64n) - 1n;
const neg = (v: bigint) => v & U64; // how a negative error code reads back from a register

/** A machine reduced to what the SBI touches: registers, CSRs, 4 KiB of RAM, a console. */
class FakeHost implements SbiHost {
  regs = new Array<bigint>(32).fill(0n);
  csrs = new Map<number, bigint>();
  ram = new Uint8Array(4096);
  out: number[] = [];
  inputQueue: number[] = [];
  raised = 0n;
  flushes = 0;
  haltedWith: number | undefined;

  getReg(i: number): bigint {
    return this.regs[i];
  }
  setReg(i: number, v: bigint): void {
    if (i !== 0) this.regs[i] = v;
  }
  readCsr(num: number): bigint {
    return this.csrs.get(num) ?? 0n;
  }
  writeCsr(num: number, v: bigint): void {
    this.csrs.set(num, v);
  }
  private inRam(addr: bigint, length: number): boolean {
    return addr >= RAM && addr + BigInt(length) <= RAM + BigInt(this.ram.length);
  }
  readMemory(addr: bigint, length: number): Uint8Array | undefined {
    if (!this.inRam(addr, length)) return undefined;
    const off = Number(addr - RAM);
    return this.ram.slice(off, off + length);
  }
  writeMemory(addr: bigint, bytes: Uint8Array): boolean {
    if (!this.inRam(addr, bytes.length)) return false;
    this.ram.set(bytes, Number(addr - RAM));
    return true;
  }
  output(byte: number): void {
    this.out.push(byte);
  }
  input(): number | undefined {
    return this.inputQueue.shift();
  }
  harts = 1;
  started = [true];
  currentHart(): number {
    return 0;
  }
  raiseInterrupt(_hart: number, mask: bigint): void {
    this.raised |= mask;
  }
  flushTranslations(): void {
    this.flushes++;
  }
  hartStarted(hart: number): boolean {
    return this.started[hart];
  }
  startHart(hart: number): void {
    this.started[hart] = true;
  }
  stopCurrentHart(): void {
    this.started[0] = false;
  }
  suspended: { addr: bigint; opaque: bigint } | 'retentive' | undefined;
  suspendCurrentHart(resume?: { addr: bigint; opaque: bigint }): void {
    this.suspended = resume ?? 'retentive';
  }
  halt(code: number): void {
    this.haltedWith ??= code;
  }
}

function setup() {
  const host = new FakeHost();
  const sbi = new Sbi(host);
  /** Makes an ECALL: a7 = eid, a6 = fid, a0.. = args; returns [a0, a1] as the guest sees them. */
  const ecall = (eid: number, fid: number, ...args: bigint[]): [bigint, bigint] => {
    host.regs.fill(0xdead_beefn, 10, 18);
    args.forEach((v, i) => (host.regs[10 + i] = v & U64));
    host.regs[16] = BigInt(fid);
    host.regs[17] = BigInt(eid);
    sbi.handleEcall();
    return [host.regs[10], host.regs[11]];
  };
  return { host, sbi, ecall };
}

describe('SBI calls', () => {
  test('base: versions, ids and probing', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_BASE, 0)).toEqual([0n, 0x0200_0000n]); // spec 2.0
    expect(ecall(SBI_EXT_BASE, 1)).toEqual([0n, SBI_IMPL_ID_WASMVISOR]);
    expect(ecall(SBI_EXT_BASE, 2)[0]).toBe(0n);
    for (const eid of [
      SBI_EXT_BASE,
      SBI_EXT_TIME,
      SBI_EXT_IPI,
      SBI_EXT_RFENCE,
      SBI_EXT_HSM,
      SBI_EXT_SRST,
      SBI_EXT_DBCN,
      1,
      2,
    ]) {
      expect(ecall(SBI_EXT_BASE, 3, BigInt(eid)), `probe 0x${eid.toString(16)}`).toEqual([0n, 1n]);
    }
    expect(ecall(SBI_EXT_BASE, 3, 0x12345n)).toEqual([0n, 0n]);
    expect(ecall(SBI_EXT_BASE, 3, 0x1_0000_0010n)).toEqual([0n, 0n]); // not an eid, even if its low bits are
    host.csrs.set(0xf11, 0n);
    expect(ecall(SBI_EXT_BASE, 4)).toEqual([0n, 0n]); // mvendorid
    expect(ecall(SBI_EXT_BASE, 5)).toEqual([0n, 0n]); // marchid
    expect(ecall(SBI_EXT_BASE, 6)).toEqual([0n, 0n]); // mimpid
    expect(ecall(SBI_EXT_BASE, 7)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED));
  });

  test('unknown extensions and functions: not supported', () => {
    const { ecall } = setup();
    expect(ecall(0x0a00_0000, 0)).toEqual([neg(SBI_ERR_NOT_SUPPORTED), 0n]);
    expect(ecall(SBI_EXT_TIME, 1)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED));
    expect(ecall(SBI_EXT_RFENCE, 3)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED)); // hypervisor fences
  });

  test('TIME and legacy set_timer write stimecmp', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_TIME, 0, 123_456n)).toEqual([0n, 0n]);
    expect(host.csrs.get(0x14d)).toBe(123_456n);
    ecall(0x00, 0, U64);
    expect(host.csrs.get(0x14d)).toBe(U64);
  });

  test('IPI to hart 0 raises SSIP; other harts do not exist', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_IPI, 0, 0n, 0n)).toEqual([0n, 0n]); // an empty mask
    expect(host.raised).toBe(0n);
    expect(ecall(SBI_EXT_IPI, 0, 1n, 0n)).toEqual([0n, 0n]);
    expect(host.raised).toBe(2n);
    host.raised = 0n;
    expect(ecall(SBI_EXT_IPI, 0, 0n, U64)).toEqual([0n, 0n]); // base -1: every hart
    expect(host.raised).toBe(2n);
    expect(ecall(SBI_EXT_IPI, 0, 2n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_IPI, 0, 1n, 1n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
  });

  test('RFENCE flushes translations when hart 0 is named', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_RFENCE, 0, 1n, 0n)).toEqual([0n, 0n]); // remote fence.i
    expect(ecall(SBI_EXT_RFENCE, 1, 0n, U64, 0n, U64)).toEqual([0n, 0n]); // sfence.vma, all
    expect(ecall(SBI_EXT_RFENCE, 2, 1n, 0n, 0x1000n, 0x1000n, 5n)).toEqual([0n, 0n]); // with asid
    expect(host.flushes).toBe(3);
    expect(ecall(SBI_EXT_RFENCE, 1, 4n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(host.flushes).toBe(3);
  });

  test('HSM: hart 0 is started, no other hart exists', () => {
    const { ecall } = setup();
    expect(ecall(SBI_EXT_HSM, 2, 0n)).toEqual([0n, 0n]); // STARTED
    expect(ecall(SBI_EXT_HSM, 2, 1n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_HSM, 0, 0n, RAM, 0n)[0]).toBe(neg(SBI_ERR_ALREADY_AVAILABLE));
    expect(ecall(SBI_EXT_HSM, 0, 1n, RAM, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
  });

  test('HSM hart_suspend: retentive, non-retentive with its resume address, bad types', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_HSM, 3, 0n)[0]).toBe(0n);
    expect(host.suspended).toBe('retentive');
    expect(ecall(SBI_EXT_HSM, 3, 0x8000_0000n, RAM + 0x40n, 7n)[0]).toBe(0n);
    expect(host.suspended).toEqual({ addr: RAM + 0x40n, opaque: 7n });
    expect(ecall(SBI_EXT_HSM, 3, 1n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM)); // reserved
    expect(ecall(SBI_EXT_HSM, 3, 0x1000_0000n)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED)); // platform's
  });

  test.each([
    { type: 0n, reason: 0n, code: 0 }, // shutdown
    { type: 1n, reason: 0n, code: 0 }, // cold reboot
    { type: 2n, reason: 0n, code: 0 }, // warm reboot
    { type: 0n, reason: 1n, code: 1 }, // shutdown after a system failure
  ])('SRST type $type reason $reason halts with $code', ({ type, reason, code }) => {
    const { host, ecall } = setup();
    ecall(SBI_EXT_SRST, 0, type, reason);
    expect(host.haltedWith).toBe(code);
  });

  test('SRST refuses reserved types and reasons', () => {
    const { host, ecall } = setup();
    expect(ecall(SBI_EXT_SRST, 0, 3n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_SRST, 0, 0n, 2n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_SRST, 0, 0xf000_0000n, 0n)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED));
    expect(host.haltedWith).toBeUndefined();
  });

  test('legacy shutdown halts with 0', () => {
    const { host, ecall } = setup();
    ecall(0x08, 0);
    expect(host.haltedWith).toBe(0);
  });

  test('DBCN writes from guest memory, reads into it, writes single bytes', () => {
    const { host, ecall } = setup();
    host.ram.set(new TextEncoder().encode('hello'), 0x100);
    expect(ecall(SBI_EXT_DBCN, 0, 5n, RAM + 0x100n, 0n)).toEqual([0n, 5n]);
    expect(ecall(SBI_EXT_DBCN, 2, 0x121n)).toEqual([0n, 0n]); // only the low byte: '!'
    expect(String.fromCharCode(...host.out)).toBe('hello!');
    // Outside RAM, or above 2^64: invalid.
    expect(ecall(SBI_EXT_DBCN, 0, 5n, RAM + 4094n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_DBCN, 0, 1n, RAM, 1n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(ecall(SBI_EXT_DBCN, 0, 1n, 0x1000n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(host.out).toHaveLength(6);

    expect(ecall(SBI_EXT_DBCN, 1, 8n, RAM + 0x200n, 0n)).toEqual([0n, 0n]); // nothing waiting
    host.inputQueue.push(0x61, 0x62, 0x63);
    expect(ecall(SBI_EXT_DBCN, 1, 2n, RAM + 0x200n, 0n)).toEqual([0n, 2n]);
    expect(Array.from(host.ram.subarray(0x200, 0x203))).toEqual([0x61, 0x62, 0]);
    expect(ecall(SBI_EXT_DBCN, 1, 2n, RAM + 0x5000n, 0n)[0]).toBe(neg(SBI_ERR_INVALID_PARAM));
    expect(host.inputQueue).toEqual([0x63]); // a refused read takes nothing
  });

  test('legacy putchar and getchar (-1 when no input), a1 untouched', () => {
    const { host, ecall } = setup();
    expect(ecall(0x01, 0, 0x41n)).toEqual([0n, 0xdead_beefn]);
    expect(host.out).toEqual([0x41]);
    expect(ecall(0x02, 0)[0]).toBe(U64);
    host.inputQueue.push(0x7a);
    expect(ecall(0x02, 0)[0]).toBe(0x7an);
    expect(ecall(0x04, 0)[0]).toBe(neg(SBI_ERR_NOT_SUPPORTED)); // legacy send_ipi: use IPI
  });
});

// --- a real guest ---

const A0 = 10,
  A1 = 11,
  A2 = 12,
  A6 = 16,
  A7 = 17;

/** A small assembler: instructions by table name, plus li for 32-bit constants. */
class Asm {
  words: number[] = [];
  op(name: string, ops: Parameters<typeof encode>[1] = {}): this {
    const { raw, len } = encode(name, ops);
    if (len !== 4) throw new Error('4-byte instructions only');
    this.words.push(raw);
    return this;
  }
  li(rd: number, value: number): this {
    if (value >= -2048 && value < 2048) return this.op('addi', { rd, rs1: 0, imm: value });
    const lo = ((value & 0xfff) ^ 0x800) - 0x800; // sign-extended low 12 bits
    const hi = (value - lo) | 0; // what lui loads, as a signed 32-bit value
    this.op('lui', { rd, imm: hi });
    return lo ? this.op('addiw', { rd, rs1: rd, imm: lo }) : this;
  }
  ecall(eid: number, fid: number, ...args: number[]): this {
    args.forEach((v, i) => this.li(A0 + i, v));
    return this.li(A6, fid).li(A7, eid).op('ecall');
  }
  get pc(): number {
    return this.words.length * 4;
  }
  bytes(): Uint8Array {
    const b = new Uint8Array(this.words.length * 4);
    const dv = new DataView(b.buffer);
    this.words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    return b;
  }
}

const MESSAGE = 'S-mode says hi\n';
const MESSAGE_AT = 0x400; // offset of the message from the guest's start

/**
 * An S-mode guest: 'O' 'K' '\n' through DBCN write_byte, the message through DBCN console_write
 * (its address made pc-relative: lui would sign-extend 0x8000_0000), a legacy putchar, then SRST.
 */
function guest(resetReason: number): Uint8Array {
  const a = new Asm();
  for (const c of 'OK\n') a.ecall(SBI_EXT_DBCN, 2, c.charCodeAt(0));
  const auipcAt = a.pc;
  a.op('auipc', { rd: A1, imm: 0 });
  a.op('addi', { rd: A1, rs1: A1, imm: MESSAGE_AT - auipcAt });
  a.li(A0, MESSAGE.length).li(A2, 0).li(A6, 0).li(A7, SBI_EXT_DBCN).op('ecall');
  a.ecall(0x01, 0, '.'.charCodeAt(0));
  a.ecall(SBI_EXT_SRST, 0, 0, resetReason);
  a.op('jal', { rd: 0, imm: 0 }); // not reached
  const image = new Uint8Array(MESSAGE_AT + MESSAGE.length);
  image.set(a.bytes());
  image.set(new TextEncoder().encode(MESSAGE), MESSAGE_AT);
  return image;
}

/** A minimal ELF64 executable: one loadable segment at RAM, entry at its start. */
function elf(image: Uint8Array): Uint8Array {
  const b = new Uint8Array(64 + 56 + image.length);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // ELF, 64-bit, little-endian, version 1
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, RAM, true); // entry
  dv.setBigUint64(32, 64n, true); // phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 1, true);
  dv.setUint16(58, 64, true);
  dv.setUint32(64, 1, true); // PT_LOAD
  dv.setUint32(68, 7, true); // RWX
  dv.setBigUint64(72, 120n, true); // offset
  dv.setBigUint64(80, RAM, true); // vaddr
  dv.setBigUint64(88, RAM, true); // paddr
  dv.setBigUint64(96, BigInt(image.length), true);
  dv.setBigUint64(104, BigInt(image.length), true);
  dv.setBigUint64(112, 8n, true);
  b.set(image, 120);
  return b;
}

/**
 * Two harts: hart 0 starts hart 1 (HSM hart_start with an opaque value), waits until it has
 * stopped itself (hart_get_status), prints 'B' and shuts down; hart 1 prints its a0 ('1') and,
 * if a1 holds the opaque value, 'A', then stops.
 */
function twoHartGuest(): Uint8Array {
  const SECOND = 0x200;
  const T0 = 5;
  const T1 = 6;
  const a = new Asm();
  const auipcAt = a.pc;
  a.op('auipc', { rd: A1, imm: 0 });
  a.op('addi', { rd: A1, rs1: A1, imm: SECOND - auipcAt });
  a.li(A0, 1).li(A2, 0x123).li(A6, 0).li(A7, SBI_EXT_HSM).op('ecall');
  const loop = a.pc;
  a.li(A0, 1).li(A6, 2).li(A7, SBI_EXT_HSM).op('ecall'); // a1 = hart 1's status
  a.li(T0, 1); // STOPPED
  a.op('bne', { rs1: A1, rs2: T0, imm: loop - a.pc });
  a.ecall(SBI_EXT_DBCN, 2, 'B'.charCodeAt(0));
  a.ecall(SBI_EXT_SRST, 0, 0, 0);
  while (a.pc < SECOND) a.op('jal', { rd: 0, imm: 0 });
  a.op('addi', { rd: T1, rs1: A1, imm: 0 }); // keep the opaque value: SBI calls return in a1
  a.op('addi', { rd: A0, rs1: A0, imm: 48 });
  a.li(A6, 2).li(A7, SBI_EXT_DBCN).op('ecall'); // '0' + hart id
  a.li(T0, 0x123);
  a.op('bne', { rs1: T1, rs2: T0, imm: 4 + 5 * 4 }); // skip the 5 instructions printing 'A'
  a.ecall(SBI_EXT_DBCN, 2, 'A'.charCodeAt(0));
  a.li(A6, 1).li(A7, SBI_EXT_HSM).op('ecall'); // hart_stop
  a.op('jal', { rd: 0, imm: 0 });
  return a.bytes();
}

describe('two harts on sbi builtin', () => {
  test('HSM starts the second hart with its id and opaque value; it stops itself', async () => {
    const vm = await createMachine({ engine: 'interp', sbi: 'builtin', memory: 1 << 20, harts: 2 });
    let out = '';
    vm.onOutput((bytes) => (out += new TextDecoder().decode(bytes)));
    vm.writeMemory(RAM, twoHartGuest());
    vm.bootSupervisor(RAM);
    // Harts take turns by slices: hart 0 polls through a whole slice before hart 1 runs.
    const r = await vm.run({ maxInsns: 5_000_000n });
    expect(out).toBe('1AB');
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
  });
});

describe('an S-mode guest on sbi builtin', () => {
  // Waits on the core: needs S-mode and ECALL exits from S-mode (commit 01f1fad has both).
  test('console through DBCN and legacy putchar, then SRST shutdown', async () => {
    const vm = await createMachine({ engine: 'interp', sbi: 'builtin', memory: 1 << 20 });
    let out = '';
    vm.onOutput((bytes) => (out += new TextDecoder().decode(bytes)));
    vm.writeMemory(RAM, guest(0));
    const dtb = vm.bootSupervisor(RAM);
    expect(dtb).toBe(RAM + BigInt((1 << 20) - DTB_RESERVED_BYTES));
    expect(vm.core.priv).toBe(1);
    expect(vm.getReg(A0)).toBe(0n);
    expect(vm.getReg(A1)).toBe(dtb);
    expect(Array.from(vm.readMemory(dtb, 4))).toEqual([0xd0, 0x0d, 0xfe, 0xed]);
    const r = await vm.run({ maxInsns: 10_000n });
    expect(out).toBe(`OK\n${MESSAGE}.`);
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
    expect(vm.sbi?.calls).toMatchObject({ '0x4442434e': 4, '0x1': 1, '0x53525354': 1 });
  });

  test('loadElf boots the ELF in S-mode; a system failure exits 1', async () => {
    const vm = await createMachine({ engine: 'interp', sbi: 'builtin', memory: 1 << 20, bootargs: 'quiet' });
    let out = '';
    vm.onOutput((bytes) => (out += new TextDecoder().decode(bytes)));
    vm.loadElf(elf(guest(1)), 'kernel.elf');
    expect(vm.core.priv).toBe(1);
    expect(vm.getReg(A1)).toBe(vm.dtbAddress());
    const r = await vm.run({ maxInsns: 10_000n });
    expect(out).toBe(`OK\n${MESSAGE}.`);
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 1 });
  });

  test('without sbi the same ECALL traps to M-mode as before', async () => {
    const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
    vm.loadElf(elf(guest(0)), 'kernel.elf');
    expect(vm.core.priv).toBe(3);
    const r = await vm.run({ maxInsns: 10_000n });
    expect(r.exitReason).toBe('fatal'); // mtvec is 0: no handler
    expect(r.message).toMatch(/ecall|environment call/i);
  });

  test("a kernel's unhandled trap is reported with the S-mode CSRs", async () => {
    const vm = await createMachine({ engine: 'interp', sbi: 'builtin', memory: 1 << 20 });
    vm.writeMemory(RAM, new Asm().op('csrrs', { rd: 5, rs1: 0, imm: 0xf14 }).bytes()); // csrr t0, mhartid
    vm.bootSupervisor(RAM);
    const r = await vm.run({ maxInsns: 100n });
    expect(r.exitReason).toBe('fatal');
    expect(r.message).toMatch(/with stvec 0x0; the trap before it: illegal instruction at pc 0x80000000/);
  });

  test('bad options are one-line errors', async () => {
    await expect(createMachine({ sbi: 'opensbi' as 'builtin' })).rejects.toThrow(/unknown sbi 'opensbi'/);
    // (bootargs alone are fine: firmware loaded with loadFirmware gets them in its device tree)
    const vm = await createMachine({ memory: 1 << 20 });
    expect(() => vm.bootSupervisor(RAM)).toThrow(WasmvisorError);
    const big = await createMachine({ sbi: 'builtin', memory: 1 << 20 });
    // A segment reaching into the device tree's 64 KiB is refused, naming the file.
    const huge = new Uint8Array((1 << 20) - DTB_RESERVED_BYTES + 8);
    expect(() => big.loadElf(elf(huge), 'huge.elf')).toThrow(/huge.elf: .*device tree/);
  });
});

// Every engine (DESIGN principle 9): translated code makes the same SBI exits.
describe.each(ENGINES)('an SBI guest on $name', ({ engine, jitThreshold, deterministic }) => {
  test('prints through the SBI and shuts down', async () => {
    const vm = await createMachine({ engine, jitThreshold, deterministic, sbi: 'builtin', memory: 1 << 20 });
    let out = '';
    vm.onOutput((bytes) => (out += new TextDecoder().decode(bytes)));
    vm.loadElf(elf(guest(0)), 'kernel.elf');
    const r = await vm.run({ maxInsns: 10_000n });
    expect(out).toBe(`OK\n${MESSAGE}.`);
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
  });
});

describe('wasmvisor run --sbi', () => {
  const root = new URL('..', import.meta.url).pathname;
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-sbi-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), 'run', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('--sbi builtin runs an S-mode kernel', () => {
    const file = join(tmp, 'kernel.elf');
    writeFileSync(file, elf(guest(0)));
    const r = cli(file, '--sbi', 'builtin', '--bootargs', 'console=ttyS0');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`OK\n${MESSAGE}.`);
    expect(r.code).toBe(0);
  });

  test('a bad --sbi or a --bootargs without it is a one-line usage error', () => {
    for (const args of [
      ['--sbi', 'opensbi'],
      ['--bootargs', 'x'],
    ]) {
      const r = cli(join(tmp, 'kernel.elf'), ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^wasmvisor: .*(--sbi 'opensbi'|--bootargs needs --sbi builtin)/);
    }
  });
});
