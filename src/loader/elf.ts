// ELF64 RISC-V loader: the loadable segments, the entry point and the symbol table. Every check
// happens before a read, so bad input ends in a one-line WasmvisorError, never a RangeError.
import { WasmvisorError } from '../errors.ts';

export interface ElfSegment {
  /** Physical load address (p_paddr). */
  paddr: bigint;
  /** The file bytes of the segment (a view into the input, not a copy). */
  data: Uint8Array;
  /** Bytes the segment occupies in memory; those past data.length are zero (bss). */
  memsz: bigint;
}

export interface ElfImage {
  entry: bigint;
  segments: ElfSegment[];
  /** FUNC, OBJECT and NOTYPE symbols by name (tohost, fromhost, bench_scale, ...). */
  symbols: Map<string, bigint>;
  /** 'exec' for ET_EXEC; 'dyn' for ET_DYN, loaded unrelocated at its own addresses. */
  type: 'exec' | 'dyn';
}

const EM_RISCV = 243;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_LOCAL = 0;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_ABS = 0xfff1;
const PN_XNUM = 0xffff;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const ELF_TYPES: Record<number, string> = { 0: 'none', 1: 'relocatable object', 4: 'core dump' };

/** Parses an ELF64 RISC-V executable. Throws WasmvisorError naming `fileName` on any defect. */
export function parseElf(bytes: Uint8Array, fileName: string): ElfImage {
  const name = oneLine(fileName);
  const fail = (problem: string): never => {
    throw new WasmvisorError(`${name}: ${problem}`);
  };
  const size = BigInt(bytes.length);
  // A structure of `len` bytes at `off` must lie inside the file.
  const need = (off: bigint, len: bigint, what: string): number => {
    if (off + len > size) {
      fail(
        `truncated: ${what} at ${hex(off)}+${hex(len)} is past the end of the file (${bytes.length} bytes)`,
      );
    }
    return Number(off);
  };

  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('not an ELF file (bad magic)');
  }
  need(0n, 6n, 'ELF identification');
  if (bytes[4] === 1) fail('ELF32 is not supported (wasmvisor runs RV64 guests)');
  if (bytes[4] !== 2) fail(`unknown ELF class ${bytes[4]}`);
  if (bytes[5] === 2) fail('big-endian ELF is not supported');
  if (bytes[5] !== 1) fail(`unknown ELF data encoding ${bytes[5]}`);
  need(0n, BigInt(EHDR_SIZE), 'ELF header');

  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => dv.getBigUint64(o, true);

  const machine = u16(18);
  if (machine !== EM_RISCV) fail(`not a RISC-V ELF (machine ${machine})`);
  const etype = u16(16);
  if (etype !== ET_EXEC && etype !== ET_DYN) {
    fail(`not an executable (ELF type ${ELF_TYPES[etype] ?? etype})`);
  }
  const entry = u64(24);
  const phoff = u64(32);
  const shoff = u64(40);
  const phentsize = u16(54);
  let phnum = u16(56);
  const shentsize = u16(58);
  let shnum = u16(60);

  // Section headers first: with extended numbering, section 0 holds the real counts.
  if (shoff !== 0n && shentsize < SHDR_SIZE) fail(`section header size ${shentsize} is too small`);
  const shdrAt = (i: number): number =>
    need(shoff + BigInt(i) * BigInt(shentsize), BigInt(SHDR_SIZE), `section header ${i}`);
  if (shoff !== 0n && (shnum === 0 || phnum === PN_XNUM)) {
    const s0 = shdrAt(0);
    if (shnum === 0) {
      const real = u64(s0 + 32);
      if (real > 0xffff_ffffn) fail(`section count ${real} is implausible`);
      shnum = Number(real);
    }
    if (phnum === PN_XNUM) phnum = u32(s0 + 44);
  }

  // Program headers: the PT_LOAD segments.
  if (phnum > 0 && phentsize < PHDR_SIZE) fail(`program header size ${phentsize} is too small`);
  const segments: (ElfSegment & { index: number })[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = need(phoff + BigInt(i) * BigInt(phentsize), BigInt(PHDR_SIZE), `program header ${i}`);
    if (u32(ph) !== PT_LOAD) continue;
    const offset = u64(ph + 8);
    const paddr = u64(ph + 24);
    const filesz = u64(ph + 32);
    const memsz = u64(ph + 40);
    if (filesz > memsz) fail(`segment ${i} has filesz ${hex(filesz)} > memsz ${hex(memsz)}`);
    if (paddr + memsz > 1n << 64n) fail(`segment ${i} at ${hex(paddr)}+${hex(memsz)} wraps past 2^64`);
    const start = need(offset, filesz, `segment ${i}`);
    if (memsz === 0n) continue; // occupies nothing
    segments.push({ index: i, paddr, data: bytes.subarray(start, start + Number(filesz)), memsz });
  }
  if (segments.length === 0) fail('no loadable segments');
  const sorted = [...segments].sort((a, b) => (a.paddr < b.paddr ? -1 : a.paddr > b.paddr ? 1 : 0));
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1];
    const b = sorted[k];
    if (a.paddr + a.memsz > b.paddr) {
      fail(
        `segments ${a.index} (${range(a.paddr, a.memsz)}) and ${b.index} (${range(b.paddr, b.memsz)}) overlap`,
      );
    }
  }

  // Symbols: .symtab and the string table its sh_link names. A stripped file simply has none.
  const symbols = new Map<string, bigint>();
  if (shoff !== 0n) {
    for (let i = 0; i < shnum; i++) {
      const sh = shdrAt(i);
      if (u32(sh + 4) !== SHT_SYMTAB) continue;
      const symoff = u64(sh + 24);
      const symsize = u64(sh + 32);
      const link = u32(sh + 40);
      const entsize = u64(sh + 56);
      if (entsize !== 0n && entsize < BigInt(SYM_SIZE))
        fail(`symbol table entry size ${entsize} is too small`);
      const stride = entsize === 0n ? BigInt(SYM_SIZE) : entsize;
      need(symoff, symsize, 'symbol table');
      if (link >= shnum) fail(`symbol table links to section ${link}, but there are ${shnum} sections`);
      const str = shdrAt(link);
      if (u32(str + 4) === SHT_NOBITS) fail(`symbol table's string table (section ${link}) has no data`);
      const stroff = need(u64(str + 24), u64(str + 32), 'string table');
      const strsize = Number(u64(str + 32));
      const count = Number(symsize / stride);
      for (let k = 1; k < count; k++) {
        // Entry 0 is the reserved null symbol.
        const sym = Number(symoff + BigInt(k) * stride);
        const info = bytes[sym + 4];
        const type = info & 0xf;
        const shndx = u16(sym + 6);
        if (type !== STT_NOTYPE && type !== STT_OBJECT && type !== STT_FUNC) continue;
        if (shndx === SHN_UNDEF || (shndx >= SHN_LORESERVE && shndx !== SHN_ABS)) continue;
        const nameOff = u32(sym);
        if (nameOff === 0) continue;
        if (nameOff >= strsize)
          fail(`symbol ${k} names string ${hex(BigInt(nameOff))}, past its string table`);
        const symName = cString(bytes, stroff + nameOff, stroff + strsize);
        // A global wins over a local of the same name (static variables repeat across files).
        if (info >> 4 !== STB_LOCAL || !symbols.has(symName)) symbols.set(symName, u64(sym + 8));
      }
    }
  }

  return {
    entry,
    segments: segments.map(({ paddr, data, memsz }) => ({ paddr, data, memsz })),
    symbols,
    type: etype === ET_EXEC ? 'exec' : 'dyn',
  };
}

