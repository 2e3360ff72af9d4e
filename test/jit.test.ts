// Translator-specific behaviour (the shared guest suites already run on the jit configurations).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createMachine, type Machine } from '../src/index.ts';
import { encode, type Operands } from './helpers/encode.ts';

const RAM = 0x8000_0000n;
const ADDI_A0_A0 = (imm: number) => ((imm & 0xfff) << 20) | (10 << 15) | (10 << 7) | 0x13;
const J_BACK_4 = 0xffdff06f; // jal zero,-4

/** The address of the core's hot counter for block entries at `pc`. */
function hotCounter(layout: import('../src/core/core.ts').Layout, pc: bigint): number {
  return layout.hotCounters + (Number((pc >> 1n) & BigInt(layout.hotEntries - 1)) << 2);
}

function code(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
}

/** S-mode, PMP open to all memory, and (given a root table) Sv39 through `root`. */
function enterSv39(vm: Machine, root: bigint | undefined): void {
  if (root !== undefined) vm.core.fn.writeCsr(0x180, (8n << 60n) | (root >> 12n)); // satp: Sv39
  vm.core.fn.writeCsr(0x3b0, (1n << 54n) - 1n); // pmpaddr0 and pmpcfg0: S-mode may reach all memory
  vm.core.fn.writeCsr(0x3a0, 0x1fn);
  vm.core.dv.setBigUint64(vm.core.layout.priv, 1n, true); // S-mode
}

test('a loop is translated, runs within its budget, and a host write to it invalidates it: the new code is translated in its turn', async () => {
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 1 << 20 });
  await vm.jitReady();
  vm.writeMemory(RAM, code(ADDI_A0_A0(1), J_BACK_4));
  vm.pc = RAM;
  let r = vm.runFor(10_000n);
  expect(r.exitReason).toBe('budget');
  const first = vm.instret;
  // Budget checks sit on backward edges, so the loop stops within an iteration of the budget.
  expect(first).toBeGreaterThanOrEqual(10_000n);
  expect(first).toBeLessThan(10_004n);
  expect(vm.getReg(10)).toBe(first / 2n);
  const stats = vm.jitStats()!;
  expect(stats.regions).toBeGreaterThanOrEqual(1);
  expect(stats.guestInsns).toBeGreaterThanOrEqual(2);

  vm.writeMemory(RAM, code(ADDI_A0_A0(2)));
  expect(vm.jitStats()!.invalidations).toBeGreaterThan(stats.invalidations);
  vm.setReg(10, 0n);
  vm.pc = RAM;
  r = vm.runFor(10_000n);
  const ran = vm.instret - first;
  expect(vm.getReg(10)).toBe((ran / 2n) * 2n); // the new code adds 2 per iteration
  // The rewritten loop is translated in its turn, and runs translated.
  const after = vm.jitStats()!;
  expect(after.regions).toBeGreaterThan(stats.regions);
  expect(after.translatedInsns - stats.translatedInsns).toBeGreaterThan(9_000);
});

test('loads and stores off the fast path leave the region for the interpreter to run them, then translated code goes on', async () => {
  const ram = 1 << 20;
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: ram });
  await vm.jitReady();
  const w = (name: string, ops: Operands) => encode(name, ops).raw;
  const last = RAM + BigInt(ram - 4); // the last word of RAM: past the fast path's bound
  const nearCode = RAM + 0x800n; // the code's page, 2 KiB away from the code: a page flag, no code line
  vm.writeMemory(last, new Uint8Array([3, 0, 0, 0]));
  // loop: a0 -= 1; a1 = *last; a2 += a1; *nearCode = a2; if (a0 != 0) goto loop; then spin
  vm.writeMemory(
    RAM,
    code(
      w('addi', { rd: 10, rs1: 10, imm: -1 }),
      w('lw', { rd: 11, rs1: 5, imm: 0 }),
      w('add', { rd: 12, rs1: 12, rs2: 11 }),
      w('sw', { rs1: 6, rs2: 12, imm: 0 }),
      w('bne', { rs1: 10, rs2: 0, imm: -16 }),
      w('jal', { rd: 0, imm: 0 }),
    ),
  );
  vm.setReg(5, last);
  vm.setReg(6, nearCode);
  vm.setReg(10, 1000n);
  vm.pc = RAM;
  const r = vm.runFor(5000n + 100n);
  expect(r.message).toBeUndefined();
  expect(r.exitReason).toBe('budget');
  expect(vm.pc).toBe(RAM + 20n); // spinning past the loop
  expect(vm.getReg(12)).toBe(3000n);
  expect(new DataView(vm.readMemory(nearCode, 4).buffer).getUint32(0, true)).toBe(3000);
  const stats = vm.jitStats()!;
  // Each lw left the region (the interpreter ran it, and the rest of the iteration); the addi
  // before it ran translated every time.
  expect(stats.translatedInsns).toBeGreaterThanOrEqual(1000);
  expect(stats.returned).toBeGreaterThanOrEqual(1000);
});

