import { describe, expect, it } from 'vitest';
import { Bus, type Device } from '../src/machine/bus.ts';
import { Finisher, FINISHER_BASE } from '../src/machine/devices/finisher.ts';
import { Uart16550, UART_BASE } from '../src/machine/devices/uart16550.ts';
import { Clint, CLINT_BASE } from '../src/machine/devices/clint.ts';
import { Plic, PLIC_BASE } from '../src/machine/devices/plic.ts';
import { Htif, type HtifMemory } from '../src/machine/devices/htif.ts';

function stub(name: string, size: number): Device {
  return { name, size, read: () => 0n, write: () => {} };
}

describe('Bus', () => {
  it('finds devices by address and refuses overlaps', () => {
    const bus = new Bus();
    const a = stub('a', 0x100);
    const b = stub('b', 0x1000);
    bus.map(0x1000_0000, a);
    bus.map(0x0010_0000, b);
    expect(bus.find(0x1000_0010)).toEqual({ device: a, offset: 0x10 });
    expect(bus.find(0x1000_0010)).toEqual({ device: a, offset: 0x10 }); // cached path
    expect(bus.find(0x0010_0fff)).toEqual({ device: b, offset: 0xfff });
    expect(bus.find(0x0010_1000)).toBeUndefined();
    expect(bus.find(0x1000_0100)).toBeUndefined();
    expect(bus.find(0)).toBeUndefined();
    expect(() => bus.map(0x1000_00ff, stub('c', 4))).toThrow(/c at 0x100000ff-0x10000103 overlaps a/);
    expect(() => bus.map(0x000f_f000, stub('d', 0x1001))).toThrow(/overlaps b/);
    expect(() => bus.map(0xffff_fff0, stub('e', 0x20))).toThrow(/past 4 GiB/);
    expect(() => bus.map(0x2000, stub('f', 0))).toThrow(/cannot map/);
    bus.map(0x000f_f000, stub('g', 0x1000)); // adjacent is fine
    expect(bus.find(0x000f_ffff)?.device.name).toBe('g');
    expect(bus.devices().map((d) => d.device.name)).toEqual(['g', 'b', 'a']);
  });
});

describe('Finisher', () => {
  function finisher() {
    const events: string[] = [];
    const dev = new Finisher({
      onExit: (c) => events.push(`exit ${c}`),
      onReset: () => events.push('reset'),
    });
    return { dev, events };
  }

  it('reports pass, fail with a code, and reset', () => {
    const { dev, events } = finisher();
    dev.write(0, 4, 0x5555n);
    dev.write(0, 4, (3n << 16n) | 0x3333n);
    dev.write(0, 8, (0xffn << 16n) | 0x3333n);
    dev.write(0, 4, 0x7777n);
    expect(events).toEqual(['exit 0', 'exit 3', 'exit 255', 'reset']);
  });

  it('ignores other values and offsets', () => {
    const { dev, events } = finisher();
    dev.write(0, 4, 0x1234n);
    dev.write(4, 4, 0x5555n);
    dev.write(0, 1, 0x55n);
    expect(events).toEqual([]);
    expect(dev.read()).toBe(0n);
  });
});