/**
 * Refuses an image that does not fit RAM at [ramBase, ramBase + ramSize): a segment outside it, or
 * an entry point outside it. The message names the file, the offending range and RAM's range.
 */
export function loadSegmentsCheck(
  image: ElfImage,
  ramBase: bigint,
  ramSize: bigint | number,
  fileName: string,
): void {
  const top = ramBase + BigInt(ramSize);
  const ram = `RAM is ${hex(ramBase)}-${hex(top)}`;
  const hint =
    image.type === 'dyn' ? ` (a position-independent executable: link it at ${hex(ramBase)} instead)` : '';
  for (const seg of image.segments) {
    if (seg.paddr < ramBase || seg.paddr + seg.memsz > top) {
      throw new WasmvisorError(
        `${oneLine(fileName)}: segment at ${range(seg.paddr, seg.memsz)} is outside RAM; ${ram}${hint}`,
      );
    }
  }
  if (image.entry < ramBase || image.entry >= top) {
    throw new WasmvisorError(
      `${oneLine(fileName)}: entry point ${hex(image.entry)} is outside RAM; ${ram}${hint}`,
    );
  }
}

function cString(bytes: Uint8Array, start: number, limit: number): string {
  let end = start;
  let ascii = true;
  while (end < limit && bytes[end] !== 0) ascii &&= bytes[end++] < 0x80;
  const raw = bytes.subarray(start, end);
  // Names are ASCII in practice, and fromCharCode is much cheaper than a decoder per symbol.
  return ascii && raw.length <= 4096 ? String.fromCharCode(...raw) : utf8.decode(raw);
}

const utf8 = new TextDecoder();

function range(start: bigint, len: bigint): string {
  return `${hex(start)}-${hex(start + len)}`;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

// The message is one line even if a file name carries control characters.
function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, '?');
}
