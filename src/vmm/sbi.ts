// The SBI (RISC-V Supervisor Binary Interface, v2.0) implemented in the supervisor, so a kernel
// runs in S-mode without M-mode firmware (`--sbi builtin`). The core leaves `run()` with
// EXIT_ECALL for an ECALL from S-mode, pc already past it; Sbi.handleEcall() reads the call from
// a0..a7 and writes the result to a0 (error) and a1 (value), as OpenSBI would.
//
// Several harts (--smp): IPIs and remote fences name harts by mask; HSM starts and stops them.
import { CSR, MIP } from '../isa/csrs.ts';

// Extension ids (a7).
export const SBI_EXT_LEGACY_SET_TIMER = 0x00;
export const SBI_EXT_LEGACY_CONSOLE_PUTCHAR = 0x01;
export const SBI_EXT_LEGACY_CONSOLE_GETCHAR = 0x02;
export const SBI_EXT_LEGACY_SHUTDOWN = 0x08;
export const SBI_EXT_BASE = 0x10;
export const SBI_EXT_TIME = 0x54494d45; // "TIME"
export const SBI_EXT_IPI = 0x735049; // "sPI"
export const SBI_EXT_RFENCE = 0x52464e43; // "RFNC"
export const SBI_EXT_HSM = 0x48534d; // "HSM"
export const SBI_EXT_SRST = 0x53525354; // "SRST"
export const SBI_EXT_DBCN = 0x4442434e; // "DBCN"

// Error codes (a0).
export const SBI_SUCCESS = 0n;
export const SBI_ERR_FAILED = -1n;
export const SBI_ERR_NOT_SUPPORTED = -2n;
export const SBI_ERR_INVALID_PARAM = -3n;
export const SBI_ERR_DENIED = -4n;
export const SBI_ERR_INVALID_ADDRESS = -5n;
export const SBI_ERR_ALREADY_AVAILABLE = -6n;

/** SBI specification 2.0: major version in bits 30:24, minor in 23:0. */
export const SBI_SPEC_VERSION = (2n << 24n) | 0n;
/**
 * Our implementation id. The SBI spec registers 0-11 (BBL, OpenSBI, Xvisor, KVM, RustSBI, Diosix,
 * Coffer, Xen, PolarFire HSS, coreboot, oreboot, bhyve); this is "WASM" in ASCII, far from them.
 */
export const SBI_IMPL_ID_WASMVISOR = 0x5741534dn;
/** Implementation version: wasmvisor 0.1, encoded as OpenSBI does (major << 16 | minor). */
export const SBI_IMPL_VERSION = (0n << 16n) | 1n;

// HSM hart states.
const HSM_STARTED = 0n;
const HSM_STOPPED = 1n;
// HSM suspend types.
const SUSPEND_RETENTIVE = 0n;
const SUSPEND_NON_RETENTIVE = 0x8000_0000n;

// SRST reset types and reasons.
const SRST_SHUTDOWN = 0;
const SRST_COLD_REBOOT = 1;
const SRST_WARM_REBOOT = 2;
const SRST_REASON_NONE = 0;
const SRST_REASON_SYSTEM_FAILURE = 1;

const A0 = 10;
const U64 = (1n << 64n) - 1n;
const ALL_HARTS = U64; // hart_mask_base of -1: every hart, whatever the mask