describe('Uart16550', () => {
  function uart() {
    const out: number[] = [];
    const irq: boolean[] = [];
    const dev = new Uart16550({ onOutput: (b) => out.push(b), onInterrupt: (l) => irq.push(l) });
    const r = (o: number) => Number(dev.read(o, 1));
    const w = (o: number, v: number) => dev.write(o, 1, BigInt(v));
    return { dev, out, irq, r, w };
  }

  it('transmits bytes and always reports the transmitter empty', () => {
    const { out, r, w, dev } = uart();
    expect(r(5)).toBe(0x60); // THRE | TEMT, no data
    w(0, 0x41);
    dev.write(0, 4, 0x1242n); // wider store: low byte
    expect(out).toEqual([0x41, 0x42]);
    expect(r(5) & 0x60).toBe(0x60);
    expect(r(2)).toBe(0x01); // no interrupt pending
  });

  it('receives queued input through RBR with LSR.DR', () => {
    const { dev, r } = uart();
    dev.pushInput(new Uint8Array([0x61, 0x62]));
    expect(r(5) & 1).toBe(1);
    expect(r(0)).toBe(0x61);
    expect(r(5) & 1).toBe(1);
    expect(r(0)).toBe(0x62);
    expect(r(5) & 1).toBe(0);
    expect(r(0)).toBe(0);
    expect(dev.inputPending).toBe(0);
  });

  it('raises receive-data-available per IER, with IIR naming it', () => {
    const { dev, irq, r, w } = uart();
    dev.pushInput([0x31]);
    expect(irq).toEqual([]); // not enabled
    w(1, 0x01); // IER.RDI
    expect(irq).toEqual([true]);
    expect(r(2)).toBe(0x04);
    r(0);
    expect(irq).toEqual([true, false]);
    expect(r(2)).toBe(0x01);
  });

  it('raises THR-empty when enabled and after each byte; reading IIR acknowledges it', () => {
    const { irq, r, w, out } = uart();
    w(1, 0x02); // IER.THRI with the THR empty: at once
    expect(irq).toEqual([true]);
    expect(r(2)).toBe(0x02);
    expect(irq).toEqual([true, false]);
    expect(r(2)).toBe(0x01);
    w(0, 0x7a);
    expect(out).toEqual([0x7a]);
    expect(irq).toEqual([true, false, true]);
    w(1, 0x00);
    expect(irq).toEqual([true, false, true, false]);
  });

  it('prioritises received data over THR-empty', () => {
    const { dev, r, w } = uart();
    w(1, 0x03);
    dev.pushInput([1]);
    expect(r(2)).toBe(0x04);
    r(0);
    expect(r(2)).toBe(0x02);
  });

  it('reports FIFO mode in IIR and a character timeout below the trigger level', () => {
    const { dev, r, w } = uart();
    w(2, 0x81); // FIFO on, trigger level 8
    w(1, 0x01);
    dev.pushInput([1, 2, 3]);
    expect(r(2)).toBe(0xcc); // FIFO bits | character timeout
    dev.pushInput([4, 5, 6, 7, 8]);
    expect(r(2)).toBe(0xc4); // at the trigger level
    w(2, 0x83); // clear the receive FIFO
    expect(dev.inputPending).toBe(0);
    expect(r(2)).toBe(0xc1);
  });

  it('clears only the device FIFO, not host input queued behind it', () => {
    const { dev, r, w } = uart();
    w(2, 0x01);
    dev.pushInput(new Uint8Array(20).map((_, i) => i));
    w(2, 0x03);
    expect(dev.inputPending).toBe(4);
    expect(r(0)).toBe(16);
  });

  it('maps the divisor latch over RBR/IER while DLAB is set', () => {
    const { dev, out, r, w } = uart();
    w(1, 0x05);
    w(3, 0x83); // DLAB, 8N1
    w(0, 0x01);
    w(1, 0x02);
    expect(r(0)).toBe(0x01);
    expect(r(1)).toBe(0x02);
    expect(out).toEqual([]); // not transmitted
    w(3, 0x03);
    expect(r(1)).toBe(0x05); // IER intact
    expect(r(3)).toBe(0x03);
    w(7, 0x5a);
    expect(r(7)).toBe(0x5a); // scratch
    expect(dev.saveState().divisor).toBe(0x0201);
  });

  it('loops transmitted bytes back and mirrors modem control into MSR in loopback mode', () => {
    const { dev, out, r, w } = uart();
    expect(r(6)).toBe(0xb0);
    w(4, 0x10 | 0x0a); // LOOP | RTS | OUT2
    expect(r(6)).toBe(0x90);
    w(0, 0x55);
    expect(out).toEqual([]);
    expect(dev.inputPending).toBe(1);
    expect(r(0)).toBe(0x55);
  });

  it('saves and restores its state', () => {
    const a = uart();
    a.w(1, 0x01);
    a.w(7, 0x33);
    a.dev.pushInput([9, 8]);
    a.r(0);
    const s = JSON.parse(JSON.stringify(a.dev.saveState()));
    const b = uart();
    b.dev.loadState(s);
    expect(b.irq).toEqual([true]);
    expect(b.r(7)).toBe(0x33);
    expect(b.r(0)).toBe(8);
  });
});