test('--stats reports translator figures and exits by reason on the jit', () => {
  const root = new URL('..', import.meta.url).pathname;
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin/wasmvisor.js'),
      'run',
      join(root, 'test/guests/hello.elf'),
      '--engine',
      'jit',
      '--jit-threshold',
      '0',
      '--stats',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(r.status).toBe(0);
  const stats = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
  expect(stats.engine).toBe('jit');
  expect(stats.jit.regions).toBeGreaterThan(0);
  expect(stats.jit.guestInsns).toBeGreaterThan(stats.jit.fallbackInsns);
  expect(stats.exits.hot).toBeGreaterThan(0);
  expect(stats.exits.mmio).toBeGreaterThan(0);
});

test('a bad --jit-threshold is refused', () => {
  const root = new URL('..', import.meta.url).pathname;
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin/wasmvisor.js'), 'run', join(root, 'test/guests/hello.elf'), '--jit-threshold', 'soon'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^wasmvisor: invalid --jit-threshold 'soon'/);
});

test('region entry loads no register its entry block sets before reading it, and runs right', async () => {
  const { buildRegion } = await import('../src/jit/codegen.ts');
  const { discoverRegion } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 1 << 20 });
  await vm.jitReady();
  const w = (name: string, ops: Operands) => encode(name, ops).raw;
  // a4 = a0 + 1 (a4 set first); a5 = a4 + a5 (a5 read first); sd a5,0(a1); then spin
  vm.writeMemory(
    RAM,
    code(
      w('addi', { rd: 14, rs1: 10, imm: 1 }),
      w('add', { rd: 15, rs1: 14, rs2: 15 }),
      w('sd', { rs1: 11, rs2: 15, imm: 0 }),
      w('jal', { rd: 0, imm: 0 }),
    ),
  );
  const text = buildRegion(discoverRegion(vm.core, RAM), vm.core.layout, vm.ramSize).module.emitText();
  const regs = vm.core.layout.regs;
  const loads = (r: number) => text.includes(`(i64.load\n    (i32.const ${regs + r * 8})`);
  expect(loads(14)).toBe(false); // a4
  expect(loads(15)).toBe(true); // a5
  expect(loads(10)).toBe(true); // a0
  vm.setReg(10, 41n);
  vm.setReg(14, 7n);
  vm.setReg(15, 100n);
  vm.setReg(11, RAM + 0x1000n);
  vm.pc = RAM;
  vm.runFor(100n);
  expect(vm.getReg(14)).toBe(42n);
  expect(vm.getReg(15)).toBe(142n);
  expect(new DataView(vm.readMemory(RAM + 0x1000n, 8).buffer).getBigUint64(0, true)).toBe(142n);
  expect(vm.jitStats()!.translatedInsns).toBeGreaterThan(0);
});

test('a branch whose target is its fallthrough is structured by the Relooper, not the dispatch loop', async () => {
  const { buildRegion } = await import('../src/jit/codegen.ts');
  const { discoverRegion } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  // beq a0,a1,1f; 1: addi a0,a0,1; bne a0,a2,1b; ret — both ways of the beq lead to the loop
  const words = [
    encode('beq', { rs1: 10, rs2: 11, imm: 4 }),
    encode('addi', { rd: 10, rs1: 10, imm: 1 }),
    encode('bne', { rs1: 10, rs2: 12, imm: -4 }),
    encode('jalr', { rd: 0, rs1: 1, imm: 0 }),
  ].map((e) => e.raw);
  vm.writeMemory(RAM, code(...words));
  const built = buildRegion(discoverRegion(vm.core, RAM), vm.core.layout, vm.ramSize);
  expect(built.module.validate()).toBeTruthy();
  built.module.dispose();
  expect(built.structure).toBe('relooper');
});

test('a loop entered twice (a call in it returns into its middle) is structured with exits by tail call, and runs right', async () => {
  const { buildRegion } = await import('../src/jit/codegen.ts');
  const { discoverRegion } = await import('../src/jit/region.ts');
  // 0: jal f; 4: addi a0,a0,1; 8: bne a0,a1,0b; 12: jr t0 (t0 = 12: parks here); 16: nop;
  // 20: f: addi a2,a2,1; 24: ret — the return address 4 is a second entry into the loop.
  const words = [
    encode('jal', { rd: 1, imm: 20 }),
    encode('addi', { rd: 10, rs1: 10, imm: 1 }),
    encode('bne', { rs1: 10, rs2: 11, imm: -8 }),
    encode('jalr', { rd: 0, rs1: 5, imm: 0 }),
    encode('addi', { rd: 0, rs1: 0, imm: 0 }),
    encode('addi', { rd: 12, rs1: 12, imm: 1 }),
    encode('jalr', { rd: 0, rs1: 1, imm: 0 }),
  ].map((e) => e.raw);
  const probe = await createMachine({ engine: 'interp', memory: 1 << 20 });
  probe.writeMemory(RAM, code(...words));
  const built = buildRegion(discoverRegion(probe.core, RAM), probe.core.layout, probe.ramSize);
  expect(built.module.validate()).toBeTruthy();
  built.module.dispose();
  expect(built.entries.length).toBe(2);
  expect(built.structure).toBe('relooper, exits by call');

  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 1 << 20 });
  await vm.jitReady();
  vm.writeMemory(RAM, code(...words));
  vm.setReg(11, 1000n);
  vm.setReg(5, RAM + 12n);
  vm.pc = RAM;
  vm.runFor(20_000n);
  expect(vm.getReg(10)).toBe(1000n);
  expect(vm.getReg(12)).toBe(1000n);
  expect(vm.pc).toBe(RAM + 12n);
});

