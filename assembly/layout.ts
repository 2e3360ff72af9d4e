// The one machine-state layout. Every byte offset that TypeScript or translated code uses is
// defined here and exported from the core (see index.ts: `layout*` exports); nobody retypes them.
//
// Linear memory map (wasm addresses):
//   0x0000_1000  hart state: x0..x31, a sink slot for writes to x0, pc, privilege, exit info,
//                f0..f31 (FREGS)
//   0x0000_2000  CSR file: 4096 slots of 8 bytes, indexed by CSR number
//   0x0001_0000  AssemblyScript static data (asconfig memoryBase); the stub runtime never grows it
//   0x0010_0000  decode cache: DECODE_ENTRIES records of 16 bytes, indexed by (pc >> 1)
//   0x0050_0000  page flags: one byte per 4 KiB page of guest RAM
//   0x0060_0000  jump cache: pc -> translated region (table index, entry block), JUMP_ENTRIES x 16 bytes
//   0x0070_0000  hotness counters of block entries, HOT_ENTRIES x 4 bytes
//   0x0080_0000  code-line bitmap: one bit per CODE_LINE bytes of RAM that translated code covers
//   0x00e0_0000  software TLBs of the MMU: fetch, load and store, TLB_ENTRIES x 16 bytes each
//   0x0100_0000  guest RAM (guest physical RAM_BASE), followed by RAM_PAD bytes of padding

export const STATE: usize = 0x1000;
export const REGS: usize = STATE; // x0..x31, 8 bytes each
export const REG_SINK: usize = 32 * 8; // byte offset of the slot that absorbs writes to x0
export const PC: usize = STATE + 0x108;
export const PRIV: usize = STATE + 0x110; // current privilege: 3 = M, 1 = S, 0 = U
export const RESERVATION: usize = STATE + 0x118; // LR/SC reservation address, or -1 when none
// Exit information, filled by the core before it returns an exit reason.
export const EXIT_ADDR: usize = STATE + 0x120; // MMIO: physical address; FATAL: faulting pc
export const EXIT_VALUE: usize = STATE + 0x128; // MMIO store: value; FATAL: instruction bits
export const EXIT_SIZE: usize = STATE + 0x130; // u8: access size in bytes
export const EXIT_FLAGS: usize = STATE + 0x131; // u8: MMIO_STORE | MMIO_SIGNED
export const EXIT_RD: usize = STATE + 0x132; // u16: destination register byte offset (MMIO load)
export const EXIT_LEN: usize = STATE + 0x134; // u8: length of the instruction that exited
export const EXIT_CAUSE: usize = STATE + 0x138; // FATAL: mcause of the unhandled trap
// Board configuration written by the host before run().
export const RAM_SIZE: usize = STATE + 0x140; // bytes of guest RAM
export const CONFIG_FLAGS: usize = STATE + 0x148; // CONFIG_* bits
// The translator's controls.
export const HOT_THRESHOLD: usize = STATE + 0x150; // u32: block entries before EXIT_HOT (once per re-arm)
export const INSTRET_LIMIT: usize = STATE + 0x158; // u64: translated code exits once minstret reaches it
// Transition counters (u64 each), for --stats: how control moves between engines and regions.
export const STAT_JC_HITS: usize = STATE + 0x160; // interpreter block entries that entered translated code
export const STAT_JC_MISSES: usize = STATE + 0x168; // interpreter block entries with no translation
export const STAT_CHAINED: usize = STATE + 0x170; // region exits that tail-called the next region
export const STAT_RETURNED: usize = STATE + 0x178; // region exits back to the interpreter or the host
// The jump cache's context while fetches translate (0 when they do not): jump-cache tags are
// pc ^ JC_CONTEXT, so translations made at another privilege or before the last satp write or
// SFENCE.VMA (JC_GENERATION) are never found. Bits 58-60: privilege + 1; bits 40-57: generation.
export const JC_CONTEXT: usize = STATE + 0x180;
export const JC_GENERATION: usize = STATE + 0x188; // u64: this hart's; new at every TLB flush (satp, PMP, SFENCE.VMA)
// u64: the next generation to hand out, shared by all harts, so no two harts ever use the same one
// (harts time-share this state; the supervisor swaps the per-hart part, src/vmm/harts.ts).
export const JC_GENERATION_NEXT: usize = STATE + 0x190;
// Transition counter (u64), for --stats: instructions retired in translated code (the bench's
// split of core time between translated code and the interpreter).
export const STAT_TRANSLATED_INSNS: usize = STATE + 0x198;
// u64: which privileges need PMP checks (pmp.ts: PMP_CHECK_*), derived from this hart's pmpcfg
// and pmpaddr CSRs at every write of them, so that a hart without them pays nothing.
export const PMP_STATE: usize = STATE + 0x1a0;
// f0..f31, 8 bytes each (a single-precision value NaN-boxed: upper 32 bits all ones). The decoder
// numbers f registers F_REG + n (src/isa/table.ts), so a decoded register offset (number * 8)
// from REGS addresses either register file.
export const F_REG: usize = 64;
export const FREGS: usize = REGS + F_REG * 8;

export const MMIO_STORE: u8 = 1;
export const MMIO_SIGNED: u8 = 2;
export const MMIO_FLOAT: u8 = 4; // the load's destination is an f register (flw: NaN-box the value)

// The supervisor handles ECALLs itself (SBI) instead of delivering them to the guest's mtvec.
export const CONFIG_ECALL_EXITS: u64 = 1;
// Translated code exists: block entries consult the jump cache and count towards HOT_THRESHOLD.
export const CONFIG_JIT: u64 = 2;

