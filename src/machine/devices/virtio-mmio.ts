// virtio-mmio transport, version 2 (the non-legacy register layout of the virtio 1.x spec, section
// 4.2.2), with split virtqueues (2.7). QEMU virt has eight of these at 0x1000_1000 + 0x1000 * i;
// a transport without a device answers magic, version and vendor and reads device id 0, as QEMU's
// do. Requests are served synchronously when the driver notifies a queue: simple, and the same
// instruction boundary on every engine.
import type { Device } from '../bus.ts';

export const VIRTIO_MMIO_SIZE = 0x1000;
export const VIRTIO_MAGIC = 0x7472_6976; // "virt"
/** "QEMU", the vendor id QEMU's transports report. */
export const VIRTIO_VENDOR = 0x554d_4551;

// Registers (all 32 bits wide).
export const REG = {
  MAGIC: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  SHM_SEL: 0x0ac,
  SHM_LEN_LOW: 0x0b0,
  SHM_LEN_HIGH: 0x0b4,
  SHM_BASE_LOW: 0x0b8,
  SHM_BASE_HIGH: 0x0bc,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100,
} as const;

// Device status bits.
export const STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  NEEDS_RESET: 64,
  FAILED: 128,
} as const;

export const VIRTIO_F_VERSION_1 = 1n << 32n;
export const VIRTIO_F_INDIRECT_DESC = 1n << 28n;

// Interrupt status bits.
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

// Descriptor flags, and the available ring's flag.
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** Guest RAM as a device sees it for DMA (physical addresses). */
export interface DmaMemory {
  /** A copy of `len` bytes at `addr`, or undefined when they are not all RAM. */
  read(addr: bigint, len: number): Uint8Array | undefined;
  /** Writes `bytes` at `addr`; false (and nothing written) when they are not all RAM. */
  write(addr: bigint, bytes: Uint8Array): boolean;
}

/** A descriptor chain taken from a queue: what the driver gave to read, and where to write. */
export class Chain {
  /** The device-writable buffers, in order. */
  readonly writable: { addr: bigint; len: number }[] = [];
  /** Total bytes of the device-writable buffers. */
  writableLength = 0;

  constructor(
    /** Index of the head descriptor (what the used ring reports). */
    readonly head: number,
    /** The driver's device-readable buffers, gathered. */
    readonly readable: Uint8Array,
    private readonly memory: DmaMemory,
  ) {}

  /** Writes `bytes` at `offset` into the writable buffers (scattered across them). */
  write(offset: number, bytes: Uint8Array): void {
    let pos = 0; // where the current buffer starts in the writable space
    for (const buf of this.writable) {
      const from = Math.max(offset, pos);
      const to = Math.min(offset + bytes.length, pos + buf.len);
      if (from < to) {
        const ok = this.memory.write(
          buf.addr + BigInt(from - pos),
          bytes.subarray(from - offset, to - offset),
        );
        if (!ok) throw new VirtioError('a buffer is outside RAM'); // checked when the chain was read
      }
      pos += buf.len;
      if (pos >= offset + bytes.length) break;
    }
  }
}

/** The driver broke the protocol (a descriptor outside RAM, a loop...): the device needs a reset. */
export class VirtioError extends Error {}

/** What a virtio device (block, ...) implements behind the transport. */
export interface VirtioDevice {
  /** Virtio device id (2 = block). */
  readonly deviceId: number;
  /** Feature bits offered, device-specific and ring ones (the transport adds VIRTIO_F_VERSION_1). */
  readonly features: bigint;
  readonly queues: number;
  readonly queueNumMax: number;
  /** The configuration space, little-endian (read at REG.CONFIG). */
  config(): Uint8Array;
  /**
   * Serves one request; returns the bytes written into the chain's writable buffers (the used
   * ring's len). Throws VirtioError for a malformed request.
   */
  handle(queue: number, chain: Chain): number;
  /** The driver reset the device. */
  reset(): void;
  saveState(): unknown;
  loadState(state: unknown): void;
}

interface Queue {
  num: number;
  ready: boolean;
  desc: bigint;
  driver: bigint; // the available ring
  device: bigint; // the used ring
  lastAvail: number; // next available-ring index to serve (free-running, 16 bits)
  usedIdx: number;
}

export interface VirtioMmioState {
  status: number;
  deviceFeaturesSel: number;
  driverFeaturesSel: number;
  driverFeatures: [number, number];
  queueSel: number;
  interruptStatus: number;
  queues: Queue[];
  device: unknown;
}

