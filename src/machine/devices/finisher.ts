// SiFive test finisher (QEMU's `sifive_test`): the guest writes one word to stop the machine.
// Bits 15:0 say what to do, bits 31:16 carry the exit code of a failure.
import type { Device } from '../bus.ts';

export const FINISHER_BASE = 0x10_0000;
export const FINISHER_SIZE = 0x1000;

const FINISHER_FAIL = 0x3333;
export const FINISHER_PASS = 0x5555;
export const FINISHER_RESET = 0x7777;

export interface FinisherOptions {
  /** The guest asked to stop: 0 for pass, the code it gave for a failure. */
  onExit(code: number): void;
  /** The guest asked for a reset. */
  onReset?(): void;
}

export class Finisher implements Device {
  readonly name = 'sifive_test';
  readonly size = FINISHER_SIZE;

  constructor(private readonly options: FinisherOptions) {}

  read(): bigint {
    return 0n;
  }

  write(offset: number, size: 1 | 2 | 4 | 8, value: bigint): void {
    // Only the register at offset 0 exists; a byte store cannot express a command.
    if (offset !== 0 || size < 2) return;
    const word = Number(value & 0xffff_ffffn);
    const status = word & 0xffff;
    const code = word >>> 16;
    if (status === FINISHER_PASS) this.options.onExit(0);
    // As in QEMU, a failure with code 0 exits 0: the guest chose the code.
    else if (status === FINISHER_FAIL) this.options.onExit(code);
    else if (status === FINISHER_RESET) this.options.onReset?.();
    // Anything else is ignored, as QEMU does.
  }

  saveState(): object {
    return {}; // stateless
  }

  loadState(_state: unknown): void {}
}