test('a recursive call from inside its function leaves a region entered elsewhere; other calls are followed', async () => {
  const { discoverRegion } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  // 0: f: addi a0,a0,-1; 4: beq a0,zero,20; 8: loop: addi a1,a1,1; 12: jal f; 16: bne a1,a2,8;
  // 20: ret; 24: g: addi a3,a3,1; 28: ret; 32: loop2: jal g; 36: bne a1,a2,32
  const words = [
    encode('addi', { rd: 10, rs1: 10, imm: -1 }),
    encode('beq', { rs1: 10, rs2: 0, imm: 16 }),
    encode('addi', { rd: 11, rs1: 11, imm: 1 }),
    encode('jal', { rd: 1, imm: -12 }),
    encode('bne', { rs1: 11, rs2: 12, imm: -8 }),
    encode('jalr', { rd: 0, rs1: 1, imm: 0 }),
    encode('addi', { rd: 13, rs1: 13, imm: 1 }),
    encode('jalr', { rd: 0, rs1: 1, imm: 0 }),
    encode('jal', { rd: 1, imm: -8 }),
    encode('bne', { rs1: 11, rs2: 12, imm: -4 }),
  ].map((e) => e.raw);
  vm.writeMemory(RAM, code(...words));
  const starts = (pc: bigint) => discoverRegion(vm.core, pc).blocks.map((b) => Number(b.start - RAM));
  // Entered at the loop, the call back to f's start would be a second way into the loop.
  expect(starts(RAM + 8n)).toEqual([8, 16, 20]);
  expect(discoverRegion(vm.core, RAM + 8n).returnTargets).toEqual([RAM + 16n]);
  // Entered at f's start, the recursion is a loop to the entry.
  expect(starts(RAM)).toEqual([0, 8, 16, 20]);
  // g does not lead back to its call: it joins the region (40: the zeros after the loop).
  expect(starts(RAM + 32n)).toEqual([24, 32, 36, 40]);
});

test('regions compiled together share one module, each under its own export', async () => {
  const { compileRegions } = await import('../src/jit/codegen.ts');
  const { discoverRegion, regionExport } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  // Two separate loops: 0: addi a0,a0,1; j 0b   and   64: addi a0,a0,2; j 64b
  vm.writeMemory(RAM, code(ADDI_A0_A0(1), J_BACK_4));
  vm.writeMemory(RAM + 64n, code(ADDI_A0_A0(2), J_BACK_4));
  const regions = [discoverRegion(vm.core, RAM), discoverRegion(vm.core, RAM + 64n)];
  const batch = compileRegions(regions, vm.core.layout, vm.ramSize);
  expect(batch.regions.map((r) => r.entries[0].pc)).toEqual([RAM, RAM + 64n]);
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(batch.bytes as BufferSource));
  expect(exports.map((e) => e.name).sort()).toEqual([regionExport(0), regionExport(1)]);
});

