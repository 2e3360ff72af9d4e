// Loads the AssemblyScript core (build/core.wasm) and gives TypeScript a typed view of it: its
// functions, its state layout (read from the core's own exports) and its memory. Browser-safe:
// the Node file read is a dynamic import taken only under Node.

/** The functions the core exports (see assembly/index.ts). */
export interface CoreFunctions {
  run(budget: number): number;
  reset(pc: bigint, ramSize: bigint, hartId: bigint): void;
  flushDecodeCache(): void;
  mmioDone(value: bigint): void;
  mmioFault(): number;
  setInterruptPending(mask: bigint, on: number): void;
  readCsr(num: number): bigint;
  writeCsr(num: number, value: bigint): void;
  instretNow(): bigint;
  decodeOne(raw: number): number;
  execOp(): number;
  /** An F/D operation on register values, legal as the core's floatLegal says (assembly/fpu.ts). */
  floatOp(op: number, a: bigint, b: bigint, c: bigint, imm: number): bigint;
  /** Empties the MMU's TLBs (the host changed page tables under the guest). */
  flushTlb(): void;
  /** Empties the MMU's store TLB (a page got page flags: its stores must take the slow path). */
  flushStoreTlb(): void;
  /** Sstc: recomputes STIP from time and stimecmp (time moves on outside the core too). */
  updateStip(): void;
  /** Where the hart would fetch `va` from now: its physical address, or 2^64-1 when it faults. */
  fetchPhysical(va: bigint): bigint;
}

/** Offsets and constants of the one machine-state layout, as the core exports them. */
export interface Layout {
  regs: number;
  /** f0..f31 (8 bytes each, a single NaN-boxed); decoded f register operands are F_REG + n. */
  fregs: number;
  pc: number;
  priv: number;
  csrs: number;
  exitAddr: number;
  exitValue: number;
  exitSize: number;
  exitFlags: number;
  exitRd: number;
  exitLen: number;
  exitCause: number;
  ramSize: number;
  configFlags: number;
  decodeCache: number;
  decodeEntries: number;
  pageFlags: number;
  ram: number;
  ramBase: bigint;
  ramPad: number;
  ramMax: bigint;
  stateEnd: number;
  regSink: number;
  /** Field offsets of a 16-byte decoded-instruction record. */
  decoded: { raw: number; imm: number; rd: number; rs1: number; rs2: number; op: number; len: number };
  hotThreshold: number;
  /**
   * Transition counters (u64): jump-cache hits and misses, chained and returned region exits,
   * instructions retired in translated code.
   */
  stats: { jcHits: number; jcMisses: number; chained: number; returned: number; translatedInsns: number };
  instretLimit: number;
  /** u64: the jump cache's context (jump-cache tags are pc ^ context; 0 unless paging). */
  jcContext: number;
  /** u64: which privileges need PMP checks, derived from the hart's PMP CSRs (per hart). */
  pmpState: number;
  /** The MMU's load and store TLBs: entries of {u64 tag, u64 addend} (see assembly/layout.ts). */
  tlbFetch: number;
  tlbLoad: number;
  tlbStore: number;
  tlbEntries: number;
  jumpCache: number;
  jumpEntries: number;
  hotCounters: number;
  hotEntries: number;
  /** The hot counter of a published entry (layout.ts HOT_PUBLISHED). */
  hotPublished: number;
  regionIndex: number;
  regionIndexEntries: number;
  codeLines: number;
  codeLineShift: number;
}

export const EXIT = {
  BUDGET: 0,
  MMIO: 1,
  ECALL: 2,
  WFI: 3,
  WATCH: 4,
  FATAL: 5,
  CODE_WRITE: 6,
  HOT: 7,
  /** From translated code only: left the region normally; the pc is in the state. */
  CONTINUE: -1,
} as const;

export const MMIO_STORE = 1;
export const MMIO_SIGNED = 2;
export const PAGE_WATCH = 1;
export const PAGE_CODE = 2;
export const CONFIG_ECALL_EXITS = 1n;
export const CONFIG_JIT = 2n;

let modulePromise: Promise<WebAssembly.Module> | undefined;

/** Compiles the core once per process (or page); every machine instantiates it. */
export function coreModule(): Promise<WebAssembly.Module> {
  modulePromise ??= (async () => {
    const url = new URL('../../build/core.wasm', import.meta.url);
    let bytes: ArrayBuffer | Uint8Array;
    if (typeof process !== 'undefined' && process.versions?.node) {
      const { readFile } = await import('node:fs/promises');
      try {
        bytes = await readFile(url);
      } catch {
        throw new Error(`the core is not built (${url.pathname} missing): run 'npm run build'`);
      }
    } else {
      bytes = await (await fetch(url)).arrayBuffer();
    }
    return WebAssembly.compile(bytes as BufferSource);
  })();
  return modulePromise;
}

