// The CSR file and trap entry. CSR values live in the CSRS array of the state layout (8 bytes per
// CSR number); this module adds the behaviour: privilege checks, WARL masks, views and counters.
import { CSRS, PC, PMP_STATE, PRIV, RESERVATION } from './layout';
import { flushTlb, markModeChanged } from './tlb';
import { PMP_CHECK_M, PMP_CHECK_SU, PMPADDR0, pmpaddrWritable, pmpcfgWrite, pmpUpdate } from './pmp';

// CSR numbers used by the core.
export const FFLAGS: u32 = 0x001; // views of fcsr: fflags is fcsr[4:0], frm fcsr[7:5]
export const FRM: u32 = 0x002;
export const FCSR: u32 = 0x003; // the one stored: frm << 5 | fflags
export const SSTATUS: u32 = 0x100;
export const SIE: u32 = 0x104;
export const STVEC: u32 = 0x105;
export const SCOUNTEREN: u32 = 0x106;
export const SENVCFG: u32 = 0x10a;
export const SSCRATCH: u32 = 0x140;
export const SEPC: u32 = 0x141;
export const SCAUSE: u32 = 0x142;
export const STVAL: u32 = 0x143;
export const SIP: u32 = 0x144;
export const STIMECMP: u32 = 0x14d;
export const SATP: u32 = 0x180;
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
export const PRIV_S: u64 = 1;
export const PRIV_M: u64 = 3;

// mstatus fields.
export const MSTATUS_SIE: u64 = 1 << 1;
export const MSTATUS_MIE: u64 = 1 << 3;
export const MSTATUS_SPIE: u64 = 1 << 5;
export const MSTATUS_MPIE: u64 = 1 << 7;
export const MSTATUS_SPP: u64 = 1 << 8;
export const MSTATUS_MPP: u64 = 3 << 11;
export const MSTATUS_MPRV: u64 = 1 << 17;
export const MSTATUS_SUM: u64 = 1 << 18;
export const MSTATUS_MXR: u64 = 1 << 19;
export const MSTATUS_TVM: u64 = 1 << 20;
export const MSTATUS_TW: u64 = 1 << 21;
export const MSTATUS_TSR: u64 = 1 << 22;
export const MSTATUS_FS: u64 = 3 << 13; // F/D state: 0 Off (FP instructions illegal), 1 Initial, 2 Clean, 3 Dirty
export const MSTATUS_SD: u64 = <u64>1 << 63; // read-only: FS is Dirty
const MSTATUS_XXL: u64 = (<u64>2 << 32) | (<u64>2 << 34); // U- and S-mode are RV64 too (read-only)
const MSTATUS_WRITABLE: u64 = MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP |
  MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_FS;
// The part of mstatus that sstatus shows, and what S-mode may change through it.
const SSTATUS_VIEW: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | (<u64>3 << 32) |
  MSTATUS_FS | MSTATUS_SD;
const SSTATUS_WRITABLE: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_FS;
// Fields whose change alters how loads and stores translate (the TLB tags hold them, so no flush).
const MSTATUS_VM_FIELDS: u64 = MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR;

// menvcfg.STCE: the Sstc extension is on (stimecmp drives STIP, S-mode may use stimecmp).
export const MENVCFG_STCE: u64 = <u64>1 << 63;

// satp: Sv39 is the one translating mode.
export const SATP_MODE_SV39: u64 = 8;

// Interrupt bits (mip/mie).
export const IRQ_SSI: u32 = 1;
export const IRQ_MSI: u32 = 3;
export const IRQ_STI: u32 = 5;
export const IRQ_MTI: u32 = 7;
export const IRQ_SEI: u32 = 9;
export const IRQ_MEI: u32 = 11;
const MIE_WRITABLE: u64 = (1 << IRQ_SSI) | (1 << IRQ_MSI) | (1 << IRQ_STI) | (1 << IRQ_MTI) | (1 << IRQ_SEI) |
  (1 << IRQ_MEI);
const S_INTERRUPTS: u64 = (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI);
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
export const CAUSE_FETCH_PAGE: u64 = 12;
export const CAUSE_LOAD_PAGE: u64 = 13;
export const CAUSE_STORE_PAGE: u64 = 15;

