// Flattened device tree (DTB, version 17): a small builder, and the tree that describes this
// board the way QEMU's virt machine describes the same devices, so a kernel booted with
// `--sbi builtin` finds its memory, timer, interrupt controllers, console and power-off switch.
import { WasmvisorError } from '../errors.ts';
import {
  CLINT_BASE,
  CLINT_SIZE,
  FINISHER_BASE,
  FINISHER_PASS,
  FINISHER_RESET,
  FINISHER_SIZE,
  HARTS,
  PLIC_BASE,
  PLIC_NDEV,
  PLIC_SIZE,
  RAM_BASE,
  TIMEBASE_HZ,
  UART_BASE,
  UART_CLOCK_HZ,
  UART_IRQ,
  UART_SIZE,
  VIRTIO_MMIO_SIZE,
} from './board.ts';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
const FDT_LAST_COMPATIBLE_VERSION = 16;
const HEADER_BYTES = 40;
const RESERVE_MAP_BYTES = 16; // just the terminating all-zero entry

// Structure block tokens.
export const FDT_BEGIN_NODE = 1;
export const FDT_END_NODE = 2;
export const FDT_PROP = 3;
export const FDT_END = 9;

/** The ISA string the cpu nodes advertise: what the core implements. */
export const RISCV_ISA = 'rv64imafdc_zicsr_zifencei_sstc';

// Interrupt numbers on the per-hart interrupt controller (mip bits).
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

const encoder = new TextEncoder();

/** Builds a DTB: nodes are opened and closed in order, properties go to the open node. */
export class FdtBuilder {
  private struct: number[] = [];
  private strings: number[] = [];
  private stringOffsets = new Map<string, number>();
  private depth = 0;

  beginNode(name: string): this {
    if (name.includes('\0')) throw new WasmvisorError(`device tree node name '${name}' contains NUL`);
    this.word(FDT_BEGIN_NODE);
    this.bytes(encoder.encode(name + '\0'));
    this.depth++;
    return this;
  }

  endNode(): this {
    if (this.depth === 0) throw new Error('fdt: endNode without a matching beginNode');
    this.word(FDT_END_NODE);
    this.depth--;
    return this;
  }

  /** A node with its properties and children added by `body`. */
  node(name: string, body: () => void): this {
    this.beginNode(name);
    body();
    return this.endNode();
  }

  /** A property with raw bytes as its value. */
  prop(name: string, value: Uint8Array): this {
    if (this.depth === 0) throw new Error(`fdt: property '${name}' outside any node`);
    this.word(FDT_PROP);
    this.word(value.length);
    this.word(this.stringOffset(name));
    this.bytes(value);
    return this;
  }

  /** A property with no value (a flag such as `interrupt-controller`). */
  empty(name: string): this {
    return this.prop(name, new Uint8Array(0));
  }

  /** 32-bit big-endian cells. */
  cells(name: string, ...values: number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
    return this.prop(name, b);
  }

  /** 64-bit values as pairs of cells (for #address-cells and #size-cells of 2). */
  cells64(name: string, ...values: bigint[]): this {
    return this.cells(
      name,
      ...values.flatMap((v) => [Number((v >> 32n) & 0xffff_ffffn), Number(v & 0xffff_ffffn)]),
    );
  }

  /** One string, or a string list (`compatible`). */
  string(name: string, ...values: string[]): this {
    for (const v of values) {
      if (v.includes('\0')) throw new WasmvisorError(`device tree property '${name}' contains NUL`);
    }
    return this.prop(name, encoder.encode(values.map((v) => v + '\0').join('')));
  }

  /** The finished blob; every node must be closed. */
  finish(bootCpu = 0): Uint8Array {
    if (this.depth !== 0) throw new Error(`fdt: ${this.depth} node(s) left open`);
    const struct = this.struct.concat(be32(FDT_END));
    const offStruct = HEADER_BYTES + RESERVE_MAP_BYTES;
    const offStrings = offStruct + struct.length;
    const total = offStrings + this.strings.length;
    const out = new Uint8Array(align(total, 8));
    const dv = new DataView(out.buffer);
    const header = [
      FDT_MAGIC,
      out.length, // totalsize
      offStruct,
      offStrings,
      HEADER_BYTES, // off_mem_rsvmap: an empty map right after the header
      FDT_VERSION,
      FDT_LAST_COMPATIBLE_VERSION,
      bootCpu,
      this.strings.length,
      struct.length,
    ];
    header.forEach((v, i) => dv.setUint32(i * 4, v));
    out.set(struct, offStruct);
    out.set(this.strings, offStrings);
    return out;
  }

  private stringOffset(name: string): number {
    let off = this.stringOffsets.get(name);
    if (off === undefined) {
      off = this.strings.length;
      for (const b of encoder.encode(name + '\0')) this.strings.push(b);
      this.stringOffsets.set(name, off);
    }
    return off;
  }

  private word(v: number): void {
    for (const b of be32(v)) this.struct.push(b);
  }

  // Bytes padded with zeros to the next 4-byte boundary, as every structure item must be.
  private bytes(b: Uint8Array): void {
    for (const x of b) this.struct.push(x); // a loop: spreading a long bootargs would overflow the stack
    while (this.struct.length % 4) this.struct.push(0);
  }
}

export interface BoardDeviceTreeOptions {
  /** Bytes of RAM at `ramBase`. */
  ramSize: bigint | number;
  /** Where RAM starts (default 0x8000_0000, as on virt). */
  ramBase?: bigint;
  /** Harts (default: the board's, 1). */
  harts?: number;
  /** The kernel command line (/chosen/bootargs); none when undefined. */
  bootargs?: string;
  /** An initial RAM disk in RAM (/chosen linux,initrd-start and -end, end exclusive). */
  initrd?: { start: bigint; end: bigint };
  /** virtio-mmio transports with a device behind them: their base address and PLIC source. */
  virtio?: { base: number; irq: number }[];
}

