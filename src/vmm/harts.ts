// Several harts time-share the core's one hart state: the running hart's registers, pc,
// privilege, CSR file and TLBs live in the core's memory, the others' in a saved copy here. The
// supervisor switches harts between slices (by instruction quantum, or when a hart waits in WFI).
// Everything else (RAM, devices, decode and jump caches, translated code) is shared.
import type { Core } from '../core/core.ts';
import { CSR, MENVCFG_STCE, MIP } from '../isa/csrs.ts';

const RESERVATION = 0x118; // from layout.regs: the LR/SC reservation (see assembly/layout.ts)
const JC_GENERATION_NEXT = 0x190; // from layout.regs: the generation counter all harts share
const NO_RESERVATION = (1n << 64n) - 1n;

/** What a hart is doing: running (or ready to), waiting in WFI, or stopped (SBI HSM). */
export type HartStatus = 'ready' | 'waiting' | 'stopped';

/** The byte ranges of the core's memory that belong to the running hart. */
function hartRanges(core: Core): [number, number][] {
  const { layout } = core;
  return [
    [layout.regs, layout.regs + 0x140], // x0..x31, pc, privilege, reservation, exit info
    [layout.jcContext, layout.jcContext + 16], // jump-cache context and generation
    [layout.csrs, layout.csrs + 4096 * 8],
    [layout.pmpState, layout.pmpState + 8], // what the PMP CSRs above restrict
    [layout.fregs, layout.fregs + 32 * 8], // f0..f31
    [layout.tlbFetch, layout.tlbStore + layout.tlbEntries * 16], // the three TLBs: last, a cache (archState)
  ];
}

export class Harts {
  readonly status: HartStatus[];
  private readonly saved: (Uint8Array | undefined)[];
  private readonly ranges: [number, number][];
  /** The running hart. */
  current = 0;
  /** The running hart's minstret when its turn began (see Machine.runSlice). */
  turnStart = 0n;

  constructor(
    private readonly core: Core,
    readonly count: number,
  ) {
    this.ranges = hartRanges(core);
    this.status = new Array<HartStatus>(count).fill('ready');
    this.saved = new Array<Uint8Array | undefined>(count).fill(undefined);
  }

  /**
   * Makes harts 1..count-1 copies of hart 0's reset state, each with its own mhartid and jump-cache
   * generation. Call after the core's reset and before anything runs.
   */
  init(): void {
    for (let h = 1; h < this.count; h++) {
      this.core.fn.writeCsr(CSR.mhartid, BigInt(h));
      this.core.fn.flushTlb(); // a generation of its own
      this.saved[h] = this.capture();
    }
    this.core.fn.writeCsr(CSR.mhartid, 0n);
    if (this.count > 1) this.core.fn.flushTlb(); // hart 0 too: the last copy took the one it had
  }

  /** Runs `fn` with hart `h`'s state in the core (for setting it up), then switches back. */
  with<T>(h: number, fn: () => T): T {
    const back = this.current;
    this.switchTo(h);
    try {
      return fn();
    } finally {
      this.switchTo(back);
    }
  }

  /** Puts hart `h` in the core. An LR/SC reservation does not survive a switch (SC then fails). */
  switchTo(h: number): void {
    if (h === this.current) return;
    this.saved[this.current] = this.capture();
    this.put(this.saved[h]!);
    this.saved[h] = undefined;
    this.current = h;
    this.core.dv.setBigUint64(this.core.layout.regs + RESERVATION, NO_RESERVATION, true);
  }

  /** A CSR of hart `h` as stored (for harts not in the core: their saved copy). */
  csr(h: number, num: number): bigint {
    if (h === this.current) return this.core.dv.getBigUint64(this.core.layout.csrs + num * 8, true);
    return new DataView(this.saved[h]!.buffer).getBigUint64(this.csrOffset(num), true);
  }

  /** Sets or clears device-driven interrupt-pending bits of hart `h`. */
  setInterruptPending(h: number, mask: bigint, on: boolean): void {
    if (h === this.current) return this.core.fn.setInterruptPending(mask, on ? 1 : 0);
    const dv = new DataView(this.saved[h]!.buffer);
    const at = this.csrOffset(CSR.mip);
    const mip = dv.getBigUint64(at, true);
    dv.setBigUint64(at, on ? mip | mask : mip & ~mask, true);
  }

  /** Sstc for the harts not in the core (the core does it for the running one): STIP = time >= stimecmp. */
  updateStip(time: bigint): void {
    for (let h = 0; h < this.count; h++) {
      if (h === this.current || (this.csr(h, CSR.menvcfg) & MENVCFG_STCE) === 0n) continue;
      this.setInterruptPending(h, MIP.STIP, time >= this.csr(h, CSR.stimecmp));
    }
  }

  /** Whether hart `h` has an enabled interrupt pending (a hart waiting in WFI then wakes). */
  interruptible(h: number): boolean {
    return (this.csr(h, CSR.mip) & this.csr(h, CSR.mie)) !== 0n;
  }

  /** Instructions retired by all harts. */
  instret(currentInstret: bigint): bigint {
    let n = currentInstret;
    for (let h = 0; h < this.count; h++) if (h !== this.current) n += this.csr(h, CSR.minstret);
    return n;
  }

  /**
   * Hart `h`'s architectural state for a snapshot: registers, pc, privilege, LR/SC reservation,
   * jump-cache context, CSRs and the PMP summary (all ranges but the last), not its TLBs (the
   * last), which are a cache.
   */
  archState(h: number): Uint8Array {
    const state = h === this.current ? this.capture() : this.saved[h]!;
    return state.slice(0, state.length - this.tlbBytes());
  }

  /** The length of archState(). */
  get archStateBytes(): number {
    return this.ranges.reduce((n, [s, e]) => n + e - s, 0) - this.tlbBytes();
  }

  /** The shared jump-cache generation counter (kept with a snapshot). */
  get generationNext(): bigint {
    return this.core.dv.getBigUint64(this.core.layout.regs + JC_GENERATION_NEXT, true);
  }

  /**
   * Restores every hart from archState() copies (states[h]) with `current` in the core; TLBs start
   * empty. For a machine that has not run yet.
   */
  restore(states: Uint8Array[], current: number, generationNext: bigint): void {
    const tlb = this.tlbBytes();
    for (let h = 0; h < this.count; h++) {
      const full = new Uint8Array(states[h].length + tlb); // TLB entries of zero are empty
      full.set(states[h]);
      this.saved[h] = full;
    }
    this.current = current;
    this.put(this.saved[current]!);
    this.saved[current] = undefined;
    this.core.dv.setBigUint64(this.core.layout.regs + JC_GENERATION_NEXT, generationNext, true);
  }

  private tlbBytes(): number {
    const [start, end] = this.ranges[this.ranges.length - 1];
    return end - start;
  }

  private csrOffset(num: number): number {
    // The CSR file is the third range; the first two come before it in a saved copy.
    const [r0, r1] = this.ranges;
    return r0[1] - r0[0] + (r1[1] - r1[0]) + num * 8;
  }

  /** Puts a saved copy of a hart's state into the core. */
  private put(state: Uint8Array): void {
    let at = 0;
    for (const [start, end] of this.ranges) {
      this.core.u8.set(state.subarray(at, at + end - start), start);
      at += end - start;
    }
  }

  private capture(): Uint8Array {
    const total = this.ranges.reduce((n, [s, e]) => n + e - s, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const [start, end] of this.ranges) {
      out.set(this.core.u8.subarray(start, end), at);
      at += end - start;
    }
    return out;
  }
}
