// The core's public surface: a narrow API over one machine state in imported linear memory.
// TypeScript reads the layout from these exports (layout* names) and never retypes an offset.
import * as L from './layout';
import { flushTlb } from './tlb';
import {
  CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS, MIP, MHARTID, csr, csrRead, csrWrite, markFsDirty, pendingRetired, resetCsrs,
  setCsr, trapEnter,
} from './csr';

export { run, execOp } from './interp';
export { floatOp } from './fpu';
export { flushTlb, flushStoreTlb } from './tlb';
export { updateStip } from './csr';
import { PRIV_M, pagingMode, priv } from './csr';
import { ACCESS_FETCH, XLATE_FAULT, translate } from './mmu';
import { PMP_X, pmpAllows } from './pmp';

/**
 * Where the hart would fetch `va` from right now: the physical address, or all-ones when the
 * fetch faults or PMP lets it execute only part of the page (the translator leaves such code to
 * the interpreter, which checks every fetch).
 */
export function fetchPhysical(va: u64): u64 {
  if ((pagingMode() & 1) == 0) return va;
  const pa = translate(va, ACCESS_FETCH, 2);
  if (pa == XLATE_FAULT || !pmpAllows(pa & ~(<u64>0xfff), 0x1000, PMP_X, priv() == PRIV_M)) return XLATE_FAULT;
  return pa;
}
export { decodeOne } from './decode';

export const layoutRegs: usize = L.REGS;
export const layoutFregs: usize = L.FREGS;
export const layoutPc: usize = L.PC;
export const layoutPriv: usize = L.PRIV;
export const layoutCsrs: usize = L.CSRS;
export const layoutExitAddr: usize = L.EXIT_ADDR;
export const layoutExitValue: usize = L.EXIT_VALUE;
export const layoutExitSize: usize = L.EXIT_SIZE;
export const layoutExitFlags: usize = L.EXIT_FLAGS;
export const layoutExitRd: usize = L.EXIT_RD;
export const layoutExitLen: usize = L.EXIT_LEN;
export const layoutExitCause: usize = L.EXIT_CAUSE;
export const layoutRamSize: usize = L.RAM_SIZE;
export const layoutConfigFlags: usize = L.CONFIG_FLAGS;
export const layoutDecodeCache: usize = L.DECODE_CACHE;
export const layoutDecodeEntries: u32 = L.DECODE_ENTRIES;
export const layoutPageFlags: usize = L.PAGE_FLAGS;
export const layoutRam: usize = L.RAM;
export const layoutRamBase: u64 = L.RAM_BASE;
export const layoutRamPad: usize = L.RAM_PAD;
export const layoutRamMax: u64 = L.RAM_MAX;
export const layoutStateEnd: usize = L.CSRS + 4096 * 8;
export const layoutRegSink: usize = L.REG_SINK;
export const layoutDRaw: usize = L.D_RAW;
export const layoutDImm: usize = L.D_IMM;
export const layoutDRd: usize = L.D_RD;
export const layoutDRs1: usize = L.D_RS1;
export const layoutDRs2: usize = L.D_RS2;
export const layoutDOp: usize = L.D_OP;
export const layoutDLen: usize = L.D_LEN;
export const layoutHotThreshold: usize = L.HOT_THRESHOLD;
export const layoutStatJcHits: usize = L.STAT_JC_HITS;
export const layoutStatJcMisses: usize = L.STAT_JC_MISSES;
export const layoutStatChained: usize = L.STAT_CHAINED;
export const layoutStatReturned: usize = L.STAT_RETURNED;
export const layoutStatTranslatedInsns: usize = L.STAT_TRANSLATED_INSNS;
export const layoutJcContext: usize = L.JC_CONTEXT;
export const layoutPmpState: usize = L.PMP_STATE;
export const layoutTlbFetch: usize = L.TLB_FETCH;
export const layoutTlbLoad: usize = L.TLB_LOAD;
export const layoutTlbStore: usize = L.TLB_STORE;
export const layoutTlbEntries: u32 = L.TLB_ENTRIES;
export const layoutInstretLimit: usize = L.INSTRET_LIMIT;
export const layoutJumpCache: usize = L.JUMP_CACHE;
export const layoutJumpEntries: u32 = L.JUMP_ENTRIES;
export const layoutHotCounters: usize = L.HOT_COUNTERS;
export const layoutRegionIndex: usize = L.REGION_INDEX;
export const layoutRegionIndexEntries: u32 = L.REGION_INDEX_ENTRIES;
export const layoutHotEntries: u32 = L.HOT_ENTRIES;
export const layoutHotPublished: u32 = L.HOT_PUBLISHED;
export const layoutCodeLines: usize = L.CODE_LINES;
export const layoutCodeLineShift: u64 = L.CODE_LINE_SHIFT;