export interface VirtioMmioOptions {
  memory: DmaMemory;
  /** The interrupt line: asserted (again, at each completion) or dropped. Wire it to the PLIC. */
  onInterrupt(level: boolean): void;
}

// A queue's size starts at the maximum (QEMU's default when the driver never writes QUEUE_NUM).
const newQueue = (num: number): Queue => ({
  num,
  ready: false,
  desc: 0n,
  driver: 0n,
  device: 0n,
  lastAvail: 0,
  usedIdx: 0,
});

export class VirtioMmio implements Device {
  readonly name = 'virtio-mmio';
  readonly size = VIRTIO_MMIO_SIZE;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures: [number, number] = [0, 0];
  private queueSel = 0;
  private interruptStatus = 0;
  private queues: Queue[];
  private irq = false;

  constructor(
    private readonly options: VirtioMmioOptions,
    /** The device behind the transport; none reads as device id 0. */
    readonly device?: VirtioDevice,
  ) {
    this.queues = Array.from({ length: device?.queues ?? 0 }, () => newQueue(device!.queueNumMax));
  }

  /** Everything the device offers, as a 64-bit mask. */
  get offeredFeatures(): bigint {
    return this.device ? this.device.features | VIRTIO_F_VERSION_1 : 0n;
  }

  read(offset: number, size: 1 | 2 | 4 | 8): bigint {
    if (offset >= REG.CONFIG) return this.readConfig(offset - REG.CONFIG, size);
    // 8-byte accesses reach the 32-bit registers as two (QEMU splits them the same way).
    if (size === 8) return this.read(offset, 4) | (this.read(offset + 4, 4) << 32n);
    if (size !== 4 || offset & 3) return 0n; // only whole registers, as QEMU
    return BigInt(this.readReg(offset) >>> 0);
  }

  write(offset: number, size: 1 | 2 | 4 | 8, value: bigint): void {
    if (offset >= REG.CONFIG) return; // no writable configuration fields are offered
    if (size === 8) {
      this.write(offset, 4, value & 0xffff_ffffn);
      this.write(offset + 4, 4, value >> 32n);
      return;
    }
    if (size !== 4 || offset & 3) return;
    this.writeReg(offset, Number(value & 0xffff_ffffn));
  }

  private readReg(offset: number): number {
    switch (offset) {
      case REG.MAGIC:
        return VIRTIO_MAGIC;
      case REG.VERSION:
        return 2;
      case REG.VENDOR_ID:
        return VIRTIO_VENDOR;
    }
    const device = this.device;
    if (!device) return 0;
    const q = this.queues[this.queueSel];
    switch (offset) {
      case REG.DEVICE_ID:
        return device.deviceId;
      case REG.DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1
          ? 0
          : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case REG.QUEUE_NUM_MAX:
        return q ? device.queueNumMax : 0;
      case REG.QUEUE_NUM:
        return q?.num ?? 0;
      case REG.QUEUE_READY:
        return q?.ready ? 1 : 0;
      case REG.INTERRUPT_STATUS:
        return this.interruptStatus;
      case REG.STATUS:
        return this.status;
      case REG.QUEUE_DESC_LOW:
        return low(q?.desc);
      case REG.QUEUE_DESC_HIGH:
        return high(q?.desc);
      case REG.QUEUE_DRIVER_LOW:
        return low(q?.driver);
      case REG.QUEUE_DRIVER_HIGH:
        return high(q?.driver);
      case REG.QUEUE_DEVICE_LOW:
        return low(q?.device);
      case REG.QUEUE_DEVICE_HIGH:
        return high(q?.device);
      case REG.SHM_LEN_LOW:
      case REG.SHM_LEN_HIGH:
      case REG.SHM_BASE_LOW:
      case REG.SHM_BASE_HIGH:
        return 0xffff_ffff; // no shared memory regions: the spec's "-1"
      case REG.CONFIG_GENERATION:
        return 0; // the configuration never changes
      default:
        return 0; // write-only and reserved registers
    }
  }