export const CSRS: usize = 0x2000; // 4096 * 8 bytes

export const DECODE_CACHE: usize = 0x10_0000;
// 256 Ki entries x 16 bytes = 4 MiB: large enough that a kernel's hot code rarely collides.
export const DECODE_ENTRIES: u32 = 1 << 18;
// A decoded instruction record (libriscv's DecoderData, widened for pre-scaled register offsets).
export const D_RAW: usize = 0; // u32: the instruction bits this record was decoded from (the tag)
export const D_IMM: usize = 4; // i32: sign-extended immediate (CSR number for CSR ops)
export const D_RD: usize = 8; // u16: rd * 8, or REG_SINK when rd is x0
export const D_RS1: usize = 10; // u16: rs1 * 8 (CSR immediate forms: the 5-bit zimm itself)
export const D_RS2: usize = 12; // u16: rs2 * 8
export const D_OP: usize = 14; // u8: Op id (0 = illegal)
export const D_LEN: usize = 15; // u8: 2 or 4

export const PAGE_FLAGS: usize = 0x50_0000;
export const PAGE_WATCH: u8 = 1; // a store exits to the host after completing (HTIF tohost)
export const PAGE_CODE: u8 = 2; // translated code lives here: stores invalidate it

export const JUMP_CACHE: usize = 0x60_0000;
export const JUMP_ENTRIES: u32 = 1 << 16; // 16 bytes each: u64 pc, u32 table index, u32 entry block
export const HOT_COUNTERS: usize = 0x70_0000;
export const HOT_ENTRIES: u32 = 1 << 16;
// The hot counter of an entry whose translation the host published in the jump cache: above any
// threshold, so that the core looks it up; found missing there, the entry is reported hot again.
export const HOT_PUBLISHED: u32 = 0xffff_ffff;
// Translated regions made under paging, by virtual pc, physical page and privilege: where a block
// entry that misses the jump cache finds its translation again after a TLB flush moved the hart to
// a new jump-cache generation (satp writes, SFENCE.VMA), without waiting to get hot again. QEMU
// refills its tb_jmp_cache from its physical TB hash table the same way. 32 bytes an entry:
// u64 pc, u64 Wasm address of the physical page | (privilege + 1), u32 table index, u32 block.
export const REGION_INDEX: usize = 0xf0_0000;
export const REGION_INDEX_ENTRIES: u32 = 1 << 15;
export const CODE_LINES: usize = 0x80_0000;
export const CODE_LINE_SHIFT: u64 = 6; // 64-byte lines: stores next to code rarely hit it

// The software TLBs (Sv39): an entry is {u64 tag, u64 addend}, and the Wasm address of a virtual
// address is va + addend. Permissions are checked when an entry is filled, so each kind of access
// has its own table and the tag holds what the check depended on:
//   tag = va & ~0xfff | mstatus.MXR << 11 | mstatus.SUM << 10 | (privilege + 1) << 7 | 1 << 6
// (0 = empty; bits 0-5 stay clear: translated code keeps va's bits below the access size in the
// value it compares, so that a misaligned access misses)
// (the privilege is the access's, MPRV included: 1, 2 or 4 for U, S or M). A store entry exists only for pages
// with no PAGE_FLAGS (watched or code pages take the slow path), and any entry only for pages PMP
// lets the access reach as a whole (pmp.ts).
export const TLB_FETCH: usize = 0xe0_0000;
export const TLB_LOAD: usize = TLB_FETCH + 0x4000;
export const TLB_STORE: usize = TLB_LOAD + 0x4000;
export const TLB_ENTRIES: u32 = 1 << 10;

export const RAM: usize = 0x100_0000;
export const RAM_BASE: u64 = 0x8000_0000;
export const RAM_PAD: usize = 16; // lets a 4-byte fetch at the last halfword of RAM stay in bounds
export const RAM_MAX: u64 = 0xC000_0000; // 3 GiB; keeps RAM + the fixed area under wasm32's 4 GiB

// Exit reasons returned by run().
export const EXIT_BUDGET: i32 = 0; // the instruction budget is spent
export const EXIT_MMIO: i32 = 1; // a load or store outside RAM: the host performs it, then mmioDone()
export const EXIT_ECALL: i32 = 2; // ECALL with CONFIG_ECALL_EXITS: the host answers, pc is past it
export const EXIT_WFI: i32 = 3; // WFI retired: the host waits for an interrupt
export const EXIT_WATCH: i32 = 4; // a store to a PAGE_WATCH page completed
export const EXIT_FATAL: i32 = 5; // a trap the guest cannot handle (EXIT_ADDR/VALUE/CAUSE say which)
export const EXIT_CODE_WRITE: i32 = 6; // a store hit translated code (done; the host invalidates)
export const EXIT_HOT: i32 = 7; // pc is a block entry that reached HOT_THRESHOLD: translate it
// Internal to the core (never returned by run()): the privilege or address translation changed;
// run() picks the interpreter loop for the new mode and goes on.
export const EXIT_MODE: i32 = 8;
// Returned by translated code (never by run()): left the region normally, pc is in the state.
export const EXIT_CONTINUE: i32 = -1;
// Returned by translated code (never by run()): the interpreter runs the instruction at pc (a
// load or store off the fast path), then goes on; pc is in the state, that instruction not retired.
export const EXIT_STEP: i32 = -2;
