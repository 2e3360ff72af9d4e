// The interpreter: the baseline engine. Fetch goes through a decode cache indexed by pc and tagged
// by the instruction bits themselves, so a stale entry can never be used (self-modifying code needs
// no invalidation here) and two aliases of one instruction share a record.
import { Op } from './generated/ops';
import { decodeInto } from './decode';
import {
  CONFIG_ECALL_EXITS, CONFIG_FLAGS, D_IMM, D_LEN, D_OP, D_RAW, D_RD, D_RS1, D_RS2, DECODE_CACHE, DECODE_ENTRIES,
  EXIT_ADDR, EXIT_BUDGET, EXIT_CAUSE, EXIT_CODE_WRITE, EXIT_ECALL, EXIT_FATAL, EXIT_FLAGS, EXIT_LEN, EXIT_MMIO,
  EXIT_RD, EXIT_SIZE, EXIT_VALUE, EXIT_WATCH, EXIT_WFI, MMIO_SIGNED, MMIO_STORE, PAGE_CODE, PAGE_FLAGS,
  PAGE_WATCH, PC, RAM, RAM_BASE, RAM_SIZE, REGS, RESERVATION, CODE_LINES, CODE_LINE_SHIFT, CONFIG_JIT,
  EXIT_CONTINUE, EXIT_STEP, EXIT_HOT, HOT_COUNTERS, HOT_PUBLISHED, STAT_JC_HITS, STAT_JC_MISSES, STAT_TRANSLATED_INSNS, HOT_ENTRIES, HOT_THRESHOLD, INSTRET_LIMIT, JUMP_CACHE, JUMP_ENTRIES,
  EXIT_MODE, TLB_FETCH, TLB_LOAD, TLB_STORE, JC_CONTEXT, JC_GENERATION, MMIO_FLOAT, REGION_INDEX, REGION_INDEX_ENTRIES,
} from './layout';
import { BOX, execFloat } from './fpu';
import {
  ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, XLATE_FAULT, mmuCause, tlbEntry, tlbTag, translateAndCache,
} from './mmu';
import { clearModeChanged, flushTlb, markModeChanged, modeChanged } from './tlb';
import {
  CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_FETCH_ACCESS, CAUSE_ILLEGAL, CAUSE_LOAD_ACCESS, CAUSE_LOAD_MISALIGNED,
  CAUSE_STORE_ACCESS, CAUSE_STORE_MISALIGNED, INTERRUPT, MINSTRET, MIE, MIP, MSTATUS, MSTATUS_TSR, MSTATUS_TVM,
  MSTATUS_TW, NO_HANDLER, PRIV_M, PRIV_S, PRIV_U, csr, csrAccessible, csrRead, csrWrite, pagingMode, pendingInterrupt,
  pendingRetired, priv, setCsr, supervisorReturn, trapEnter, trapReturn, MSTATUS_FS, markFsDirty,
} from './csr';

@inline function reg(off: usize): u64 {
  return load<u64>(REGS + off);
}
@inline function setReg(off: usize, v: u64): void {
  store<u64>(REGS + off, v);
}
@inline function sext32(v: u64): u64 {
  return <u64>(<i64>(<i32>v));
}

// Records what the host needs to finish a load or store outside RAM (device or fault).
function exitMmio(addr: u64, size: u8, flags: u8, rd: usize, value: u64, len: u8): i32 {
  store<u64>(EXIT_ADDR, addr);
  store<u64>(EXIT_VALUE, value);
  store<u8>(EXIT_SIZE, size);
  store<u8>(EXIT_FLAGS, flags);
  store<u16>(EXIT_RD, <u16>rd);
  store<u8>(EXIT_LEN, len);
  return EXIT_MMIO;
}

// Loads that miss the fast path: the last bytes of RAM, or anything outside it. Returns 0 when
// the value is in rd, else EXIT_MMIO (the host performs it or turns it into an access fault).
function loadSlow(addr: u64, size: u8, signed: bool, rd: usize, len: u8): i32 {
  const off = addr - RAM_BASE;
  const ramSize = load<u64>(RAM_SIZE);
  if (off < ramSize && off + size <= ramSize) {
    const p = RAM + <usize>off;
    let v: u64;
    if (size == 1) v = signed ? <u64>load<i8>(p) : <u64>load<u8>(p);
    else if (size == 2) v = signed ? <u64>load<i16>(p) : <u64>load<u16>(p);
    else if (size == 4) v = signed ? <u64>load<i32>(p) : <u64>load<u32>(p);
    else v = load<u64>(p);
    setReg(rd, v);
    return 0;
  }
  return exitMmio(addr, size, signed ? MMIO_SIGNED : 0, rd, 0, len);
}

// Stores that miss the fast path. Returns 0 when done in RAM with nothing to report, EXIT_WATCH
// or EXIT_CODE_WRITE when it hit a flagged page (the store is done; the instruction retires),
// or EXIT_MMIO.
function storeSlow(addr: u64, size: u8, v: u64, len: u8): i32 {
  const off = addr - RAM_BASE;
  const ramSize = load<u64>(RAM_SIZE);
  if (off < ramSize && off + size <= ramSize) {
    const p = RAM + <usize>off;
    if (size == 1) store<u8>(p, <u8>v);
    else if (size == 2) store<u16>(p, <u16>v);
    else if (size == 4) store<u32>(p, <u32>v);
    else store<u64>(p, v);
    const flags = load<u8>(PAGE_FLAGS + <usize>(off >> 12)) | load<u8>(PAGE_FLAGS + <usize>((off + size - 1) >> 12));
    if (flags & PAGE_WATCH) {
      store<u64>(EXIT_ADDR, addr);
      return EXIT_WATCH;
    }
    if ((flags & PAGE_CODE) != 0 && touchesCode(off, size)) {
      store<u64>(EXIT_ADDR, addr);
      store<u8>(EXIT_SIZE, size);
      return EXIT_CODE_WRITE;
    }
    return 0;
  }
  return exitMmio(addr, size, MMIO_STORE, 0, v, len);
}

