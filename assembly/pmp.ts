// Physical memory protection (privileged spec 3.7): 64 entries, 4-byte granularity (G = 0).
// The checks run only where the MMU's slow path is: pagingMode() (csr.ts) treats a privilege
// whose accesses PMP restricts as translating (an identity translation when satp is bare), so its
// accesses go through the TLBs, which keep only pages PMP grants as a whole. PMP_STATE (layout.ts)
// says which privileges that is; with none (the common case) nothing here runs.
import { CSRS, PMP_STATE } from './layout';

export const PMP_R: u64 = 1;
export const PMP_W: u64 = 2;
export const PMP_X: u64 = 4;
const PMP_A: u64 = 3 << 3;
const PMP_L: u64 = 0x80;
const A_TOR: u64 = 1 << 3;
const A_NA4: u64 = 2 << 3;

export const PMP_ENTRIES: u32 = 64;
export const PMPCFG0: u32 = 0x3a0;
export const PMPADDR0: u32 = 0x3b0;

// PMP_STATE bits: accesses at S and U need checks; accesses at M do (see pmpUpdate).
export const PMP_CHECK_SU: u64 = 1;
export const PMP_CHECK_M: u64 = 2;

// Physical addresses are 56 bits; above them there is nothing to reach.
const PA_END: u64 = <u64>1 << 56;

// Entry i's configuration byte: byte i % 8 of pmpcfg(2 * (i / 8)) (RV64 has even pmpcfgs only).
@inline function cfg(i: u32): u64 {
  return <u64>load<u8>(CSRS + ((<usize>(PMPCFG0 + ((i >> 3) << 1))) << 3) + <usize>(i & 7));
}
@inline function addr(i: u32): u64 {
  return load<u64>(CSRS + (<usize>(PMPADDR0 + i) << 3));
}

// The bytes entry i (with configuration c, A != OFF) matches: [rangeLo, rangeHi], empty when
// rangeLo > rangeHi.
let rangeLo: u64 = 0;
let rangeHi: u64 = 0;
function decode(i: u32, c: u64): void {
  const a = c & PMP_A;
  const at = addr(i) << 2;
  if (a == A_TOR) {
    rangeLo = i == 0 ? 0 : addr(i - 1) << 2;
    rangeHi = at - 1;
    if (at <= rangeLo) {
      rangeLo = 1; // pmpaddr[i-1] >= pmpaddr[i]: matches nothing
      rangeHi = 0;
    }
  } else if (a == A_NA4) {
    rangeLo = at;
    rangeHi = at + 3;
  } else {
    // NAPOT: the trailing ones of pmpaddr give the size, 8 bytes and up.
    const x = at | 3;
    rangeLo = x & (x + 1);
    rangeHi = x | (x + 1);
  }
}

/**
 * Whether PMP lets an access for `perm` (PMP_R, W or X) at M-mode (`machine`) or below reach
 * physical bytes [pa, pa + size). The lowest-numbered entry that matches any of them decides; it
 * must match all of them, else the access fails. Its R/W/X bits bind S and U, and M when it is
 * locked; with no entry matching, M succeeds and S and U fail.
 */
@inline export function pmpAllows(pa: u64, size: u64, perm: u64, machine: bool): bool {
  return (load<u64>(PMP_STATE) & (machine ? PMP_CHECK_M : PMP_CHECK_SU)) == 0 || pmpCheck(pa, size, perm, machine);
}

function pmpCheck(pa: u64, size: u64, perm: u64, machine: bool): bool {
  let last = pa + size - 1;
  if (last < pa) last = u64.MAX_VALUE; // wraps around: no entry reaches that far
  for (let i: u32 = 0; i < PMP_ENTRIES; i++) {
    const c = cfg(i);
    if ((c & PMP_A) == 0) continue;
    decode(i, c);
    if (rangeLo > rangeHi || last < rangeLo || pa > rangeHi) continue;
    if (pa < rangeLo || last > rangeHi) return false; // matches only some of the bytes
    if (machine && (c & PMP_L) == 0) return true;
    return (c & perm) != 0;
  }
  return machine;
}

/**
 * Recomputes PMP_STATE after a write to pmpcfg or pmpaddr. S and U need checks unless the first
 * entry that matches anything grants R, W and X over every physical address (what firmware gives
 * a kernel). M needs them when an entry is locked, or when an access inside one page can match an
 * entry only in part (which fails whatever L says): with only page-aligned unlocked entries, M
 * accesses all succeed (one crossing pages is two accesses, as on QEMU).
 */
export function pmpUpdate(): void {
  let su = true;
  let m = false;
  let first = true;
  for (let i: u32 = 0; i < PMP_ENTRIES; i++) {
    const c = cfg(i);
    if ((c & PMP_A) == 0) continue;
    decode(i, c);
    if (rangeLo > rangeHi) continue;
    if (first) {
      first = false;
      if (rangeLo == 0 && rangeHi >= PA_END - 1) {
        const rwx = (c & (PMP_R | PMP_W | PMP_X)) == (PMP_R | PMP_W | PMP_X);
        su = !rwx;
        if (rwx || (c & PMP_L) == 0) break; // it matches every access first
      }
    }
    if ((c & PMP_L) != 0 || (rangeLo & 0xfff) != 0 || ((rangeHi + 1) & 0xfff) != 0) m = true;
  }
  store<u64>(PMP_STATE, (su ? PMP_CHECK_SU : 0) | (m ? PMP_CHECK_M : 0));
}

/**
 * A write to pmpcfg `num` (0x3a0 + 2k): entries that are locked keep their configuration until
 * reset. Returns the value to store.
 */
export function pmpcfgWrite(num: u32, v: u64): u64 {
  const old = load<u64>(CSRS + (<usize>num << 3));
  let keep: u64 = 0;
  for (let j: u64 = 0; j < 8; j++) {
    if (((old >> (j << 3)) & PMP_L) != 0) keep |= <u64>0xff << (j << 3);
  }
  return (old & keep) | (v & ~keep);
}

/**
 * Whether pmpaddr `i` may be written: not when entry i is locked, nor when entry i + 1 is a
 * locked TOR entry (pmpaddr[i] is its bottom).
 */
export function pmpaddrWritable(i: u32): bool {
  if ((cfg(i) & PMP_L) != 0) return false;
  if (i + 1 < PMP_ENTRIES) {
    const next = cfg(i + 1);
    if ((next & PMP_L) != 0 && (next & PMP_A) == A_TOR) return false;
  }
  return true;
}