test('code running with Sv39 paging on is translated, its loads and stores going through the TLB', async () => {
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 1 << 20 });
  await vm.jitReady();
  // One 1 GiB superpage maps 0x8000_0000 to itself for S-mode (V R W X A D).
  const root = RAM + 0x8_0000n;
  const pte = ((RAM >> 12n) << 10n) | 0xcfn;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, pte, true);
  vm.writeMemory(root + 2n * 8n, bytes);
  // 1: sd a0,0(a1); ld a2,0(a1); addi a0,a0,1; addi a1,a1,8; bne a0,a3,1b; 2: jr t0 (t0 = 2b)
  const words = [
    encode('sd', { rs1: 11, rs2: 10, imm: 0 }),
    encode('ld', { rd: 12, rs1: 11, imm: 0 }),
    encode('addi', { rd: 10, rs1: 10, imm: 1 }),
    encode('addi', { rd: 11, rs1: 11, imm: 8 }),
    encode('bne', { rs1: 10, rs2: 13, imm: -16 }),
    encode('jalr', { rd: 0, rs1: 5, imm: 0 }),
  ].map((e) => e.raw);
  vm.writeMemory(RAM, code(...words));
  vm.setReg(11, RAM + 0x4_0000n);
  vm.setReg(13, 1000n);
  vm.setReg(5, RAM + 20n);
  enterSv39(vm, root);
  vm.pc = RAM;
  vm.runFor(20_000n);
  expect(vm.getReg(10)).toBe(1000n);
  expect(vm.getReg(12)).toBe(999n);
  expect(vm.pc).toBe(RAM + 20n);
  const last = new DataView(vm.readMemory(RAM + 0x4_0000n + 999n * 8n, 8).buffer).getBigUint64(0, true);
  expect(last).toBe(999n);
  const stats = vm.jitStats()!;
  expect(stats.regions).toBeGreaterThan(0);
  expect(stats.jumpCacheHits).toBeGreaterThan(0);
  // Flagging the code page for the translator must not retire its own translations: the loop
  // runs translated, the interpreter seeing only a handful of block entries.
  expect(stats.jumpCacheMisses).toBeLessThan(20);
  // Misaligned accesses (some across a page boundary) miss the TLB's test in translated code and
  // go through the interpreter, with the same results.
  const base = RAM + 0x5_0000n + 3n;
  vm.setReg(10, 0n);
  vm.setReg(11, base);
  vm.pc = RAM;
  vm.runFor(20_000n);
  expect(vm.getReg(10)).toBe(1000n);
  expect(vm.getReg(12)).toBe(999n);
  for (const k of [0n, 511n, 999n]) {
    const at = new DataView(vm.readMemory(base + k * 8n, 8).buffer).getBigUint64(0, true);
    expect(at).toBe(k);
  }
  // The hardware set A and D (they were already set) and the walk found the page: a load through
  // an unmapped address still faults precisely. (mtvec 0: the trap is fatal and reported.)
  vm.setReg(11, 0x1000n);
  vm.pc = RAM;
  const r = vm.runFor(100n);
  expect(r.exitReason).toBe('fatal');
  expect(vm.readCsr(0x342)).toBe(15n); // mcause: store page fault
  expect(vm.readCsr(0x343)).toBe(0x1000n); // mtval: the address
});

// The page tables and data pages of the two tests below: virtual page 0 is mapped through l1d and
// l0; p1 and p2 hold 1 and 100.
const PAGED = {
  root: RAM + 0x8_0000n,
  l1: RAM + 0x9_0000n,
  l1d: RAM + 0x9_1000n,
  l0: RAM + 0xa_0000n,
  p1: RAM + 0xb_0000n,
  p2: RAM + 0xc_0000n,
};
const DATA = 0xc7n; // V R W A D
const pte = (pa: bigint, flags: bigint) => ((pa >> 12n) << 10n) | flags;

/** A jit machine (threshold 0) with PAGED's tables: virtual page 0 maps `page0`. */
async function pagedFixture(page0: bigint) {
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 4 << 20 });
  await vm.jitReady();
  const put = (at: bigint, v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    vm.writeMemory(at, b);
  };
  const get = (at: bigint) => new DataView(vm.readMemory(at, 8).buffer).getBigUint64(0, true);
  const { root, l1d, l0, p1, p2 } = PAGED;
  put(root, pte(l1d, 0x1n));
  put(l1d, pte(l0, 0x1n));
  put(l0, pte(page0, DATA));
  put(p1, 1n);
  put(p2, 100n);
  return { vm, put, get };
}

/**
 * After 1000 translated iterations that loaded from `even`'s page and `odd`'s in turn (1 and 100,
 * in either order) into a sum (a4) and stored the iteration (a0) 8 bytes on.
 */
function expectAlternated(vm: Machine, get: (at: bigint) => bigint, even: bigint, odd: bigint): void {
  expect(vm.getReg(14)).toBe(500n * 1n + 500n * 100n);
  expect(get(even + 8n)).toBe(998n);
  expect(get(odd + 8n)).toBe(999n);
  expect(vm.jitStats()!.translatedInsns).toBeGreaterThan(5000);
}

test('translated code looking up a remapped virtual page 0 finds the page mapped now', async () => {
  // Translated code remembers, for each load and store, the page it last found, in locals that
  // start each run of the region empty. The loop's data page is virtual page 0 (which a zeroed
  // local would match) and alternates between two physical pages; the region ends at each
  // SFENCE.VMA and is entered again.
  const { root, l1, l0, p1, p2 } = PAGED;
  const { vm, put, get } = await pagedFixture(p1);
  put(root + 2n * 8n, pte(l1, 0x1n)); // 0x8000_0000..: a 2 MiB superpage, identity (V R W X A D)
  put(l1, pte(RAM, 0xcfn));
  const [pte1, pte2] = [pte(p1, DATA), pte(p2, DATA)];
  // 1: ld a2,0(a1); add a4,a4,a2; sd a0,8(a1); sd a5,0(a6); xor a5,a5,a7; sfence.vma
  //    addi a0,a0,1; bne a0,a3,1b; 2: jr t0 (t0 = 2b)
  const words = [
    encode('ld', { rd: 12, rs1: 11, imm: 0 }),
    encode('add', { rd: 14, rs1: 14, rs2: 12 }),
    encode('sd', { rs1: 11, rs2: 10, imm: 8 }),
    encode('sd', { rs1: 16, rs2: 15, imm: 0 }),
    encode('xor', { rd: 15, rs1: 15, rs2: 17 }),
    encode('sfence.vma', { rs1: 0, rs2: 0 }),
    encode('addi', { rd: 10, rs1: 10, imm: 1 }),
    encode('bne', { rs1: 10, rs2: 13, imm: -28 }),
    encode('jalr', { rd: 0, rs1: 5, imm: 0 }),
  ].map((e) => e.raw);
  vm.writeMemory(RAM, code(...words));
  vm.setReg(11, 0n);
  vm.setReg(13, 1000n);
  vm.setReg(15, pte2);
  vm.setReg(16, l0);
  vm.setReg(17, pte1 ^ pte2);
  vm.setReg(5, RAM + 32n);
  enterSv39(vm, root);
  vm.pc = RAM;
  vm.runFor(20_000n);
  expect(vm.pc).toBe(RAM + 32n);
  expectAlternated(vm, get, p1, p2);
});