// Whether RAM bytes [off, off + size) share a code line with translated code.
function touchesCode(off: u64, size: u8): bool {
  const first = off >> CODE_LINE_SHIFT;
  const last = (off + size - 1) >> CODE_LINE_SHIFT;
  for (let line = first; line <= last; line++) {
    if ((load<u8>(CODE_LINES + <usize>(line >> 3)) >> <u8>(line & 7)) & 1) return true;
  }
  return false;
}

// loadVirtual/storeVirtual's result when the access faulted: mmuCause and mmuTval say how.
const TRAPPED: i32 = -2;
let mmuTval: u64 = 0;

// The physical address of `va` for a `size`-byte access, or XLATE_FAULT (mmuCause, mmuTval set).
function translateData(va: u64, access: i32, size: u64): u64 {
  const pa = translateAndCache(va, access, size);
  if (pa == XLATE_FAULT) mmuTval = va;
  return pa;
}

// A load through the MMU that missed the TLB (or crosses a page): 0 when rd holds the value,
// EXIT_MMIO for a device, TRAPPED for a fault.
function loadVirtual(va: u64, size: u8, signed: bool, rd: usize, len: u8): i32 {
  if ((va & 0xfff) + <u64>size <= 0x1000) {
    const pa = translateData(va, ACCESS_LOAD, size);
    if (pa == XLATE_FAULT) return TRAPPED;
    return loadSlow(pa, size, signed, rd, len);
  }
  // Misaligned across two pages: byte by byte, each through its page (RAM only).
  let v: u64 = 0;
  for (let i: u8 = 0; i < size; i++) {
    const pa = translateData(va + i, ACCESS_LOAD, 1);
    if (pa == XLATE_FAULT) return TRAPPED;
    if (pa - RAM_BASE >= load<u64>(RAM_SIZE)) {
      mmuCause = CAUSE_LOAD_ACCESS;
      mmuTval = va + i;
      return TRAPPED;
    }
    v |= <u64>load<u8>(RAM + <usize>(pa - RAM_BASE)) << (<u64>i << 3);
  }
  if (signed) {
    const shift = 64 - (<u64>size << 3);
    v = <u64>((<i64>(v << shift)) >> shift);
  }
  setReg(rd, v);
  return 0;
}

// A store through the MMU that missed the TLB (or crosses a page): storeSlow's result, or TRAPPED.
function storeVirtual(va: u64, size: u8, v: u64, len: u8): i32 {
  if ((va & 0xfff) + <u64>size <= 0x1000) {
    const pa = translateData(va, ACCESS_STORE, size);
    if (pa == XLATE_FAULT) return TRAPPED;
    return storeSlow(pa, size, v, len);
  }
  // Across two pages: both parts must translate before any byte is written.
  const inFirst = 0x1000 - (va & 0xfff);
  const first = translateData(va, ACCESS_STORE, inFirst);
  if (first == XLATE_FAULT) return TRAPPED;
  const second = translateData((va | 0xfff) + 1, ACCESS_STORE, <u64>size - inFirst);
  if (second == XLATE_FAULT) return TRAPPED;
  let result: i32 = 0;
  for (let i: u8 = 0; i < size; i++) {
    const b = va + i;
    const pa = (b & ~(<u64>0xfff)) == (va & ~(<u64>0xfff)) ? first + i : second + (b & 0xfff);
    if (pa - RAM_BASE >= load<u64>(RAM_SIZE)) {
      mmuCause = CAUSE_STORE_ACCESS;
      mmuTval = b;
      return TRAPPED;
    }
    const r = storeSlow(pa, 1, v >> (<u64>i << 3), len);
    if (r != 0) result = r;
  }
  return result;
}

// fetchMiss's results besides its own: the fault's mtval, and whether the page went to the TLB.
let fetchTval: u64 = 0;
let fetchCached = false;

// The paged loop's fetch from a page the fetch TLB does not hold: the Wasm address of pc's page
// (fetchBase), or 0 when the fetch faults (mmuCause, fetchTval). A page PMP grants only in part
// is not cached, so each fetch from it comes here and is checked, the upper half of a 4-byte
// instruction on its own (the loop does that when it is on the next page).
function fetchMiss(pc: u64): u64 {
  const pa = translateAndCache(pc, ACCESS_FETCH, 2);
  fetchTval = pc;
  if (pa == XLATE_FAULT) return 0;
  if (pa - RAM_BASE >= load<u64>(RAM_SIZE)) {
    mmuCause = CAUSE_FETCH_ACCESS;
    return 0;
  }
  fetchCached = load<u64>(tlbEntry(TLB_FETCH, pc)) == tlbTag(pc, ACCESS_FETCH);
  const at = RAM + <usize>(pa - RAM_BASE);
  if (!fetchCached && (pc & 0xfff) != 0xffe && (load<u16>(at) & 3) == 3) {
    fetchTval = pc + 2;
    if (translateAndCache(pc + 2, ACCESS_FETCH, 2) == XLATE_FAULT) return 0;
  }
  return <u64>at - (pc & 0xfff);
}

// The physical address of an AMO/LR/SC operand at `va`: `va` itself when misaligned (amoAddr then
// raises the misaligned exception, which comes before page faults), or XLATE_FAULT.
function translateAmo(va: u64, size: u64, access: i32): u64 {
  if ((va & (size - 1)) != 0) return va;
  return translateData(va, access, size);
}

