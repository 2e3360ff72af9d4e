// Tuning constants of the translator, each with the reason for its value.

/**
 * Block entries before a block is translated. Translating costs about 15 µs plus 3-4 µs per guest
 * instruction in binaryen and 50-200 µs in V8, i.e. the time to interpret some 20-60 thousand
 * instructions; a block entered 64 times is usually in a loop that will run far longer than that.
 */
export const JIT_THRESHOLD = 64;

/**
 * Guest instructions in one region at most. Regions follow direct branches, so loops and their
 * callees' straight-line paths fit; past a few hundred instructions compile time grows while
 * the benefit does not.
 */
export const MAX_REGION_INSNS = 512;

/** A region stays within this many bytes around its entry, to keep invalidation local. */
export const MAX_REGION_SPAN = 4096;

/**
 * Live translated regions (function-table slots) at most; past it the code cache is flushed and
 * hot code is translated again. Each live module costs about 4-5 KiB in V8, so 4096 regions stay
 * near 20 MiB, and a flush is rare enough that re-translation stays cheap.
 */
export const MAX_LIVE_REGIONS = 4096;

/**
 * Return addresses a jalr is compared with before it leaves the region. Each costs a compare and
 * a branch on every return; a region rarely has more call sites that matter than this.
 */
export const MAX_RETURN_TARGETS = 8;

/**
 * Regions compiled into one module at most: the regions that got hot while the worker was busy
 * go together (a module and its instantiation per batch instead of per region), but a batch
 * installs only when all of it is built, so it stays small enough not to delay the first ones.
 */
export const MAX_BATCH_REGIONS = 4;

/**
 * Hot entries waiting for the worker at most. A kernel's boot makes thousands of blocks hot, far
 * more than the worker translates (a few ms a region): the newest go first, as they are what runs
 * now, and past this many the oldest are forgotten until they get hot again.
 */
export const MAX_QUEUED_HOT = 16;

/**
 * While hot entries overflow that queue the hot threshold doubles, up to this many times the set
 * one (64 x 64 = 4096 entries), and halves back as the worker catches up: during a boot only the
 * hottest code then costs the interpreter an exit and the worker a translation.
 */
export const MAX_THRESHOLD_SCALE = 64;

/** Jobs sent to the compile worker and not back yet, at most (see Translator.submitQueued). */
export const JOBS_IN_FLIGHT = 2;
