// CLINT (SiFive core-local interruptor) as on QEMU virt: per-hart msip and mtimecmp, one shared
// mtime. mtime is not stored: it is the host clock plus an offset that guest writes adjust.
import type { Device } from '../bus.ts';

export const CLINT_BASE = 0x0200_0000;
export const CLINT_SIZE = 0x1_0000;

const MSIP = 0x0000; // 4 bytes per hart
const MTIMECMP = 0x4000; // 8 bytes per hart
const MTIME = 0xbff8;
const MAX_HARTS = 4095; // what fits below mtime's offset

const NEVER = 0xffff_ffff_ffff_ffffn;
const U64 = (1n << 64n) - 1n;

export interface ClintOptions {
  /** mtime ticks (10 MHz on virt) from the host's clock; need not start at 0. */
  clock(): bigint;
  /** Harts served (default 1). */
  harts?: number;
  /** MTIP of `hart` changed level. */
  setTimerPending(hart: number, level: boolean): void;
  /** MSIP of `hart` was written. */
  setSoftwarePending(hart: number, level: boolean): void;
}

export interface ClintState {
  msip: number[];
  mtimecmp: string[]; // decimal, since bigint is not JSON
  mtime: string; // the guest's mtime when saved
}

export class Clint implements Device {
  readonly name = 'clint';
  readonly size = CLINT_SIZE;
  readonly harts: number;

  private msip: number[];
  private mtimecmp: bigint[];
  private mtip: boolean[];
  private offset = 0n; // guest mtime = clock() + offset

  constructor(private readonly options: ClintOptions) {
    this.harts = options.harts ?? 1;
    if (!Number.isInteger(this.harts) || this.harts < 1 || this.harts > MAX_HARTS) {
      throw new Error(`clint: cannot serve ${this.harts} harts`);
    }
    this.msip = new Array<number>(this.harts).fill(0);
    this.mtimecmp = new Array<bigint>(this.harts).fill(NEVER);
    this.mtip = new Array<boolean>(this.harts).fill(false);
  }

  /** The guest-visible mtime (also what the `time` CSR should read). */
  mtime(): bigint {
    return (this.options.clock() + this.offset) & U64;
  }

  /** Recomputes every hart's MTIP from mtime >= mtimecmp; reports only changes. */
  update(): void {
    const now = this.mtime();
    for (let h = 0; h < this.harts; h++) this.updateHart(h, now);
  }

  /**
   * When `hart`'s timer fires, in clock() ticks (so it compares with the host clock directly,
   * whatever the guest wrote to mtime); undefined when mtimecmp is all-ones (timer off).
   */
  nextDeadline(hart: number): bigint | undefined {
    const cmp = this.mtimecmp[hart];
    if (cmp === undefined || cmp === NEVER) return undefined;
    return cmp - this.offset;
  }

  /** The clock() time at which mtime reaches `mtime` (for deadlines set elsewhere, e.g. stimecmp). */
  toClock(mtime: bigint): bigint {
    return mtime - this.offset;
  }

  read(offset: number, size: 1 | 2 | 4 | 8): bigint {
    return this.readBytes(offset, size);
  }

  write(offset: number, size: 1 | 2 | 4 | 8, value: bigint): void {
    this.writeBytes(offset, size, value);
  }

  // Any run of bytes: one register at a time, so 32-bit halves of the 64-bit registers work and an
  // access spanning two registers (one 8-byte read of two msips) reaches both.
  private readBytes(offset: number, size: number): bigint {
    let result = 0n;
    for (let done = 0; done < size;) {
      const at = offset + done;
      const reg = decode(at, this.harts);
      const n = reg ? Math.min(size - done, reg.base + reg.width - at) : 1;
      if (reg) result |= ((this.get(reg) >> BigInt((at - reg.base) * 8)) & mask(n)) << BigInt(done * 8);
      done += n;
    }
    return result;
  }

  private writeBytes(offset: number, size: number, value: bigint): void {
    for (let done = 0; done < size;) {
      const at = offset + done;
      const reg = decode(at, this.harts);
      const n = reg ? Math.min(size - done, reg.base + reg.width - at) : 1;
      if (reg) {
        const shift = BigInt((at - reg.base) * 8);
        const m = mask(n) << shift;
        const part = (value >> BigInt(done * 8)) << shift;
        this.set(reg, (this.get(reg) & ~m) | (part & m));
      }
      done += n;
    }
  }

  private get(reg: Reg): bigint {
    if (reg.kind === 'msip') return BigInt(this.msip[reg.hart]);
    if (reg.kind === 'mtimecmp') return this.mtimecmp[reg.hart];
    return this.mtime();
  }

  private set(reg: Reg, v: bigint): void {
    if (reg.kind === 'msip') {
      const bit = Number(v & 1n); // the other bits are hardwired to zero
      this.msip[reg.hart] = bit;
      this.options.setSoftwarePending(reg.hart, bit === 1);
    } else if (reg.kind === 'mtimecmp') {
      this.mtimecmp[reg.hart] = v & U64;
      // At once: a guest that moves mtimecmp forward expects MTIP to drop before it returns.
      this.updateHart(reg.hart, this.mtime());
    } else {
      this.offset = (v & U64) - this.options.clock();
      this.update();
    }
  }

  private updateHart(hart: number, now: bigint): void {
    const level = now >= this.mtimecmp[hart];
    if (level !== this.mtip[hart]) {
      this.mtip[hart] = level;
      this.options.setTimerPending(hart, level);
    }
  }

  saveState(): ClintState {
    return {
      msip: this.msip.slice(),
      mtimecmp: this.mtimecmp.map((v) => v.toString()),
      mtime: this.mtime().toString(),
    };
  }

  /** Restores registers; mtime continues from the saved value on this host's clock. */
  loadState(s: ClintState): void {
    for (let h = 0; h < this.harts; h++) {
      this.msip[h] = s.msip[h] ?? 0;
      this.mtimecmp[h] = BigInt(s.mtimecmp[h] ?? NEVER);
      this.options.setSoftwarePending(h, this.msip[h] === 1);
    }
    this.offset = BigInt(s.mtime) - this.options.clock();
    this.update();
  }
}

interface Reg {
  kind: 'msip' | 'mtimecmp' | 'mtime';
  hart: number;
  base: number;
  width: number;
}

function decode(offset: number, harts: number): Reg | undefined {
  if (offset >= MTIME && offset < MTIME + 8) return { kind: 'mtime', hart: 0, base: MTIME, width: 8 };
  if (offset >= MTIMECMP && offset < MTIMECMP + 8 * harts) {
    const hart = (offset - MTIMECMP) >>> 3;
    return { kind: 'mtimecmp', hart, base: MTIMECMP + 8 * hart, width: 8 };
  }
  if (offset >= MSIP && offset < MSIP + 4 * harts) {
    const hart = (offset - MSIP) >>> 2;
    return { kind: 'msip', hart, base: MSIP + 4 * hart, width: 4 };
  }
  return undefined;
}

function mask(size: number): bigint {
  return (1n << BigInt(size * 8)) - 1n;
}