/** What the SBI needs from the machine it runs in. */
export interface SbiHost {
  /** Integer register x`i` (a0 is x10). */
  getReg(i: number): bigint;
  setReg(i: number, v: bigint): void;
  readCsr(num: number): bigint;
  writeCsr(num: number, v: bigint): void;
  /** Guest RAM by physical address; undefined when the range is not all RAM. */
  readMemory(addr: bigint, length: number): Uint8Array | undefined;
  /** Writes guest RAM; false (nothing written) when the range is not all RAM. */
  writeMemory(addr: bigint, bytes: Uint8Array): boolean;
  /** A byte for the console (the same stream as the UART's). */
  output(byte: number): void;
  /** The next console input byte (the UART's queue), or undefined when none is waiting. */
  input(): number | undefined;
  /** Harts of the machine, and the one making the call. */
  harts: number;
  currentHart(): number;
  /** Sets interrupt-pending bits in `hart`'s mip (SSIP for an IPI). */
  raiseInterrupt(hart: number, mask: bigint): void;
  /** Forgets `hart`'s cached address translations (remote SFENCE.VMA and FENCE.I). */
  flushTranslations(hart: number): void;
  /** HSM: whether `hart` runs; starting a stopped one (S-mode at `addr`, a0 = hart, a1 = `opaque`). */
  hartStarted(hart: number): boolean;
  startHart(hart: number, addr: bigint, opaque: bigint): void;
  /** HSM: stops the calling hart (it runs again only when started). */
  stopCurrentHart(): void;
  /**
   * HSM: the calling hart waits as in WFI; with `resume`, it then continues at resume.addr in
   * S-mode with a0 = its id and a1 = resume.opaque instead of after the call.
   */
  suspendCurrentHart(resume?: { addr: bigint; opaque: bigint }): void;
  /** Stops the machine with this exit code. */
  halt(code: number): void;
}

type Result = { error: bigint; value?: bigint };

export class Sbi {
  /** Calls answered, by extension id (hex): what a kernel used, for stats and debugging. */
  readonly calls: Record<string, number> = {};

  constructor(private readonly host: SbiHost) {}

  /** Answers the ECALL whose arguments are in a0..a7. */
  handleEcall(): void {
    const h = this.host;
    const eid = Number(h.getReg(17) & 0xffff_ffffn);
    const fid = Number(h.getReg(16) & 0xffff_ffffn);
    const args = [0, 1, 2, 3, 4, 5].map((i) => h.getReg(A0 + i));
    const key = `0x${eid.toString(16)}`;
    this.calls[key] = (this.calls[key] ?? 0) + 1;
    if (eid < SBI_EXT_BASE) {
      // Legacy (v0.1) calls return one value in a0 and leave a1 alone.
      h.setReg(A0, this.legacy(eid, args) & U64);
      return;
    }
    const r = this.call(eid, fid, args);
    h.setReg(A0, r.error & U64);
    h.setReg(A0 + 1, (r.value ?? 0n) & U64);
  }

  /** Whether an extension is implemented (base probe_extension). */
  probe(eid: number): boolean {
    switch (eid) {
      case SBI_EXT_LEGACY_SET_TIMER:
      case SBI_EXT_LEGACY_CONSOLE_PUTCHAR:
      case SBI_EXT_LEGACY_CONSOLE_GETCHAR:
      case SBI_EXT_LEGACY_SHUTDOWN:
      case SBI_EXT_BASE:
      case SBI_EXT_TIME:
      case SBI_EXT_IPI:
      case SBI_EXT_RFENCE:
      case SBI_EXT_HSM:
      case SBI_EXT_SRST:
      case SBI_EXT_DBCN:
        return true;
      default:
        return false;
    }
  }

  private legacy(eid: number, args: bigint[]): bigint {
    const h = this.host;
    switch (eid) {
      case SBI_EXT_LEGACY_SET_TIMER:
        h.writeCsr(CSR.stimecmp, args[0]);
        return 0n;
      case SBI_EXT_LEGACY_CONSOLE_PUTCHAR:
        h.output(Number(args[0] & 0xffn));
        return 0n;
      case SBI_EXT_LEGACY_CONSOLE_GETCHAR:
        return BigInt(h.input() ?? -1);
      case SBI_EXT_LEGACY_SHUTDOWN:
        h.halt(0);
        return 0n;
      default:
        return SBI_ERR_NOT_SUPPORTED; // clear_ipi, send_ipi, remote fences: use the v0.2+ ones
    }
  }

