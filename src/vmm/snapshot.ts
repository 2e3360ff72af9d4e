// VM snapshots: a whole machine as one file. A snapshot holds what defines the VM (its options),
// every hart's architectural state, the devices' state, the supervisor's own state and the
// non-zero pages of RAM; never translations or the core's caches (decode and jump caches, hot
// counters, TLBs), which a restored machine rebuilds as it runs. Machine.snapshot() and
// Machine.restore() use this module; it only encodes and checks. Browser-safe: compression goes
// through CompressionStream and the CRC is computed here.
//
// Format, version 1 (integers little-endian):
//   0   8  magic "WVSNAP\0\n"
//   8   4  u32 format version
//   12  4  u32 header length H
//   16  H  header: UTF-8 JSON (SnapshotHeader)
//   ..  4  u32 body length B
//   ..  B  body, deflate-raw compressed: each hart's state (core.hartStateBytes each, hart 0
//          first), the numbers of the RAM pages kept (u32 each, ascending), then those pages
//   ..  4  u32 CRC-32 (IEEE) of everything before it
import { WasmvisorError } from '../errors.ts';
import type { ClintState } from '../machine/devices/clint.ts';
import type { HtifState } from '../machine/devices/htif.ts';
import type { PlicState } from '../machine/devices/plic.ts';
import type { UartState } from '../machine/devices/uart16550.ts';
import type { HartStatus } from './harts.ts';
import type { SbiMode } from './machine.ts';

export const SNAPSHOT_MAGIC = new TextEncoder().encode('WVSNAP\0\n');
export const SNAPSHOT_VERSION = 1;
export const PAGE_BYTES = 4096;

/** Everything but the bulk data; bigints are decimal strings (JSON has none). */
export interface SnapshotHeader {
  /** The options that define the VM: a restored machine gets the same. */
  machine: { memory: number; harts: number; sbi: SbiMode; deterministic: boolean; bootargs: string };
  /** The engine that took the snapshot (any engine can resume it). */
  engine: string;
  /** Instructions retired by all harts. */
  instret: string;
  /** The core's shared jump-cache generation counter (see assembly/layout.ts JC_GENERATION_NEXT). */
  core: { hartStateBytes: number; jcGenerationNext: string };
  harts: { current: number; turnStart: string; status: HartStatus[] };
  /** Deterministic clock: ticks WFI skipped ahead. */
  clock: { skippedTicks: string };
  /** The guest's exit code when it had already stopped. */
  halted: number | null;
  /** HTIF's words in guest memory (from the ELF's symbols). */
  symbols: { tohost?: string; fromhost?: string };
  /** Console bytes the guest had written (where a resumed run's output continues). */
  consoleBytes: number;
  devices: { uart: UartState; clint: ClintState; plic: PlicState; htif: HtifState };
  ram: { pages: number };
}

export interface SnapshotParts {
  header: SnapshotHeader;
  /** Every hart's state, hart 0 first, header.core.hartStateBytes each. */
  hartStates: Uint8Array;
  /** Guest RAM (read only): its non-zero pages are kept. */
  ram: Uint8Array;
}

export interface DecodedSnapshot {
  header: SnapshotHeader;
  hartStates: Uint8Array;
  /** Page numbers (ascending) and their contents, PAGE_BYTES each. */
  pageNumbers: Uint32Array;
  pages: Uint8Array;
}

/**
 * Encodes a snapshot. Everything is copied out of `parts` before the first await, so the machine
 * may run on while the body compresses.
 */
export async function encodeSnapshot(parts: SnapshotParts): Promise<Uint8Array> {
  const { hartStates, ram } = parts;
  const words = new Uint32Array(ram.buffer, ram.byteOffset, ram.byteLength >>> 2);
  const kept: number[] = [];
  for (let p = 0; p < ram.byteLength / PAGE_BYTES; p++) {
    const end = (p + 1) * (PAGE_BYTES >>> 2);
    for (let i = p * (PAGE_BYTES >>> 2); i < end; i++) {
      if (words[i] !== 0) {
        kept.push(p);
        break;
      }
    }
  }
  const raw = new Uint8Array(hartStates.length + kept.length * (4 + PAGE_BYTES));
  raw.set(hartStates);
  const numbers = new DataView(raw.buffer, hartStates.length, kept.length * 4);
  kept.forEach((p, i) => {
    numbers.setUint32(i * 4, p, true);
    raw.set(
      ram.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES),
      hartStates.length + kept.length * 4 + i * PAGE_BYTES,
    );
  });
  const header = new TextEncoder().encode(
    JSON.stringify({ ...parts.header, ram: { pages: kept.length } } satisfies SnapshotHeader),
  );
  const body = await transform(raw, new CompressionStream('deflate-raw'));
  const out = new Uint8Array(16 + header.length + 4 + body.length + 4);
  const dv = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC);
  dv.setUint32(8, SNAPSHOT_VERSION, true);
  dv.setUint32(12, header.length, true);
  out.set(header, 16);
  dv.setUint32(16 + header.length, body.length, true);
  out.set(body, 20 + header.length);
  dv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/**
 * Checks and decodes a snapshot; `name` (the file) starts every error message. Refuses what is
 * not a snapshot, another format version, truncated or corrupt data and inconsistent sizes.
 */
