// Berkeley HTIF, as riscv-tests and the proxy kernel (riscv-pk) use it, following Spike's fesvr and
// QEMU's hw/char/riscv_htif.c. Not MMIO: `tohost` and `fromhost` are words in guest RAM found by
// ELF symbol; the supervisor calls onToHost() when the guest stored a nonzero tohost.
//
// tohost = device (63:56) | command (55:48) | payload (47:0)
//   device 0, command 0, payload odd:  exit with code payload >> 1 (riscv-tests: 1 = pass)
//   device 0, command 0, payload even: pointer to a "magic memory" syscall block of 8 uint64
//   device 1, command 1: putchar(payload & 0xff)
//   device 1, command 0: getchar; answered through fromhost when input is there
// The host answers by writing fromhost = device | command | response (as fesvr's respond()) and
// clears tohost, which tells the guest its request was taken.

const DEV_SYSCALL = 0n;
const DEV_CONSOLE = 1n;
const CONSOLE_GETC = 0n;
const CONSOLE_PUTC = 1n;

const SYS_WRITE = 64n;
const SYS_EXIT = 93n;
const EFAULT = 14n;
const ENOSYS = 38n;
const EBADF = 9n;

const PAYLOAD = (1n << 48n) - 1n;
const MAX_WRITE = 1 << 24; // a larger SYS_write is a guest bug, not output worth copying

/** Guest physical memory as HTIF needs it. `read` may throw for addresses outside RAM. */
export interface HtifMemory {
  read(addr: bigint, len: number): Uint8Array;
  write64(addr: bigint, v: bigint): void;
}

export interface HtifOptions {
  memory: HtifMemory;
  /** A byte of console output (console putchar, SYS_write to fd 1 or 2). */
  onOutput(byte: number): void;
  /** The guest asked to stop with this exit code (0 = pass). */
  onExit(code: number): void;
  /** Guest addresses of the two words; usually set later from the ELF's symbols (setSymbols). */
  tohost?: bigint;
  fromhost?: bigint;
}

export interface HtifState {
  input: number[];
  responses: string[];
  pendingRead: string | undefined;
}

export class Htif {
  /** Guest physical address of tohost, or undefined when the guest has none. */
  tohost: bigint | undefined;
  /** Guest physical address of fromhost, or undefined when the guest has none. */
  fromhost: bigint | undefined;

  private input: number[] = [];
  private responses: bigint[] = []; // fromhost values not delivered yet
  private pendingRead: bigint | undefined; // the getchar request waiting for input

  constructor(private readonly options: HtifOptions) {
    this.tohost = options.tohost;
    this.fromhost = options.fromhost;
  }

  /** Takes the tohost/fromhost addresses from an ELF symbol table. */
  setSymbols(symbols: ReadonlyMap<string, bigint>): void {
    this.tohost = symbols.get('tohost');
    this.fromhost = symbols.get('fromhost');
    this.pendingRead = undefined;
    this.responses = [];
  }

  /** The guest wrote `value` (nonzero) to tohost. */
  onToHost(value: bigint): void {
    this.poll();
    value = BigInt.asUintN(64, value);
    const device = value >> 56n;
    const command = (value >> 48n) & 0xffn;
    const payload = value & PAYLOAD;
    if (device === DEV_SYSCALL && command === 0n) {
      if (payload & 1n) {
        this.clearToHost();
        this.options.onExit(exitCode(payload >> 1n));
        return;
      }
      this.syscall(payload);
      this.respond(value, 1n);
    } else if (device === DEV_CONSOLE && command === CONSOLE_PUTC) {
      this.options.onOutput(Number(payload & 0xffn));
      this.respond(value, 0x100n | (payload & 0xffn));
    } else if (device === DEV_CONSOLE && command === CONSOLE_GETC) {
      // fesvr queues the request and answers it when a character arrives.
      this.pendingRead = value;
      this.clearToHost();
      this.deliverInput();
    } else {
      this.clearToHost(); // unknown device or command: taken and ignored, as fesvr does
    }
  }