describe('Clint', () => {
  function clint(harts = 1) {
    let now = 1000n;
    const timer: string[] = [];
    const soft: string[] = [];
    const dev = new Clint({
      clock: () => now,
      harts,
      setTimerPending: (h, l) => timer.push(`${h}:${l}`),
      setSoftwarePending: (h, l) => soft.push(`${h}:${l}`),
    });
    return { dev, timer, soft, advance: (t: bigint) => (now += t), setNow: (t: bigint) => (now = t) };
  }

  it('reads mtime from the clock and resets mtimecmp to all-ones', () => {
    const { dev, advance } = clint();
    expect(dev.read(0xbff8, 8)).toBe(1000n);
    advance(5n);
    expect(dev.read(0xbff8, 4)).toBe(1005n);
    expect(dev.read(0xbffc, 4)).toBe(0n);
    expect(dev.read(0x4000, 8)).toBe(0xffff_ffff_ffff_ffffn);
    expect(dev.nextDeadline(0)).toBeUndefined();
  });

  it('raises MTIP when mtime reaches mtimecmp, on update() and on writes', () => {
    const { dev, timer, advance } = clint();
    dev.update();
    expect(timer).toEqual([]);
    dev.write(0x4000, 8, 1100n);
    expect(dev.nextDeadline(0)).toBe(1100n);
    dev.update();
    expect(timer).toEqual([]);
    advance(99n);
    dev.update();
    expect(timer).toEqual([]);
    advance(1n);
    dev.update();
    dev.update(); // no change, no callback
    expect(timer).toEqual(['0:true']);
    dev.write(0x4000, 8, 5000n); // moving the compare forward drops MTIP at once
    expect(timer).toEqual(['0:true', '0:false']);
  });

  it('handles 32-bit halves of mtimecmp', () => {
    const { dev, timer } = clint();
    // The usual sequence: high half to all-ones first, then low, then high.
    dev.write(0x4004, 4, 0xffff_ffffn);
    dev.write(0x4000, 4, 0x10n);
    expect(dev.read(0x4000, 8)).toBe(0xffff_ffff_0000_0010n);
    expect(timer).toEqual([]);
    dev.write(0x4004, 4, 0n);
    expect(dev.read(0x4000, 8)).toBe(0x10n);
    expect(dev.read(0x4000, 4)).toBe(0x10n);
    expect(dev.read(0x4004, 4)).toBe(0n);
    expect(timer).toEqual(['0:true']);
  });

  it('lets the guest write mtime (whole or by halves)', () => {
    const { dev, advance } = clint();
    dev.write(0xbff8, 8, 0x1_0000_0000n);
    expect(dev.read(0xbff8, 8)).toBe(0x1_0000_0000n);
    advance(7n);
    expect(dev.mtime()).toBe(0x1_0000_0007n);
    dev.write(0xbffc, 4, 2n);
    expect(dev.read(0xbff8, 8)).toBe(0x2_0000_0007n);
    // Deadlines come back in clock() ticks, so the host can sleep on its own clock.
    dev.write(0x4000, 8, 0x2_0000_0107n);
    expect(dev.nextDeadline(0)).toBe(1007n + 0x100n);
  });

  it('drives MSIP from msip writes, one word per hart', () => {
    const { dev, soft, timer } = clint(2);
    dev.write(4, 4, 1n);
    dev.write(0, 4, 0xffn); // only bit 0 is writable
    expect(soft).toEqual(['1:true', '0:true']);
    expect(dev.read(0, 4)).toBe(1n);
    expect(dev.read(0, 8)).toBe(0x1_0000_0001n); // one read across both harts' words
    dev.write(0, 4, 0n);
    expect(soft.at(-1)).toBe('0:false');
    dev.write(0x4008, 8, 0n); // hart 1's mtimecmp
    expect(timer).toEqual(['1:true']);
    expect(dev.read(8, 4)).toBe(0n); // no hart 2
  });

  it('saves and restores its state', () => {
    const a = clint();
    a.dev.write(0x4000, 8, 0x1234n);
    a.dev.write(0xbff8, 8, 500n);
    const s = JSON.parse(JSON.stringify(a.dev.saveState()));
    const b = clint();
    b.setNow(0n);
    b.dev.loadState(s);
    expect(b.dev.read(0x4000, 8)).toBe(0x1234n);
    expect(b.dev.mtime()).toBe(500n);
  });
});