  private writeReg(offset: number, v: number): void {
    if (!this.device) return;
    const q = this.queues[this.queueSel];
    // Queue layout registers mean nothing once the queue is live (the spec forbids the write).
    const setup = q !== undefined && !q.ready;
    switch (offset) {
      case REG.DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = v;
        return;
      case REG.DRIVER_FEATURES:
        if (this.driverFeaturesSel <= 1) this.driverFeatures[this.driverFeaturesSel] = v >>> 0;
        return;
      case REG.DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = v;
        return;
      case REG.QUEUE_SEL:
        this.queueSel = v;
        return;
      case REG.QUEUE_NUM:
        if (setup && v >= 1 && v <= this.device.queueNumMax) q.num = v;
        return;
      case REG.QUEUE_READY:
        if (q) {
          // A queue going live starts from empty rings.
          if (v & 1 && !q.ready) q.lastAvail = q.usedIdx = 0;
          q.ready = (v & 1) === 1;
        }
        return;
      case REG.QUEUE_NOTIFY:
        this.notify(v & 0xffff);
        return;
      case REG.INTERRUPT_ACK:
        this.interruptStatus &= ~v;
        this.updateIrq();
        return;
      case REG.STATUS:
        this.writeStatus(v & 0xff);
        return;
      case REG.QUEUE_DESC_LOW:
        if (setup) q.desc = setLow(q.desc, v);
        return;
      case REG.QUEUE_DESC_HIGH:
        if (setup) q.desc = setHigh(q.desc, v);
        return;
      case REG.QUEUE_DRIVER_LOW:
        if (setup) q.driver = setLow(q.driver, v);
        return;
      case REG.QUEUE_DRIVER_HIGH:
        if (setup) q.driver = setHigh(q.driver, v);
        return;
      case REG.QUEUE_DEVICE_LOW:
        if (setup) q.device = setLow(q.device, v);
        return;
      case REG.QUEUE_DEVICE_HIGH:
        if (setup) q.device = setHigh(q.device, v);
        return;
      default:
        return; // read-only and reserved registers
    }
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    // FEATURES_OK sticks only if the driver asked for nothing the device does not offer. A
    // driver without VIRTIO_F_VERSION_1 (xv6's) is accepted, as QEMU accepts it.
    if (v & STATUS.FEATURES_OK && !(this.status & STATUS.FEATURES_OK)) {
      const asked = (BigInt(this.driverFeatures[1]) << 32n) | BigInt(this.driverFeatures[0]);
      if (asked & ~this.offeredFeatures) v &= ~STATUS.FEATURES_OK;
    }
    // NEEDS_RESET is the device's to set; the driver only clears it by a reset.
    this.status = (v & ~STATUS.NEEDS_RESET) | (this.status & STATUS.NEEDS_RESET);
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    this.driverFeatures = [0, 0];
    this.queues = this.queues.map(() => newQueue(this.device!.queueNumMax));
    this.interruptStatus = 0;
    this.updateIrq();
    this.device?.reset();
  }

