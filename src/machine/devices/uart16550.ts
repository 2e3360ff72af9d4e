// NS16550A UART as QEMU's virt board has it (hw/char/serial.c, reg-shift 0). Output is instant, so
// the transmitter is always empty; input waits in a host-side queue whose first 16 bytes (1 with
// the FIFO off) are what the guest sees as the receive FIFO.
import type { Device } from '../bus.ts';

export const UART_BASE = 0x1000_0000;
export const UART_SIZE = 0x100;
/** The UART's interrupt source number on the virt board's PLIC. */
export const UART_IRQ = 10;

// Register offsets.
const RBR_THR = 0; // DLL with DLAB
const IER = 1; // DLM with DLAB
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

const IER_RDI = 0x01; // receive data available
const IER_THRI = 0x02; // transmitter holding register empty

const IIR_NO_INT = 0x01;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_CTI = 0x0c; // character timeout: data below the FIFO trigger level
const IIR_FIFO_ENABLED = 0xc0;

const FCR_FE = 0x01;
const FCR_CLEAR_RX = 0x02;
const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

// No modem is attached: report carrier, data set ready and clear to send, as QEMU does.
const MSR_IDLE = 0xb0;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export interface UartOptions {
  /** A byte the guest transmitted. */
  onOutput(byte: number): void;
  /**
   * The interrupt line: asserted (again, at each update while high) or dropped. Wire it to PLIC
   * source UART_IRQ.
   */
  onInterrupt?(level: boolean): void;
}

export interface UartState {
  ier: number;
  lcr: number;
  mcr: number;
  scr: number;
  fcr: number;
  divisor: number;
  thrPending: boolean;
  input: number[];
}

export class Uart16550 implements Device {
  readonly name = 'uart16550';
  readonly size = UART_SIZE;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  private divisor = 0;
  // The THR-empty interrupt is an event: raised when the THR empties (or THRI is enabled), dropped
  // when the guest reads IIR naming it or writes THR.
  private thrPending = false;
  private input: number[] = [];
  private inputHead = 0; // input[inputHead] is the next byte RBR returns
  private irq = false;

  constructor(private readonly options: UartOptions) {}

  /** Queues bytes for the guest to receive. */
  pushInput(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.input.push(b & 0xff);
    this.updateIrq();
  }

  /**
   * Takes the next input byte outside the register interface (the SBI console reads the same
   * queue, so input goes to whichever the guest uses); undefined when none is queued.
   */
  takeInput(): number | undefined {
    if (this.inputPending === 0) return undefined;
    const byte = this.input[this.inputHead++];
    this.compactInput();
    this.updateIrq();
    return byte;
  }

  /** Bytes queued for the guest and not read yet. */
  get inputPending(): number {
    return this.input.length - this.inputHead;
  }

  /** The current level of the interrupt line. */
  get interruptLevel(): boolean {
    return this.irq;
  }

  read(offset: number, _size: 1 | 2 | 4 | 8): bigint {
    return BigInt(this.readReg(offset));
  }

  write(offset: number, _size: 1 | 2 | 4 | 8, value: bigint): void {
    // Registers are bytes; a wider store writes its low byte.
    this.writeReg(offset, Number(value & 0xffn));
  }