// misa: RV64 (MXL = 2) with I, M, A, F, D, C, S- and U-mode.
const MISA_VALUE: u64 = (<u64>2 << 62) | (1 << 8) /* I */ | (1 << 12) /* M */ | (1 << 0) /* A */ | (1 << 5) /* F */ |
  (1 << 3) /* D */ | (1 << 2) /* C */ | (1 << 18) /* S */ | (1 << 20) /* U */;

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
  setCsr(MSTATUS, MSTATUS_XXL | MSTATUS_MPP);
  setCsr(STIMECMP, u64.MAX_VALUE);
  store<u64>(PRIV, PRIV_M);
  store<u64>(RESERVATION, u64.MAX_VALUE);
  pmpUpdate(); // no entry active: S and U can reach nothing yet
}

// Whether `num` exists and may be accessed at the current privilege (and written, if `write`).
export function csrAccessible(num: u32, write: bool): bool {
  const p = priv();
  if (<u64>((num >> 8) & 3) > p) return false;
  if (write && (num >> 10) == 3) return false;
  if (num >= CYCLE && num <= 0xc1f) {
    // User counters: M-mode always; S-mode where mcounteren allows; U-mode where both allow.
    const bit = num - CYCLE;
    if (p < PRIV_M && ((csr(MCOUNTEREN) >> bit) & 1) == 0) return false;
    if (p < PRIV_S && ((csr(SCOUNTEREN) >> bit) & 1) == 0) return false;
    return true;
  }
  if (num >= 0xb03 && num <= 0xb1f) return true; // mhpmcounter3..31: read zero
  if (num >= 0x323 && num <= 0x33f) return true; // mhpmevent3..31: read zero
  if (num >= 0x3a0 && num <= 0x3af) return (num & 1) == 0; // pmpcfg0, 2, ... 14 (RV64: even only)
  if (num >= 0x3b0 && num <= 0x3ef) return true; // pmpaddr0..63
  switch (num) {
    case FFLAGS:
    case FRM:
    case FCSR:
      return (csr(MSTATUS) & MSTATUS_FS) != 0; // illegal while the F/D state is Off
    case SATP:
      return !(p == PRIV_S && (csr(MSTATUS) & MSTATUS_TVM) != 0);
    case STIMECMP:
      // Sstc: S-mode needs menvcfg.STCE and mcounteren.TM.
      return p == PRIV_M || ((csr(MENVCFG) & MENVCFG_STCE) != 0 && (csr(MCOUNTEREN) & 2) != 0);
    case SSTATUS:
    case SIE:
    case STVEC:
    case SCOUNTEREN:
    case SENVCFG:
    case SSCRATCH:
    case SEPC:
    case SCAUSE:
    case STVAL:
    case SIP:
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
    case SSTATUS:
      return csr(MSTATUS) & SSTATUS_VIEW;
    case FFLAGS:
      return csr(FCSR) & 0x1f;
    case FRM:
      return (csr(FCSR) >> 5) & 7;
    case SIE:
      return csr(MIE) & csr(MIDELEG);
    case SIP:
      return csr(MIP) & csr(MIDELEG);
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
      if (mpp == 2) next = (next & ~MSTATUS_MPP) | (csr(MSTATUS) & MSTATUS_MPP); // reserved
      writeMstatus(next);
      return;
    }
    case SSTATUS:
      writeMstatus((csr(MSTATUS) & ~SSTATUS_WRITABLE) | (v & SSTATUS_WRITABLE));
      return;
    case FFLAGS:
      setCsr(FCSR, (csr(FCSR) & ~(<u64>0x1f)) | (v & 0x1f));
      markFsDirty();
      return;
    case FRM:
      setCsr(FCSR, (csr(FCSR) & 0x1f) | ((v & 7) << 5));
      markFsDirty();
      return;
    case FCSR:
      setCsr(FCSR, v & 0xff);
      markFsDirty();
      return;
    case MIE:
      setCsr(MIE, v & MIE_WRITABLE);
      return;
    case SIE: {
      const d = csr(MIDELEG);
      setCsr(MIE, (csr(MIE) & ~d) | (v & d));
      return;
    }
    case MIP: {
      // M-mode may set SSIP and SEIP (and STIP unless Sstc drives it); MSIP, MTIP and MEIP
      // follow the CLINT and PLIC.
      let writable: u64 = (1 << IRQ_SSI) | (1 << IRQ_SEI);
      if ((csr(MENVCFG) & MENVCFG_STCE) == 0) writable |= 1 << IRQ_STI;
      setCsr(MIP, (csr(MIP) & ~writable) | (v & writable));
      return;
    }
    case SIP: {
      const writable = csr(MIDELEG) & (1 << IRQ_SSI);
      setCsr(MIP, (csr(MIP) & ~writable) | (v & writable));
      return;
    }
    case MTVEC:
    case STVEC:
      setCsr(num, (v & 1) != 0 ? v & ~(<u64>2) : v & ~(<u64>3));
      return;
    case MEPC:
    case SEPC:
      setCsr(num, v & ~(<u64>1));
      return;
    case MEDELEG:
      setCsr(MEDELEG, v & 0xb3ff); // exceptions 0-15 except ecall from M (11) and reserved 10, 14
      return;
    case MIDELEG:
      setCsr(MIDELEG, v & S_INTERRUPTS);
      return;
    case MCOUNTEREN:
    case SCOUNTEREN:
      setCsr(num, v & 0xffffffff);
      return;
    case MENVCFG:
      setCsr(MENVCFG, v & (MENVCFG_STCE | 1));
      updateStip();
      return;
    case SENVCFG:
      setCsr(SENVCFG, v & 1);
      return;
    case STIMECMP:
      setCsr(STIMECMP, v);
      updateStip();
      return;
    case SATP: {
      const mode = v >> 60;
      if (mode != 0 && mode != SATP_MODE_SV39) return; // WARL: other modes leave satp as it was
      setCsr(SATP, v & ((<u64>0xf << 60) | (<u64>0xffff << 44) | ((<u64>1 << 44) - 1)));
      flushTlb();
      return;
    }
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
  if (num >= 0x3a0 && num <= 0x3ef) {
    // PMP: locked entries stay as they are; what may be reached changes, so the TLBs go.
    if (num < PMPADDR0) setCsr(num, pmpcfgWrite(num, v));
    else if (pmpaddrWritable(num - PMPADDR0)) setCsr(num, v & ((<u64>1 << 54) - 1)); // address bits 55..2
    pmpUpdate();
    flushTlb();
    return;
  }
  setCsr(num, v);
}