  /** The driver made buffers available on queue `index`: serve them all, then interrupt. */
  private notify(index: number): void {
    const q = this.queues[index];
    if (!q?.ready || !this.device || this.status & STATUS.NEEDS_RESET) return;
    const { memory } = this.options;
    let served = 0;
    try {
      for (;;) {
        const avail = memory.read(q.driver, 4);
        if (!avail) throw new VirtioError('available ring outside RAM');
        const availIdx = u16(avail, 2);
        if (availIdx === q.lastAvail) break;
        if (((availIdx - q.lastAvail) & 0xffff) > q.num)
          throw new VirtioError('available index out of range');
        const slot = memory.read(q.driver + 4n + BigInt(2 * (q.lastAvail % q.num)), 2);
        if (!slot) throw new VirtioError('available ring outside RAM');
        const chain = this.readChain(q, u16(slot, 0));
        const len = this.device.handle(index, chain);
        this.pushUsed(q, chain.head, len);
        q.lastAvail = (q.lastAvail + 1) & 0xffff;
        served++;
      }
    } catch (e) {
      if (!(e instanceof VirtioError)) throw e;
      // As QEMU's virtio_error: the device stops until the driver resets it.
      this.status |= STATUS.NEEDS_RESET;
      this.interruptStatus |= INT_CONFIG_CHANGE;
    }
    const flags = memory.read(q.driver, 2);
    if (served > 0 && !(flags && u16(flags, 0) & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
      this.interruptStatus |= INT_USED_BUFFER;
    }
    this.updateIrq();
  }

  /** Walks the descriptor chain starting at `head` (following one indirect table, if any). */
  private readChain(q: Queue, head: number): Chain {
    const { memory } = this.options;
    const parts: Uint8Array[] = [];
    let total = 0;
    const writable: { addr: bigint; len: number }[] = [];
    let writableLength = 0;
    let table = q.desc;
    let size = q.num; // descriptors in the current table
    let i = head;
    let indirect = false;
    for (let seen = 0; ; seen++) {
      if (i >= size) throw new VirtioError(`descriptor ${i} is outside its table of ${size}`);
      if (seen >= size) throw new VirtioError('descriptor chain loops');
      const d = memory.read(table + BigInt(16 * i), 16);
      if (!d) throw new VirtioError('descriptor table outside RAM');
      const dv = new DataView(d.buffer, d.byteOffset, 16);
      const addr = dv.getBigUint64(0, true);
      const len = dv.getUint32(8, true);
      const flags = dv.getUint16(12, true);
      const next = dv.getUint16(14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (indirect || seen > 0) throw new VirtioError('an indirect descriptor must be alone in its chain');
        if (len === 0 || len % 16) throw new VirtioError('indirect table length is not a multiple of 16');
        table = addr;
        size = len / 16;
        i = 0;
        seen = -1;
        indirect = true;
        continue;
      }
      if (flags & VIRTQ_DESC_F_WRITE) {
        // Checked when written (Chain.write): copying it here only to check would cost a read.
        writable.push({ addr, len });
        writableLength += len;
      } else {
        if (writable.length) throw new VirtioError('a readable descriptor follows a writable one');
        const data = memory.read(addr, len);
        if (!data) throw new VirtioError('readable buffer outside RAM');
        parts.push(data);
        total += len;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      i = next;
    }
    const readable = parts.length === 1 ? parts[0] : new Uint8Array(total);
    if (parts.length !== 1) {
      let at = 0;
      for (const p of parts) {
        readable.set(p, at);
        at += p.length;
      }
    }
    const chain = new Chain(head, readable, memory);
    chain.writable.push(...writable);
    chain.writableLength = writableLength;
    return chain;
  }

  private pushUsed(q: Queue, head: number, len: number): void {
    const { memory } = this.options;
    const elem = new Uint8Array(8);
    const dv = new DataView(elem.buffer);
    dv.setUint32(0, head, true);
    dv.setUint32(4, len, true);
    const slot = q.usedIdx % q.num;
    q.usedIdx = (q.usedIdx + 1) & 0xffff;
    const idx = new Uint8Array(2);
    new DataView(idx.buffer).setUint16(0, q.usedIdx, true);
    // The element first, then the index that publishes it.
    if (!memory.write(q.device + 4n + BigInt(8 * slot), elem) || !memory.write(q.device + 2n, idx)) {
      throw new VirtioError('used ring outside RAM');
    }
  }

  private readConfig(offset: number, size: 1 | 2 | 4 | 8): bigint {
    if (!this.device) return 0n;
    const config = this.device.config();
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(config[offset + k] ?? 0);
    return v;
  }

  // While the line is high every update asserts it again, as QEMU's virtio_mmio_update_irq does:
  // the PLIC latches an assertion, not a level.
  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level || level !== this.irq) {
      this.irq = level;
      this.options.onInterrupt(level);
    }
  }

  /** The current level of the interrupt line. */
  get interruptLevel(): boolean {
    return this.irq;
  }

  saveState(): VirtioMmioState {
    return {
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [...this.driverFeatures],
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      queues: this.queues.map((q) => ({ ...q })),
      device: this.device?.saveState(),
    };
  }

  loadState(s: VirtioMmioState): void {
    this.status = s.status;
    this.deviceFeaturesSel = s.deviceFeaturesSel;
    this.driverFeaturesSel = s.driverFeaturesSel;
    this.driverFeatures = [...s.driverFeatures];
    this.queueSel = s.queueSel;
    this.interruptStatus = s.interruptStatus;
    this.queues = s.queues.map((q) => ({ ...q }));
    if (this.device && s.device !== undefined) this.device.loadState(s.device);
    this.updateIrq();
  }
}

const u16 = (b: Uint8Array, off: number) => b[off] | (b[off + 1] << 8);
const low = (v: bigint | undefined) => Number((v ?? 0n) & 0xffff_ffffn);
const high = (v: bigint | undefined) => Number((v ?? 0n) >> 32n);
const setLow = (v: bigint, w: number) => (v & ~0xffff_ffffn) | BigInt(w >>> 0);
const setHigh = (v: bigint, w: number) => (v & 0xffff_ffffn) | (BigInt(w >>> 0) << 32n);