/** One instantiated core over its own memory: the state of one hart plus its RAM. */
export class Core {
  readonly fn: CoreFunctions;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  /** The function table translated regions are installed in (the core calls them by index). */
  readonly table: WebAssembly.Table;
  /** Views over the whole memory; refreshed if the memory ever grows. */
  u8!: Uint8Array;
  dv!: DataView;

  private constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory, table: WebAssembly.Table) {
    const ex = instance.exports as Record<string, unknown>;
    const g = (name: string) => (ex[name] as WebAssembly.Global).value as number | bigint;
    const n = (name: string) => Number(g(name));
    this.fn = ex as unknown as CoreFunctions;
    this.layout = {
      regs: n('layoutRegs'),
      fregs: n('layoutFregs'),
      pc: n('layoutPc'),
      priv: n('layoutPriv'),
      csrs: n('layoutCsrs'),
      exitAddr: n('layoutExitAddr'),
      exitValue: n('layoutExitValue'),
      exitSize: n('layoutExitSize'),
      exitFlags: n('layoutExitFlags'),
      exitRd: n('layoutExitRd'),
      exitLen: n('layoutExitLen'),
      exitCause: n('layoutExitCause'),
      ramSize: n('layoutRamSize'),
      configFlags: n('layoutConfigFlags'),
      decodeCache: n('layoutDecodeCache'),
      decodeEntries: n('layoutDecodeEntries'),
      pageFlags: n('layoutPageFlags'),
      ram: n('layoutRam'),
      ramBase: BigInt(g('layoutRamBase')),
      ramPad: n('layoutRamPad'),
      ramMax: BigInt(g('layoutRamMax')),
      stateEnd: n('layoutStateEnd'),
      regSink: n('layoutRegSink'),
      decoded: {
        raw: n('layoutDRaw'),
        imm: n('layoutDImm'),
        rd: n('layoutDRd'),
        rs1: n('layoutDRs1'),
        rs2: n('layoutDRs2'),
        op: n('layoutDOp'),
        len: n('layoutDLen'),
      },
      hotThreshold: n('layoutHotThreshold'),
      stats: {
        jcHits: n('layoutStatJcHits'),
        jcMisses: n('layoutStatJcMisses'),
        chained: n('layoutStatChained'),
        returned: n('layoutStatReturned'),
        translatedInsns: n('layoutStatTranslatedInsns'),
      },
      instretLimit: n('layoutInstretLimit'),
      jcContext: n('layoutJcContext'),
      pmpState: n('layoutPmpState'),
      tlbFetch: n('layoutTlbFetch'),
      tlbLoad: n('layoutTlbLoad'),
      tlbStore: n('layoutTlbStore'),
      tlbEntries: n('layoutTlbEntries'),
      jumpCache: n('layoutJumpCache'),
      jumpEntries: n('layoutJumpEntries'),
      hotCounters: n('layoutHotCounters'),
      hotEntries: n('layoutHotEntries'),
      hotPublished: n('layoutHotPublished'),
      regionIndex: n('layoutRegionIndex'),
      regionIndexEntries: n('layoutRegionIndexEntries'),
      codeLines: n('layoutCodeLines'),
      codeLineShift: n('layoutCodeLineShift'),
    };
    this.memory = memory;
    this.table = table;
    this.refreshViews();
  }

  /** Instantiates a core with `ramSize` bytes of guest RAM; `mtime` answers the guest's time reads. */
  static async create(ramSize: number, mtime: () => bigint): Promise<Core> {
    const mod = await coreModule();
    // The layout is only known after instantiation, so start small and grow to fit the RAM.
    const memory = new WebAssembly.Memory({ initial: 256 });
    const table = new WebAssembly.Table({ initial: 1, element: 'anyfunc' });
    const instance = await WebAssembly.instantiate(mod, { env: { memory, table, mtime } });
    const core = new Core(instance, memory, table);
    const needed = core.layout.ram + ramSize + core.layout.ramPad;
    const pages = Math.ceil(needed / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    core.refreshViews();
    return core;
  }

  refreshViews(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
  }

  get pc(): bigint {
    return this.dv.getBigUint64(this.layout.pc, true);
  }
  set pc(v: bigint) {
    this.dv.setBigUint64(this.layout.pc, BigInt.asUintN(64, v), true);
  }
  reg(i: number): bigint {
    return i === 0 ? 0n : this.dv.getBigUint64(this.layout.regs + i * 8, true);
  }
  setReg(i: number, v: bigint): void {
    if (i !== 0) this.dv.setBigUint64(this.layout.regs + i * 8, BigInt.asUintN(64, v), true);
  }
  /** f register i's bits (a single is NaN-boxed: upper 32 bits all ones). */
  freg(i: number): bigint {
    return this.dv.getBigUint64(this.layout.fregs + i * 8, true);
  }
  setFreg(i: number, v: bigint): void {
    this.dv.setBigUint64(this.layout.fregs + i * 8, BigInt.asUintN(64, v), true);
  }
  get priv(): number {
    return Number(this.dv.getBigUint64(this.layout.priv, true));
  }
}