test.each([
  ['identity-mapped', RAM],
  ['mapped elsewhere', 0x4000_0000n],
])(
  'a translated load and store alternating between a page mapped like their code and one mapped otherwise (code %s) reach both pages',
  async (_, codeVa) => {
    // Translated code adds a constant to addresses in pages whose VA-to-PA offset is its own code
    // page's, and a cached addend to others (Ctx.codeAddend). Here one load and one store walk both
    // kinds in turn within one run of the region: VA codeVa + 0xb_0000 (p1, through the code's
    // 1 GiB superpage) and VA 0 (p2).
    const { root, p1, p2 } = PAGED;
    const { vm, put, get } = await pagedFixture(p2);
    put(root + (codeVa >> 30n) * 8n, pte(RAM, 0xcfn)); // codeVa..: RAM (V R W X A D)
    // 1: ld a2,0(a1); add a4,a4,a2; sd a0,8(a1); xor a1,a1,a7; addi a0,a0,1; bne a0,a3,1b
    //    2: jr t0 (t0 = 2b)
    const words = [
      encode('ld', { rd: 12, rs1: 11, imm: 0 }),
      encode('add', { rd: 14, rs1: 14, rs2: 12 }),
      encode('sd', { rs1: 11, rs2: 10, imm: 8 }),
      encode('xor', { rd: 11, rs1: 11, rs2: 17 }),
      encode('addi', { rd: 10, rs1: 10, imm: 1 }),
      encode('bne', { rs1: 10, rs2: 13, imm: -20 }),
      encode('jalr', { rd: 0, rs1: 5, imm: 0 }),
    ].map((e) => e.raw);
    vm.writeMemory(RAM, code(...words));
    const linearVa = codeVa + (p1 - RAM);
    vm.setReg(11, 0n);
    vm.setReg(13, 1000n);
    vm.setReg(17, linearVa);
    vm.setReg(5, codeVa + 24n);
    enterSv39(vm, root);
    vm.pc = codeVa;
    vm.runFor(20_000n);
    expect(vm.pc).toBe(codeVa + 24n);
    expectAlternated(vm, get, p2, p1);
  },
);

test('every hart has a jump-cache generation of its own (translations of one never run on another)', async () => {
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20, harts: 3 });
  const gen = () => vm.core.dv.getBigUint64(vm.core.layout.jcContext + 8, true);
  const gens = [0, 1, 2].map((h) => vm.harts.with(h, gen));
  expect(new Set(gens).size).toBe(3);
});

test('after a TLB flush a paged block entry finds its translation again through the region index', async () => {
  const vm = await createMachine({ engine: 'jit', jitThreshold: 0, memory: 1 << 20 });
  await vm.jitReady();
  const root = RAM + 0x8_0000n; // one 1 GiB superpage mapping 0x8000_0000 to itself (V R W X A D)
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, ((RAM >> 12n) << 10n) | 0xcfn, true);
  vm.writeMemory(root + 2n * 8n, bytes);
  // 1: addi a0,a0,1; bne a0,a3,1b; 2: jr t0 (t0 = 2b)
  const words = [
    encode('addi', { rd: 10, rs1: 10, imm: 1 }),
    encode('bne', { rs1: 10, rs2: 13, imm: -4 }),
    encode('jalr', { rd: 0, rs1: 5, imm: 0 }),
  ].map((e) => e.raw);
  vm.writeMemory(RAM, code(...words));
  const satp = (8n << 60n) | (root >> 12n);
  enterSv39(vm, undefined); // satp is written before each run below
  const loop = () => {
    vm.core.fn.writeCsr(0x180, satp); // every satp write starts a new jump-cache generation
    vm.setReg(10, 0n);
    vm.setReg(13, 5000n);
    vm.setReg(5, RAM + 8n);
    vm.pc = RAM;
    vm.runFor(20_000n);
    expect(vm.getReg(10)).toBe(5000n);
  };
  loop();
  const first = vm.jitStats()!;
  expect(first.translatedInsns).toBeGreaterThan(9000);
  // The loop's entry was reported hot once and is not again: after the flush only the region
  // index can bring its translation back.
  const hotExits = vm.exits.hot ?? 0;
  loop();
  const second = vm.jitStats()!;
  expect(vm.exits.hot ?? 0).toBe(hotExits);
  expect(second.regions).toBe(first.regions);
  expect(second.translatedInsns - first.translatedInsns).toBeGreaterThan(9000);
});

