// The virt-compatible board: which device sits at which address (QEMU virt's map, so guests built
// for it run unchanged) and how their interrupt lines reach the hart.
import { MIP } from '../isa/csrs.ts';
import { Bus } from './bus.ts';
import { Finisher } from './devices/finisher.ts';
import { Uart16550 } from './devices/uart16550.ts';
import { Clint } from './devices/clint.ts';
import { Plic } from './devices/plic.ts';
import { Htif } from './devices/htif.ts';
import { VirtioMmio, type DmaMemory } from './devices/virtio-mmio.ts';
import { VirtioBlk, type DriveOptions } from './devices/virtio-blk.ts';

export const FINISHER_BASE = 0x0010_0000;
export const CLINT_BASE = 0x0200_0000;
export const PLIC_BASE = 0x0c00_0000;
export const UART_BASE = 0x1000_0000;
export const UART_IRQ = 10; // the UART's PLIC source on virt
/** virtio-mmio transport i sits at VIRTIO_BASE + i * VIRTIO_STRIDE with PLIC source VIRTIO_IRQ + i. */
export const VIRTIO_BASE = 0x1000_1000;
export const VIRTIO_STRIDE = 0x1000;
export const VIRTIO_IRQ = 1;
export const VIRTIO_COUNT = 8;
export { FINISHER_SIZE, FINISHER_PASS, FINISHER_RESET } from './devices/finisher.ts';
export { CLINT_SIZE } from './devices/clint.ts';
export { PLIC_SIZE } from './devices/plic.ts';
export { UART_SIZE } from './devices/uart16550.ts';
export { VIRTIO_MMIO_SIZE } from './devices/virtio-mmio.ts';

// What the device tree tells the guest about this board (the values QEMU virt gives).
export const RAM_BASE = 0x8000_0000n;
export const HARTS = 1;
/** mtime and the time CSR tick at 10 MHz, as on virt. */
export const TIMEBASE_HZ = 10_000_000;
/** The UART's input clock (its divisor latch counts against it). */
export const UART_CLOCK_HZ = 3_686_400;
/** PLIC sources 1..95 exist (96 with the reserved source 0). */
export const PLIC_NDEV = 95;

/** What the board needs from the machine it is part of. */
export interface BoardEvents {
  output(byte: number): void;
  exit(code: number): void;
  /** An interrupt-pending bit of `hart` driven by a device changed level. */
  setInterrupt(hart: number, mask: bigint, on: boolean): void;
  clock(): bigint;
}

export class Board {
  readonly bus = new Bus();
  readonly finisher: Finisher;
  readonly uart: Uart16550;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly htif: Htif;
  /** The eight virtio-mmio transports, as on virt; drive i sits on transport i. */
  readonly virtio: VirtioMmio[];

  constructor(
    events: BoardEvents,
    readRam: (addr: bigint, len: number) => Uint8Array,
    write64: (addr: bigint, v: bigint) => void,
    harts = 1,
    /** Block devices, and guest RAM for their DMA. */
    drives: { memory: DmaMemory; drives: DriveOptions[] } = { memory: noDma, drives: [] },
  ) {
    this.finisher = new Finisher({ onExit: events.exit, onReset: () => events.exit(0) });
    // As on virt: PLIC context 2h is hart h's M-mode external interrupt, 2h + 1 its S-mode one.
    this.plic = new Plic({
      contexts: 2 * harts,
      setExternalPending: (context, level) =>
        events.setInterrupt(context >> 1, context & 1 ? MIP.SEIP : MIP.MEIP, level),
    });
    this.uart = new Uart16550({
      onOutput: events.output,
      onInterrupt: (level) => this.plic.setSource(UART_IRQ, level),
    });
    this.clint = new Clint({
      clock: events.clock,
      harts,
      setTimerPending: (hart, level) => events.setInterrupt(hart, MIP.MTIP, level),
      setSoftwarePending: (hart, level) => events.setInterrupt(hart, MIP.MSIP, level),
    });
    this.htif = new Htif({
      memory: { read: readRam, write64 },
      onOutput: events.output,
      onExit: events.exit,
    });
    this.bus.map(FINISHER_BASE, this.finisher);
    this.bus.map(CLINT_BASE, this.clint);
    this.bus.map(PLIC_BASE, this.plic);
    this.bus.map(UART_BASE, this.uart);
    if (drives.drives.length > VIRTIO_COUNT) {
      throw new Error(`board: ${drives.drives.length} drives, but only ${VIRTIO_COUNT} virtio-mmio slots`);
    }
    this.virtio = Array.from({ length: VIRTIO_COUNT }, (_, i) => {
      const drive = drives.drives[i];
      const t = new VirtioMmio(
        { memory: drives.memory, onInterrupt: (level) => this.plic.setSource(VIRTIO_IRQ + i, level) },
        drive && new VirtioBlk(drive),
      );
      this.bus.map(VIRTIO_BASE + i * VIRTIO_STRIDE, t);
      return t;
    });
  }
}

const noDma: DmaMemory = { read: () => undefined, write: () => false };
