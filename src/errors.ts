/**
 * An error a user can act on: bad input (a malformed ELF, a wrong flag, a guest that cannot
 * continue). The CLI prints its message as one line and exits with `exitCode`; it never shows a
 * stack trace for these.
 */
export class WasmvisorError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'WasmvisorError';
  }
}