test('hot entries beyond what the worker keeps up with are dropped, oldest first, and raise the threshold until it catches up', async () => {
  const { Translator } = await import('../src/jit/translator.ts');
  const { MAX_QUEUED_HOT, MAX_THRESHOLD_SCALE, JOBS_IN_FLIGHT } = await import('../src/jit/tuning.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  const { dv, layout } = vm.core;
  vm.writeMemory(RAM, code(...Array<number>(1024).fill(ADDI_A0_A0(1))));
  dv.setUint32(layout.hotThreshold, 64, true);
  const jobs: (() => void)[] = [];
  const worker = {
    submit: (_r: unknown, _l: unknown, _n: number, done: (b: undefined) => void) =>
      jobs.push(() => done(undefined)),
  };
  const t = new Translator(vm.core, 1 << 20, undefined, worker);
  const threshold = () => dv.getUint32(layout.hotThreshold, true);
  const pcAt = (k: number) => RAM + BigInt(k * 4);
  const counter = (k: number) => hotCounter(layout, pcAt(k));
  const hot = 200;
  // Each entry reported hot: its counter past the threshold, as the core leaves it.
  for (let k = 0; k < hot; k++) dv.setUint32(counter(k), 65, true);
  for (let k = 0; k < hot; k++) t.onHot(pcAt(k));
  expect(jobs.length).toBe(JOBS_IN_FLIGHT); // the worker never has more
  expect(t.pendingJobs).toBe(JOBS_IN_FLIGHT + MAX_QUEUED_HOT);
  expect(threshold()).toBe(64 * MAX_THRESHOLD_SCALE); // doubled at each drop, up to its cap
  // The first two went to the worker and the newest wait; those in between were dropped and
  // re-armed (their counters back to 1: counting again, still known as jumped to), to be
  // reported again if they stay hot.
  const rearmed = [...Array(hot).keys()].filter((k) => dv.getUint32(counter(k), true) === 1);
  expect(rearmed).toEqual(
    [...Array(hot - JOBS_IN_FLIGHT - MAX_QUEUED_HOT).keys()].map((k) => k + JOBS_IN_FLIGHT),
  );
  // As the worker answers and the queue empties, the threshold halves back to the set one.
  while (jobs.length) jobs.shift()!();
  expect(t.pendingJobs).toBe(0);
  expect(threshold()).toBeLessThan(64 * MAX_THRESHOLD_SCALE);
  for (let k = 0; k < 10 && threshold() > 64; k++) {
    t.onHot(RAM + 4000n);
    while (jobs.length) jobs.shift()!();
  }
  expect(threshold()).toBe(64);
});

test('a region follows only the branch targets the interpreter has jumped to', async () => {
  const { discoverRegion } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  // 0: beq a0,a1,16 (to 16); 4: bne a0,a2,8 (to 12); 8: addi; 12: j 0; 16: addi; 20: j 0
  vm.writeMemory(
    RAM,
    code(
      encode('beq', { rs1: 10, rs2: 11, imm: 16 }).raw,
      encode('bne', { rs1: 10, rs2: 12, imm: 8 }).raw,
      ADDI_A0_A0(1),
      encode('jal', { rd: 0, imm: -12 }).raw,
      ADDI_A0_A0(2),
      encode('jal', { rd: 0, imm: -20 }).raw,
    ),
  );
  const starts = (taken?: (pc: bigint) => boolean) =>
    discoverRegion(vm.core, RAM, undefined, taken).blocks.map((b) => Number(b.start - RAM));
  expect(starts()).toEqual([0, 4, 8, 12, 16]);
  // Only 0 and 12 were jumped to: 16 (the beq's target) stays out; fall-throughs always come in.
  const jumpedTo = new Set([RAM, RAM + 12n]);
  expect(starts((pc) => jumpedTo.has(pc))).toEqual([0, 4, 8, 12]);
});

test('block entries inside a region at the worker wait for it instead of becoming regions of their own', async () => {
  const { Translator } = await import('../src/jit/translator.ts');
  const { compileRegions } = await import('../src/jit/codegen.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  const { dv, layout } = vm.core;
  // A loop with three block entries (0, 8, 12), its exit (16), and code it never reaches (20).
  const J_SELF = 0x0000006f; // jal zero,0
  vm.writeMemory(
    RAM,
    code(
      ADDI_A0_A0(1),
      encode('beq', { rs1: 10, rs2: 12, imm: 8 }).raw,
      ADDI_A0_A0(1),
      encode('bne', { rs1: 10, rs2: 11, imm: -12 }).raw,
      J_SELF,
      J_SELF,
    ),
  );
  dv.setUint32(layout.hotThreshold, 64, true);
  const jobs: { entries: bigint[]; answer: () => void }[] = [];
  const worker = {
    submit: (
      regions: import('../src/jit/region.ts').Region[],
      l: import('../src/core/core.ts').Layout,
      n: number,
      done: (b: import('../src/jit/codegen.ts').CompiledBatch) => void,
    ) =>
      jobs.push({ entries: regions.map((r) => r.entry), answer: () => done(compileRegions(regions, l, n)) }),
  };
  const t = new Translator(vm.core, 1 << 20, undefined, worker);
  const counter = (pc: bigint) => hotCounter(layout, pc);
  const hot = (pc: bigint) => {
    dv.setUint32(counter(pc), 65, true); // past the threshold, as the core reports it
    t.onHot(pc);
  };
  // The interpreter has taken the beq (regions follow only targets it has jumped to).
  dv.setUint32(counter(RAM + 12n), 5, true);
  hot(RAM);
  hot(RAM + 8n); // in the loop's region, which is at the worker: no job of its own
  hot(RAM + 12n);
  hot(RAM + 20n); // elsewhere: a job as usual
  expect(jobs.map((j) => j.entries)).toEqual([[RAM], [RAM + 20n]]);
  while (jobs.length) jobs.shift()!.answer();
  expect(t.stats.regions).toBe(2);
  // The loop's region is entered at its hot entry only: the other two count again, and would
  // become regions if the interpreter kept reaching them (from 1, not 0: a region discovered
  // meanwhile still follows branches to them).
  expect(dv.getUint32(counter(RAM + 8n), true)).toBe(1);
  expect(dv.getUint32(counter(RAM + 12n), true)).toBe(1);
  // Its hot entry is published: its counter above any threshold, so that the core looks it up.
  expect(dv.getUint32(counter(RAM), true)).toBe(0xffff_ffff);
});

test('binaryen loads through a V8 code cache, its rewritten text and its Wasm kept beside the package, and again from them', () => {
  const dir = join(process.cwd(), 'node_modules/.cache/wasmvisor');
  const load = () =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('./dist/jit/binaryen.js'); await m.loadBinaryen(); console.log(typeof m.binaryen.Module, m.binaryen.i64 > 0)",
      ],
      { encoding: 'utf8' },
    );
  for (let k = 0; k < 2; k++) {
    const r = load();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function true');
  }
  const files = existsSync(dir) ? readdirSync(dir) : [];
  expect(files.some((f) => f.startsWith('binaryen-') && f.endsWith('.v8cache'))).toBe(true);
  expect(files.some((f) => f.startsWith('binaryen-') && f.endsWith('.nowasm.js'))).toBe(true);
  // The Wasm taken out of the module's text: a module's bytes, which V8 accepts.
  const wasm = files.find((f) => f.startsWith('binaryen-') && f.endsWith('.wasm'));
  expect(wasm).toBeDefined();
  expect(WebAssembly.validate(readFileSync(join(dir, wasm!)))).toBe(true);
});