function writeMstatus(next: u64): void {
  if (((next ^ csr(MSTATUS)) & MSTATUS_VM_FIELDS) != 0) markModeChanged();
  next &= ~MSTATUS_SD;
  if ((next & MSTATUS_FS) == MSTATUS_FS) next |= MSTATUS_SD;
  setCsr(MSTATUS, next);
}

// The F/D state changed (an f register, or fcsr): mstatus.FS becomes Dirty, and SD says so.
export function markFsDirty(): void {
  setCsr(MSTATUS, csr(MSTATUS) | MSTATUS_FS | MSTATUS_SD);
}

// Sstc: STIP follows time >= stimecmp while menvcfg.STCE is set (the host also re-checks it as
// time passes, see Machine).
export function updateStip(): void {
  if ((csr(MENVCFG) & MENVCFG_STCE) == 0) return;
  const on = hostMtime() >= csr(STIMECMP);
  setCsr(MIP, on ? csr(MIP) | (1 << IRQ_STI) : csr(MIP) & ~(<u64>(1 << IRQ_STI)));
}

// The highest-priority interrupt that is pending, enabled and allowed at the current privilege, or
// -1. Interrupts for a more privileged mode come first, and are taken in less privileged modes
// whatever that mode's enable bit says; within a mode: external, software, timer (spec 3.1.9).
export function pendingInterrupt(): i32 {
  const pending = csr(MIP) & csr(MIE);
  if (pending == 0) return -1;
  const p = priv();
  const s = csr(MSTATUS);
  const deleg = csr(MIDELEG);
  let take: u64 = 0;
  if (p < PRIV_M || (s & MSTATUS_MIE) != 0) take = pending & ~deleg;
  if (take == 0 && (p < PRIV_S || (p == PRIV_S && (s & MSTATUS_SIE) != 0))) take = pending & deleg;
  if (take == 0) return -1;
  if (take & (1 << IRQ_MEI)) return IRQ_MEI;
  if (take & (1 << IRQ_MSI)) return IRQ_MSI;
  if (take & (1 << IRQ_MTI)) return IRQ_MTI;
  if (take & (1 << IRQ_SEI)) return IRQ_SEI;
  if (take & (1 << IRQ_SSI)) return IRQ_SSI;
  if (take & (1 << IRQ_STI)) return IRQ_STI;
  return -1;
}

// Enters the trap handler (S-mode when delegated and the hart is not in M, else M) and returns
// the new pc. When the handler's own first instruction is the one that faults (the vector still
// 0, or pointing at garbage), returns NO_HANDLER instead and leaves every CSR as the previous trap
// set it, so the host can report both.
export const NO_HANDLER: u64 = u64.MAX_VALUE;

