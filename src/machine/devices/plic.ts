// SiFive PLIC laid out as on QEMU virt, and behaving as QEMU 7.2's (hw/intc/sifive_plic.c): each
// time a device asserts its line the source becomes pending (even while claimed: it is delivered
// after completion), dropping the line clears it, claim hands it to a context and complete ends
// that. Unlike the spec's level gateway, completion does not re-pend a line that stayed high:
// guests written against QEMU rely on it (xv6 never acknowledges the UART's THR-empty interrupt,
// whose line therefore stays high), so devices assert again at each event, as QEMU's do.
import type { Device } from '../bus.ts';

export const PLIC_BASE = 0x0c00_0000;
export const PLIC_SIZE = 0x400_0000;

const PRIORITY = 0x00_0000; // 4 bytes per source
const PENDING = 0x00_1000; // one bit per source
const ENABLE = 0x00_2000; // per context: 0x80 bytes of bits
const ENABLE_STRIDE = 0x80;
const CONTEXT = 0x20_0000; // per context: threshold, then claim/complete at +4
const CONTEXT_STRIDE = 0x1000;

export interface PlicOptions {
  /** Source ids 1..sources-1 exist (id 0 means "none"); QEMU virt has 96. */
  sources?: number;
  /** Contexts: 2 per hart on virt, hart h's M-mode at 2h and S-mode at 2h+1. Default 2. */
  contexts?: number;
  /** The external interrupt line of `context` (MEIP for even, SEIP for odd on virt) changed. */
  setExternalPending(context: number, level: boolean): void;
}

export interface PlicState {
  priority: number[];
  enable: number[];
  threshold: number[];
  level: number[];
  pending: number[];
  claimed: number[];
}

export class Plic implements Device {
  readonly name = 'plic';
  readonly size = PLIC_SIZE;
  readonly sources: number;
  readonly contexts: number;

  private readonly words: number;
  private priority: Uint32Array;
  private enable: Uint32Array; // contexts * words
  private threshold: Uint32Array;
  private level: Uint32Array; // the source lines as devices drive them
  private pending: Uint32Array;
  private claimed: Uint32Array; // claimed and not completed yet
  private outputs: boolean[];

  constructor(private readonly options: PlicOptions) {
    this.sources = options.sources ?? 96;
    this.contexts = options.contexts ?? 2;
    if (!Number.isInteger(this.sources) || this.sources < 2 || this.sources > 1024) {
      throw new Error(`plic: cannot have ${this.sources} sources`);
    }
    if (!Number.isInteger(this.contexts) || this.contexts < 1 || this.contexts > 15872) {
      throw new Error(`plic: cannot have ${this.contexts} contexts`);
    }
    this.words = Math.ceil(this.sources / 32);
    this.priority = new Uint32Array(this.sources);
    this.enable = new Uint32Array(this.contexts * this.words);
    this.threshold = new Uint32Array(this.contexts);
    this.level = new Uint32Array(this.words);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.outputs = new Array<boolean>(this.contexts).fill(false);
  }

  /** A device drives interrupt line `id`: high asserts it (again), low withdraws it. */
  setSource(id: number, level: boolean): void {
    if (id <= 0 || id >= this.sources) throw new Error(`plic: no interrupt source ${id}`);
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if (level) {
      this.level[w] |= bit;
      this.pending[w] |= bit;
    } else {
      this.level[w] &= ~bit;
      this.pending[w] &= ~bit; // a level source that dropped its line no longer asks
    }
    this.update();
  }

  read(offset: number, size: 1 | 2 | 4 | 8): bigint {
    if (size === 8) return this.read32(offset) | (this.read32(offset + 4) << 32n);
    // The registers are 32-bit; narrower reads see part of one.
    const word = this.read32(offset & ~3);
    return (word >> BigInt((offset & 3) * 8)) & ((1n << BigInt(size * 8)) - 1n);
  }