test('a script that only waits for the translator to be ready stays alive until it is', () => {
  // A file, not `-e`: workers inherit the process's flags, and `--input-type` is refused there.
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-ready-'));
  const script = join(dir, 'ready.mjs');
  const index = pathToFileURL(join(process.cwd(), 'dist/index.js')).href;
  writeFileSync(
    script,
    `const { createMachine } = await import('${index}');\n` +
      "const vm = await createMachine({ engine: 'jit' });\nawait vm.jitReady();\nconsole.log('ready');\n",
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('ready');
  expect(r.status).toBe(0);
});

test.runIf(process.platform === 'linux')(
  "the compile worker and V8's background threads run below the guest's thread (Linux)",
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-nice-'));
    const script = join(dir, 'nice.mjs');
    const host = pathToFileURL(join(process.cwd(), 'dist/jit/worker-host.js')).href;
    // Each thread's nice value (field 19 of its stat line) once the worker has answered.
    writeFileSync(
      script,
      `const w = await import('${host}');\nawait w.compileWorkerReady();\n` +
        "const { readdirSync, readFileSync } = await import('node:fs');\n" +
        "const nice = (t) => Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ')[16]);\n" +
        'console.log(JSON.stringify({ main: nice(process.pid), BACKGROUND_NICE: w.BACKGROUND_NICE,\n' +
        '  COMPILE_WORKER_NICE: w.COMPILE_WORKER_NICE,\n' +
        '  others: readdirSync("/proc/self/task").filter((t) => Number(t) !== process.pid).map(nice) }));\n',
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    const { main, BACKGROUND_NICE, COMPILE_WORKER_NICE, others } = JSON.parse(r.stdout);
    expect(main).toBe(0);
    expect(COMPILE_WORKER_NICE).toBeGreaterThan(0);
    expect(BACKGROUND_NICE).toBeGreaterThan(COMPILE_WORKER_NICE);
    // V8's platform threads (Node starts 4), and the worker.
    expect(others.filter((n: number) => n === BACKGROUND_NICE).length).toBeGreaterThanOrEqual(3);
    expect(others.filter((n: number) => n === COMPILE_WORKER_NICE).length).toBe(1);
  },
);

test('the compile worker hands back modules V8 has compiled: the main thread only instantiates them', async () => {
  const { compileWorker, holdingCompileWorker } = await import('../src/jit/worker-host.ts');
  const { discoverRegion, regionExport } = await import('../src/jit/region.ts');
  const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
  vm.writeMemory(RAM, code(ADDI_A0_A0(1), J_BACK_4));
  const worker = await compileWorker();
  expect(worker).toBeDefined();
  const batch = await holdingCompileWorker(
    new Promise<import('../src/jit/codegen.ts').CompiledBatch | undefined>((resolve) =>
      worker!.submit([discoverRegion(vm.core, RAM)], vm.core.layout, 1 << 20, resolve),
    ),
  );
  expect(batch?.module).toBeInstanceOf(WebAssembly.Module);
  expect(WebAssembly.Module.exports(batch!.module!).map((e) => e.name)).toContain(regionExport(0));
  // Already optimized there (optimize.ts): its code is the module's, shared with this thread.
  const tier = await tierOf();
  const { stubImports } = await import('../src/jit/optimize.ts');
  const instance = new WebAssembly.Instance(batch!.module!, stubImports(batch!.module!));
  expect(tier(instance.exports[regionExport(0)])).toBe('optimized');
});

/** The tier of an exported Wasm function's code, by V8's intrinsics (which eagerOptimizer enables). */
async function tierOf(): Promise<(f: unknown) => string> {
  const { eagerOptimizer } = await import('../src/jit/optimize.ts');
  expect(await eagerOptimizer()).toBeDefined();
  const uncompiled = new Function('f', 'return %IsUncompiledWasmFunction(f)');
  const liftoff = new Function('f', 'return %IsLiftoffFunction(f)');
  return (f) => (uncompiled(f) ? 'uncompiled' : liftoff(f) ? 'baseline' : 'optimized');
}

test("eagerOptimizer compiles a module's exported functions with V8's optimizing tier", async () => {
  const { eagerOptimizer } = await import('../src/jit/optimize.ts');
  const optimize = (await eagerOptimizer())!;
  const tier = await tierOf();
  // (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7,
    0, 32, 0, 65, 1, 106, 11,
  ]);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as (x: number) => number;
  expect(tier(plain)).toBe('uncompiled');
  expect(plain(1)).toBe(2);
  expect(tier(plain)).toBe('baseline');
  const module = new WebAssembly.Module(bytes);
  expect(optimize(module)).toBe(true);
  const f = new WebAssembly.Instance(module).exports.f as (x: number) => number;
  expect(tier(f)).toBe('optimized');
  expect(f(41)).toBe(42);
});

