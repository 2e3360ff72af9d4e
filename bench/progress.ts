// The progress line a bench shows on stderr while it runs: only on a terminal (redirected output,
// CI logs and tests get none), rewritten in place, erased at the end.

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private shown = false;

  constructor(
    private total: number,
    private readonly enabled = process.stderr.isTTY === true,
  ) {}

  /** More steps than planned (a part whose size was not known up front). */
  grow(steps: number): void {
    this.total += steps;
  }

  /** A step begins: shows `label` with the count and the time so far. */
  step(label: string): void {
    this.done++;
    this.show(label);
  }

  /** A message within the current step (e.g. from the microbenchmarks). */
  note(message: string): void {
    this.show(message);
  }

  private show(label: string): void {
    if (!this.enabled) return;
    const total = Math.max(this.total, this.done);
    const pct = Math.floor((100 * Math.min(this.done, total)) / Math.max(total, 1));
    const secs = Math.round((performance.now() - this.start) / 1000);
    const clock = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
    const width = Math.max(20, (process.stderr.columns || 100) - 1);
    const line = `[${String(this.done).padStart(String(total).length)}/${total} ${String(pct).padStart(3)}% ${clock}] ${label}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, width)}`);
    this.shown = true;
  }

  /** Erases the line (before the table is printed). */
  clear(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
