// The virtio-mmio transport and the virtio-blk device, driven directly as a driver would: registers,
// a split virtqueue laid out in a fake guest RAM, requests, the used ring and the interrupt line.
import { describe, expect, test } from 'vitest';
import {
  INT_CONFIG_CHANGE,
  INT_USED_BUFFER,
  REG,
  STATUS,
  VIRTIO_F_VERSION_1,
  VIRTIO_MAGIC,
  VIRTIO_VENDOR,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VirtioMmio,
  type DmaMemory,
} from '../src/machine/devices/virtio-mmio.ts';
import {
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VirtioBlk,
  type BlockBackend,
  type DriveOptions,
} from '../src/machine/devices/virtio-blk.ts';

const BASE = 0x8000_0000n;
const DESC = BASE; // descriptor table
const AVAIL = BASE + 0x1000n;
const USED = BASE + 0x2000n;
const BUF = BASE + 0x3000n; // request buffers from here on
const QSIZE = 8;

/** A guest RAM of 64 KiB at 0x8000_0000 and the device on a transport, with its interrupt line. */
function setup(drive: DriveOptions = { image: pattern(16) }) {
  const ram = new Uint8Array(0x10000);
  const dv = new DataView(ram.buffer);
  const inRam = (addr: bigint, len: number) =>
    addr >= BASE && addr + BigInt(len) <= BASE + BigInt(ram.length);
  const memory: DmaMemory = {
    read: (addr, len) =>
      inRam(addr, len) ? ram.slice(Number(addr - BASE), Number(addr - BASE) + len) : undefined,
    write: (addr, bytes) => {
      if (!inRam(addr, bytes.length)) return false;
      ram.set(bytes, Number(addr - BASE));
      return true;
    },
  };
  const irq: boolean[] = [];
  const blk = new VirtioBlk(drive);
  const dev = new VirtioMmio({ memory, onInterrupt: (l) => irq.push(l) }, blk);
  const r = (off: number) => Number(dev.read(off, 4));
  const w = (off: number, v: number | bigint) => dev.write(off, 4, BigInt(v));
  const at = (addr: bigint) => Number(addr - BASE);
  let availIdx = 0;
  let nextBuf = BUF;

  /** Probes, negotiates `features` and sets up queue 0 the way Linux and xv6 do. */
  function init(features = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH) {
    w(REG.STATUS, 0);
    w(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    w(REG.DRIVER_FEATURES_SEL, 0);
    w(REG.DRIVER_FEATURES, features & 0xffff_ffffn);
    w(REG.DRIVER_FEATURES_SEL, 1);
    w(REG.DRIVER_FEATURES, features >> 32n);
    w(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    w(REG.QUEUE_SEL, 0);
    w(REG.QUEUE_NUM, QSIZE);
    w(REG.QUEUE_DESC_LOW, DESC & 0xffff_ffffn);
    w(REG.QUEUE_DESC_HIGH, DESC >> 32n);
    w(REG.QUEUE_DRIVER_LOW, AVAIL & 0xffff_ffffn);
    w(REG.QUEUE_DRIVER_HIGH, 0);
    w(REG.QUEUE_DEVICE_LOW, USED & 0xffff_ffffn);
    w(REG.QUEUE_DEVICE_HIGH, 0);
    w(REG.QUEUE_READY, 1);
    w(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
  }

  /** A buffer in RAM holding `bytes` (or `len` zero bytes). */
  function buffer(content: Uint8Array | number): { addr: bigint; len: number } {
    const bytes = typeof content === 'number' ? new Uint8Array(content) : content;
    const addr = nextBuf;
    ram.set(bytes, at(addr));
    nextBuf += BigInt((bytes.length + 15) & ~15) + 16n;
    return { addr, len: bytes.length };
  }

  function writeDesc(table: bigint, i: number, addr: bigint, len: number, flags: number, next: number) {
    const o = at(table) + 16 * i;
    dv.setBigUint64(o, addr, true);
    dv.setUint32(o + 8, len, true);
    dv.setUint16(o + 12, flags, true);
    dv.setUint16(o + 14, next, true);
  }

  /** Puts a chain of buffers in descriptors first..first+n-1 and makes it available; returns its head. */
  function submit(bufs: { addr: bigint; len: number; write?: boolean }[], first = 0, notify = true): number {
    bufs.forEach((b, k) => {
      const last = k === bufs.length - 1;
      writeDesc(
        DESC,
        first + k,
        b.addr,
        b.len,
        (b.write ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT),
        first + k + 1,
      );
    });
    publish(first);
    if (notify) w(REG.QUEUE_NOTIFY, 0);
    return first;
  }

  function publish(head: number) {
    dv.setUint16(at(AVAIL) + 4 + 2 * (availIdx % QSIZE), head, true);
    availIdx++;
    dv.setUint16(at(AVAIL) + 2, availIdx, true);
  }

  const header = (type: number, sector: bigint) => {
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setUint32(0, type, true);
    v.setBigUint64(8, sector, true);
    return buffer(h);
  };

  /** One request: header, optional data out, `inLen` bytes in, a status byte. Returns its pieces. */
  function request(type: number, sector: bigint, out?: Uint8Array, inLen = 0) {
    const h = header(type, sector);
    const data = out ? buffer(out) : undefined;
    const din = inLen ? buffer(inLen) : undefined;
    const status = buffer(Uint8Array.of(0xff));
    const chain: { addr: bigint; len: number; write?: boolean }[] = [h];
    if (data) chain.push(data);
    if (din) chain.push({ ...din, write: true });
    chain.push({ ...status, write: true });
    submit(chain);
    return {
      status: () => ram[at(status.addr)],
      data: () => (din ? ram.slice(at(din.addr), at(din.addr) + din.len) : undefined),
    };
  }

  const usedIdx = () => dv.getUint16(at(USED) + 2, true);
  const usedElem = (i: number) => ({
    id: dv.getUint32(at(USED) + 4 + 8 * (i % QSIZE), true),
    len: dv.getUint32(at(USED) + 8 + 8 * (i % QSIZE), true),
  });
  return {
    ram,
    dv,
    dev,
    blk,
    irq,
    r,
    w,
    init,
    buffer,
    writeDesc,
    submit,
    publish,
    header,
    request,
    usedIdx,
    usedElem,
    at,
  };
}

/** An image of `sectors` sectors, byte i = i * 7 mod 256. */
function pattern(sectors: number): Uint8Array {
  return Uint8Array.from({ length: sectors * 512 }, (_, i) => (i * 7) & 0xff);
}

describe('virtio-mmio transport', () => {
  test('identifies itself as a version 2 block device with the offered features', () => {
    const { r, w, dev } = setup();
    expect(r(REG.MAGIC)).toBe(VIRTIO_MAGIC);
    expect(r(REG.VERSION)).toBe(2);
    expect(r(REG.DEVICE_ID)).toBe(2);
    expect(r(REG.VENDOR_ID)).toBe(VIRTIO_VENDOR);
    w(REG.DEVICE_FEATURES_SEL, 0);
    const lo = r(REG.DEVICE_FEATURES);
    w(REG.DEVICE_FEATURES_SEL, 1);
    const hi = r(REG.DEVICE_FEATURES);
    expect(hi).toBe(1); // VIRTIO_F_VERSION_1 is bit 32
    expect(lo & (1 << 9)).toBe(1 << 9); // FLUSH
    expect(lo & (1 << 6)).toBe(1 << 6); // BLK_SIZE
    expect(lo & (1 << 28)).toBe(1 << 28); // INDIRECT_DESC
    expect(lo & (1 << 5)).toBe(0); // not read-only: writes go to the overlay
    w(REG.DEVICE_FEATURES_SEL, 2);
    expect(r(REG.DEVICE_FEATURES)).toBe(0);
    expect(r(REG.QUEUE_NUM_MAX)).toBe(256);
    w(REG.QUEUE_SEL, 1);
    expect(r(REG.QUEUE_NUM_MAX)).toBe(0); // one queue
    // Configuration space: capacity in sectors (u64 at 0), blk_size (u32 at 20).
    expect(dev.read(REG.CONFIG, 8)).toBe(16n);
    expect(dev.read(REG.CONFIG, 4)).toBe(16n);
    expect(dev.read(REG.CONFIG + 20, 4)).toBe(512n);
    expect(dev.read(REG.CONFIG + 1, 1)).toBe(0n);
    expect(r(REG.CONFIG_GENERATION)).toBe(0);
    expect(r(REG.SHM_LEN_LOW)).toBe(0xffff_ffff); // no shared memory region
  });

  test('a transport without a device reads as device id 0', () => {
    const dev = new VirtioMmio({
      memory: { read: () => undefined, write: () => false },
      onInterrupt: () => {},
    });
    expect(dev.read(REG.MAGIC, 4)).toBe(BigInt(VIRTIO_MAGIC));
    expect(dev.read(REG.VERSION, 4)).toBe(2n);
    expect(dev.read(REG.DEVICE_ID, 4)).toBe(0n);
    expect(dev.read(REG.QUEUE_NUM_MAX, 4)).toBe(0n);
    dev.write(REG.STATUS, 4, 1n);
    expect(dev.read(REG.STATUS, 4)).toBe(0n);
  });

  test('only whole 32-bit registers are accessible; 64-bit accesses are two of them', () => {
    const { dev, w } = setup();
    expect(dev.read(REG.MAGIC, 1)).toBe(0n);
    expect(dev.read(REG.MAGIC, 8)).toBe(BigInt(VIRTIO_MAGIC) | (2n << 32n)); // magic, version
    dev.write(REG.QUEUE_DESC_LOW, 8, 0x1_2345_6000n);
    expect(dev.read(REG.QUEUE_DESC_LOW, 4)).toBe(0x2345_6000n);
    expect(dev.read(REG.QUEUE_DESC_HIGH, 4)).toBe(1n);
    w(REG.STATUS, 3);
    dev.write(REG.STATUS, 1, 0n); // a byte store is ignored
    expect(dev.read(REG.STATUS, 4)).toBe(3n);
  });

  test('FEATURES_OK sticks for a subset of the offered features, with or without VERSION_1', () => {
    const { r, w } = setup();
    const negotiate = (lo: number, hi: number) => {
      w(REG.STATUS, 0);
      w(REG.STATUS, 3);
      w(REG.DRIVER_FEATURES_SEL, 0);
      w(REG.DRIVER_FEATURES, lo);
      w(REG.DRIVER_FEATURES_SEL, 1);
      w(REG.DRIVER_FEATURES, hi);
      w(REG.STATUS, 3 | STATUS.FEATURES_OK);
      return (r(REG.STATUS) & STATUS.FEATURES_OK) !== 0;
    };
    expect(negotiate(1 << 9, 1)).toBe(true);
    expect(negotiate(1 << 9, 0)).toBe(true); // xv6 never acknowledges VERSION_1; QEMU accepts that
    expect(negotiate(1 << 5, 1)).toBe(false); // read-only is not offered
    expect(negotiate(0, 2)).toBe(false);
  });

  test('a reset (status 0) forgets the negotiation, the queues and a pending interrupt', () => {
    const s = setup();
    s.init();
    s.request(VIRTIO_BLK_T_FLUSH, 0n);
    expect(s.r(REG.INTERRUPT_STATUS)).toBe(INT_USED_BUFFER);
    s.w(REG.STATUS, 0);
    expect(s.r(REG.STATUS)).toBe(0);
    expect(s.r(REG.INTERRUPT_STATUS)).toBe(0);
    expect(s.irq.at(-1)).toBe(false);
    expect(s.r(REG.QUEUE_READY)).toBe(0);
    expect(s.r(REG.QUEUE_DESC_LOW)).toBe(0);
    expect(s.r(REG.QUEUE_NUM)).toBe(256); // back to the maximum
  });
});

describe('virtio-blk requests', () => {
  test('reads sectors (IN) into the driver buffers', () => {
    const s = setup();
    s.init();
    const req = s.request(VIRTIO_BLK_T_IN, 2n, undefined, 1024);
    expect(req.status()).toBe(VIRTIO_BLK_S_OK);
    expect(req.data()).toEqual(pattern(16).slice(1024, 2048));
    expect(s.usedIdx()).toBe(1);
    expect(s.usedElem(0)).toEqual({ id: 0, len: 1025 }); // data and status
  });

  test('writes (OUT) stay in memory unless the drive is writable, and read back', () => {
    for (const writable of [false, true]) {
      const image = pattern(16);
      const s = setup({ image, writable });
      s.init();
      const data = Uint8Array.from({ length: 512 }, (_, i) => 255 - (i & 0xff));
      const out = s.request(VIRTIO_BLK_T_OUT, 5n, data);
      expect(out.status()).toBe(VIRTIO_BLK_S_OK);
      expect(s.usedElem(0).len).toBe(1);
      const back = s.request(VIRTIO_BLK_T_IN, 4n, undefined, 1536);
      expect(back.status()).toBe(VIRTIO_BLK_S_OK);
      expect(back.data()!.slice(512, 1024)).toEqual(data);
      expect(back.data()!.slice(0, 512)).toEqual(pattern(16).slice(2048, 2560));
      expect(image.slice(2560, 3072)).toEqual(writable ? data : pattern(16).slice(2560, 3072));
      expect(s.usedIdx()).toBe(2);
    }
  });

  test('FLUSH reaches a writable backend only; GET_ID answers the serial; unknown types are UNSUPP', () => {
    const flushes: number[] = [];
    const bytes = pattern(4);
    const backend = (writable: boolean): BlockBackend => ({
      size: bytes.length,
      read: (o, into) => into.set(bytes.subarray(o, o + into.length)),
      write: () => {},
      flush: () => flushes.push(writable ? 1 : 0),
    });
    for (const writable of [false, true]) {
      const s = setup({ image: backend(writable), writable, serial: 'wasmvisor-disk' });
      s.init();
      expect(s.request(VIRTIO_BLK_T_FLUSH, 0n).status()).toBe(VIRTIO_BLK_S_OK);
      const id = s.request(VIRTIO_BLK_T_GET_ID, 0n, undefined, 20);
      expect(id.status()).toBe(VIRTIO_BLK_S_OK);
      expect(new TextDecoder().decode(id.data()!).replace(/\0+$/, '')).toBe('wasmvisor-disk');
      expect(id.data()![19]).toBe(0);
      expect(s.request(11 /* DISCARD, not offered */, 0n, new Uint8Array(16)).status()).toBe(
        VIRTIO_BLK_S_UNSUPP,
      );
    }
    expect(flushes).toEqual([1]);
  });

  test('requests past the end or of partial sectors fail with IOERR, and the device goes on', () => {
    const s = setup();
    s.init();
    expect(s.request(VIRTIO_BLK_T_IN, 15n, undefined, 1024).status()).toBe(VIRTIO_BLK_S_IOERR);
    expect(s.request(VIRTIO_BLK_T_IN, 1n << 60n, undefined, 512).status()).toBe(VIRTIO_BLK_S_IOERR);
    expect(s.request(VIRTIO_BLK_T_OUT, 0n, new Uint8Array(100)).status()).toBe(VIRTIO_BLK_S_IOERR);
    expect(s.request(VIRTIO_BLK_T_IN, 15n, undefined, 512).status()).toBe(VIRTIO_BLK_S_OK);
    expect(s.r(REG.STATUS) & STATUS.NEEDS_RESET).toBe(0);
  });

  test('takes any layout: a header split over descriptors, data scattered over three', () => {
    const s = setup();
    s.init();
    const h = s.header(VIRTIO_BLK_T_IN, 1n);
    const a = s.buffer(100);
    const b = s.buffer(312);
    const c = s.buffer(101); // the last 512-byte sector's tail and the status byte
    s.submit([
      { addr: h.addr, len: 8 },
      { addr: h.addr + 8n, len: 8 },
      { ...a, write: true },
      { ...b, write: true },
      { ...c, write: true },
    ]);
    const got = new Uint8Array([
      ...s.ram.slice(s.at(a.addr), s.at(a.addr) + 100),
      ...s.ram.slice(s.at(b.addr), s.at(b.addr) + 312),
      ...s.ram.slice(s.at(c.addr), s.at(c.addr) + 100),
    ]);
    expect(got).toEqual(pattern(16).slice(512, 1024));
    expect(s.ram[s.at(c.addr) + 100]).toBe(VIRTIO_BLK_S_OK);
  });

  test('follows an indirect descriptor table', () => {
    const s = setup();
    s.init();
    const h = s.header(VIRTIO_BLK_T_IN, 3n);
    const data = s.buffer(512);
    const status = s.buffer(1);
    const table = s.buffer(48);
    s.writeDesc(table.addr, 0, h.addr, 16, VIRTQ_DESC_F_NEXT, 1);
    s.writeDesc(table.addr, 1, data.addr, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    s.writeDesc(table.addr, 2, status.addr, 1, VIRTQ_DESC_F_WRITE, 0);
    s.writeDesc(DESC, 5, table.addr, 48, VIRTQ_DESC_F_INDIRECT, 0);
    s.publish(5);
    s.w(REG.QUEUE_NOTIFY, 0);
    expect(s.ram[s.at(status.addr)]).toBe(VIRTIO_BLK_S_OK);
    expect(s.ram.slice(s.at(data.addr), s.at(data.addr) + 512)).toEqual(pattern(16).slice(1536, 2048));
    expect(s.usedElem(0)).toEqual({ id: 5, len: 513 });
  });

  test('serves every request made available before the notify, in order', () => {
    const s = setup();
    s.init();
    const st1 = s.buffer(1);
    const st2 = s.buffer(1);
    s.submit([s.header(VIRTIO_BLK_T_FLUSH, 0n), { ...st1, write: true }], 0, false);
    s.submit([s.header(VIRTIO_BLK_T_GET_ID, 0n), { ...st2, write: true }], 2, true);
    expect(s.usedIdx()).toBe(2);
    expect(s.usedElem(0).id).toBe(0);
    expect(s.usedElem(1).id).toBe(2);
  });
});

describe('virtio interrupts and errors', () => {
  test('raises the line after completing requests; acknowledging lowers it', () => {
    const s = setup();
    s.init();
    expect(s.irq).toEqual([]);
    s.request(VIRTIO_BLK_T_FLUSH, 0n);
    expect(s.irq).toEqual([true]);
    expect(s.r(REG.INTERRUPT_STATUS)).toBe(INT_USED_BUFFER);
    s.request(VIRTIO_BLK_T_FLUSH, 0n);
    expect(s.irq).toEqual([true, true]); // asserted again for the PLIC to latch
    s.w(REG.INTERRUPT_ACK, INT_USED_BUFFER);
    expect(s.irq.at(-1)).toBe(false);
    expect(s.r(REG.INTERRUPT_STATUS)).toBe(0);
  });

  test('VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt', () => {
    const s = setup();
    s.init();
    s.dv.setUint16(s.at(AVAIL), VIRTQ_AVAIL_F_NO_INTERRUPT, true);
    const req = s.request(VIRTIO_BLK_T_FLUSH, 0n);
    expect(req.status()).toBe(VIRTIO_BLK_S_OK);
    expect(s.irq).toEqual([]);
    expect(s.r(REG.INTERRUPT_STATUS)).toBe(0);
  });

  test('nothing is served before the queue is ready', () => {
    const s = setup();
    s.w(REG.QUEUE_NUM, QSIZE);
    s.w(REG.QUEUE_DESC_LOW, DESC & 0xffff_ffffn);
    s.w(REG.QUEUE_DRIVER_LOW, AVAIL & 0xffff_ffffn);
    s.w(REG.QUEUE_DEVICE_LOW, USED & 0xffff_ffffn);
    s.request(VIRTIO_BLK_T_FLUSH, 0n);
    expect(s.usedIdx()).toBe(0);
  });

  test.each([
    [
      'a descriptor chain that loops',
      (s: ReturnType<typeof setup>) => {
        const h = s.header(VIRTIO_BLK_T_FLUSH, 0n);
        s.writeDesc(DESC, 0, h.addr, 16, VIRTQ_DESC_F_NEXT, 1);
        s.writeDesc(DESC, 1, h.addr, 16, VIRTQ_DESC_F_NEXT, 0);
        s.publish(0);
      },
    ],
    [
      'a buffer outside RAM',
      (s: ReturnType<typeof setup>) => {
        s.submit(
          [
            { addr: 0x1000n, len: 16 },
            { addr: BUF, len: 1, write: true },
          ],
          0,
          false,
        );
      },
    ],
    [
      'a request without a status byte',
      (s: ReturnType<typeof setup>) => {
        s.submit([s.header(VIRTIO_BLK_T_FLUSH, 0n)], 0, false);
      },
    ],
    [
      'a readable descriptor after a writable one',
      (s: ReturnType<typeof setup>) => {
        const st = s.buffer(1);
        s.submit([{ ...st, write: true }, s.header(VIRTIO_BLK_T_FLUSH, 0n)], 0, false);
      },
    ],
  ])('%s sets NEEDS_RESET and stops the device until a reset', (_name, make) => {
    const s = setup();
    s.init();
    make(s);
    s.w(REG.QUEUE_NOTIFY, 0);
    expect(s.r(REG.STATUS) & STATUS.NEEDS_RESET).toBe(STATUS.NEEDS_RESET);
    expect(s.r(REG.INTERRUPT_STATUS) & INT_CONFIG_CHANGE).toBe(INT_CONFIG_CHANGE);
    expect(s.usedIdx()).toBe(0);
    s.w(REG.STATUS, 0);
    expect(s.r(REG.STATUS)).toBe(0);
  });

  test('saves and restores registers, queues and the in-memory writes', () => {
    const image = pattern(16);
    const a = setup({ image });
    a.init();
    const data = new Uint8Array(512).fill(0xab);
    a.request(VIRTIO_BLK_T_OUT, 7n, data);
    const state = a.dev.saveState();
    const b = setup({ image });
    b.ram.set(a.ram);
    b.dev.loadState(structuredClone(state));
    expect(b.r(REG.STATUS)).toBe(a.r(REG.STATUS));
    expect(b.r(REG.INTERRUPT_STATUS)).toBe(INT_USED_BUFFER);
    expect(b.irq).toEqual([true]);
    const into = new Uint8Array(512);
    b.blk.read(7, into);
    expect(into).toEqual(data);
    expect(image.slice(7 * 512, 8 * 512)).toEqual(pattern(16).slice(7 * 512, 8 * 512));
  });
});
