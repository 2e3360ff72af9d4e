import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSegmentsCheck, parseElf } from '../src/loader/elf.ts';
import { WasmvisorError } from '../src/errors.ts';

// --- a small ELF64 writer, so the parser is tested without a toolchain ---

interface SegSpec {
  paddr: bigint;
  data: Uint8Array;
  memsz?: bigint;
  type?: number;
}
interface SymSpec {
  name: string;
  value: bigint;
  type?: number; // STT_*
  bind?: number; // STB_*
  shndx?: number;
}
interface ElfSpec {
  cls?: number;
  data?: number;
  machine?: number;
  type?: number;
  entry?: bigint;
  segments?: SegSpec[];
  symbols?: SymSpec[];
}
interface Built {
  bytes: Uint8Array;
  phoff: number;
  segOffsets: number[];
  symtabOff: number;
  shoff: number;
}

const RAM_BASE = 0x8000_0000n;
const RAM_SIZE = 0x10_0000n;

function buildElf(spec: ElfSpec = {}): Built {
  const segs = spec.segments ?? [{ paddr: RAM_BASE, data: new Uint8Array([0x13, 0, 0, 0, 0x6f, 0, 0, 0]) }];
  const syms = spec.symbols ?? [];
  const align = (n: number, a = 8) => Math.ceil(n / a) * a;

  const phoff = 64;
  let off = phoff + 56 * segs.length;
  const segOffsets = segs.map((s) => {
    const at = align(off);
    off = at + s.data.length;
    return at;
  });
  // .strtab: "\0" then the names
  const enc = new TextEncoder();
  const strParts: number[] = [0];
  const nameOffs = syms.map((s) => {
    const at = strParts.length;
    strParts.push(...enc.encode(s.name), 0);
    return at;
  });
  const strtabOff = off;
  off += strParts.length;
  const symtabOff = align(off);
  const symtabSize = 24 * (syms.length + 1);
  off = symtabOff + symtabSize;
  const shstr = [0, ...enc.encode('.text\0.strtab\0.symtab\0.shstrtab\0')];
  const shstrOff = off;
  off += shstr.length;
  const shoff = align(off);
  const shnum = 5;
  const total = shoff + 64 * shnum;

  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, spec.cls ?? 2, spec.data ?? 1, 1]);
  dv.setUint16(16, spec.type ?? 2, true);
  dv.setUint16(18, spec.machine ?? 243, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, spec.entry ?? segs[0].paddr, true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setBigUint64(40, BigInt(shoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, segs.length, true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, shnum, true);
  dv.setUint16(62, 4, true);

  segs.forEach((s, i) => {
    const ph = phoff + 56 * i;
    dv.setUint32(ph, s.type ?? 1, true);
    dv.setUint32(ph + 4, 7, true);
    dv.setBigUint64(ph + 8, BigInt(segOffsets[i]), true);
    dv.setBigUint64(ph + 16, s.paddr, true);
    dv.setBigUint64(ph + 24, s.paddr, true);
    dv.setBigUint64(ph + 32, BigInt(s.data.length), true);
    dv.setBigUint64(ph + 40, s.memsz ?? BigInt(s.data.length), true);
    dv.setBigUint64(ph + 48, 8n, true);
    bytes.set(s.data, segOffsets[i]);
  });
  bytes.set(strParts, strtabOff);
  syms.forEach((s, i) => {
    const e = symtabOff + 24 * (i + 1);
    dv.setUint32(e, nameOffs[i], true);
    bytes[e + 4] = ((s.bind ?? 1) << 4) | (s.type ?? 1);
    dv.setUint16(e + 6, s.shndx ?? 1, true);
    dv.setBigUint64(e + 8, s.value, true);
    dv.setBigUint64(e + 16, 8n, true);
  });
  bytes.set(shstr, shstrOff);
  const sh = (i: number, name: number, type: number, offset: number, size: number, link = 0, entsize = 0) => {
    const at = shoff + 64 * i;
    dv.setUint32(at, name, true);
    dv.setUint32(at + 4, type, true);
    dv.setBigUint64(at + 24, BigInt(offset), true);
    dv.setBigUint64(at + 32, BigInt(size), true);
    dv.setUint32(at + 40, link, true);
    dv.setBigUint64(at + 56, BigInt(entsize), true);
  };
  sh(1, 1, 1, segOffsets[0], segs[0].data.length); // .text
  sh(2, 7, 3, strtabOff, strParts.length); // .strtab
  sh(3, 15, 2, symtabOff, symtabSize, 2, 24); // .symtab -> .strtab
  sh(4, 23, 3, shstrOff, shstr.length); // .shstrtab
  return { bytes, phoff, segOffsets, symtabOff, shoff };
}

/** Asserts parse/check fails with a one-line WasmvisorError naming the file and matching `re`. */
function expectRefusal(fn: () => unknown, re: RegExp, file = 'guest.elf'): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WasmvisorError);
  const msg = (err as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg.startsWith(`${file}: `)).toBe(true);
  expect(msg).toMatch(re);
  return msg;
}