export const EXIT_BUDGET = L.EXIT_BUDGET;
export const EXIT_MMIO = L.EXIT_MMIO;
export const EXIT_ECALL = L.EXIT_ECALL;
export const EXIT_WFI = L.EXIT_WFI;
export const EXIT_WATCH = L.EXIT_WATCH;
export const EXIT_FATAL = L.EXIT_FATAL;
export const EXIT_CODE_WRITE = L.EXIT_CODE_WRITE;
export const EXIT_HOT = L.EXIT_HOT;
export const EXIT_CONTINUE = L.EXIT_CONTINUE;
export const CONFIG_JIT = L.CONFIG_JIT;
export const MMIO_STORE = L.MMIO_STORE;
export const MMIO_SIGNED = L.MMIO_SIGNED;
export const MMIO_FLOAT = L.MMIO_FLOAT;
export const PAGE_WATCH = L.PAGE_WATCH;
export const PAGE_CODE = L.PAGE_CODE;
export const CONFIG_ECALL_EXITS = L.CONFIG_ECALL_EXITS;

/** Puts the hart in its reset state (M-mode, registers zero) at `pc`, with `ramSize` bytes of RAM. */
export function reset(pc: u64, ramSize: u64, hartId: u64): void {
  memory.fill(L.STATE, 0, L.CSRS - L.STATE);
  resetCsrs();
  flushTlb();
  setCsr(MHARTID, hartId);
  store<u64>(L.PC, pc);
  store<u64>(L.RAM_SIZE, ramSize);
  flushDecodeCache();
}

/** Forgets every decoded instruction (only needed when RAM is replaced wholesale). */
export function flushDecodeCache(): void {
  memory.fill(L.DECODE_CACHE, 0, <usize>L.DECODE_ENTRIES << 4);
}

/** Completes the instruction that exited with EXIT_MMIO: `value` is the device's answer to a load. */
export function mmioDone(value: u64): void {
  const flags = load<u8>(L.EXIT_FLAGS);
  if ((flags & L.MMIO_STORE) == 0) {
    const size = load<u8>(L.EXIT_SIZE);
    let v = value;
    if (size < 8) {
      const shift = 64 - (<u64>size << 3);
      v = (flags & L.MMIO_SIGNED) != 0 ? <u64>((<i64>(v << shift)) >> shift) : (v << shift) >> shift;
    }
    if ((flags & L.MMIO_FLOAT) != 0) {
      if (size == 4) v |= 0xffffffff00000000; // NaN-boxed
      markFsDirty();
    }
    store<u64>(L.REGS + <usize>load<u16>(L.EXIT_RD), v);
  }
  store<u64>(L.PC, load<u64>(L.PC) + <u64>load<u8>(L.EXIT_LEN));
  setCsr(0xb02, csr(0xb02) + 1);
}

/** The access that exited with EXIT_MMIO has no device: raise a load/store access fault. */
export function mmioFault(): bool {
  const store_ = (load<u8>(L.EXIT_FLAGS) & L.MMIO_STORE) != 0;
  const pc = load<u64>(L.PC);
  const t = trapEnter(pc, store_ ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS, load<u64>(L.EXIT_ADDR));
  store<u64>(L.PC, t);
  return true;
}

/** Sets or clears interrupt-pending bits driven by devices (MSIP, MTIP, MEIP...). */
export function setInterruptPending(mask: u64, on: bool): void {
  setCsr(MIP, on ? csr(MIP) | mask : csr(MIP) & ~mask);
}

/** CSR access for the host (debuggers, reports, tests), with the guest-visible behaviour. */
export function readCsr(num: u32): u64 {
  return csrRead(num);
}
export function writeCsr(num: u32, v: u64): void {
  csrWrite(num, v);
}

/** minstret as the guest would read it right now (also from inside run(), for the host clock). */
export function instretNow(): u64 {
  return csr(0xb02) + pendingRetired;
}
