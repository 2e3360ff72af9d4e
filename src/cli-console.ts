// The interactive console of `wasmvisor run`: stdin feeds the guest's UART. On a terminal, stdin
// goes to raw mode (every key, Ctrl-C included, reaches the guest) with QEMU's escapes: Ctrl-A X
// quits, Ctrl-A Ctrl-A sends a Ctrl-A, Ctrl-A H lists them. Anything else passes through unchanged.

const CTRL_A = 0x01;

// Raw mode keeps output processing: the terminal turns \n into \r\n.
export const CONSOLE_HELP = '\nC-a h    print this help\nC-a x    exit wasmvisor\nC-a C-a  sends C-a\n';

export interface ConsoleActions {
  /** Bytes for the guest. */
  input(bytes: Uint8Array): void;
  /** The user asked to quit (Ctrl-A X). */
  quit(): void;
  /** The user asked for the list of escapes (Ctrl-A H). */
  help(): void;
}

/** Splits keyboard input into guest input and Ctrl-A escapes; an escape may span two reads. */
export class ConsoleEscapes {
  private escaped = false;

  constructor(private readonly actions: ConsoleActions) {}

  feed(data: Uint8Array): void {
    const out: number[] = [];
    const flush = () => {
      if (out.length) this.actions.input(Uint8Array.from(out.splice(0)));
    };
    for (const b of data) {
      if (!this.escaped) {
        if (b === CTRL_A) this.escaped = true;
        else out.push(b);
        continue;
      }
      this.escaped = false;
      const key = String.fromCharCode(b).toLowerCase();
      if (b === CTRL_A) out.push(CTRL_A);
      else if (key === 'x') {
        flush();
        this.actions.quit();
        return; // what follows the quit is dropped
      } else if (key === 'h' || key === '?') {
        flush();
        this.actions.help();
      }
      // Other escapes do nothing, as in QEMU.
    }
    flush();
  }
}

interface Stdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  unref?(): void;
}

/**
 * Connects stdin to the guest until the returned function is called. On a terminal: raw mode,
 * restored when detached, at exit and on SIGTERM/SIGHUP (which then end the process).
 */
export function attachConsole(
  stdin: Stdin,
  actions: ConsoleActions,
): { detach(): void; interactive: boolean } {
  if (!stdin.isTTY || !stdin.setRawMode) {
    const onData = (data: Buffer) => actions.input(new Uint8Array(data));
    stdin.on('data', onData);
    return { interactive: false, detach: () => release(stdin, onData) };
  }
  const escapes = new ConsoleEscapes(actions);
  const onData = (data: Buffer) => escapes.feed(new Uint8Array(data));
  let raw = true;
  const restore = () => {
    if (raw) stdin.setRawMode!(false);
    raw = false;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : 15));
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  process.on('exit', restore);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return {
    interactive: true,
    detach() {
      restore();
      process.off('exit', restore);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      release(stdin, onData);
    },
  };
}

function release(stdin: Stdin, onData: (data: Buffer) => void): void {
  stdin.off('data', onData);
  stdin.pause();
  stdin.unref?.();
}