  /** Queues console input for the guest's HTIF getchar requests. */
  pushInput(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.input.push(b & 0xff);
    this.poll();
    this.deliverInput();
  }

  private deliverInput(): void {
    if (this.pendingRead === undefined || this.input.length === 0) return;
    const request = this.pendingRead;
    this.pendingRead = undefined;
    this.writeFromHost(request, 0x100n | BigInt(this.input.shift()!));
  }

  // Proxied system call (riscv-pk's frontend): magic_mem[0] = number, [1..7] = arguments; the
  // result goes back into magic_mem[0].
  private syscall(addr: bigint): void {
    let words: bigint[];
    try {
      const block = this.options.memory.read(addr, 64);
      const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
      words = Array.from({ length: 8 }, (_, i) => dv.getBigUint64(i * 8, true));
    } catch {
      return; // the block itself is outside RAM: nothing to answer into
    }
    const [num, a0, a1, a2] = words;
    let ret: bigint;
    if (num === SYS_WRITE) ret = this.sysWrite(a0, a1, a2);
    else if (num === SYS_EXIT) {
      this.options.onExit(exitCode(a0));
      ret = 0n;
    } else ret = -ENOSYS;
    this.options.memory.write64(addr, BigInt.asUintN(64, ret));
  }

  private sysWrite(fd: bigint, buf: bigint, len: bigint): bigint {
    if (fd !== 1n && fd !== 2n) return -EBADF;
    if (len > BigInt(MAX_WRITE)) return -EFAULT;
    let bytes: Uint8Array;
    try {
      bytes = this.options.memory.read(buf, Number(len));
    } catch {
      return -EFAULT;
    }
    for (const b of bytes) this.options.onOutput(b);
    return len;
  }

  // fesvr's respond(): fromhost = the request's device and command with the response below them.
  private respond(request: bigint, response: bigint): void {
    this.writeFromHost(request, response);
    this.clearToHost();
  }

  // Like fesvr, a response waits while fromhost still holds one the guest has not taken (cleared):
  // overwriting it could lose a console character or a syscall's completion.
  private writeFromHost(request: bigint, response: bigint): void {
    if (this.fromhost === undefined) return;
    this.responses.push(((request >> 48n) << 48n) | (response & PAYLOAD));
    this.poll();
  }

  /**
   * Delivers a queued response once the guest has cleared fromhost. Cheap when nothing waits; the
   * supervisor calls it on every store to the tohost/fromhost page and may call it per slice.
   */
  poll(): void {
    if (this.responses.length === 0 || this.fromhost === undefined) return;
    let current: Uint8Array;
    try {
      current = this.options.memory.read(this.fromhost, 8);
    } catch {
      this.responses = []; // fromhost is not in RAM: no response can ever be delivered
      return;
    }
    if (current.some((b) => b !== 0)) return;
    this.options.memory.write64(this.fromhost, this.responses.shift()!);
  }

  /** True while a response waits for the guest to clear fromhost. */
  get busy(): boolean {
    return this.responses.length > 0;
  }

  private clearToHost(): void {
    if (this.tohost !== undefined) this.options.memory.write64(this.tohost, 0n);
  }

  saveState(): HtifState {
    return {
      input: this.input.slice(),
      responses: this.responses.map((r) => r.toString()),
      pendingRead: this.pendingRead?.toString(),
    };
  }

  loadState(s: HtifState): void {
    this.input = s.input.slice();
    this.responses = s.responses.map((r) => BigInt(r));
    this.pendingRead = s.pendingRead === undefined ? undefined : BigInt(s.pendingRead);
  }
}

// Exit codes are C ints: exit(-1) arrives as 2^64-1 (SYS_exit) or 2^47-1 (tohost payload).
function exitCode(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}