describe('parseElf', () => {
  it('reads entry, segments (with bss) and symbols', () => {
    const code = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const { bytes } = buildElf({
      entry: RAM_BASE + 4n,
      segments: [
        { paddr: RAM_BASE, data: code },
        { paddr: RAM_BASE + 0x1000n, data: new Uint8Array([9, 9]), memsz: 0x100n },
        { paddr: 0n, data: new Uint8Array(4), type: 0x70000003 }, // RISCV_ATTRIBUTES: not loaded
      ],
      symbols: [
        { name: 'tohost', value: RAM_BASE + 0x1000n, type: 1 },
        { name: 'fromhost', value: RAM_BASE + 0x1008n, type: 1 },
        { name: '_start', value: RAM_BASE, type: 2 },
        { name: 'label', value: RAM_BASE + 4n, type: 0, bind: 0 },
        { name: 'bench_scale', value: 0x1234n, type: 1, shndx: 0xfff1 }, // absolute
        { name: 'undefined_sym', value: 0n, shndx: 0 },
        { name: 'a_file', value: 0n, type: 4 }, // STT_FILE
        { name: 'dup', value: 1n, bind: 0 },
        { name: 'dup', value: 2n, bind: 1 },
        { name: 'dup', value: 3n, bind: 0 },
      ],
    });
    const img = parseElf(bytes, 'guest.elf');
    expect(img.entry).toBe(RAM_BASE + 4n);
    expect(img.type).toBe('exec');
    expect(img.segments).toHaveLength(2);
    expect(img.segments[0].paddr).toBe(RAM_BASE);
    expect(Array.from(img.segments[0].data)).toEqual(Array.from(code));
    expect(img.segments[0].memsz).toBe(8n);
    expect(img.segments[1].data.length).toBe(2);
    expect(img.segments[1].memsz).toBe(0x100n);
    expect(img.symbols.get('tohost')).toBe(RAM_BASE + 0x1000n);
    expect(img.symbols.get('fromhost')).toBe(RAM_BASE + 0x1008n);
    expect(img.symbols.get('_start')).toBe(RAM_BASE);
    expect(img.symbols.get('label')).toBe(RAM_BASE + 4n);
    expect(img.symbols.get('bench_scale')).toBe(0x1234n);
    expect(img.symbols.has('undefined_sym')).toBe(false);
    expect(img.symbols.has('a_file')).toBe(false);
    expect(img.symbols.get('dup')).toBe(2n); // the global wins
    expect(() => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 'guest.elf')).not.toThrow();
  });

  it('accepts a Uint8Array that is a view into a larger buffer', () => {
    const { bytes } = buildElf({ symbols: [{ name: 'tohost', value: RAM_BASE + 8n }] });
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 13);
    const img = parseElf(big.subarray(13), 'guest.elf');
    expect(img.symbols.get('tohost')).toBe(RAM_BASE + 8n);
    expect(img.segments[0].data[0]).toBe(0x13);
  });

  it('accepts ET_DYN at its fixed addresses', () => {
    const img = parseElf(buildElf({ type: 3 }).bytes, 'guest.elf');
    expect(img.type).toBe('dyn');
    expect(img.segments[0].paddr).toBe(RAM_BASE);
  });

  it('accepts a file without section headers (stripped)', () => {
    const { bytes } = buildElf({ symbols: [{ name: 'x', value: 1n }] });
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(40, 0n, true);
    dv.setUint16(60, 0, true);
    const img = parseElf(bytes, 'guest.elf');
    expect(img.symbols.size).toBe(0);
  });

  it('refuses what is not an ELF file', () => {
    expectRefusal(
      () => parseElf(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'guest.elf'),
      /not an ELF file/,
    );
    expectRefusal(() => parseElf(new Uint8Array(0), 'guest.elf'), /not an ELF file/);
    expectRefusal(() => parseElf(new Uint8Array([0x7f, 0x45]), 'guest.elf'), /not an ELF file/);
  });

  it('refuses ELF32, big-endian and other machines', () => {
    expectRefusal(() => parseElf(buildElf({ cls: 1 }).bytes, 'guest.elf'), /ELF32 is not supported/);
    expectRefusal(() => parseElf(buildElf({ cls: 7 }).bytes, 'guest.elf'), /unknown ELF class 7/);
    expectRefusal(() => parseElf(buildElf({ data: 2 }).bytes, 'guest.elf'), /big-endian/);
    expectRefusal(
      () => parseElf(buildElf({ machine: 62 }).bytes, 'guest.elf'),
      /not a RISC-V ELF \(machine 62\)/,
    );
    expectRefusal(() => parseElf(buildElf({ type: 1 }).bytes, 'guest.elf'), /not an executable.*relocatable/);
  });

  it('refuses files truncated at every structure', () => {
    const b = buildElf({ symbols: [{ name: 'tohost', value: RAM_BASE }] });
    const cut = (n: number) => () => parseElf(b.bytes.slice(0, n), 'guest.elf');
    expectRefusal(cut(5), /truncated: ELF identification/);
    expectRefusal(cut(40), /truncated: ELF header/);
    expectRefusal(cut(b.phoff + 20), /truncated: program header 0/);
    expectRefusal(cut(b.segOffsets[0] + 3), /truncated: segment 0/);
    expectRefusal(cut(b.shoff + 64 * 2 + 10), /truncated: section header 2/);
    // Every prefix fails cleanly: never a RangeError.
    for (let n = 0; n < b.bytes.length; n++) expect(cut(n)).toThrow(WasmvisorError);
  });

  it('refuses inconsistent headers', () => {
    expectRefusal(
      () =>
        parseElf(
          buildElf({ segments: [{ paddr: RAM_BASE, data: new Uint8Array(16), memsz: 8n }] }).bytes,
          'guest.elf',
        ),
      /segment 0 has filesz 0x10 > memsz 0x8/,
    );
    expectRefusal(
      () =>
        parseElf(
          buildElf({ segments: [{ paddr: 0n, data: new Uint8Array(4), type: 4 }] }).bytes,
          'guest.elf',
        ),
      /no loadable segments/,
    );
    expectRefusal(
      () =>
        parseElf(
          buildElf({
            segments: [
              { paddr: RAM_BASE, data: new Uint8Array(16) },
              { paddr: RAM_BASE + 8n, data: new Uint8Array(16) },
            ],
          }).bytes,
          'guest.elf',
        ),
      /segments 0 \(0x80000000-0x80000010\) and 1 \(0x80000008-0x80000018\) overlap/,
    );
    expectRefusal(
      () =>
        parseElf(
          buildElf({ segments: [{ paddr: 0xffff_ffff_ffff_fff0n, data: new Uint8Array(32) }] }).bytes,
          'guest.elf',
        ),
      /wraps past 2\^64/,
    );
    const huge = buildElf();
    new DataView(huge.bytes.buffer).setBigUint64(huge.phoff + 8, 0xffff_ffff_ffff_0000n, true);
    expectRefusal(() => parseElf(huge.bytes, 'guest.elf'), /truncated: segment 0/);
    const badLink = buildElf({ symbols: [{ name: 'a', value: 1n }] });
    new DataView(badLink.bytes.buffer).setUint32(badLink.shoff + 64 * 3 + 40, 99, true);
    expectRefusal(() => parseElf(badLink.bytes, 'guest.elf'), /links to section 99/);
    const badName = buildElf({ symbols: [{ name: 'a', value: 1n }] });
    new DataView(badName.bytes.buffer).setUint32(badName.symtabOff + 24, 0x9999, true);
    expectRefusal(() => parseElf(badName.bytes, 'guest.elf'), /past its string table/);
  });

  it('keeps the message on one line whatever the file name', () => {
    const msg = expectRefusal(() => parseElf(new Uint8Array(3), 'bad\nname'), /not an ELF/, 'bad?name');
    expect(msg).toBe('bad?name: not an ELF file (bad magic)');
  });
});