// Physical address of an aligned AMO/LR/SC operand inside RAM, or a negative cause to raise.
@inline function amoAddr(addr: u64, size: u64, isLoad: bool): i64 {
  if ((addr & (size - 1)) != 0) return -<i64>(isLoad ? CAUSE_LOAD_MISALIGNED : CAUSE_STORE_MISALIGNED);
  const off = addr - RAM_BASE;
  if (off >= load<u64>(RAM_SIZE)) return -<i64>(isLoad ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS);
  return <i64>(RAM + <usize>off);
}

// High 64 bits of the unsigned 128-bit product (Wasm has no 64x64->128 multiply).
export function mulhu(a: u64, b: u64): u64 {
  const al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
  const p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
  const mid = (p0 >> 32) + (p1 & 0xffffffff) + (p2 & 0xffffffff);
  return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}
@inline function mulh(a: u64, b: u64): u64 {
  return mulhu(a, b) - (<i64>a < 0 ? b : 0) - (<i64>b < 0 ? a : 0);
}
@inline function mulhsu(a: u64, b: u64): u64 {
  return mulhu(a, b) - (<i64>a < 0 ? b : 0);
}
@inline function div(a: u64, b: u64): u64 {
  if (b == 0) return u64.MAX_VALUE;
  if (a == 0x8000000000000000 && b == u64.MAX_VALUE) return a;
  return <u64>(<i64>a / <i64>b);
}
@inline function rem(a: u64, b: u64): u64 {
  if (b == 0) return a;
  if (a == 0x8000000000000000 && b == u64.MAX_VALUE) return 0;
  return <u64>(<i64>a % <i64>b);
}
@inline function divw(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return u64.MAX_VALUE;
  if (x == i32.MIN_VALUE && y == -1) return sext32(<u64>x);
  return sext32(<u64>(x / y));
}
@inline function remw(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return sext32(<u64>x);
  if (x == i32.MIN_VALUE && y == -1) return 0;
  return sext32(<u64>(x % y));
}
@inline function divuw(a: u64, b: u64): u64 {
  const x = <u32>a, y = <u32>b;
  return y == 0 ? u64.MAX_VALUE : sext32(<u64>(x / y));
}
@inline function remuw(a: u64, b: u64): u64 {
  const x = <u32>a, y = <u32>b;
  return y == 0 ? sext32(<u64>x) : sext32(<u64>(x % y));
}

// The AMO arithmetic shared by the .W and .D forms (values already sign-extended for .W).
@inline function amoCompute(op: i32, old: u64, src: u64): u64 {
  switch (op) {
    case Op.AMOSWAP_W: case Op.AMOSWAP_D: return src;
    case Op.AMOADD_W: case Op.AMOADD_D: return old + src;
    case Op.AMOXOR_W: case Op.AMOXOR_D: return old ^ src;
    case Op.AMOAND_W: case Op.AMOAND_D: return old & src;
    case Op.AMOOR_W: case Op.AMOOR_D: return old | src;
    case Op.AMOMIN_W: case Op.AMOMIN_D: return <i64>old < <i64>src ? old : src;
    case Op.AMOMAX_W: case Op.AMOMAX_D: return <i64>old > <i64>src ? old : src;
    case Op.AMOMINU_W: case Op.AMOMINU_D: return old < src ? old : src;
    default: return old > src ? old : src; // AMOMAXU
  }
}

@inline function loadSize(op: i32): u8 {
  if (op == Op.LB || op == Op.LBU) return 1;
  if (op == Op.LH || op == Op.LHU) return 2;
  if (op == Op.LW || op == Op.LWU) return 4;
  return 8;
}
@inline function loadTyped(op: i32, p: usize): u64 {
  switch (op) {
    case Op.LB: return <u64>load<i8>(p);
    case Op.LH: return <u64>load<i16>(p);
    case Op.LW: return <u64>load<i32>(p);
    case Op.LD: return load<u64>(p);
    case Op.LBU: return <u64>load<u8>(p);
    case Op.LHU: return <u64>load<u16>(p);
    default: return <u64>load<u32>(p);
  }
}
@inline function storeTyped(op: i32, p: usize, v: u64): void {
  switch (op) {
    case Op.SB: store<u8>(p, <u8>v); break;
    case Op.SH: store<u16>(p, <u16>v); break;
    case Op.SW: store<u32>(p, <u32>v); break;
    default: store<u64>(p, v); break;
  }
}

// F/D instructions that are not loads or stores fail with this (see execFloat): illegal.
const FP_ILLEGAL: i32 = -3;

// flw, fld, fsw, fsd: through the loads' and stores' slow paths (the f register is just another
// register offset), a single NaN-boxed as it lands. Returns 0 when done, TRAPPED, FP_ILLEGAL
// (mstatus.FS is Off), or an exit reason as loadSlow/storeSlow give it.
function floatMemory(op: i32, rd: usize, rs1: usize, rs2: usize, imm: u64, len: u8, vmData: bool): i32 {
  if ((csr(MSTATUS) & MSTATUS_FS) == 0) return FP_ILLEGAL;
  const a = reg(rs1) + imm;
  if (op == Op.FSW || op == Op.FSD) {
    const size: u8 = op == Op.FSW ? 4 : 8;
    return vmData ? storeVirtual(a, size, reg(rs2), len) : storeSlow(a, size, reg(rs2), len);
  }
  const size: u8 = op == Op.FLW ? 4 : 8;
  const r = vmData ? loadVirtual(a, size, false, rd, len) : loadSlow(a, size, false, rd, len);
  if (r == 0) {
    if (size == 4) setReg(rd, reg(rd) | BOX);
    markFsDirty();
  } else if (r == EXIT_MMIO) {
    store<u8>(EXIT_FLAGS, load<u8>(EXIT_FLAGS) | MMIO_FLOAT); // mmioDone boxes and marks
  }
  return r;
}

