// The CSR file and trap entry. CSR values live in the CSRS array of the state layout (8 bytes per
// CSR number); this module adds the behaviour: privilege checks, WARL masks, views and counters.
import { CSRS, PC, PRIV, RESERVATION } from './layout';

// CSR numbers used by the core.
export const MSTATUS: u32 = 0x300;
export const MISA: u32 = 0x301;
export const MEDELEG: u32 = 0x302;
export const MIDELEG: u32 = 0x303;
export const MIE: u32 = 0x304;
export const MTVEC: u32 = 0x305;
export const MCOUNTEREN: u32 = 0x306;
export const MENVCFG: u32 = 0x30a;
export const MCOUNTINHIBIT: u32 = 0x320;
export const MSCRATCH: u32 = 0x340;
export const MEPC: u32 = 0x341;
export const MCAUSE: u32 = 0x342;
export const MTVAL: u32 = 0x343;
export const MIP: u32 = 0x344;
export const MCYCLE: u32 = 0xb00;
export const MINSTRET: u32 = 0xb02;
export const CYCLE: u32 = 0xc00;
export const TIME: u32 = 0xc01;
export const INSTRET: u32 = 0xc02;
export const MVENDORID: u32 = 0xf11;
export const MARCHID: u32 = 0xf12;
export const MIMPID: u32 = 0xf13;
export const MHARTID: u32 = 0xf14;
export const MCONFIGPTR: u32 = 0xf15;
export const TSELECT: u32 = 0x7a0;
export const TDATA1: u32 = 0x7a1;
export const TDATA2: u32 = 0x7a2;

// Privilege levels.
export const PRIV_U: u64 = 0;
export const PRIV_M: u64 = 3;

// mstatus fields.
export const MSTATUS_MIE: u64 = 1 << 3;
export const MSTATUS_MPIE: u64 = 1 << 7;
export const MSTATUS_MPP: u64 = 3 << 11;
export const MSTATUS_MPRV: u64 = 1 << 17;
export const MSTATUS_TW: u64 = 1 << 21;
const MSTATUS_UXL: u64 = 2 << 32; // U-mode is RV64 too (read-only)
const MSTATUS_WRITABLE: u64 = MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TW;

// Interrupt bits (mip/mie) and the order in which pending ones are taken (privileged spec 3.1.9).
export const IRQ_MSI: u32 = 3;
export const IRQ_MTI: u32 = 7;
export const IRQ_MEI: u32 = 11;
const MIE_WRITABLE: u64 = (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_MEI);
export const INTERRUPT: u64 = 1 << 63;

// Exception causes.
export const CAUSE_FETCH_ACCESS: u64 = 1;
export const CAUSE_ILLEGAL: u64 = 2;
export const CAUSE_BREAKPOINT: u64 = 3;
export const CAUSE_LOAD_MISALIGNED: u64 = 4;
export const CAUSE_LOAD_ACCESS: u64 = 5;
export const CAUSE_STORE_MISALIGNED: u64 = 6;
export const CAUSE_STORE_ACCESS: u64 = 7;
export const CAUSE_ECALL_U: u64 = 8;

// misa: RV64 (MXL = 2) with I, M, A, C and U-mode.
const MISA_VALUE: u64 = (<u64>2 << 62) | (1 << 8) /* I */ | (1 << 12) /* M */ | (1 << 0) /* A */ | (1 << 2) /* C */ |
  (1 << 20) /* U */;

// The machine's time (CLINT mtime, 10 MHz) comes from the host: wall clock or, when the run is
// deterministic, a function of retired instructions.
// @ts-ignore: decorator
@external('env', 'mtime')
declare function hostMtime(): u64;

@inline export function csr(num: u32): u64 {
  return load<u64>(CSRS + (<usize>num << 3));
}
@inline export function setCsr(num: u32, v: u64): void {
  store<u64>(CSRS + (<usize>num << 3), v);
}
@inline export function priv(): u64 {
  return load<u64>(PRIV);
}

// Instructions retired by the run loop that are not yet added to minstret (the loop keeps its count
// in a local and publishes it here before any CSR access, so counter reads are exact).
export let pendingRetired: u64 = 0;

function instret(): u64 {
  return csr(MINSTRET) + pendingRetired;
}

export function resetCsrs(): void {
  memory.fill(CSRS, 0, 4096 * 8);
  setCsr(MISA, MISA_VALUE);
  setCsr(MSTATUS, MSTATUS_UXL | MSTATUS_MPP);
  store<u64>(PRIV, PRIV_M);
  store<u64>(RESERVATION, u64.MAX_VALUE);
}

// Whether `num` exists and may be accessed at the current privilege (and written, if `write`).
export function csrAccessible(num: u32, write: bool): bool {
  if (<u64>((num >> 8) & 3) > priv()) return false;
  if (write && (num >> 10) == 3) return false;
  if (num >= CYCLE && num <= 0xc1f) {
    // User counters: M-mode always, U-mode only where mcounteren allows.
    if (priv() < PRIV_M && ((csr(MCOUNTEREN) >> (num - CYCLE)) & 1) == 0) return false;
    return true;
  }
  if (num >= 0xb03 && num <= 0xb1f) return true; // mhpmcounter3..31: read zero
  if (num >= 0x323 && num <= 0x33f) return true; // mhpmevent3..31: read zero
  if (num >= 0x3a0 && num <= 0x3ef) return true; // pmpcfg/pmpaddr: kept, not enforced yet
  switch (num) {
    case MSTATUS:
    case MISA:
    case MEDELEG:
    case MIDELEG:
    case MIE:
    case MTVEC:
    case MCOUNTEREN:
    case MENVCFG:
    case MCOUNTINHIBIT:
    case MSCRATCH:
    case MEPC:
    case MCAUSE:
    case MTVAL:
    case MIP:
    case MCYCLE:
    case MINSTRET:
    case MVENDORID:
    case MARCHID:
    case MIMPID:
    case MHARTID:
    case MCONFIGPTR:
    case TSELECT:
    case TDATA1:
    case TDATA2:
      return true;
  }
  return false;
}