describe('loadSegmentsCheck', () => {
  it('refuses a segment outside RAM, naming both ranges', () => {
    const img = parseElf(
      buildElf({ segments: [{ paddr: 0x7fff_f000n, data: new Uint8Array(0x1010) }] }).bytes,
      'g.elf',
    );
    const msg = expectRefusal(
      () => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 'g.elf'),
      /outside RAM/,
      'g.elf',
    );
    expect(msg).toContain('0x7ffff000-0x80000010');
    expect(msg).toContain('0x80000000-0x80100000');
  });

  it('refuses a segment past the end of RAM and an entry outside RAM', () => {
    const img = parseElf(
      buildElf({ segments: [{ paddr: RAM_BASE + RAM_SIZE - 4n, data: new Uint8Array(4), memsz: 8n }] }).bytes,
      'g.elf',
    );
    expectRefusal(
      () => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 'g.elf'),
      /0x800ffffc-0x80100004 is outside RAM/,
      'g.elf',
    );
    const img2 = parseElf(buildElf({ entry: 0x1000n }).bytes, 'g.elf');
    expectRefusal(
      () => loadSegmentsCheck(img2, RAM_BASE, RAM_SIZE, 'g.elf'),
      /entry point 0x1000 is outside RAM/,
      'g.elf',
    );
  });

  it('suggests relinking a position-independent executable linked at 0', () => {
    const img = parseElf(
      buildElf({ type: 3, segments: [{ paddr: 0n, data: new Uint8Array(8) }] }).bytes,
      'pie.elf',
    );
    expectRefusal(
      () => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 'pie.elf'),
      /position-independent/,
      'pie.elf',
    );
  });
});