  write(offset: number, size: 1 | 2 | 4 | 8, value: bigint): void {
    if (size === 8) {
      this.write32(offset, Number(value & 0xffff_ffffn));
      this.write32(offset + 4, Number((value >> 32n) & 0xffff_ffffn));
    } else if (size === 4 && (offset & 3) === 0) {
      this.write32(offset, Number(value & 0xffff_ffffn));
    }
    // Narrow or misaligned stores are not something the PLIC decodes: ignored.
  }

  private read32(offset: number): bigint {
    if (offset & 3) return 0n;
    if (offset < PENDING) {
      const id = (offset - PRIORITY) >>> 2;
      return id < this.sources ? BigInt(this.priority[id]) : 0n;
    }
    if (offset < ENABLE) {
      const w = (offset - PENDING) >>> 2;
      return w < this.words ? BigInt(this.pending[w] >>> 0) : 0n;
    }
    if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const w = ((offset - ENABLE) % ENABLE_STRIDE) >>> 2;
      return ctx < this.contexts && w < this.words ? BigInt(this.enable[ctx * this.words + w] >>> 0) : 0n;
    }
    const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
    const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
    if (ctx >= this.contexts) return 0n;
    if (reg === 0) return BigInt(this.threshold[ctx]);
    if (reg === 4) return BigInt(this.claim(ctx));
    return 0n;
  }

  private write32(offset: number, v: number): void {
    if (offset & 3) return;
    if (offset < PENDING) {
      const id = (offset - PRIORITY) >>> 2;
      if (id > 0 && id < this.sources) this.priority[id] = v & 7; // 3 priority bits, as on virt
    } else if (offset < ENABLE) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const w = ((offset - ENABLE) % ENABLE_STRIDE) >>> 2;
      if (ctx >= this.contexts || w >= this.words) return;
      // Bits past the last source, and source 0, do not exist.
      const valid = w === this.words - 1 && this.sources % 32 ? (1 << (this.sources % 32)) - 1 : -1;
      this.enable[ctx * this.words + w] = v & valid & (w === 0 ? ~1 : -1);
    } else {
      const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
      const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
      if (ctx >= this.contexts) return;
      if (reg === 0) this.threshold[ctx] = v & 7;
      else if (reg === 4) this.complete(ctx, v);
      else return;
    }
    this.update();
  }

  /** The best pending source for `ctx`: highest priority above the threshold, lowest id on ties. */
  private best(ctx: number): number {
    let best = 0;
    let bestPriority = this.threshold[ctx];
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w] & ~this.claimed[w] & this.enable[ctx * this.words + w];
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const id = w * 32 + b;
        if (this.priority[id] > bestPriority) {
          best = id;
          bestPriority = this.priority[id];
        }
      }
    }
    return best;
  }

  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      const w = id >>> 5;
      const bit = 1 << (id & 31);
      this.pending[w] &= ~bit;
      this.claimed[w] |= bit;
      this.update();
    }
    return id;
  }

  private complete(ctx: number, id: number): void {
    if (id <= 0 || id >= this.sources) return;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    // The spec ignores a completion for a source the context does not have enabled.
    if (!(this.enable[ctx * this.words + w] & bit)) return;
    this.claimed[w] &= ~bit;
  }

  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0;
      if (level !== this.outputs[ctx]) {
        this.outputs[ctx] = level;
        this.options.setExternalPending(ctx, level);
      }
    }
  }

  saveState(): PlicState {
    return {
      priority: Array.from(this.priority),
      enable: Array.from(this.enable),
      threshold: Array.from(this.threshold),
      level: Array.from(this.level),
      pending: Array.from(this.pending),
      claimed: Array.from(this.claimed),
    };
  }

  loadState(s: PlicState): void {
    this.priority.set(s.priority.slice(0, this.sources));
    this.enable.set(s.enable.slice(0, this.enable.length));
    this.threshold.set(s.threshold.slice(0, this.contexts));
    this.level.set(s.level.slice(0, this.words));
    this.pending.set(s.pending.slice(0, this.words));
    this.claimed.set(s.claimed.slice(0, this.words));
    this.update();
  }
}