describe('Plic', () => {
  function plic() {
    const ext: string[] = [];
    const dev = new Plic({ setExternalPending: (c, l) => ext.push(`${c}:${l}`) });
    const CLAIM0 = 0x20_0004;
    const CLAIM1 = 0x20_1004;
    return { dev, ext, CLAIM0, CLAIM1 };
  }

  it('delivers an enabled source above the threshold, then claim and complete', () => {
    const { dev, ext, CLAIM1 } = plic();
    dev.setSource(10, true);
    expect(dev.read(0x1000, 4)).toBe(1n << 10n); // pending
    expect(ext).toEqual([]); // priority 0: masked
    dev.write(4 * 10, 4, 1n);
    expect(ext).toEqual([]); // not enabled
    dev.write(0x2080, 4, 1n << 10n); // context 1 (hart 0 S-mode) enables source 10
    expect(ext).toEqual(['1:true']);
    expect(dev.read(CLAIM1, 4)).toBe(10n);
    expect(ext).toEqual(['1:true', '1:false']);
    expect(dev.read(0x1000, 4)).toBe(0n);
    expect(dev.read(CLAIM1, 4)).toBe(0n); // nothing else
    // As QEMU's PLIC: completion does not re-pend a line that stayed high; asserting it again does.
    dev.write(CLAIM1, 4, 10n);
    expect(ext).toEqual(['1:true', '1:false']);
    expect(dev.read(0x1000, 4)).toBe(0n);
    dev.setSource(10, true);
    expect(ext).toEqual(['1:true', '1:false', '1:true']);
    dev.setSource(10, false);
    expect(ext.at(-1)).toBe('1:false');
    expect(dev.read(0x1000, 4)).toBe(0n);
  });

  it('delivers a source asserted while claimed only after completion', () => {
    const { dev, ext, CLAIM0 } = plic();
    dev.write(4 * 3, 4, 2n);
    dev.write(0x2000, 4, 1n << 3n);
    dev.setSource(3, true);
    expect(dev.read(CLAIM0, 4)).toBe(3n);
    dev.setSource(3, true); // asserted again while being served
    expect(dev.read(0x1000, 4)).toBe(1n << 3n); // pending...
    expect(dev.read(CLAIM0, 4)).toBe(0n); // ...but not claimable yet
    expect(ext).toEqual(['0:true', '0:false']);
    dev.write(CLAIM0, 4, 3n);
    expect(ext).toEqual(['0:true', '0:false', '0:true']);
    expect(dev.read(CLAIM0, 4)).toBe(3n);
    dev.setSource(3, false); // a line withdrawn while claimed leaves nothing behind
    dev.write(CLAIM0, 4, 3n);
    expect(dev.read(0x1000, 4)).toBe(0n);
    expect(ext).toEqual(['0:true', '0:false', '0:true', '0:false']);
  });

  it('honours the threshold and picks the highest priority, lowest id on ties', () => {
    const { dev, ext, CLAIM0 } = plic();
    dev.write(0x2000, 4, 0xffff_fffen);
    dev.write(0x2004, 4, 0xffff_ffffn);
    dev.write(4 * 5, 4, 3n);
    dev.write(4 * 7, 4, 3n);
    dev.write(4 * 40, 4, 6n);
    dev.write(0x20_0000, 4, 5n); // threshold 5
    expect(dev.read(0x20_0000, 4)).toBe(5n);
    dev.setSource(5, true);
    dev.setSource(7, true);
    expect(ext).toEqual([]);
    dev.setSource(40, true);
    expect(ext).toEqual(['0:true']);
    expect(dev.read(CLAIM0, 4)).toBe(40n);
    dev.write(0x20_0000, 4, 0n);
    expect(dev.read(CLAIM0, 4)).toBe(5n);
    expect(dev.read(CLAIM0, 4)).toBe(7n);
    expect(dev.read(CLAIM0, 4)).toBe(0n);
  });

  it('keeps priorities to 3 bits, source 0 unwritable and enables per context', () => {
    const { dev } = plic();
    dev.write(4 * 1, 4, 0xffn);
    expect(dev.read(4, 4)).toBe(7n);
    dev.write(0, 4, 5n);
    expect(dev.read(0, 4)).toBe(0n);
    dev.write(0x2000, 4, 0xffff_ffffn);
    expect(dev.read(0x2000, 4)).toBe(0xffff_fffen); // no source 0
    expect(dev.read(0x2080, 4)).toBe(0n);
    expect(dev.read(0x2000 + 0x80 * 5, 4)).toBe(0n); // no context 5
    expect(() => dev.setSource(96, true)).toThrow(/no interrupt source 96/);
  });

  it('ignores a completion for a source the context has not enabled', () => {
    const { dev, CLAIM0, CLAIM1 } = plic();
    dev.write(4 * 2, 4, 1n);
    dev.write(0x2000, 4, 1n << 2n);
    dev.setSource(2, true);
    expect(dev.read(CLAIM0, 4)).toBe(2n);
    dev.write(CLAIM1, 4, 2n); // context 1 has it disabled
    dev.setSource(2, true);
    expect(dev.read(CLAIM0, 4)).toBe(0n); // still claimed
    dev.write(CLAIM0, 4, 2n);
    expect(dev.read(CLAIM0, 4)).toBe(2n);
  });

  it('saves and restores its state', () => {
    const a = plic();
    a.dev.write(4 * 10, 4, 1n);
    a.dev.write(0x2000, 4, 1n << 10n);
    a.dev.setSource(10, true);
    const s = JSON.parse(JSON.stringify(a.dev.saveState()));
    const b = plic();
    b.dev.loadState(s);
    expect(b.ext).toEqual(['0:true']);
    expect(b.dev.read(b.CLAIM0, 4)).toBe(10n);
  });
});

