// The software TLBs' storage (layout.ts: TLB_*). Kept apart from mmu.ts so that csr.ts can flush
// them when satp or mstatus change without importing the page walker.
import { TLB_ENTRIES, TLB_FETCH } from './layout';

// Set whenever privilege or translation may have changed (traps, xRET, satp, mstatus, SFENCE.VMA):
// the interpreter loop then re-checks which mode it runs in and forgets its fetch page.
export let modeChanged: bool = true;

export function markModeChanged(): void {
  modeChanged = true;
}
export function clearModeChanged(): void {
  modeChanged = false;
}

// Empties all three TLBs (fetch, load, store: contiguous).
export function flushTlb(): void {
  memory.fill(TLB_FETCH, 0, 3 * (<usize>TLB_ENTRIES << 4));
  modeChanged = true;
}