// A real toolchain's output, when one is installed (the tests above need none).
const gcc = (() => {
  try {
    execFileSync('riscv64-unknown-elf-gcc', ['--version'], { stdio: 'ignore' });
    return 'riscv64-unknown-elf-gcc';
  } catch {
    return undefined;
  }
})();

describe.skipIf(!gcc)('parseElf on riscv64-unknown-elf-gcc output', () => {
  const source = [
    '.globl _start',
    '_start: la t0, tohost',
    '  li t1, 1',
    '  sd t1, 0(t0)',
    '1: j 1b',
    '.section .tohost,"aw",@progbits',
    '.align 6',
    '.globl tohost',
    'tohost: .dword 0',
    '.globl fromhost',
    'fromhost: .dword 0',
    '.bss',
    'buf: .space 64',
    '',
  ].join('\n');

  function build(extra: string[]): Uint8Array {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-elf-'));
    try {
      writeFileSync(join(dir, 't.S'), source);
      execFileSync(
        gcc!,
        ['-nostdlib', '-Ttext=0x80000000', ...extra, '-o', join(dir, 't.elf'), join(dir, 't.S')],
        {
          stdio: 'pipe',
        },
      );
      return readFileSync(join(dir, 't.elf'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('finds the entry, the segments and tohost/fromhost', () => {
    const img = parseElf(build(['-Wl,-n']), 't.elf');
    expect(img.entry).toBe(RAM_BASE);
    expect(img.symbols.get('_start')).toBe(RAM_BASE);
    const tohost = img.symbols.get('tohost')!;
    expect(img.symbols.get('fromhost')).toBe(tohost + 8n);
    expect(img.symbols.get('buf')).toBeDefined();
    expect(() => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 't.elf')).not.toThrow();
    const covering = img.segments.find((s) => s.paddr <= tohost && tohost + 16n <= s.paddr + s.memsz);
    expect(covering).toBeDefined();
  });

  it('refuses the default link, whose first segment holds the ELF headers below RAM', () => {
    const img = parseElf(build([]), 't.elf');
    expectRefusal(
      () => loadSegmentsCheck(img, RAM_BASE, RAM_SIZE, 't.elf'),
      /0x7ffff000-.* is outside RAM/,
      't.elf',
    );
  });
});