// Ends run(): writes pc back and adds the retired instructions to minstret.
@inline function leave(pc: u64, retired: i32, reason: i32): i32 {
  store<u64>(PC, pc);
  setCsr(MINSTRET, csr(MINSTRET) + <u64>retired);
  return reason;
}

// Reports a trap the guest has no handler for (see trapEnter).
function fatal(pc: u64, cause: u64, raw: u32): i32 {
  store<u64>(EXIT_ADDR, pc);
  store<u64>(EXIT_VALUE, <u64>raw);
  store<u64>(EXIT_CAUSE, cause);
  return EXIT_FATAL;
}

/**
 * Runs up to `budget` loop iterations (retired instructions plus traps taken) from the pc in the
 * state and returns an exit reason (EXIT_* in layout.ts). Every exit leaves pc and minstret exact:
 * an instruction that exits for the host (MMIO) has not retired; WFI and ECALL exits have.
 * With CONFIG_JIT, every block entry (a taken jump or branch, or the start of the run) looks in
 * the jump cache and calls translated code when there is some, or counts towards EXIT_HOT.
 */
export function run(budget: i32): i32 {
  // Specialisations of one loop, so the plain interpreter carries none of the JIT's or the MMU's
  // checks. A loop leaves with EXIT_MODE when privilege or translation changed under it.
  while (true) {
    const before = csr(MINSTRET);
    const mode = pagingMode();
    const jit = (load<u64>(CONFIG_FLAGS) & CONFIG_JIT) != 0;
    let r: i32;
    // Translated code runs where fetches translate too, but not where loads and stores are at
    // another privilege (M-mode with MPRV): its TLB tags assume the privilege it runs at.
    if (mode == 0) r = jit ? interpretJit(budget) : interpretPlain(budget);
    else r = jit && (mode & 5) == 1 ? interpretPagedJit(budget, mode) : interpretPaged(budget, mode);
    if (r != EXIT_MODE) return r;
    // At least one step went by (traps retire nothing), so this ends.
    budget -= <i32>(csr(MINSTRET) - before) + 1;
    if (budget <= 0) return EXIT_BUDGET;
  }
}
function interpretPlain(budget: i32): i32 {
  return interpret(budget, true, false, 0);
}
function interpretJit(budget: i32): i32 {
  return interpret(budget, true, true, 0);
}
function interpretPaged(budget: i32, mode: i32): i32 {
  return interpret(budget, true, false, mode);
}
function interpretPagedJit(budget: i32, mode: i32): i32 {
  return interpret(budget, true, true, mode);
}

// The jump-cache context of the current mode (layout.ts: JC_CONTEXT).
@inline function jcContext(mode: i32): u64 {
  if ((mode & 1) == 0) return 0;
  return ((priv() + 1) << 58) ^ (load<u64>(JC_GENERATION) << 40);
}

// A block entry under paging missed the jump cache: if the region index (layout.ts: REGION_INDEX)
// holds a translation of this pc from the physical page it maps to now, at this privilege, put it
// in jump-cache entry `j` (REFILLED). Only when the fetch TLB already maps pc (else UNMAPPED: the
// fetch fills it and the next entry here finds it); NOT_INDEXED when it maps pc but nothing is there.
const REFILLED = 1;
const NOT_INDEXED = 0;
const UNMAPPED = -1;
function refillJumpCache(pc: u64, j: usize, context: u64): i32 {
  const e = tlbEntry(TLB_FETCH, pc);
  if (load<u64>(e) != tlbTag(pc, ACCESS_FETCH)) return UNMAPPED;
  const r = REGION_INDEX + ((<usize>(pc >> 1) & (REGION_INDEX_ENTRIES - 1)) << 5);
  const page = (pc & ~(<u64>0xfff)) + load<u64>(e, 8);
  if (load<u64>(r) != pc || load<u64>(r, 8) != (page | (priv() + 1))) return NOT_INDEXED;
  store<u64>(j, pc ^ context);
  store<u64>(j, load<u64>(r, 16), 8); // table index and block
  return REFILLED;
}

/**
 * Executes exactly one instruction at the pc in the state, without taking interrupts or entering
 * translated code: the translator's fallback for any instruction it does not inline (registers are
 * in the state while it runs). Returns EXIT_BUDGET (0) when the instruction retired or trapped
 * into the guest's handler (the pc in the state says where to go on), else the exit reason.
 */
export function execOp(): i32 {
  return interpret(1, false, false, pagingMode());
}

