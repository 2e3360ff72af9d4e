// Tuning constants of the supervisor, each with the reason for its value.
import { TIMEBASE_HZ } from '../machine/board.ts';
import { MAX_REGION_INSNS } from '../jit/tuning.ts';

/** Default guest RAM: QEMU virt's default, enough for the bench guests and small kernels. */
export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;

/**
 * Instructions per call into the core. A call and its return cost well under a microsecond, so
 * 256 Ki instructions (about 1-2 ms of guest time) make that overhead vanish, while keeping the
 * timer and console responsive and letting V8 swap in optimized code between calls.
 */
export const SLICE_INSNS = 1 << 18;

/** How often a running guest yields to the host's event loop (console input, other guests). */
export const YIELD_EVERY_MS = 20;

/**
 * The same while translator work is under way (loading it, regions compiling in the worker):
 * that work reaches this thread only on event-loop turns, so frequent turns install translated
 * code within a millisecond of it being ready instead of up to YIELD_EVERY_MS later.
 */
export const YIELD_WHILE_JIT_LOADS_MS = 1;

/** Longest single sleep while the guest waits in WFI; long waits are taken in steps of this. */
export const MAX_HOST_WAIT_MS = 50;

/** CLINT mtime frequency: QEMU virt's 10 MHz, which guests built for it assume (and the DTB says). */
export const MTIME_HZ = TIMEBASE_HZ;

/**
 * With a deterministic clock, mtime advances one tick per this many retired instructions: 10 MHz
 * at a nominal 100 MIPS, near what the engines run, so guests' timeouts keep their proportions.
 */
export const DETERMINISTIC_INSNS_PER_TICK = 10n;

/**
 * Translated code checks its instruction budget only at backward branches and region exits, so it
 * can run up to a region (MAX_REGION_INSNS) past it. A slice that must stop at an exact count (a
 * timer deadline on the deterministic clock, scheduled input, --max-insns, a snapshot point) gives
 * translated code the budget less this margin and interprets the rest: at most this many
 * interpreted instructions per such stop.
 */
export const EXACT_MARGIN = 2 * MAX_REGION_INSNS;