describe('Plic and Uart16550 together', () => {
  // xv6 enables THR-empty and never reads IIR, so the UART's line stays high. On QEMU that does
  // not storm: the PLIC latches assertions, and the UART asserts again only at events (input).
  it('a line left high by an unacknowledged THR-empty interrupt does not storm', () => {
    const plic = new Plic({ setExternalPending: () => {} });
    const uart = new Uart16550({ onOutput: () => {}, onInterrupt: (l) => plic.setSource(10, l) });
    plic.write(40, 4, 1n);
    plic.write(0x2080, 4, 1n << 10n);
    uart.write(1, 1, 3n); // IER: RDI | THRI
    uart.write(0, 1, 0x41n); // transmit: THR empty again at once
    expect(plic.read(0x20_1004, 4)).toBe(10n);
    expect(uart.read(5, 1) & 1n).toBe(0n); // no input: the handler reads nothing
    plic.write(0x20_1004, 4, 10n);
    expect(plic.read(0x20_1004, 4)).toBe(0n); // no second interrupt
    uart.pushInput([0x61]);
    expect(plic.read(0x20_1004, 4)).toBe(10n); // input asserts the line again
    expect(uart.read(0, 1)).toBe(0x61n);
    plic.write(0x20_1004, 4, 10n);
    expect(plic.read(0x20_1004, 4)).toBe(10n); // the RBR read re-asserted it while served (as QEMU)
    plic.write(0x20_1004, 4, 10n);
    expect(plic.read(0x20_1004, 4)).toBe(0n);
  });

  it('routes the UART line to source 10', () => {
    const ext: boolean[] = [];
    const plic = new Plic({ setExternalPending: (c, l) => c === 1 && ext.push(l) });
    const uart = new Uart16550({ onOutput: () => {}, onInterrupt: (l) => plic.setSource(10, l) });
    plic.write(40, 4, 1n);
    plic.write(0x2080, 4, 1n << 10n);
    uart.write(1, 1, 1n);
    uart.pushInput([0x0d]);
    expect(ext).toEqual([true]);
    expect(plic.read(0x20_1004, 4)).toBe(10n);
    expect(uart.read(0, 1)).toBe(0x0dn);
    plic.write(0x20_1004, 4, 10n);
    expect(ext).toEqual([true, false]);
  });
});