  private call(eid: number, fid: number, a: bigint[]): Result {
    switch (eid) {
      case SBI_EXT_BASE:
        return this.base(fid, a);
      case SBI_EXT_TIME:
        if (fid !== 0) break;
        // Sstc: the core raises STIP from stimecmp, so setting the timer is one CSR write (it also
        // clears a pending timer interrupt when the new time is in the future).
        this.host.writeCsr(CSR.stimecmp, a[0]);
        return ok();
      case SBI_EXT_IPI: {
        if (fid !== 0) break;
        const targets = this.targets(a[0], a[1]);
        if (!targets) return { error: SBI_ERR_INVALID_PARAM };
        for (const h of targets) this.host.raiseInterrupt(h, MIP.SSIP);
        return ok();
      }
      case SBI_EXT_RFENCE:
        return this.rfence(fid, a);
      case SBI_EXT_HSM:
        return this.hsm(fid, a);
      case SBI_EXT_SRST:
        if (fid !== 0) break;
        return this.systemReset(Number(a[0] & 0xffff_ffffn), Number(a[1] & 0xffff_ffffn));
      case SBI_EXT_DBCN:
        return this.debugConsole(fid, a);
    }
    return { error: SBI_ERR_NOT_SUPPORTED };
  }

  private base(fid: number, a: bigint[]): Result {
    const h = this.host;
    switch (fid) {
      case 0:
        return ok(SBI_SPEC_VERSION);
      case 1:
        return ok(SBI_IMPL_ID_WASMVISOR);
      case 2:
        return ok(SBI_IMPL_VERSION);
      case 3:
        return ok(a[0] <= 0xffff_ffffn && this.probe(Number(a[0])) ? 1n : 0n);
      case 4:
        return ok(h.readCsr(CSR.mvendorid));
      case 5:
        return ok(h.readCsr(CSR.marchid));
      case 6:
        return ok(h.readCsr(CSR.mimpid));
      default:
        return { error: SBI_ERR_NOT_SUPPORTED };
    }
  }

  private rfence(fid: number, a: bigint[]): Result {
    // 0 remote_fence_i, 1 remote_sfence_vma, 2 remote_sfence_vma_asid; 3..6 are the hypervisor
    // fences, not supported without the H extension.
    if (fid > 2) return { error: SBI_ERR_NOT_SUPPORTED };
    const targets = this.targets(a[0], a[1]);
    if (!targets) return { error: SBI_ERR_INVALID_PARAM };
    for (const h of targets) this.host.flushTranslations(h);
    return ok();
  }

  /** The harts a (hart_mask, hart_mask_base) pair names, or undefined when it names one that does not exist. */
  private targets(mask: bigint, base: bigint): number[] | undefined {
    const n = this.host.harts;
    if (base === ALL_HARTS) return Array.from({ length: n }, (_, h) => h);
    const out: number[] = [];
    for (let i = 0n; mask >> i !== 0n; i++) {
      if (((mask >> i) & 1n) === 0n) continue;
      if (base + i >= BigInt(n)) return undefined;
      out.push(Number(base + i));
    }
    return out;
  }