  private readReg(offset: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR: {
        if (dlab) return this.divisor & 0xff;
        if (this.inputPending === 0) return 0;
        const byte = this.input[this.inputHead++];
        this.compactInput();
        this.updateIrq();
        return byte;
      }
      case IER:
        return dlab ? this.divisor >>> 8 : this.ier;
      case IIR_FCR: {
        const source = this.source();
        // Reading IIR while it names THR-empty acknowledges that interrupt.
        if (source === IIR_THRI) {
          this.thrPending = false;
          this.updateIrq();
        }
        return source | (this.fcr & FCR_FE ? IIR_FIFO_ENABLED : 0);
      }
      case LCR:
        return this.lcr;
      case MCR:
        return this.mcr;
      case LSR:
        return LSR_THRE | LSR_TEMT | (this.inputPending > 0 ? LSR_DR : 0);
      case MSR:
        return this.mcr & MCR_LOOP ? loopbackMsr(this.mcr) : MSR_IDLE;
      case SCR:
        return this.scr;
      default:
        return 0; // only 8 registers are decoded
    }
  }

  private writeReg(offset: number, v: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR:
        if (dlab) {
          this.divisor = (this.divisor & 0xff00) | v;
          return;
        }
        if (this.mcr & MCR_LOOP) this.input.push(v);
        else this.options.onOutput(v);
        // Transmission is instant: the THR is empty again at once.
        this.thrPending = true;
        this.updateIrq();
        return;
      case IER: {
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (v << 8);
          return;
        }
        const changed = (this.ier ^ v) & 0x0f;
        this.ier = v & 0x0f;
        // Enabling THRI with the THR empty raises it at once (QEMU and Bochs do; drivers rely on it).
        if (changed & IER_THRI) this.thrPending = (this.ier & IER_THRI) !== 0;
        this.updateIrq();
        return;
      }
      case IIR_FCR:
        if (v & FCR_CLEAR_RX) this.clearFifo();
        this.fcr = v & 0xc9; // FIFO enable, DMA mode, trigger level; the clear bits self-clear
        this.updateIrq();
        return;
      case LCR:
        this.lcr = v;
        return;
      case MCR:
        this.mcr = v & 0x1f;
        return;
      case SCR:
        this.scr = v;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }

  /** The highest-priority pending interrupt as an IIR identification value. */
  private source(): number {
    const avail = Math.min(this.inputPending, this.fifoCapacity());
    if (this.ier & IER_RDI && avail > 0) {
      // The host delivers input in bursts, so a character timeout is taken to have elapsed already.
      return this.fcr & FCR_FE && avail < TRIGGER_LEVELS[this.fcr >>> 6] ? IIR_CTI : IIR_RDI;
    }
    if (this.ier & IER_THRI && this.thrPending) return IIR_THRI;
    return IIR_NO_INT;
  }

  // While the line is high every update asserts it again, as QEMU's serial_update_irq does: the
  // PLIC (plic.ts) latches an assertion, not a level.
  private updateIrq(): void {
    const level = this.source() !== IIR_NO_INT;
    if (level || level !== this.irq) {
      this.irq = level;
      this.options.onInterrupt?.(level);
    }
  }

  private fifoCapacity(): number {
    return this.fcr & FCR_FE ? FIFO_SIZE : 1;
  }

  // Drops what sits in the device's receive FIFO; host input queued behind it stays.
  private clearFifo(): void {
    this.inputHead += Math.min(this.inputPending, this.fifoCapacity());
    this.compactInput();
  }

  private compactInput(): void {
    if (this.inputHead === this.input.length) {
      this.input = [];
      this.inputHead = 0;
    } else if (this.inputHead > 4096) {
      this.input = this.input.slice(this.inputHead);
      this.inputHead = 0;
    }
  }

  saveState(): UartState {
    return {
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      fcr: this.fcr,
      divisor: this.divisor,
      thrPending: this.thrPending,
      input: this.input.slice(this.inputHead),
    };
  }

  loadState(s: UartState): void {
    this.ier = s.ier;
    this.lcr = s.lcr;
    this.mcr = s.mcr;
    this.scr = s.scr;
    this.fcr = s.fcr;
    this.divisor = s.divisor;
    this.thrPending = s.thrPending;
    this.input = s.input.slice();
    this.inputHead = 0;
    this.updateIrq();
  }
}

// In loopback the modem status inputs are wired to the modem control outputs:
// CTS <- RTS, DSR <- DTR, RI <- OUT1, DCD <- OUT2.
function loopbackMsr(mcr: number): number {
  return ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x0c) << 4);
}
