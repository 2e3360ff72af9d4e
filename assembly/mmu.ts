// Sv39 address translation (privileged spec 4.3-4.4): the page walk with its permission checks,
// A/D updates done by the hardware (as QEMU does: guests such as xv6 never set them), PMP checks
// (pmp.ts) of the walk and of the address it ends at, and the software TLBs that remember
// successful translations (layout.ts: TLB_*).
import {
  CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE, CAUSE_LOAD_ACCESS, CAUSE_LOAD_PAGE, CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE,
  MSTATUS, MSTATUS_MXR, MSTATUS_SUM, PRIV_M, PRIV_U, SATP, SATP_MODE_SV39, csr, dataPriv, priv,
} from './csr';
import { PAGE_FLAGS, RAM, RAM_BASE, RAM_SIZE, TLB_ENTRIES, TLB_FETCH, TLB_LOAD, TLB_STORE } from './layout';
import { PMP_R, PMP_W, PMP_X, pmpAllows } from './pmp';

export const ACCESS_FETCH: i32 = 0;
export const ACCESS_LOAD: i32 = 1;
export const ACCESS_STORE: i32 = 2; // stores and AMOs

// translate() returns this when the access faults; mmuCause then holds the exception to raise.
export const XLATE_FAULT: u64 = u64.MAX_VALUE;
export let mmuCause: u64 = 0;

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_U: u64 = 16;
const PTE_A: u64 = 64;
const PTE_D: u64 = 128;
const PTE_RESERVED: u64 = <u64>0x3ff << 54; // Svpbmt and Svnapot bits: not implemented, must be 0

function fault(access: i32, page: bool): u64 {
  if (page) mmuCause = access == ACCESS_FETCH ? CAUSE_FETCH_PAGE : access == ACCESS_LOAD ? CAUSE_LOAD_PAGE : CAUSE_STORE_PAGE;
  else mmuCause = access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
  return XLATE_FAULT;
}

// The privilege an access is checked at.
@inline function accessPriv(access: i32): u64 {
  return access == ACCESS_FETCH ? priv() : dataPriv();
}

// The PMP permission an access needs.
@inline function accessPerm(access: i32): u64 {
  return access == ACCESS_FETCH ? PMP_X : access == ACCESS_LOAD ? PMP_R : PMP_W;
}

// The TLB tag of `va` for an access at the current privilege and mstatus (see layout.ts).
@inline export function tlbTag(va: u64, access: i32): u64 {
  const s = csr(MSTATUS);
  return (va & ~(<u64>0xfff)) | (((s & MSTATUS_MXR) >> 19) << 11) | (((s & MSTATUS_SUM) >> 18) << 10) |
    ((accessPriv(access) + 1) << 7) | (1 << 6);
}

@inline export function tlbEntry(table: usize, va: u64): usize {
  return table + ((<usize>(va >> 12) & (TLB_ENTRIES - 1)) << 4);
}

/**
 * Translates `va` for a `size`-byte `access` (within one page): through satp's Sv39 tables below
 * M-mode, then PMP. The physical address, or XLATE_FAULT with mmuCause set. Only called when the
 * MMU is on for this access (see csr.pagingMode).
 */
export function translate(va: u64, access: i32, size: u64): u64 {
  const p = accessPriv(access);
  let pa = va;
  if (p < PRIV_M && (csr(SATP) >> 60) == SATP_MODE_SV39) {
    pa = walk(va, access, p);
    if (pa == XLATE_FAULT) return pa;
  }
  // (All-ones cannot be told from XLATE_FAULT, but nothing is there: an access fault anyway.)
  if (pa == XLATE_FAULT || !pmpAllows(pa, size, accessPerm(access), p == PRIV_M)) return fault(access, false);
  return pa;
}