export async function decodeSnapshot(bytes: Uint8Array, name = 'snapshot'): Promise<DecodedSnapshot> {
  const fail = (problem: string): never => {
    throw new WasmvisorError(`${name}: ${problem}`);
  };
  if (bytes.length < SNAPSHOT_MAGIC.length || SNAPSHOT_MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a wasmvisor snapshot (bad magic)');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = () => fail(`truncated snapshot (${bytes.length} bytes)`);
  if (bytes.length < 16) truncated();
  const version = dv.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) {
    fail(
      `snapshot format version ${version} is not supported (this wasmvisor reads version ${SNAPSHOT_VERSION})`,
    );
  }
  const headerLength = dv.getUint32(12, true);
  if (bytes.length < 20 + headerLength) truncated();
  const bodyLength = dv.getUint32(16 + headerLength, true);
  const total = 20 + headerLength + bodyLength + 4;
  if (bytes.length < total) truncated();
  if (bytes.length > total) fail(`${bytes.length - total} unexpected bytes after the end of the snapshot`);
  if (crc32(bytes.subarray(0, total - 4)) !== dv.getUint32(total - 4, true)) {
    fail('checksum mismatch: the snapshot is corrupt');
  }
  let header: SnapshotHeader;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)),
    );
  } catch {
    return fail('bad snapshot header (not JSON)');
  }
  checkHeader(header, fail);
  let raw: Uint8Array;
  try {
    raw = await transform(
      bytes.subarray(20 + headerLength, 20 + headerLength + bodyLength),
      new DecompressionStream('deflate-raw'),
    );
  } catch {
    return fail('the snapshot body does not decompress');
  }
  const statesLength = header.machine.harts * header.core.hartStateBytes;
  const pages = header.ram.pages;
  if (raw.length !== statesLength + pages * (4 + PAGE_BYTES)) {
    fail(
      `the snapshot body is ${raw.length} bytes, its header says ${statesLength + pages * (4 + PAGE_BYTES)}`,
    );
  }
  const pageNumbers = new Uint32Array(pages);
  const numbers = new DataView(raw.buffer, raw.byteOffset + statesLength, pages * 4);
  const ramPages = header.machine.memory / PAGE_BYTES;
  for (let i = 0; i < pages; i++) {
    pageNumbers[i] = numbers.getUint32(i * 4, true);
    if (pageNumbers[i] >= ramPages || (i > 0 && pageNumbers[i] <= pageNumbers[i - 1])) {
      fail(
        `RAM page ${pageNumbers[i]} is out of order or outside the snapshot's ${header.machine.memory} bytes`,
      );
    }
  }
  return {
    header,
    hartStates: raw.subarray(0, statesLength),
    pageNumbers,
    pages: raw.subarray(statesLength + pages * 4),
  };
}

/** The header fields the sizes and the machine depend on, checked before they are used. */
function checkHeader(h: SnapshotHeader, fail: (problem: string) => never): void {
  const bad = (field: string) => fail(`bad snapshot header (${field})`);
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const isBig = (v: unknown) => typeof v === 'string' && /^\d+$/.test(v);
  if (typeof h !== 'object' || h === null) bad('not an object');
  const m = h.machine;
  if (typeof m !== 'object' || m === null) bad('machine');
  if (!isCount(m.memory) || m.memory % PAGE_BYTES !== 0) bad('machine.memory');
  if (!isCount(m.harts) || m.harts < 1) bad('machine.harts');
  if (typeof m.deterministic !== 'boolean') bad('machine.deterministic');
  if (typeof m.sbi !== 'string' || typeof m.bootargs !== 'string') bad('machine.sbi, machine.bootargs');
  if (!isCount(h.core?.hartStateBytes) || !isBig(h.core.jcGenerationNext)) bad('core');
  const harts = h.harts;
  if (!isCount(harts?.current) || harts.current >= m.harts || !isBig(harts.turnStart)) bad('harts');
  if (!Array.isArray(harts.status) || harts.status.length !== m.harts) bad('harts.status');
  if (harts.status.some((s) => s !== 'ready' && s !== 'waiting' && s !== 'stopped')) bad('harts.status');
  if (!isBig(h.clock?.skippedTicks) || !isBig(h.instret)) bad('clock, instret');
  if (h.halted !== null && !Number.isInteger(h.halted)) bad('halted');
  if (typeof h.symbols !== 'object' || h.symbols === null) bad('symbols');
  for (const s of [h.symbols.tohost, h.symbols.fromhost]) if (s !== undefined && !isBig(s)) bad('symbols');
  if (!isCount(h.consoleBytes)) bad('consoleBytes');
  const d = h.devices;
  if (typeof d !== 'object' || d === null || !d.uart || !d.clint || !d.plic || !d.htif) bad('devices');
  if (!isCount(h.ram?.pages)) bad('ram');
}

async function transform(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib and PNG), so corruption anywhere in a file is caught. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
