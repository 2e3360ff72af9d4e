// Bad input to the bench: reported as one line (`wasmvisor: ...`) with its exit code, never a stack.
// (The bench is loaded through tsx, so src/errors.ts's class would be a second copy of dist's.)
export class BenchError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
