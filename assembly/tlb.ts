// The software TLBs' storage (layout.ts: TLB_*). Kept apart from mmu.ts so that csr.ts can flush
// them when satp or mstatus change without importing the page walker.
import { JC_GENERATION, JC_GENERATION_NEXT, JUMP_CACHE, JUMP_ENTRIES, TLB_ENTRIES, TLB_FETCH, TLB_STORE } from './layout';

// Set whenever privilege or translation may have changed (traps, xRET, satp, mstatus, SFENCE.VMA):
// the interpreter loop then re-checks which mode it runs in and forgets its fetch page.
export let modeChanged: bool = true;

export function markModeChanged(): void {
  modeChanged = true;
}
export function clearModeChanged(): void {
  modeChanged = false;
}

// Empties the store TLB only: a page just got page flags (translated code), and stores to it
// must take the slow path from now on. Translations stay valid: no new generation.
export function flushStoreTlb(): void {
  memory.fill(TLB_STORE, 0, <usize>TLB_ENTRIES << 4);
}

// Empties all three TLBs (fetch, load, store: contiguous), and retires every translation made
// under paging by moving to the next jump-cache generation (see layout.ts: JC_CONTEXT).
export function flushTlb(): void {
  memory.fill(TLB_FETCH, 0, 3 * (<usize>TLB_ENTRIES << 4));
  const gen = load<u64>(JC_GENERATION_NEXT) & ((<u64>1 << 18) - 1);
  store<u64>(JC_GENERATION_NEXT, gen + 1);
  store<u64>(JC_GENERATION, gen);
  // After 2^18 generations the tags repeat: forget every jump-cache entry then (paged or not).
  if (gen == 0) {
    for (let i: usize = 0; i < <usize>JUMP_ENTRIES; i++) store<u64>(JUMP_CACHE + (i << 4), 1); // odd: no pc
  }
  modeChanged = true;
}