// `top`: a run() from the host (takes pending interrupts); `jit`: block entries consult the jump
// cache; `mode`: csr.pagingMode() (bit 0: fetches translate, bit 1: loads and stores do), 0 except
// in the paged loop. `top` and `jit` are constants at every call site, so they fold away.
@inline function interpret(budget: i32, top: bool, jit: bool, mode: i32): i32 {
  let pc = load<u64>(PC);
  const ramSize = load<u64>(RAM_SIZE);
  const fastLimit = ramSize - 8; // accesses that start at or below this offset fit in RAM
  let steps: i32 = 0; // loop iterations
  let traps: i32 = 0; // iterations that took a trap instead of retiring
  // The fall-through pc of the previous instruction: any other pc is a block entry (a taken
  // branch or jump, a trap handler, an mret target) where translated code may take over.
  let fallthrough: u64 = ~pc;

  const vmFetch = (mode & 1) != 0;
  const vmData = (mode & 2) != 0;
  // The page of the last fetch through the MMU (virtual page, and the Wasm address it maps to).
  let fetchPage: u64 = 1; // an odd value never equals a page address
  let fetchBase: u64 = 0;
  let context = jcContext(mode); // jump-cache tags are pc ^ context
  if (top) store<u64>(JC_CONTEXT, context);

  // An interrupt that became pending while we were away (timer, device) is taken first.
  let irq = top ? pendingInterrupt() : -1;
  if (irq >= 0) {
    pc = trapEnter(pc, INTERRUPT | <u64>irq, 0);
  }

  while (steps < budget) {
    if (modeChanged) {
      // A trap, xRET, satp, mstatus or SFENCE.VMA: another loop may be needed, and the fetch
      // page may no longer be reachable at this privilege.
      clearModeChanged();
      if (pagingMode() != mode) return leave(pc, steps - traps, EXIT_MODE);
      fetchPage = 1;
      context = jcContext(mode);
      store<u64>(JC_CONTEXT, context);
    }
    if (jit && pc != fallthrough) {
      fallthrough = pc;
      // The entry's counter first: below the threshold it cannot have been translated (published
      // entries have theirs at the maximum), and cold code, most block entries of a kernel's
      // boot, skips the jump cache, four times the counters' size, and its cache misses.
      const h = HOT_COUNTERS + ((<usize>(pc >> 1) & (HOT_ENTRIES - 1)) << 2);
      const count = load<u32>(h);
      const threshold = load<u32>(HOT_THRESHOLD);
      let refill = NOT_INDEXED;
      if (count >= threshold) {
        const j = JUMP_CACHE + ((<usize>(pc >> 1) & (JUMP_ENTRIES - 1)) << 4);
        if (load<u64>(j) == (pc ^ context)) {
          store<u64>(STAT_JC_HITS, load<u64>(STAT_JC_HITS) + 1);
          // Translated code runs until it leaves its region; it keeps minstret itself.
          setCsr(MINSTRET, csr(MINSTRET) + <u64>(steps - traps));
          budget -= steps;
          steps = 0;
          traps = 0;
          store<u64>(PC, pc);
          const before = csr(MINSTRET);
          store<u64>(INSTRET_LIMIT, before + <u64>budget);
          const r = call_indirect<i32>(load<u32>(j, 8), load<u32>(j, 12));
          const after = csr(MINSTRET);
          store<u64>(STAT_TRANSLATED_INSNS, load<u64>(STAT_TRANSLATED_INSNS) + (after - before));
          if (r != EXIT_CONTINUE && r != EXIT_STEP) return r;
          budget = <i32>(load<u64>(INSTRET_LIMIT) - after);
          pc = load<u64>(PC);
          // EXIT_STEP: this instruction is the interpreter's, even where a translation starts.
          fallthrough = r == EXIT_STEP ? pc : ~pc;
          continue;
        }
        if (vmFetch) refill = refillJumpCache(pc, j, context);
        if (refill == REFILLED) {
          fallthrough = ~pc; // the next iteration enters it
          continue;
        }
      } else store<u32>(h, count + 1);
      store<u64>(STAT_JC_MISSES, load<u64>(STAT_JC_MISSES) + 1);
      // Reported at the entry past the threshold, and again when a translation published here is
      // gone (invalidated, flushed, or another page mapped at this pc since; after a TLB flush,
      // only once the fetch TLB maps pc again and the region index has nothing): the counter then
      // stays just above the threshold until the host re-arms it (back to 0).
      if (count == threshold || (count == HOT_PUBLISHED && refill == NOT_INDEXED)) {
        store<u32>(h, threshold + 1);
        return leave(pc, steps - traps, EXIT_HOT);
      }
    }
    steps++;
    let raw: u32;
    if (vmFetch) {
      if ((pc & ~(<u64>0xfff)) != fetchPage) {
        const e = tlbEntry(TLB_FETCH, pc);
        if (load<u64>(e) == tlbTag(pc, ACCESS_FETCH)) {
          fetchBase = pc + load<u64>(e, 8) - (pc & 0xfff);
          fetchPage = pc & ~(<u64>0xfff);
        } else {
          const base = fetchMiss(pc);
          if (base == 0) {
            const t = trapEnter(pc, mmuCause, fetchTval);
            if (t == NO_HANDLER) return leave(pc, steps - 1 - traps, fatal(pc, mmuCause, 0));
            pc = t;
            traps++;
            continue;
          }
          fetchBase = base;
          fetchPage = fetchCached ? pc & ~(<u64>0xfff) : 1;
        }
      }
      const at = <usize>(fetchBase + (pc & 0xfff));
      raw = load<u16>(at);
      if ((raw & 3) == 3) {
        if ((pc & 0xfff) != 0xffe) raw = load<u32>(at);
        else {
          // A 4-byte instruction across a page boundary: its upper half is on the next page.
          const pa2 = translateAndCache(pc + 2, ACCESS_FETCH, 2);
          const cause = pa2 == XLATE_FAULT ? mmuCause : pa2 - RAM_BASE >= ramSize ? CAUSE_FETCH_ACCESS : 0;
          if (cause != 0) {
            const t = trapEnter(pc, cause, pc + 2);
            if (t == NO_HANDLER) return leave(pc, steps - 1 - traps, fatal(pc, cause, 0));
            pc = t;
            traps++;
            continue;
          }
          raw |= <u32>load<u16>(RAM + <usize>(pa2 - RAM_BASE)) << 16;
        }
      }
    } else {
      const poff = pc - RAM_BASE;
      if (poff >= ramSize) {
        const t = trapEnter(pc, CAUSE_FETCH_ACCESS, pc);
        if (t == NO_HANDLER) return leave(pc, steps - 1 - traps, fatal(pc, CAUSE_FETCH_ACCESS, 0));
        pc = t;
        traps++;
        continue;
      }
      raw = load<u32>(RAM + <usize>poff);
    }
    const e = DECODE_CACHE + ((<usize>(pc >> 1) & (DECODE_ENTRIES - 1)) << 4);
    if (load<u32>(e, D_RAW) != raw) decodeInto(raw, e);
    const op = <i32>load<u8>(e, D_OP);
    const rd = <usize>load<u16>(e, D_RD);
    const rs1 = <usize>load<u16>(e, D_RS1);
    const rs2 = <usize>load<u16>(e, D_RS2);
    const imm = <u64>(<i64>load<i32>(e, D_IMM));
    const len = load<u8>(e, D_LEN);
    let next = pc + <u64>len;

    switch (op) {
      // --- RV64I: upper immediates and jumps ---
      case Op.LUI: setReg(rd, imm); break;
      case Op.AUIPC: setReg(rd, pc + imm); break;
      case Op.JAL: setReg(rd, next); next = pc + imm; break;
      case Op.JALR: {
        const t = (reg(rs1) + imm) & ~(<u64>1);
        setReg(rd, next);
        next = t;
        break;
      }
      // --- branches ---
      case Op.BEQ: if (reg(rs1) == reg(rs2)) next = pc + imm; break;
      case Op.BNE: if (reg(rs1) != reg(rs2)) next = pc + imm; break;
      case Op.BLT: if (<i64>reg(rs1) < <i64>reg(rs2)) next = pc + imm; break;
      case Op.BGE: if (<i64>reg(rs1) >= <i64>reg(rs2)) next = pc + imm; break;
      case Op.BLTU: if (reg(rs1) < reg(rs2)) next = pc + imm; break;
      case Op.BGEU: if (reg(rs1) >= reg(rs2)) next = pc + imm; break;
      // --- loads: fast path when the whole access is in RAM ---
      case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU: {
        const a = reg(rs1) + imm;
        if (vmData) {
          const size = loadSize(op);
          const e = tlbEntry(TLB_LOAD, a);
          if (load<u64>(e) == tlbTag(a, ACCESS_LOAD) && (a & 0xfff) <= <u64>(0x1000 - size)) {
            setReg(rd, loadTyped(op, <usize>(a + load<u64>(e, 8))));
            break;
          }
          const signed = op == Op.LB || op == Op.LH || op == Op.LW;
          const r = loadVirtual(a, size, signed, rd, len);
          if (r == TRAPPED) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
          if (r != 0) return leave(pc, steps - 1 - traps, r);
          break;
        }
        const off = a - RAM_BASE;
        if (off <= fastLimit) {
          setReg(rd, loadTyped(op, RAM + <usize>off));
          break;
        }
        const size = loadSize(op);
        const signed = op == Op.LB || op == Op.LH || op == Op.LW;
        const r = loadSlow(a, size, signed, rd, len);
        if (r != 0) return leave(pc, steps - 1 - traps, r);
        break;
      }
      // --- stores: fast path when in RAM and the page has no flags (watch, translated code) ---
      case Op.SB: case Op.SH: case Op.SW: case Op.SD: {
        const a = reg(rs1) + imm;
        const v = reg(rs2);
        if (vmData) {
          const size: u8 = op == Op.SB ? 1 : op == Op.SH ? 2 : op == Op.SW ? 4 : 8;
          const e = tlbEntry(TLB_STORE, a);
          if (load<u64>(e) == tlbTag(a, ACCESS_STORE) && (a & 0xfff) <= <u64>(0x1000 - size)) {
            storeTyped(op, <usize>(a + load<u64>(e, 8)), v);
            break;
          }
          const r = storeVirtual(a, size, v, len);
          if (r == TRAPPED) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
          if (r == EXIT_MMIO) return leave(pc, steps - 1 - traps, r);
          if (r != 0) return leave(next, steps - traps, r);
          break;
        }
        const off = a - RAM_BASE;
        if (off <= fastLimit && load<u8>(PAGE_FLAGS + <usize>(off >> 12)) == 0) {
          storeTyped(op, RAM + <usize>off, v);
          break;
        }
        const size: u8 = op == Op.SB ? 1 : op == Op.SH ? 2 : op == Op.SW ? 4 : 8;
        const r = storeSlow(a, size, v, len);
        if (r == EXIT_MMIO) return leave(pc, steps - 1 - traps, r);
        if (r != 0) return leave(next, steps - traps, r);
        break;
      }
      // --- integer register-immediate ---
      case Op.ADDI: setReg(rd, reg(rs1) + imm); break;
      case Op.SLTI: setReg(rd, <i64>reg(rs1) < <i64>imm ? 1 : 0); break;
      case Op.SLTIU: setReg(rd, reg(rs1) < imm ? 1 : 0); break;
      case Op.XORI: setReg(rd, reg(rs1) ^ imm); break;
      case Op.ORI: setReg(rd, reg(rs1) | imm); break;
      case Op.ANDI: setReg(rd, reg(rs1) & imm); break;
      case Op.SLLI: setReg(rd, reg(rs1) << imm); break;
      case Op.SRLI: setReg(rd, reg(rs1) >> imm); break;
      case Op.SRAI: setReg(rd, <u64>(<i64>reg(rs1) >> <i64>imm)); break;
      // --- integer register-register ---
      case Op.ADD: setReg(rd, reg(rs1) + reg(rs2)); break;
      case Op.SUB: setReg(rd, reg(rs1) - reg(rs2)); break;
      case Op.SLL: setReg(rd, reg(rs1) << reg(rs2)); break;
      case Op.SLT: setReg(rd, <i64>reg(rs1) < <i64>reg(rs2) ? 1 : 0); break;
      case Op.SLTU: setReg(rd, reg(rs1) < reg(rs2) ? 1 : 0); break;
      case Op.XOR: setReg(rd, reg(rs1) ^ reg(rs2)); break;
      case Op.SRL: setReg(rd, reg(rs1) >> reg(rs2)); break;
      case Op.SRA: setReg(rd, <u64>(<i64>reg(rs1) >> <i64>reg(rs2))); break;
      case Op.OR: setReg(rd, reg(rs1) | reg(rs2)); break;
      case Op.AND: setReg(rd, reg(rs1) & reg(rs2)); break;
      // --- RV64I word forms ---
      case Op.ADDIW: setReg(rd, sext32(reg(rs1) + imm)); break;
      case Op.SLLIW: setReg(rd, sext32(<u64>(<u32>reg(rs1) << <u32>imm))); break;
      case Op.SRLIW: setReg(rd, sext32(<u64>(<u32>reg(rs1) >> <u32>imm))); break;
      case Op.SRAIW: setReg(rd, <u64>(<i64>(<i32>reg(rs1) >> <i32>imm))); break;
      case Op.ADDW: setReg(rd, sext32(reg(rs1) + reg(rs2))); break;
      case Op.SUBW: setReg(rd, sext32(reg(rs1) - reg(rs2))); break;
      case Op.SLLW: setReg(rd, sext32(<u64>(<u32>reg(rs1) << <u32>reg(rs2)))); break;
      case Op.SRLW: setReg(rd, sext32(<u64>(<u32>reg(rs1) >> <u32>reg(rs2)))); break;
      case Op.SRAW: setReg(rd, <u64>(<i64>(<i32>reg(rs1) >> <i32>reg(rs2)))); break;
      // --- M ---
      case Op.MUL: setReg(rd, reg(rs1) * reg(rs2)); break;
      case Op.MULH: setReg(rd, mulh(reg(rs1), reg(rs2))); break;
      case Op.MULHSU: setReg(rd, mulhsu(reg(rs1), reg(rs2))); break;
      case Op.MULHU: setReg(rd, mulhu(reg(rs1), reg(rs2))); break;
      case Op.DIV: setReg(rd, div(reg(rs1), reg(rs2))); break;
      case Op.DIVU: { const b = reg(rs2); setReg(rd, b == 0 ? u64.MAX_VALUE : reg(rs1) / b); break; }
      case Op.REM: setReg(rd, rem(reg(rs1), reg(rs2))); break;
      case Op.REMU: { const b = reg(rs2); setReg(rd, b == 0 ? reg(rs1) : reg(rs1) % b); break; }
      case Op.MULW: setReg(rd, sext32(reg(rs1) * reg(rs2))); break;
      case Op.DIVW: setReg(rd, divw(reg(rs1), reg(rs2))); break;
      case Op.DIVUW: setReg(rd, divuw(reg(rs1), reg(rs2))); break;
      case Op.REMW: setReg(rd, remw(reg(rs1), reg(rs2))); break;
      case Op.REMUW: setReg(rd, remuw(reg(rs1), reg(rs2))); break;
      // --- A: one hart, so an AMO is a plain read-modify-write on RAM ---
      case Op.LR_W: case Op.LR_D: {
        const size: u64 = op == Op.LR_W ? 4 : 8;
        const a = reg(rs1);
        const pa = vmData ? translateAmo(a, size, ACCESS_LOAD) : a;
        if (pa == XLATE_FAULT) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
        const p = amoAddr(pa, size, true);
        if (p < 0) { pc = trapEnter(pc, <u64>(-p), a); traps++; continue; }
        setReg(rd, size == 4 ? <u64>load<i32>(<usize>p) : load<u64>(<usize>p));
        store<u64>(RESERVATION, a);
        break;
      }
      case Op.SC_W: case Op.SC_D: {
        const size: u64 = op == Op.SC_W ? 4 : 8;
        const a = reg(rs1);
        const pa = vmData ? translateAmo(a, size, ACCESS_STORE) : a;
        if (pa == XLATE_FAULT) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
        const p = amoAddr(pa, size, false);
        if (p < 0) { pc = trapEnter(pc, <u64>(-p), a); traps++; continue; }
        const ok = load<u64>(RESERVATION) == a;
        store<u64>(RESERVATION, u64.MAX_VALUE);
        if (ok) {
          const r = storeSlow(pa, <u8>size, reg(rs2), len);
          setReg(rd, 0);
          if (r != 0) return leave(next, steps - traps, r);
        } else {
          setReg(rd, 1);
        }
        break;
      }
      case Op.AMOSWAP_W: case Op.AMOADD_W: case Op.AMOXOR_W: case Op.AMOAND_W: case Op.AMOOR_W:
      case Op.AMOMIN_W: case Op.AMOMAX_W: case Op.AMOMINU_W: case Op.AMOMAXU_W: {
        const a = reg(rs1);
        const pa = vmData ? translateAmo(a, 4, ACCESS_STORE) : a;
        if (pa == XLATE_FAULT) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
        const p = amoAddr(pa, 4, false);
        if (p < 0) { pc = trapEnter(pc, <u64>(-p), a); traps++; continue; }
        const old = <u64>load<i32>(<usize>p);
        const src = <u64>(<i32>reg(rs2));
        const r = storeSlow(pa, 4, amoCompute(op, old, src), len);
        setReg(rd, old);
        if (r != 0) return leave(next, steps - traps, r);
        break;
      }
      case Op.AMOSWAP_D: case Op.AMOADD_D: case Op.AMOXOR_D: case Op.AMOAND_D: case Op.AMOOR_D:
      case Op.AMOMIN_D: case Op.AMOMAX_D: case Op.AMOMINU_D: case Op.AMOMAXU_D: {
        const a = reg(rs1);
        const pa = vmData ? translateAmo(a, 8, ACCESS_STORE) : a;
        if (pa == XLATE_FAULT) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
        const p = amoAddr(pa, 8, false);
        if (p < 0) { pc = trapEnter(pc, <u64>(-p), a); traps++; continue; }
        const old = load<u64>(<usize>p);
        const r = storeSlow(pa, 8, amoCompute(op, old, reg(rs2)), len);
        setReg(rd, old);
        if (r != 0) return leave(next, steps - traps, r);
        break;
      }
      // --- fences: one hart and a self-validating decode cache make them no-ops here ---
      case Op.FENCE: case Op.FENCE_I: break;
      // --- Zicsr ---
      case Op.CSRRW: case Op.CSRRS: case Op.CSRRC: case Op.CSRRWI: case Op.CSRRSI: case Op.CSRRCI: {
        const num = <u32>imm;
        const isImm = op == Op.CSRRWI || op == Op.CSRRSI || op == Op.CSRRCI;
        const src: u64 = isImm ? <u64>rs1 : reg(rs1);
        // csrrs/csrrc with x0 (or zimm 0) only read: legal on read-only CSRs.
        const writes = op == Op.CSRRW || op == Op.CSRRWI || rs1 != 0;
        if (!csrAccessible(num, writes)) {
          pc = trapEnter(pc, CAUSE_ILLEGAL, <u64>(len == 2 ? raw & 0xffff : raw));
          traps++;
          continue;
        }
        pendingRetired = <u64>(steps - 1 - traps);
        const old = csrRead(num);
        if (writes) {
          let v = src;
          if (op == Op.CSRRS || op == Op.CSRRSI) v = old | src;
          else if (op == Op.CSRRC || op == Op.CSRRCI) v = old & ~src;
          pendingRetired++; // the write is seen after this instruction retires
          csrWrite(num, v);
        }
        pendingRetired = 0;
        setReg(rd, old);
        if (writes) {
          // Enabling interrupts can make one deliverable right after this instruction.
          irq = pendingInterrupt();
          if (irq >= 0) {
            steps++; // this instruction retires; the interrupt is taken before the next
            pc = trapEnter(next, INTERRUPT | <u64>irq, 0);
            traps++;
            continue;
          }
        }
        break;
      }
      // --- privileged ---
      case Op.ECALL: {
        // With SBI in the supervisor, an ECALL from S-mode is a hypercall.
        if ((load<u64>(CONFIG_FLAGS) & CONFIG_ECALL_EXITS) != 0 && priv() == PRIV_S)
          return leave(next, steps - traps, EXIT_ECALL);
        pc = trapEnter(pc, CAUSE_ECALL_U + priv(), 0);
        traps++;
        continue;
      }
      case Op.EBREAK: pc = trapEnter(pc, CAUSE_BREAKPOINT, pc); traps++; continue;
      case Op.MRET: case Op.SRET: {
        // MRET from M only; SRET from M, or from S unless mstatus.TSR traps it.
        const p = priv();
        const allowed = op == Op.MRET
          ? p == PRIV_M
          : p == PRIV_M || (p == PRIV_S && (csr(MSTATUS) & MSTATUS_TSR) == 0);
        if (!allowed) { pc = trapEnter(pc, CAUSE_ILLEGAL, <u64>(len == 2 ? raw & 0xffff : raw)); traps++; continue; }
        next = op == Op.MRET ? trapReturn() : supervisorReturn();
        irq = pendingInterrupt();
        if (irq >= 0) {
          steps++;
          pc = trapEnter(next, INTERRUPT | <u64>irq, 0);
          traps++;
          continue;
        }
        break;
      }
      case Op.SFENCE_VMA: {
        const p = priv();
        if (p == PRIV_U || (p == PRIV_S && (csr(MSTATUS) & MSTATUS_TVM) != 0)) {
          pc = trapEnter(pc, CAUSE_ILLEGAL, <u64>raw);
          traps++;
          continue;
        }
        flushTlb(); // every entry, whatever the address and ASID operands narrow it to
        break;
      }
      case Op.WFI: {
        // U-mode may not wait; S-mode may not when mstatus.TW is set.
        if (priv() == PRIV_U || (priv() != PRIV_M && (csr(MSTATUS) & MSTATUS_TW) != 0)) {
          pc = trapEnter(pc, CAUSE_ILLEGAL, <u64>raw);
          traps++;
          continue;
        }
        // Nothing to wait for if an enabled interrupt is already pending.
        if ((csr(MIP) & csr(MIE)) != 0) break;
        return leave(next, steps - traps, EXIT_WFI);
      }
      default: {
        if (op >= Op.FLW) {
          // F and D: out of line, so that the integer loop stays as it was.
          const r = op == Op.FLW || op == Op.FLD || op == Op.FSW || op == Op.FSD
            ? floatMemory(op, rd, rs1, rs2, imm, len, vmData)
            : execFloat(op, rd, rs1, rs2, <i32>imm) ? 0 : FP_ILLEGAL;
          if (r == 0) break;
          if (r == TRAPPED) { pc = trapEnter(pc, mmuCause, mmuTval); traps++; continue; }
          if (r == EXIT_MMIO) return leave(pc, steps - 1 - traps, r);
          if (r != FP_ILLEGAL) return leave(next, steps - traps, r); // a store hit a flagged page
        }
        // ILLEGAL, and instructions of extensions or modes this hart does not have (SRET,
        // SFENCE.VMA without S-mode), or F/D ones while mstatus.FS is Off.
        const bits = <u64>(len == 2 ? raw & 0xffff : raw);
        const t = trapEnter(pc, CAUSE_ILLEGAL, bits);
        if (t == NO_HANDLER) return leave(pc, steps - 1 - traps, fatal(pc, CAUSE_ILLEGAL, <u32>bits));
        pc = t;
        traps++;
        continue;
      }
    }
    fallthrough = pc + <u64>len;
    pc = next;
  }
  // The last step may have changed privilege or translation. For execOp (translated code's
  // fallback) any such change ends the region: its code and jump-cache context assumed the old
  // ones (e.g. after SFENCE.VMA its own page may map elsewhere).
  if (modeChanged && (!top || pagingMode() != mode)) {
    clearModeChanged();
    return leave(pc, steps - traps, EXIT_MODE);
  }
  return leave(pc, steps - traps, EXIT_BUDGET);
}