export function trapEnter(pc: u64, cause: u64, tval: u64): u64 {
  markModeChanged();
  const p = priv();
  const code = cause & 63;
  const deleg = (cause & INTERRUPT) != 0 ? csr(MIDELEG) : csr(MEDELEG);
  const toS = p <= PRIV_S && ((deleg >> code) & 1) != 0;
  const tvec = csr(toS ? STVEC : MTVEC);
  const base = tvec & ~(<u64>3);
  let target = base;
  if ((cause & INTERRUPT) != 0 && (tvec & 1) != 0) target = base + (code << 2);
  if (target == pc && (cause == CAUSE_FETCH_ACCESS || cause == CAUSE_ILLEGAL || cause == CAUSE_FETCH_PAGE))
    return NO_HANDLER;
  const s = csr(MSTATUS);
  if (toS) {
    setCsr(SEPC, pc);
    setCsr(SCAUSE, cause);
    setCsr(STVAL, tval);
    const sie = (s & MSTATUS_SIE) << 4; // SIE (bit 1) -> SPIE (bit 5)
    setCsr(MSTATUS, (s & ~(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP)) | sie | (p << 8));
    store<u64>(PRIV, PRIV_S);
  } else {
    setCsr(MEPC, pc);
    setCsr(MCAUSE, cause);
    setCsr(MTVAL, tval);
    const mie = (s & MSTATUS_MIE) << 4; // MIE (bit 3) -> MPIE (bit 7)
    setCsr(MSTATUS, (s & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) | mie | (p << 11));
    store<u64>(PRIV, PRIV_M);
  }
  return target;
}

// MRET: back to the privilege in mstatus.MPP at mepc.
export function trapReturn(): u64 {
  markModeChanged();
  const s = csr(MSTATUS);
  const mpp = (s & MSTATUS_MPP) >> 11;
  const mpie = (s & MSTATUS_MPIE) >> 4; // MPIE -> MIE
  let next = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | mpie | MSTATUS_MPIE; // MPP <- U (least privileged)
  if (mpp != PRIV_M) next &= ~MSTATUS_MPRV;
  writeMstatus(next);
  store<u64>(PRIV, mpp);
  return csr(MEPC);
}

// SRET: back to the privilege in mstatus.SPP at sepc.
export function supervisorReturn(): u64 {
  markModeChanged();
  const s = csr(MSTATUS);
  const spp = (s & MSTATUS_SPP) >> 8;
  const spie = (s & MSTATUS_SPIE) >> 4; // SPIE -> SIE
  writeMstatus((s & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | spie | MSTATUS_SPIE);
  store<u64>(PRIV, spp);
  return csr(SEPC);
}

// Whether loads and stores go through the MMU (bit 1), and whether fetches do (bit 0): Sv39 for
// privileges below M (MPRV lends loads and stores MPP's), or PMP checks for that privilege (an
// identity translation then). Bit 2: loads and stores are at another privilege than fetches.
// (Inlined: M-mode with satp bare and nothing for PMP to check, the common case, answers at once.)
@inline export function pagingMode(): i32 {
  const plainM =
    (csr(SATP) >> 60) != SATP_MODE_SV39 && (load<u64>(PMP_STATE) & PMP_CHECK_M) == 0 && priv() == PRIV_M &&
    (csr(MSTATUS) & MSTATUS_MPRV) == 0;
  return plainM ? 0 : pagingModeFull();
}

function pagingModeFull(): i32 {
  const sv39 = (csr(SATP) >> 60) == SATP_MODE_SV39;
  const pmp = load<u64>(PMP_STATE);
  if (!sv39 && pmp == 0) return 0;
  const p = priv();
  const d = dataPriv();
  let mode: i32 = 0;
  if (p < PRIV_M ? sv39 || (pmp & PMP_CHECK_SU) != 0 : (pmp & PMP_CHECK_M) != 0) mode |= 1;
  if (d < PRIV_M ? sv39 || (pmp & PMP_CHECK_SU) != 0 : (pmp & PMP_CHECK_M) != 0) mode |= 2;
  if (mode != 0 && d != p) mode |= 4;
  return mode;
}

// The privilege loads and stores are checked at (mstatus.MPRV in M-mode lends them MPP's).
@inline export function dataPriv(): u64 {
  const p = priv();
  const s = csr(MSTATUS);
  return p == PRIV_M && (s & MSTATUS_MPRV) != 0 ? (s & MSTATUS_MPP) >> 11 : p;
}

// Keeps PC exported for the host-side helpers in index.ts.
export function currentPc(): u64 {
  return load<u64>(PC);
}