  private hsm(fid: number, a: bigint[]): Result {
    const h = this.host;
    const hart = a[0] < BigInt(h.harts) ? Number(a[0]) : -1;
    switch (fid) {
      case 0: // hart_start(hartid, start_addr, opaque)
        if (hart < 0) return { error: SBI_ERR_INVALID_PARAM };
        if (h.hartStarted(hart)) return { error: SBI_ERR_ALREADY_AVAILABLE };
        h.startHart(hart, a[1], a[2]);
        return ok();
      case 1: // hart_stop: the last running hart may not stop (nothing could start it again)
        if (Array.from({ length: h.harts }, (_, k) => h.hartStarted(k)).filter(Boolean).length <= 1)
          return { error: SBI_ERR_FAILED };
        h.stopCurrentHart();
        return ok();
      case 2: // hart_get_status
        if (hart < 0) return { error: SBI_ERR_INVALID_PARAM };
        return ok(h.hartStarted(hart) ? HSM_STARTED : HSM_STOPPED);
      case 3: {
        // hart_suspend(type, resume_addr, opaque): the hart waits as in WFI. Retentive (type 0)
        // it returns from this call; non-retentive (0x8000_0000) it resumes at resume_addr in
        // S-mode with a0 = hart id, a1 = opaque.
        const type = a[0] & 0xffff_ffffn;
        if (type === SUSPEND_RETENTIVE) {
          h.suspendCurrentHart();
          return ok();
        }
        if (type === SUSPEND_NON_RETENTIVE) {
          h.suspendCurrentHart({ addr: a[1], opaque: a[2] });
          return ok(); // not seen: the hart resumes at resume_addr
        }
        return {
          error:
            type < 0x1000_0000n || (type >= 0x8000_0001n && type < 0x9000_0000n)
              ? SBI_ERR_INVALID_PARAM
              : SBI_ERR_NOT_SUPPORTED,
        };
      }
      default:
        return { error: SBI_ERR_NOT_SUPPORTED };
    }
  }

  private systemReset(type: number, reason: number): Result {
    // Reserved types and reasons are invalid; vendor-specific types are valid but unsupported.
    const knownReason = reason === SRST_REASON_NONE || reason === SRST_REASON_SYSTEM_FAILURE;
    if (!knownReason && reason < 0xe000_0000) return { error: SBI_ERR_INVALID_PARAM };
    if (type !== SRST_SHUTDOWN && type !== SRST_COLD_REBOOT && type !== SRST_WARM_REBOOT) {
      return { error: type >= 0xf000_0000 ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM };
    }
    // Shutdown and reboot both end the run (a reboot is for whoever runs us to repeat); a
    // reported system failure is a failing exit.
    this.host.halt(reason === SRST_REASON_SYSTEM_FAILURE ? 1 : 0);
    return ok(); // not seen by the guest: the machine stops before it runs again
  }

  private debugConsole(fid: number, a: bigint[]): Result {
    const h = this.host;
    switch (fid) {
      case 0: {
        // console_write(num_bytes, base_addr_lo, base_addr_hi): bytes from guest physical memory
        const range = physicalRange(a[0], a[1], a[2]);
        const bytes = range && h.readMemory(range.addr, range.length);
        if (!bytes) return { error: SBI_ERR_INVALID_PARAM };
        for (const b of bytes) h.output(b);
        return ok(BigInt(bytes.length));
      }
      case 1: {
        // console_read(num_bytes, base_addr_lo, base_addr_hi): what input is waiting, maybe none
        const range = physicalRange(a[0], a[1], a[2]);
        if (!range || !h.readMemory(range.addr, range.length)) return { error: SBI_ERR_INVALID_PARAM };
        const got: number[] = [];
        for (let b; got.length < range.length && (b = h.input()) !== undefined;) got.push(b);
        h.writeMemory(range.addr, Uint8Array.from(got));
        return ok(BigInt(got.length));
      }
      case 2: // console_write_byte(byte)
        h.output(Number(a[0] & 0xffn));
        return ok();
      default:
        return { error: SBI_ERR_NOT_SUPPORTED };
    }
  }
}

function ok(value = 0n): Result {
  return { error: SBI_SUCCESS, value };
}

/**
 * Whether hart 0, the only one, is among the harts (hart_mask, hart_mask_base) names; 'invalid'
 * when the mask names harts that do not exist.
 */

// A DBCN buffer: num_bytes at base_addr_lo + 2^64 * base_addr_hi. Ranges past 2^64 or too long
// to copy at once are refused (undefined).
function physicalRange(
  numBytes: bigint,
  lo: bigint,
  hi: bigint,
): { addr: bigint; length: number } | undefined {
  if (hi !== 0n || numBytes > 0x7fff_ffffn) return undefined;
  return { addr: lo, length: Number(numBytes) };
}