// The Sv39 walk for `va` at privilege `p`. Its own reads and A/D writes are S-mode accesses to PMP.
function walk(va: u64, access: i32, p: u64): u64 {
  // Bits 63..39 must all equal bit 38.
  if (<u64>(<i64>(va << 25) >> 25) != va) return fault(access, true);
  const s = csr(MSTATUS);
  const ramSize = load<u64>(RAM_SIZE);
  let table = (csr(SATP) & ((<u64>1 << 44) - 1)) << 12;
  for (let level = 2; level >= 0; level--) {
    const vpn = (va >> (12 + 9 * <u64>level)) & 0x1ff;
    const pteAddr = table + (vpn << 3);
    const off = pteAddr - RAM_BASE;
    // The walk itself hits no RAM, or PMP keeps S-mode from it: access fault.
    if (off >= ramSize || !pmpAllows(pteAddr, 8, PMP_R, false)) return fault(access, false);
    const ptePtr = RAM + <usize>off;
    let pte = load<u64>(ptePtr);
    if ((pte & PTE_V) == 0 || ((pte & PTE_R) == 0 && (pte & PTE_W) != 0) || (pte & PTE_RESERVED) != 0)
      return fault(access, true);
    const ppn = (pte >> 10) & ((<u64>1 << 44) - 1);
    if ((pte & (PTE_R | PTE_X)) == 0) {
      // A pointer to the next level.
      if (level == 0 || (pte & (PTE_A | PTE_D | PTE_U)) != 0) return fault(access, true);
      table = ppn << 12;
      continue;
    }
    // A leaf: permissions for this access at this privilege.
    if (access == ACCESS_FETCH) {
      if ((pte & PTE_X) == 0) return fault(access, true);
    } else if (access == ACCESS_LOAD) {
      if ((pte & PTE_R) == 0 && !((s & MSTATUS_MXR) != 0 && (pte & PTE_X) != 0)) return fault(access, true);
    } else if ((pte & PTE_W) == 0) return fault(access, true);
    if ((pte & PTE_U) != 0) {
      // S-mode reaches user pages only with SUM, and never executes them.
      if (p != PRIV_U && (access == ACCESS_FETCH || (s & MSTATUS_SUM) == 0)) return fault(access, true);
    } else if (p == PRIV_U) return fault(access, true);
    // A superpage's physical address must be aligned to its size.
    const lowMask = (<u64>1 << (9 * <u64>level)) - 1;
    if ((ppn & lowMask) != 0) return fault(access, true);
    // The hardware sets A, and D on a store.
    const ad = PTE_A | (access == ACCESS_STORE ? PTE_D : 0);
    if ((pte & ad) != ad) {
      if (!pmpAllows(pteAddr, 8, PMP_W, false)) return fault(access, false);
      pte |= ad;
      store<u64>(ptePtr, pte);
    }
    const pageOffset = va & ((<u64>1 << (12 + 9 * <u64>level)) - 1);
    return ((ppn & ~lowMask) << 12) | pageOffset;
  }
  return fault(access, true); // not reached: level 0 always ends the walk
}

/**
 * Translates and, when the page is in RAM (and for stores has no PAGE_FLAGS) and PMP grants the
 * access on all of it, remembers it in the access's TLB. Same result as translate().
 */
export function translateAndCache(va: u64, access: i32, size: u64): u64 {
  const pa = translate(va, access, size);
  if (pa == XLATE_FAULT) return pa;
  const off = pa - RAM_BASE;
  if (off < load<u64>(RAM_SIZE)) {
    const page = off & ~(<u64>0xfff);
    if (
      (access != ACCESS_STORE || load<u8>(PAGE_FLAGS + <usize>(page >> 12)) == 0) &&
      pmpAllows(pa & ~(<u64>0xfff), 0x1000, accessPerm(access), accessPriv(access) == PRIV_M)
    ) {
      const table = access == ACCESS_FETCH ? TLB_FETCH : access == ACCESS_LOAD ? TLB_LOAD : TLB_STORE;
      const e = tlbEntry(table, va);
      store<u64>(e, tlbTag(va, access));
      store<u64>(e, <u64>RAM + page - (va & ~(<u64>0xfff)), 8);
    }
  }
  return pa;
}
