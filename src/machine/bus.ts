// The board's MMIO bus: which device decodes a physical address. RAM is not on it (the core
// accesses RAM directly); only accesses the core could not satisfy come here.

/** A memory-mapped device. Offsets are relative to the address the device is mapped at. */
export interface Device {
  readonly name: string;
  /** Bytes of address space the device decodes. */
  readonly size: number;
  /** Reads `size` bytes at `offset`; the value is zero-extended. */
  read(offset: number, size: 1 | 2 | 4 | 8): bigint;
  /** Writes the low `size` bytes of `value` at `offset`. */
  write(offset: number, size: 1 | 2 | 4 | 8, value: bigint): void;
}

interface Mapping {
  base: number;
  end: number; // exclusive
  device: Device;
}

const ADDRESS_LIMIT = 2 ** 32; // every device on the board lives below 4 GiB

export class Bus {
  private mappings: Mapping[] = [];
  // Guests hammer one device at a time (a UART polling loop, a timer), so the last hit usually hits again.
  private last: Mapping | undefined;

  /** Maps `device` at `base`. Throws if the range is invalid or overlaps a mapped device. */
  map(base: number, device: Device): void {
    const end = base + device.size;
    if (!Number.isInteger(base) || base < 0 || !Number.isInteger(device.size) || device.size <= 0) {
      throw new Error(`bus: cannot map ${device.name} at ${hex(base)} with size ${device.size}`);
    }
    if (end > ADDRESS_LIMIT) {
      throw new Error(`bus: ${device.name} at ${hex(base)}-${hex(end)} extends past 4 GiB`);
    }
    for (const m of this.mappings) {
      if (base < m.end && m.base < end) {
        throw new Error(
          `bus: ${device.name} at ${hex(base)}-${hex(end)} overlaps ${m.device.name} at ${hex(m.base)}-${hex(m.end)}`,
        );
      }
    }
    this.mappings.push({ base, end, device });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  /** The device decoding `addr` and the offset into it, or undefined where no device lives. */
  find(addr: number): { device: Device; offset: number } | undefined {
    const last = this.last;
    if (last !== undefined && addr >= last.base && addr < last.end) {
      return { device: last.device, offset: addr - last.base };
    }
    for (const m of this.mappings) {
      if (addr < m.base) break; // sorted by base: nothing further can contain addr
      if (addr < m.end) {
        this.last = m;
        return { device: m.device, offset: addr - m.base };
      }
    }
    return undefined;
  }

  /** The mapped devices with their base addresses, lowest first (for reports and device trees). */
  devices(): { base: number; device: Device }[] {
    return this.mappings.map((m) => ({ base: m.base, device: m.device }));
  }
}

function hex(n: number): string {
  return Number.isFinite(n) ? `0x${n.toString(16)}` : String(n);
}
