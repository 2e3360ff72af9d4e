// virtio-blk (virtio 1.x spec, section 5.2) over a disk image. The image is reached through a
// BlockBackend, read on demand: a disk can be far larger than what a run touches, and a browser
// can back it with anything (an array, a fetched file). Without `writable`, writes stay in memory
// (an overlay of written sectors, QEMU's -snapshot); with it they go to the backend as they come.
import { VirtioError, type Chain, type VirtioDevice } from './virtio-mmio.ts';

export const SECTOR = 512;
export const VIRTIO_ID_BLOCK = 2;

// Request types and status bytes.
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
export const VIRTIO_BLK_ID_BYTES = 20;

// Features offered: seg_max and blk_size in the configuration, FLUSH, indirect descriptors.
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;
const VIRTIO_RING_F_INDIRECT_DESC = 1n << 28n;

/** QEMU's virtio-blk queue size. */
export const BLK_QUEUE_SIZE = 256;

/** Where a disk's bytes live. Offsets and lengths are whole sectors. */
export interface BlockBackend {
  /** Bytes in the image (capacity is this rounded down to sectors). */
  readonly size: number;
  /** Fills `into` from the image at `offset`. */
  read(offset: number, into: Uint8Array): void;
  /** Writes to the image (only called for a writable drive). */
  write?(offset: number, data: Uint8Array): void;
  /** Makes written data durable (FLUSH requests). */
  flush?(): void;
}

export interface DriveOptions {
  /** The disk image: its bytes, or a backend that reads (and writes) them. */
  image: Uint8Array | BlockBackend;
  /** Writes reach the image (default: they stay in memory for the run). */
  writable?: boolean;
  /** What GET_ID answers (at most 20 bytes); default none (all zeros). */
  serial?: string;
}

/** A backend over bytes in memory; a writable drive writes into them. */
export function memoryBackend(bytes: Uint8Array): BlockBackend {
  return {
    size: bytes.length,
    read: (offset, into) => into.set(bytes.subarray(offset, offset + into.length)),
    write: (offset, data) => bytes.set(data, offset),
  };
}

export interface VirtioBlkState {
  /** The in-memory sectors of a drive that is not writable. */
  overlay: { sector: number; data: Uint8Array }[];
}

export class VirtioBlk implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features =
    VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_RING_F_INDIRECT_DESC;
  readonly queues = 1;
  readonly queueNumMax = BLK_QUEUE_SIZE;
  /** Sectors of the disk. */
  readonly capacity: number;
  readonly writable: boolean;
  private readonly backend: BlockBackend;
  private readonly serial: Uint8Array;
  private readonly configSpace: Uint8Array;
  /** Written sectors of a drive that is not writable: they shadow the image. */
  private overlay = new Map<number, Uint8Array>();

  constructor(options: DriveOptions) {
    this.backend = options.image instanceof Uint8Array ? memoryBackend(options.image) : options.image;
    this.writable = options.writable ?? false;
    if (this.writable && !this.backend.write)
      throw new Error('virtio-blk: a writable drive needs a backend that writes');
    this.capacity = Math.floor(this.backend.size / SECTOR);
    this.serial = new Uint8Array(VIRTIO_BLK_ID_BYTES);
    this.serial.set(new TextEncoder().encode(options.serial ?? '').subarray(0, VIRTIO_BLK_ID_BYTES));
    // struct virtio_blk_config up to num_queues (what we fill in; the rest reads as zero).
    this.configSpace = new Uint8Array(36);
    const dv = new DataView(this.configSpace.buffer);
    dv.setBigUint64(0, BigInt(this.capacity), true);
    dv.setUint32(12, BLK_QUEUE_SIZE - 2, true); // seg_max: a request's header and status take two
    dv.setUint32(20, SECTOR, true); // blk_size
    dv.setUint16(34, 1, true); // num_queues
  }

  config(): Uint8Array {
    return this.configSpace;
  }

  handle(_queue: number, chain: Chain): number {
    // Any layout: the header is the first 16 readable bytes, the status the last writable byte.
    const { readable, writableLength } = chain;
    if (readable.length < 16 || writableLength < 1)
      throw new VirtioError('virtio-blk request without header or status');
    const dv = new DataView(readable.buffer, readable.byteOffset, 16);
    const type = dv.getUint32(0, true);
    const sector = dv.getBigUint64(8, true);
    const status = (s: number) => {
      chain.write(writableLength - 1, Uint8Array.of(s));
      return writableLength; // as QEMU: the whole writable length
    };
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const len = writableLength - 1;
        if (!this.inRange(sector, len)) return status(VIRTIO_BLK_S_IOERR);
        const data = new Uint8Array(len);
        this.read(Number(sector), data);
        chain.write(0, data);
        return status(VIRTIO_BLK_S_OK);
      }
      case VIRTIO_BLK_T_OUT: {
        const data = readable.subarray(16);
        if (!this.inRange(sector, data.length)) return status(VIRTIO_BLK_S_IOERR);
        this.write(Number(sector), data);
        return status(VIRTIO_BLK_S_OK);
      }
      case VIRTIO_BLK_T_FLUSH:
        if (this.writable) this.backend.flush?.();
        return status(VIRTIO_BLK_S_OK);
      case VIRTIO_BLK_T_GET_ID:
        chain.write(0, this.serial.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, writableLength - 1)));
        return status(VIRTIO_BLK_S_OK);
      default:
        return status(VIRTIO_BLK_S_UNSUPP);
    }
  }

  /** Whole sectors, all inside the disk. */
  private inRange(sector: bigint, len: number): boolean {
    return len % SECTOR === 0 && sector + BigInt(len / SECTOR) <= BigInt(this.capacity);
  }

  /** Reads whole sectors from `sector` on. */
  read(sector: number, into: Uint8Array): void {
    this.backend.read(sector * SECTOR, into);
    if (this.overlay.size === 0) return;
    for (let k = 0; k < into.length / SECTOR; k++) {
      const s = this.overlay.get(sector + k);
      if (s) into.set(s, k * SECTOR);
    }
  }

  /** Writes whole sectors from `sector` on. */
  write(sector: number, data: Uint8Array): void {
    if (this.writable) {
      this.backend.write!(sector * SECTOR, data);
      return;
    }
    for (let k = 0; k < data.length / SECTOR; k++) {
      this.overlay.set(sector + k, data.slice(k * SECTOR, (k + 1) * SECTOR));
    }
  }

  reset(): void {
    // Nothing to forget: written data stays written, as on a real disk.
  }

  saveState(): VirtioBlkState {
    return { overlay: [...this.overlay].map(([sector, data]) => ({ sector, data: data.slice() })) };
  }

  loadState(s: unknown): void {
    const state = s as VirtioBlkState;
    this.overlay = new Map(state.overlay.map(({ sector, data }) => [sector, data.slice()]));
  }
}