describe('Htif', () => {
  const TOHOST = 0x8000_1000n;
  const FROMHOST = 0x8000_1008n;

  function htif() {
    const ram = new Uint8Array(0x4000);
    const dv = new DataView(ram.buffer);
    const base = 0x8000_0000n;
    const memory: HtifMemory = {
      read: (addr, len) => {
        const off = Number(addr - base);
        if (addr < base || off + len > ram.length) throw new Error('outside RAM');
        return ram.slice(off, off + len);
      },
      write64: (addr, v) => dv.setBigUint64(Number(addr - base), v, true),
    };
    const out: number[] = [];
    const exits: number[] = [];
    const dev = new Htif({ memory, onOutput: (b) => out.push(b), onExit: (c) => exits.push(c) });
    dev.setSymbols(
      new Map([
        ['tohost', TOHOST],
        ['fromhost', FROMHOST],
      ]),
    );
    const at = (addr: bigint) => dv.getBigUint64(Number(addr - base), true);
    const set = (addr: bigint, v: bigint) => dv.setBigUint64(Number(addr - base), v, true);
    // What the guest does: store to tohost, then the supervisor calls onToHost.
    const toHost = (v: bigint) => {
      set(TOHOST, v);
      dev.onToHost(v);
    };
    return { dev, out, exits, at, set, toHost, ram };
  }

  it('exits with the riscv-tests codes', () => {
    const h = htif();
    h.toHost(1n);
    h.toHost((5n << 1n) | 1n);
    expect(h.exits).toEqual([0, 5]);
    expect(h.at(TOHOST)).toBe(0n);
  });

  it('writes console characters and acknowledges them like fesvr', () => {
    const h = htif();
    h.toHost((1n << 56n) | (1n << 48n) | 0x48n);
    expect(h.out).toEqual([0x48]);
    expect(h.at(TOHOST)).toBe(0n);
    expect(h.at(FROMHOST)).toBe((1n << 56n) | (1n << 48n) | 0x148n);
  });

  it('proxies SYS_write and SYS_exit through a magic memory block', () => {
    const h = htif();
    const block = 0x8000_2000n;
    const text = new TextEncoder().encode('hi\n');
    h.ram.set(text, 0x3000);
    h.set(block, 64n);
    h.set(block + 8n, 1n);
    h.set(block + 16n, 0x8000_3000n);
    h.set(block + 24n, BigInt(text.length));
    h.toHost(block);
    expect(String.fromCharCode(...h.out)).toBe('hi\n');
    expect(h.at(block)).toBe(3n); // magic_mem[0] = return value
    expect(h.at(FROMHOST)).toBe(1n);
    expect(h.at(TOHOST)).toBe(0n);

    h.set(FROMHOST, 0n); // the guest takes the response
    h.set(block, 64n);
    h.set(block + 8n, 5n); // a bad fd
    h.toHost(block);
    expect(h.at(block)).toBe(BigInt.asUintN(64, -9n));

    h.set(FROMHOST, 0n);
    h.set(block, 64n);
    h.set(block + 8n, 1n);
    h.set(block + 16n, 0x10n); // outside RAM
    h.toHost(block);
    expect(h.at(block)).toBe(BigInt.asUintN(64, -14n));

    h.set(FROMHOST, 0n);
    h.set(block, 93n);
    h.set(block + 8n, 7n);
    h.toHost(block);
    expect(h.exits).toEqual([7]);
  });

  it('answers an unknown syscall with -ENOSYS', () => {
    const h = htif();
    h.set(0x8000_2000n, 1234n);
    h.toHost(0x8000_2000n);
    expect(h.at(0x8000_2000n)).toBe(BigInt.asUintN(64, -38n));
    expect(h.at(FROMHOST)).toBe(1n);
  });

  it('answers console getchar when input arrives', () => {
    const h = htif();
    const getc = 1n << 56n;
    h.toHost(getc);
    expect(h.at(TOHOST)).toBe(0n);
    expect(h.at(FROMHOST)).toBe(0n);
    h.dev.pushInput([0x71, 0x72]);
    expect(h.at(FROMHOST)).toBe(getc | 0x171n);
    h.set(FROMHOST, 0n);
    h.toHost(getc); // the second byte was queued already
    expect(h.at(FROMHOST)).toBe(getc | 0x172n);
  });

  it('does not overwrite a response the guest has not taken', () => {
    const h = htif();
    const getc = 1n << 56n;
    h.toHost(getc);
    h.dev.pushInput([0x61]);
    h.toHost((1n << 56n) | (1n << 48n) | 0x21n); // putchar while the getchar answer is unread
    expect(h.at(FROMHOST)).toBe(getc | 0x161n);
    expect(h.dev.busy).toBe(true);
    h.set(FROMHOST, 0n);
    h.dev.poll();
    expect(h.at(FROMHOST)).toBe((1n << 56n) | (1n << 48n) | 0x121n);
    expect(h.dev.busy).toBe(false);
  });

  it('drops responses when fromhost is outside RAM instead of throwing', () => {
    const h = htif();
    h.dev.fromhost = 0x10n;
    h.toHost((1n << 56n) | (1n << 48n) | 0x41n);
    expect(h.out).toEqual([0x41]);
    expect(h.dev.busy).toBe(false);
  });

  it('maps negative exit codes to C ints', () => {
    const h = htif();
    h.toHost(((1n << 48n) - 1n) | 1n); // exit(-1) through tohost: payload all ones
    expect(h.exits).toEqual([-1]);
  });
});

describe('device base addresses', () => {
  it('match the virt board and fit on one bus', () => {
    const bus = new Bus();
    bus.map(FINISHER_BASE, new Finisher({ onExit: () => {} }));
    bus.map(
      CLINT_BASE,
      new Clint({ clock: () => 0n, setTimerPending: () => {}, setSoftwarePending: () => {} }),
    );
    bus.map(PLIC_BASE, new Plic({ setExternalPending: () => {} }));
    bus.map(UART_BASE, new Uart16550({ onOutput: () => {} }));
    expect(bus.find(0x1000_0005)?.device.name).toBe('uart16550');
    expect(bus.find(0x0200_bff8)).toMatchObject({ offset: 0xbff8 });
    expect(bus.find(0x0c20_1004)).toMatchObject({ offset: 0x20_1004 });
    expect(bus.find(0x0010_0000)?.device.name).toBe('sifive_test');
  });
});