/** The device tree of this board, as QEMU virt would give it for the devices we have. */
export function boardDeviceTree(options: BoardDeviceTreeOptions): Uint8Array {
  const harts = options.harts ?? HARTS;
  const ramBase = options.ramBase ?? RAM_BASE;
  if (!Number.isInteger(harts) || harts < 1 || harts > 4095) {
    throw new WasmvisorError(`device tree: cannot describe ${harts} harts (1 to 4095)`);
  }
  // Phandles, numbered from 1 as dtc would: each hart's interrupt controller, then the PLIC and
  // the test finisher (the poweroff and reboot nodes point at it).
  const intc = (hart: number) => 1 + hart;
  const plic = harts + 1;
  const finisher = harts + 2;
  const perHart = (irqs: number[]) =>
    Array.from({ length: harts }, (_, h) => irqs.flatMap((irq) => [intc(h), irq])).flat();
  const uart = `serial@${UART_BASE.toString(16)}`;

  const t = new FdtBuilder();
  t.node('', () => {
    t.cells('#address-cells', 2);
    t.cells('#size-cells', 2);
    t.string('compatible', 'riscv-virtio');
    t.string('model', 'riscv-virtio,qemu');

    t.node('chosen', () => {
      if (options.bootargs !== undefined) t.string('bootargs', options.bootargs);
      if (options.initrd) {
        t.cells64('linux,initrd-start', options.initrd.start);
        t.cells64('linux,initrd-end', options.initrd.end);
      }
      t.string('stdout-path', `/soc/${uart}`);
    });

    t.node(`memory@${ramBase.toString(16)}`, () => {
      t.string('device_type', 'memory');
      t.cells64('reg', ramBase, BigInt(options.ramSize));
    });

    t.node('cpus', () => {
      t.cells('#address-cells', 1);
      t.cells('#size-cells', 0);
      t.cells('timebase-frequency', TIMEBASE_HZ);
      for (let h = 0; h < harts; h++) {
        t.node(`cpu@${h.toString(16)}`, () => {
          t.string('device_type', 'cpu');
          t.cells('reg', h);
          t.string('status', 'okay');
          t.string('compatible', 'riscv');
          t.string('riscv,isa', RISCV_ISA);
          t.string('mmu-type', 'riscv,sv39');
          t.node('interrupt-controller', () => {
            t.cells('#address-cells', 0); // as newer QEMU has it: dtc warns about providers without
            t.cells('#interrupt-cells', 1);
            t.empty('interrupt-controller');
            t.string('compatible', 'riscv,cpu-intc');
            t.cells('phandle', intc(h));
          });
        });
      }
    });

    t.node('soc', () => {
      t.cells('#address-cells', 2);
      t.cells('#size-cells', 2);
      t.string('compatible', 'simple-bus');
      t.empty('ranges');

      t.node(`test@${FINISHER_BASE.toString(16)}`, () => {
        t.string('compatible', 'sifive,test1', 'sifive,test0', 'syscon');
        t.cells64('reg', BigInt(FINISHER_BASE), BigInt(FINISHER_SIZE));
        t.cells('phandle', finisher);
      });

      t.node(uart, () => {
        t.string('compatible', 'ns16550a');
        t.cells64('reg', BigInt(UART_BASE), BigInt(UART_SIZE));
        t.cells('clock-frequency', UART_CLOCK_HZ);
        t.cells('interrupts', UART_IRQ);
        t.cells('interrupt-parent', plic);
      });

      // Highest address first, as QEMU lists them.
      for (const v of [...(options.virtio ?? [])].sort((a, b) => b.base - a.base)) {
        t.node(`virtio_mmio@${v.base.toString(16)}`, () => {
          t.cells('interrupts', v.irq);
          t.cells('interrupt-parent', plic);
          t.cells64('reg', BigInt(v.base), BigInt(VIRTIO_MMIO_SIZE));
          t.string('compatible', 'virtio,mmio');
        });
      }

      t.node(`plic@${PLIC_BASE.toString(16)}`, () => {
        t.string('compatible', 'sifive,plic-1.0.0', 'riscv,plic0');
        t.cells64('reg', BigInt(PLIC_BASE), BigInt(PLIC_SIZE));
        t.cells('#address-cells', 0);
        t.cells('#interrupt-cells', 1);
        t.empty('interrupt-controller');
        // Context 2h is hart h's M-mode (MEIP), 2h+1 its S-mode (SEIP).
        t.cells('interrupts-extended', ...perHart([IRQ_M_EXT, IRQ_S_EXT]));
        t.cells('riscv,ndev', PLIC_NDEV);
        t.cells('phandle', plic);
      });

      t.node(`clint@${CLINT_BASE.toString(16)}`, () => {
        t.string('compatible', 'sifive,clint0', 'riscv,clint0');
        t.cells64('reg', BigInt(CLINT_BASE), BigInt(CLINT_SIZE));
        t.cells('interrupts-extended', ...perHart([IRQ_M_SOFT, IRQ_M_TIMER]));
      });
    });

    // Power off and reboot are writes of the finisher's codes to its register (syscon drivers).
    t.node('poweroff', () => {
      t.string('compatible', 'syscon-poweroff');
      t.cells('regmap', finisher);
      t.cells('offset', 0);
      t.cells('value', FINISHER_PASS);
    });
    t.node('reboot', () => {
      t.string('compatible', 'syscon-reboot');
      t.cells('regmap', finisher);
      t.cells('offset', 0);
      t.cells('value', FINISHER_RESET);
    });
  });
  return t.finish();
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