test('branch hints: the markers after br_ifs become a metadata.code.branch_hint section binaryen reads back', async () => {
  const loader = await import('../src/jit/binaryen.ts');
  const { addBranchHints, hinted } = await import('../src/jit/branch-hints.ts');
  await loader.loadBinaryen();
  const binaryen = loader.binaryen;
  const m = new binaryen.Module();
  m.addFunctionImport('f', 'env', 'f', binaryen.none, binaryen.none); // function indices start at 1
  const x = () => m.local.get(0, binaryen.i32);
  // Enough code before the branches that their offsets take two LEB bytes.
  const filler = Array.from({ length: 60 }, (_, k) => m.local.set(1, m.i32.add(x(), m.i32.const(k))));
  const body = m.block('out', [
    ...filler,
    ...hinted(m, m.br('out', m.i32.eqz(x())), true),
    ...hinted(m, m.br('out', m.i32.eq(x(), m.i32.const(7))), false),
    ...hinted(m, m.br('out', m.i32.lt_s(x(), m.i32.const(0))), false),
    m.br('out', m.i32.eq(x(), m.i32.const(9))), // not hinted
  ]);
  m.addFunction('g', binaryen.createType([binaryen.i32]), binaryen.none, [binaryen.i32], body);
  m.addFunctionExport('g', 'g');
  const plain = m.emitBinary();
  m.dispose();
  const bytes = addBranchHints(plain);
  expect(bytes.length).toBeGreaterThan(plain.length);
  new WebAssembly.Module(bytes as BufferSource); // still valid
  const back = binaryen.readBinary(bytes);
  const text = back.emitText();
  back.dispose();
  const hints = [...text.matchAll(/branch_hint "\\0(\d)"\)\s+\(br_if \$\w+\s+\((i32\.\w+)/g)].map((h) => [
    h[1],
    h[2],
  ]);
  expect(hints).toEqual([
    ['1', 'i32.eqz'],
    ['0', 'i32.eq'],
    ['0', 'i32.lt_s'],
  ]);
  // A module without markers is returned as it is.
  const none = new binaryen.Module();
  none.addFunction('h', binaryen.none, binaryen.none, [], none.nop());
  const nothing = none.emitBinary();
  none.dispose();
  expect(addBranchHints(nothing)).toBe(nothing);
});