export function csrRead(num: u32): u64 {
  switch (num) {
    case CYCLE:
    case MCYCLE:
      // One cycle per retired instruction; mcycle keeps its own offset so it can be written.
      return instret() + csr(MCYCLE);
    case INSTRET:
    case MINSTRET:
      return instret();
    case TIME:
      return hostMtime();
    case TSELECT:
    case TDATA1:
    case TDATA2:
      return 0; // no triggers: tselect reads 0, tdata1 type 0 ("no trigger here")
  }
  if ((num >= 0xb03 && num <= 0xb1f) || (num >= 0xc03 && num <= 0xc1f) || (num >= 0x323 && num <= 0x33f))
    return 0;
  return csr(num);
}

// Writes with the WARL rules. A write to a counter takes effect after the writing instruction
// retires, so the next instruction reads exactly the value written (pendingRetired includes it).
export function csrWrite(num: u32, v: u64): void {
  switch (num) {
    case MSTATUS: {
      let next = (csr(MSTATUS) & ~MSTATUS_WRITABLE) | (v & MSTATUS_WRITABLE);
      const mpp = (next & MSTATUS_MPP) >> 11;
      if (mpp != PRIV_M && mpp != PRIV_U) next = (next & ~MSTATUS_MPP) | (csr(MSTATUS) & MSTATUS_MPP);
      setCsr(MSTATUS, next);
      return;
    }
    case MIE:
      setCsr(MIE, v & MIE_WRITABLE);
      return;
    case MIP:
      return; // MSIP, MTIP and MEIP are driven by the CLINT and PLIC, not by software
    case MTVEC:
      setCsr(MTVEC, (v & 1) != 0 ? v & ~(<u64>2) : v & ~(<u64>3));
      return;
    case MEPC:
      setCsr(MEPC, v & ~(<u64>1));
      return;
    case MEDELEG:
      setCsr(MEDELEG, v & 0xb3ff); // exceptions 0-15 except ecall from M (11) and reserved 14
      return;
    case MIDELEG:
      setCsr(MIDELEG, v & 0x222); // the supervisor interrupts
      return;
    case MCOUNTEREN:
      setCsr(MCOUNTEREN, v & 0xffffffff);
      return;
    case MCYCLE:
      setCsr(MCYCLE, v - instret());
      return;
    case MINSTRET:
      setCsr(MINSTRET, v - pendingRetired);
      return;
    case MISA:
    case TSELECT:
    case TDATA1:
    case TDATA2:
      return; // WARL with a single legal value
  }
  if ((num >= 0xb03 && num <= 0xb1f) || (num >= 0x323 && num <= 0x33f)) return;
  setCsr(num, v);
}

// The highest-priority interrupt that is pending, enabled and allowed at the current privilege, or
// -1. Machine interrupts are taken in lower modes even when mstatus.MIE is clear.
export function pendingInterrupt(): i32 {
  const pending = csr(MIP) & csr(MIE);
  if (pending == 0) return -1;
  if (priv() == PRIV_M && (csr(MSTATUS) & MSTATUS_MIE) == 0) return -1;
  if (pending & (1 << IRQ_MEI)) return IRQ_MEI;
  if (pending & (1 << IRQ_MSI)) return IRQ_MSI;
  if (pending & (1 << IRQ_MTI)) return IRQ_MTI;
  return -1;
}

// Enters the machine-mode trap handler and returns the new pc. When the handler's own first
// instruction is the one that faults (mtvec still 0, or pointing at garbage), returns NO_HANDLER
// instead and leaves every CSR as the previous trap set it, so the host can report both.
export const NO_HANDLER: u64 = u64.MAX_VALUE;

export function trapEnter(pc: u64, cause: u64, tval: u64): u64 {
  const tvec = csr(MTVEC);
  const base = tvec & ~(<u64>3);
  let target = base;
  if ((cause & INTERRUPT) != 0 && (tvec & 1) != 0) target = base + ((cause & 0xff) << 2);
  if (target == pc && (cause == CAUSE_FETCH_ACCESS || cause == CAUSE_ILLEGAL)) return NO_HANDLER;
  setCsr(MEPC, pc);
  setCsr(MCAUSE, cause);
  setCsr(MTVAL, tval);
  const s = csr(MSTATUS);
  const mie = (s & MSTATUS_MIE) << 4; // MIE (bit 3) -> MPIE (bit 7)
  setCsr(MSTATUS, (s & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) | mie | (priv() << 11));
  store<u64>(PRIV, PRIV_M);
  return target;
}

// MRET: back to the privilege in mstatus.MPP at mepc.
export function trapReturn(): u64 {
  const s = csr(MSTATUS);
  const mpp = (s & MSTATUS_MPP) >> 11;
  const mpie = (s & MSTATUS_MPIE) >> 4; // MPIE -> MIE
  let next = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | mpie | MSTATUS_MPIE; // MPP <- U (least privileged)
  if (mpp != PRIV_M) next &= ~MSTATUS_MPRV;
  setCsr(MSTATUS, next);
  store<u64>(PRIV, mpp);
  return csr(MEPC);
}

// Keeps PC exported for the host-side helpers in index.ts.
export function currentPc(): u64 {
  return load<u64>(PC);
}
