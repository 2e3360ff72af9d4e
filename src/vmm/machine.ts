// The supervisor's view of one virtual machine: a core (hart state + RAM), the board's devices on
// a bus, and the run loop that turns the core's exits into device accesses, traps and halts.
import { CONFIG_ECALL_EXITS, CONFIG_JIT, Core, EXIT, MMIO_STORE, PAGE_WATCH } from '../core/core.ts';
import type { Translator, TranslatorStats } from '../jit/translator.ts';
import { JIT_THRESHOLD, MAX_LIVE_REGIONS } from '../jit/tuning.ts';
import { answered, compileWorker, holdingCompileWorker } from '../jit/worker-host.ts';
import { WasmvisorError } from '../errors.ts';
import { loadSegmentsCheck, parseElf, type ElfImage } from '../loader/elf.ts';
import { isLinuxImage, parseLinuxImage } from '../loader/image.ts';
import {
  Board,
  VIRTIO_BASE,
  VIRTIO_COUNT,
  VIRTIO_IRQ,
  VIRTIO_STRIDE,
  type BoardEvents,
} from '../machine/board.ts';
import type { BlockBackend, DriveOptions } from '../machine/devices/virtio-blk.ts';
import type { DmaMemory } from '../machine/devices/virtio-mmio.ts';
import { boardDeviceTree } from '../machine/fdt.ts';
import { Sbi, type SbiHost } from './sbi.ts';
import { Harts } from './harts.ts';
import { decodeSnapshot, encodeSnapshot, PAGE_BYTES, type DecodedSnapshot } from './snapshot.ts';
import { CSR, MENVCFG_STCE, MIP, PMP_ALL, PRIV } from '../isa/csrs.ts';
import { disassemble } from '../isa/disasm.ts';
import {
  DEFAULT_RAM_BYTES,
  DETERMINISTIC_INSNS_PER_TICK,
  EXACT_MARGIN,
  MAX_HOST_WAIT_MS,
  MTIME_HZ,
  SLICE_INSNS,
  YIELD_EVERY_MS,
  YIELD_WHILE_JIT_LOADS_MS,
} from './tuning.ts';
import { causeName } from './causes.ts';

export type EngineName = 'interp' | 'jit';

/** Who answers a kernel's SBI calls: nobody (bare-metal guests, M-mode firmware) or the supervisor. */
export type SbiMode = 'none' | 'builtin';

export interface MachineOptions {
  /** Bytes of guest RAM at 0x8000_0000 (default 128 MiB). */
  memory?: number;
  /** Execution engine: `interp` (the interpreter) or `jit` (translation of hot code). */
  engine?: EngineName;
  /** jit: block entries before a block is translated; 0 translates everything before it runs. */
  jitThreshold?: number;
  /**
   * Time (mtime, the time CSR) follows retired instructions instead of the host clock, and WFI
   * skips ahead to the timer deadline instead of sleeping: runs are reproducible.
   */
  deterministic?: boolean;
  /** jit: compile regions in a worker thread where one can run (default true). */
  jitWorker?: boolean;
  /**
   * `builtin`: the supervisor is the SBI firmware (src/vmm/sbi.ts). loadElf then starts the hart
   * in S-mode at the entry with a0 = hart id and a1 = a device tree near the top of RAM, and
   * S-mode ECALLs are SBI calls. Default `none`: the guest starts in M-mode.
   */
  sbi?: SbiMode;
  /** The kernel command line (/chosen/bootargs of the device tree written for `sbi: 'builtin'` or firmware). */
  bootargs?: string;
  /**
   * Harts (1 to MAX_HARTS, default 1), time-shared in this thread by instruction slices. All start
   * at the entry in M-mode with their own mhartid, as on QEMU's virt without firmware.
   */
  harts?: number;
  /** jit: translated regions kept at most (default MAX_LIVE_REGIONS); past it the code cache is flushed. */
  codeCacheRegions?: number;
  /**
   * Disks: virtio-blk devices on the virtio-mmio transports, drive i at 0x1000_1000 + 0x1000 * i
   * (PLIC source 1 + i), at most 8. Writes stay in memory unless a drive is `writable`.
   */
  drives?: DriveOptions[];
}

/** What a restored machine may choose: how it runs, not what the VM is (that comes from the snapshot). */
export type RestoreOptions = Pick<
  MachineOptions,
  'engine' | 'jitThreshold' | 'jitWorker' | 'codeCacheRegions'
>;

/** Why a run ended. */
export type ExitReason =
  | 'exit' // the guest asked to stop (test finisher, HTIF)
  | 'max-insns' // the instruction limit was reached
  | 'budget' // runFor() spent its budget; the guest can continue
  | 'fatal' // a trap the guest cannot handle
  | 'deadlock' // WFI with no interrupt that could ever wake the hart
  | 'time-limit' // a host stopped the guest at its wall-clock limit (src/vmm/host.ts)
  | 'stopped' // a host stopped the guest on request
  | 'diverged'; // lockstep only: the two engines disagreed (src/vmm/lockstep.ts)

export interface RunResult {
  exitReason: ExitReason;
  /** The guest's exit code (0 = pass) for 'exit'; 124 for 'max-insns'; 125 for 'fatal'/'deadlock'. */
  exitCode: number;
  /** Instructions retired by the guest since reset. */
  instret: bigint;
  /** Wall time spent running the guest in this call, excluding start-up. */
  seconds: number;
  /** For 'fatal' and 'deadlock': one line saying what happened. */
  message?: string;
}

export interface RunOptions {
  /** Stop with exit code 124 once the guest has retired this many instructions. */
  maxInsns?: bigint;
  /** Called before each instruction with (pc, disassembly): slow, for debugging. */
  trace?: (pc: bigint, text: string) => void;
  /**
   * run() only: called where it yields to the event loop (every YIELD_EVERY_MS, and every
   * YIELD_WHILE_JIT_LOADS_MS while translator work is under way) with the guest seconds since the
   * run started and the instructions retired so far: a warm-up curve (`--stats-samples`).
   */
  onSample?: (seconds: number, instret: bigint) => void;
  /** Filled in as the run goes: where its host time went (two clock reads per exit; `--stats-samples`). */
  profile?: RunProfile;
}

/** Where a run's host time went (RunOptions.profile), in seconds. */
export interface RunProfile {
  /** In the core: interpreting and running translated code. */
  coreSeconds: number;
  /** In the supervisor, handling each kind of exit (by the names of Machine.exits). */
  exitSeconds: Record<string, number>;
  /** Yielded to the event loop (run() only): console, translations arriving from the worker, WFI sleeps. */
  yieldSeconds: number;
}

type OutputListener = (bytes: Uint8Array) => void;

/** One turn of the event loop: setImmediate where it exists (no 1 ms floor), else a timeout. */
export const nextTurn = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

const EXIT_NAMES = Object.fromEntries(Object.entries(EXIT).map(([k, v]) => [v, k.toLowerCase()]));

export const EXIT_CODE_MAX_INSNS = 124;
export const EXIT_CODE_GUEST_CRASH = 125;
/** A guest stopped by its host before it finished (128 + SIGTERM, as a shell reports it). */
export const EXIT_CODE_STOPPED = 143;

/** With sbi builtin, the device tree lives in the last 64 KiB of RAM (ours is about 2 KiB). */
export const DTB_RESERVED_BYTES = 64 << 10;

/** Harts a machine may have (--smp). */
export const MAX_HARTS = 8;

// What firmware sets up for a kernel (bootSupervisor).
/** Exceptions 0-8 (misaligned, access faults, illegal, breakpoint, ECALL from U) and page faults. */
const MEDELEG_TO_S = 0x1ffn | (1n << 12n) | (1n << 13n) | (1n << 15n);
/** SSIP, STIP, SEIP. */
const MIDELEG_TO_S = (1n << 1n) | (1n << 5n) | (1n << 9n);

export class Machine {
  readonly engine: EngineName;
  readonly ramSize: number;
  private outputListeners: OutputListener[] = [];
  private pendingOutput: number[] = [];
  private halted: { code: number } | undefined;
  private tohost: bigint | undefined;
  private readonly clockStart = performance.now();
  /** Host time the guest must not see: the supervisor translating code (like steal time). */
  private stolenMs = 0;
  private image: ElfImage | undefined;
  /** The harts, time-shared in the core (the running one's state is the core's). */
  readonly harts: Harts;
  /** Firmware loaded by loadFirmware (it, not the kernel, starts). */
  private firmware: ElfImage | undefined;
  /** loadKernel was called: a device tree goes at the top of RAM, and images must leave it free. */
  private kernelBoot = false;
  /** The initial RAM disk loadKernel placed (end exclusive). */
  private initrd: { start: bigint; end: bigint } | undefined;
  /** requestStop() was called: the run ends at the next slice. */
  private stopRequested = false;
  /** The translator, once its module (and binaryen, 0.4 s to import) has loaded. */
  private translator: Translator | undefined;
  private translatorLoading: Promise<void> | undefined;
  /** The translator is loaded and block entries consult it (CONFIG_JIT, save exact stops). */
  private jitOn = false;
  /** Deterministic runs translate synchronously: when a translation lands must not depend on the host. */
  private get usesWorker(): boolean {
    return this.jitWorker && this.jitThreshold > 0 && !this.deterministic;
  }
  readonly jitThreshold: number;
  readonly codeCacheRegions: number;
  readonly deterministic: boolean;
  readonly jitWorker: boolean;
  readonly sbiMode: SbiMode;
  readonly bootargs: string;
  /** The SBI firmware, with `sbi: 'builtin'`. */
  readonly sbi: Sbi | undefined;
  /** Deterministic clock: ticks added by WFI skipping ahead to a deadline. */
  private skippedTicks = 0n;
  /** Console bytes delivered to the output listeners, since the VM started (across snapshots). */
  consoleBytes = 0;
  /** Console input to deliver when the guest reaches an instruction count (scheduleInput), in order. */
  private scheduledInput: { at: bigint; bytes: Uint8Array }[] = [];
  /** closeInput(): no console input comes but what is scheduled. */
  private inputClosed = false;
  /** How often the core returned to the supervisor, by exit reason. */
  readonly exits: Record<string, number> = {};
  /**
   * Lockstep (lockstep.ts) is asked before each call into the core whether to bring the CLINT's
   * time up to date there (false skips it): timer interrupts become pending only at such points,
   * so a second machine can see them at exactly the instructions the first one did.
   */
  syncTime: (() => boolean) | undefined;

  private constructor(
    readonly core: Core,
    readonly board: Board,
    opts: Required<MachineOptions>,
  ) {
    this.engine = opts.engine;
    this.ramSize = opts.memory;
    this.jitThreshold = opts.jitThreshold;
    this.codeCacheRegions = opts.codeCacheRegions;
    this.deterministic = opts.deterministic;
    this.jitWorker = opts.jitWorker;
    this.sbiMode = opts.sbi;
    this.bootargs = opts.bootargs;
    this.harts = new Harts(core, opts.harts);
    this.sbi = opts.sbi === 'builtin' ? new Sbi(this.sbiHost()) : undefined;
  }

  static async create(options: MachineOptions = {}): Promise<Machine> {
    const opts: Required<MachineOptions> = {
      memory: options.memory ?? DEFAULT_RAM_BYTES,
      engine: options.engine ?? 'interp',
      jitThreshold: options.jitThreshold ?? JIT_THRESHOLD,
      deterministic: options.deterministic ?? false,
      jitWorker: options.jitWorker ?? true,
      sbi: options.sbi ?? 'none',
      bootargs: options.bootargs ?? '',
      harts: options.harts ?? 1,
      codeCacheRegions: options.codeCacheRegions ?? MAX_LIVE_REGIONS,
      drives: options.drives ?? [],
    };
    checkDrives(opts.drives);
    if (!Number.isInteger(opts.codeCacheRegions) || opts.codeCacheRegions < 1) {
      throw new WasmvisorError(`code cache of ${opts.codeCacheRegions} regions is out of range (at least 1)`);
    }
    if (!Number.isInteger(opts.harts) || opts.harts < 1 || opts.harts > MAX_HARTS) {
      throw new WasmvisorError(`${opts.harts} harts is out of range (1 to ${MAX_HARTS})`);
    }
    if (opts.engine !== 'interp' && opts.engine !== 'jit') {
      throw new WasmvisorError(`unknown engine '${opts.engine}' (expected interp or jit)`);
    }
    if (opts.sbi !== 'none' && opts.sbi !== 'builtin') {
      throw new WasmvisorError(`unknown sbi '${opts.sbi}' (expected none or builtin)`);
    }
    if (!Number.isInteger(opts.jitThreshold) || opts.jitThreshold < 0 || opts.jitThreshold > 0xffff_ffff) {
      throw new WasmvisorError(`jit threshold ${opts.jitThreshold} is out of range (0 to 2^32-1)`);
    }
    if (!Number.isInteger(opts.memory) || opts.memory < 1 << 20 || BigInt(opts.memory) > 0x4000_0000n * 3n) {
      throw new WasmvisorError(`memory size ${opts.memory} is out of range (1 MiB to 3 GiB)`);
    }
    let machine: Machine | undefined;
    const clock = () => machine!.ticks();
    // The guest's time is the CLINT's mtime (which the guest may also write).
    const core = await Core.create(opts.memory, () => machine!.board.clint.mtime());
    const events: BoardEvents = {
      output: (byte) => machine!.pendingOutput.push(byte),
      exit: (code) => (machine!.halted ??= { code }),
      setInterrupt: (hart, mask, on) => machine!.harts.setInterruptPending(hart, mask, on),
      clock,
    };
    // Device DMA: RAM only, and through writeMemory, so translated code is invalidated.
    const dma: DmaMemory = {
      read: (addr, len) => (machine!.inRam(addr, len) ? machine!.readMemory(addr, len) : undefined),
      write: (addr, bytes) => {
        if (!machine!.inRam(addr, bytes.length)) return false;
        machine!.writeMemory(addr, bytes);
        return true;
      },
    };
    const board = new Board(
      events,
      (addr, len) => machine!.readMemory(addr, len),
      (addr, v) => machine!.writeMemory(addr, bigintBytes(v)),
      opts.harts,
      { memory: dma, drives: opts.drives },
    );
    machine = new Machine(core, board, opts);
    core.fn.reset(core.layout.ramBase, BigInt(opts.memory), 0n);
    machine.harts.init();
    // SBI calls are ECALLs from S-mode: the core hands those to us instead of trapping to M-mode.
    if (machine.sbi) machine.setConfigFlag(CONFIG_ECALL_EXITS, true);
    if (opts.engine === 'jit') machine.startTranslator();
    return machine;
  }

  /**
   * Starts the translator in the background; the interpreter runs meanwhile. Tiered (threshold
   * above 0), regions compile in a worker thread where there is one, so this thread never loads
   * binaryen; with threshold 0 (nothing runs untranslated), or on the deterministic clock, they
   * compile here, synchronously.
   */
  private startTranslator(): void {
    const { dv, layout } = this.core;
    dv.setUint32(layout.hotThreshold, this.jitThreshold, true);
    this.translatorLoading = (async () => {
      const jit = await import('../jit/translator.ts');
      const worker = this.usesWorker ? await compileWorker() : undefined;
      const compile = worker ? undefined : (await import('../jit/codegen.ts')).compileRegions;
      this.translator = new jit.Translator(this.core, this.ramSize, compile, worker, this.codeCacheRegions);
      // Block entries consult the jump cache and count towards the threshold only once the worker
      // has loaded binaryen: until then that would only slow the interpreter (Linux reached its
      // shell ~0.05 s later), and no hot code could be compiled anyway.
      if (worker) await answered(worker);
      this.setJit(true);
      this.jitOn = true;
    })();
  }

  private setJit(on: boolean): void {
    this.setConfigFlag(CONFIG_JIT, on);
  }

  private setConfigFlag(flag: bigint, on: boolean): void {
    const { dv, layout } = this.core;
    const flags = dv.getBigUint64(layout.configFlags, true);
    dv.setBigUint64(layout.configFlags, on ? flags | flag : flags & ~flag, true);
  }

  /** Translator figures (undefined on the interpreter). */
  jitStats():
    (TranslatorStats & ReturnType<Translator['transitions']> & { liveRegions: number }) | undefined {
    const t = this.translator;
    return t ? { ...t.stats, liveRegions: t.liveRegions, ...t.transitions() } : undefined;
  }

  /** Translator work is under way (loading it, or regions at the worker): it lands on event-loop turns. */
  get translatorBusy(): boolean {
    return (this.translatorLoading !== undefined && !this.jitOn) || (this.translator?.pendingJobs ?? 0) > 0;
  }

  /** Waits until the translator is ready (jit engine only); runs start without waiting. */
  async jitReady(keepAlive = true): Promise<void> {
    // A caller that waits (before any run) keeps the process alive for the compile worker's answer.
    if (keepAlive && this.usesWorker && this.translatorLoading)
      await holdingCompileWorker(this.translatorLoading);
    else await this.translatorLoading;
  }

  /** The CLINT's time base, in 10 MHz ticks: retired instructions, or host time. */
  ticks(): bigint {
    if (this.deterministic) {
      return this.core.fn.instretNow() / DETERMINISTIC_INSNS_PER_TICK + this.skippedTicks;
    }
    return this.hostTicks();
  }

  /** 10 MHz ticks of host time since the machine was created, less time the guest must not see. */
  private hostTicks(): bigint {
    return BigInt(Math.floor((performance.now() - this.clockStart - this.stolenMs) * (MTIME_HZ / 1000)));
  }

  // --- embedding API: program loading, state access, console ---

  /**
   * Loads an ELF (or a RISC-V Linux Image) into RAM and points the hart at its entry. Throws
   * WasmvisorError on bad input.
   */
  loadElf(bytes: Uint8Array, fileName = 'guest'): ElfImage {
    const image = this.loadSegments(bytes, fileName);
    // With firmware loaded, it starts first and jumps to the kernel itself.
    if (!this.firmware) this.forEachHart(() => (this.core.pc = image.entry));
    this.image = image;
    this.translator?.flush();
    this.board.htif.setSymbols(image.symbols);
    this.watchToHost(image.symbols.get('tohost'));
    if (this.sbi) this.bootSupervisor(image.entry);
    return image;
  }

  /** HTIF: a store to tohost leaves the core (its page is watched), so the host sees it at once. */
  private watchToHost(tohost: bigint | undefined): void {
    this.tohost = tohost !== undefined && this.inRam(tohost, 8) ? tohost : undefined;
    if (this.tohost === undefined) return;
    this.core.u8[this.core.layout.pageFlags + Number((this.tohost - this.core.layout.ramBase) >> 12n)] |=
      PAGE_WATCH;
  }

  /**
   * Loads a kernel as QEMU's `-kernel` does, and the device tree of this board for it (with
   * /chosen bootargs and initrd): an ELF at its own addresses, or a RISC-V Linux `Image` at RAM
   * base + its header's text_offset (0x8020_0000 for a 64-bit Linux, where fw_jump jumps). An
   * `initrd` goes where QEMU puts it: min(RAM / 2, 128 MiB) above the kernel's entry. Firmware
   * (loadFirmware, first) then starts and jumps to the kernel; with sbi builtin hart 0 starts it in
   * S-mode; otherwise every hart starts at its entry in M-mode with a0 = hart id and a1 = the
   * device tree, as QEMU's `-bios none`. Throws WasmvisorError on bad input.
   */
  loadKernel(bytes: Uint8Array, options: { fileName?: string; initrd?: Uint8Array } = {}): ElfImage {
    this.kernelBoot = true;
    const image = this.loadElf(bytes, options.fileName ?? 'kernel');
    if (options.initrd) this.placeInitrd(image, options.initrd);
    const dtb = this.writeDeviceTree();
    if (!this.sbi && !this.firmware) {
      this.forEachHart((h) => {
        this.core.setReg(10, BigInt(h));
        this.core.setReg(11, dtb);
      });
    }
    return image;
  }

  /** Puts an initrd where QEMU's riscv_load_initrd does, and remembers it for the device tree. */
  private placeInitrd(kernel: ElfImage, bytes: Uint8Array): void {
    const start = kernel.entry + BigInt(Math.min(this.ramSize / 2, 128 << 20));
    const end = start + BigInt(bytes.length);
    const top = kernel.segments.reduce((t, s) => (s.paddr + s.memsz > t ? s.paddr + s.memsz : t), 0n);
    if (top > start) {
      throw new WasmvisorError(
        `the kernel reaches 0x${top.toString(16)}, past where the initrd goes (0x${start.toString(16)}); give the guest more memory`,
      );
    }
    if (end > this.dtbAddress()) {
      throw new WasmvisorError(
        `the initrd (${bytes.length} bytes at 0x${start.toString(16)}) reaches the device tree at 0x${this.dtbAddress().toString(16)}; give the guest more memory`,
      );
    }
    this.writeMemory(start, bytes);
    this.initrd = { start, end };
  }

  /**
   * Full virtualization as QEMU's `-bios firmware.elf -kernel kernel.elf` does it: the M-mode
   * firmware (e.g. OpenSBI's fw_jump) starts at its entry with a0 = hart id and a1 = the board's
   * device tree; a kernel loaded next (loadElf) waits where the firmware jumps.
   */
  loadFirmware(bytes: Uint8Array, fileName = 'firmware'): ElfImage {
    if (this.sbi) throw new WasmvisorError('firmware runs in M-mode: it cannot be combined with sbi builtin');
    const image = this.loadSegments(bytes, fileName, true);
    this.firmware = image;
    const dtb = this.writeDeviceTree();
    this.forEachHart((h) => {
      this.core.pc = image.entry;
      this.core.setReg(10, BigInt(h));
      this.core.setReg(11, dtb);
    });
    return image;
  }

  /** Runs `fn` with each hart's state in the core in turn. */
  private forEachHart(fn: (hart: number) => void): void {
    for (let h = 0; h < this.harts.count; h++) this.harts.with(h, () => fn(h));
  }

  /**
   * Copies an image's segments into RAM; with a device tree to come, they must leave its place
   * free, and a kernel must not overwrite the firmware.
   */
  private loadSegments(bytes: Uint8Array, fileName: string, firmware = false): ElfImage {
    const image = this.parseImage(bytes, fileName, firmware);
    const base = this.core.layout.ramBase;
    loadSegmentsCheck(image, base, this.ramSize, fileName);
    const fw = this.firmware?.segments.filter((f) => f.memsz > 0n) ?? [];
    for (const seg of image.segments) {
      const hit = fw.find(
        (f) => seg.memsz > 0n && seg.paddr < f.paddr + f.memsz && f.paddr < seg.paddr + seg.memsz,
      );
      if (hit) {
        throw new WasmvisorError(
          `${fileName}: a segment at 0x${seg.paddr.toString(16)} overlaps the firmware at 0x${hit.paddr.toString(16)}-0x${(hit.paddr + hit.memsz).toString(16)}`,
        );
      }
    }
    if (this.sbi || this.firmware || this.kernelBoot) {
      const dtb = this.dtbAddress();
      const clash = image.segments.find((seg) => seg.memsz > 0n && seg.paddr + seg.memsz > dtb);
      if (clash) {
        throw new WasmvisorError(
          `${fileName}: a segment at 0x${clash.paddr.toString(16)} reaches the device tree at 0x${dtb.toString(16)} (the last ${DTB_RESERVED_BYTES >> 10} KiB of RAM); give the guest more memory`,
        );
      }
    }
    for (const seg of image.segments) {
      const off = this.core.layout.ram + Number(seg.paddr - base);
      this.core.u8.fill(0, off, off + Number(seg.memsz));
      this.core.u8.set(seg.data, off);
    }
    return image;
  }

  /**
   * An ELF; a RISC-V Linux Image, at RAM base + the text_offset its header gives; or, for
   * `firmware`, any other bytes as a raw binary at the start of RAM (fw_jump.bin, as QEMU's -bios).
   */
  private parseImage(bytes: Uint8Array, fileName: string, firmware: boolean): ElfImage {
    const flat = (entry: bigint, memsz: bigint): ElfImage => ({
      entry,
      segments: [{ paddr: entry, data: bytes, memsz }],
      symbols: new Map(),
      type: 'exec',
    });
    const base = this.core.layout.ramBase;
    if (isLinuxImage(bytes)) {
      const linux = parseLinuxImage(bytes, fileName);
      return flat(base + linux.textOffset, linux.memsz);
    }
    const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
    if (!firmware || elf) return parseElf(bytes, fileName);
    if (bytes.length === 0) throw new WasmvisorError(`${fileName}: the file is empty`);
    return flat(base, BigInt(bytes.length));
  }

  /** The device tree of this machine: its board, RAM, harts, drives, bootargs and initrd. */
  deviceTree(): Uint8Array {
    return boardDeviceTree({
      ramBase: this.core.layout.ramBase,
      ramSize: BigInt(this.ramSize),
      harts: this.harts.count,
      bootargs: this.bootargs || undefined,
      initrd: this.initrd,
      virtio: this.board.virtio.flatMap((t, i) =>
        t.device ? [{ base: VIRTIO_BASE + i * VIRTIO_STRIDE, irq: VIRTIO_IRQ + i }] : [],
      ),
    });
  }

  /** Writes the board's device tree at dtbAddress() and returns that address. */
  private writeDeviceTree(): bigint {
    const dtb = this.dtbAddress();
    const blob = this.deviceTree();
    if (blob.length > DTB_RESERVED_BYTES) {
      throw new WasmvisorError(
        `the device tree (${blob.length} bytes) does not fit in ${DTB_RESERVED_BYTES} bytes: bootargs too long?`,
      );
    }
    this.writeMemory(dtb, blob);
    return dtb;
  }

  /** With sbi builtin: where the device tree goes, the last DTB_RESERVED_BYTES of RAM. */
  dtbAddress(): bigint {
    return this.core.layout.ramBase + BigInt(this.ramSize - DTB_RESERVED_BYTES);
  }

  /**
   * With sbi builtin: does what firmware does before it enters a kernel, for a kernel already in
   * RAM at `entry` (loadElf calls it; call it yourself after writeMemory for a raw image). Writes
   * the device tree, delegates traps and interrupts to S-mode, and starts hart 0 in S-mode at
   * `entry` with a0 = 0 (hart id) and a1 = the device tree's address. Returns that address.
   */
  bootSupervisor(entry: bigint): bigint {
    if (!this.sbi) throw new WasmvisorError('bootSupervisor needs sbi builtin');
    const { core } = this;
    const dtb = this.writeDeviceTree();
    // The M-mode state OpenSBI leaves a kernel: traps S-mode can handle go to stvec (all but
    // ECALLs from S and M), S-level interrupts are S-mode's, counters are readable, Sstc is on,
    // PMP lets S and U reach everything (without an entry they reach nothing).
    // Hart 0 starts the kernel; the others wait stopped until it starts them (SBI HSM).
    this.forEachHart((h) => {
      core.fn.writeCsr(CSR.pmpaddr0, PMP_ALL.addr);
      core.fn.writeCsr(CSR.pmpcfg0, PMP_ALL.cfg);
      core.fn.writeCsr(CSR.medeleg, MEDELEG_TO_S);
      core.fn.writeCsr(CSR.mideleg, MIDELEG_TO_S);
      core.fn.writeCsr(CSR.mcounteren, 0xffff_ffffn);
      // OpenSBI also opens cycle, time and instret to U-mode (Linux reads time there, in its vDSO).
      core.fn.writeCsr(CSR.scounteren, 7n);
      core.fn.writeCsr(CSR.menvcfg, MENVCFG_STCE);
      core.dv.setBigUint64(core.layout.priv, PRIV.S, true);
      // A satp write flushes the core's TLBs and makes it re-check the privilege it runs at.
      core.fn.writeCsr(CSR.satp, 0n);
      if (h > 0) this.harts.status[h] = 'stopped';
    });
    core.setReg(10, 0n);
    core.setReg(11, dtb);
    core.pc = entry;
    return dtb;
  }

  /** How the SBI reaches this machine. */
  private sbiHost(): SbiHost {
    const { core } = this;
    return {
      getReg: (i) => core.reg(i),
      setReg: (i, v) => core.setReg(i, v),
      readCsr: (num) => core.fn.readCsr(num),
      writeCsr: (num, v) => core.fn.writeCsr(num, v),
      readMemory: (addr, length) => (this.inRam(addr, length) ? this.readMemory(addr, length) : undefined),
      writeMemory: (addr, bytes) => {
        if (!this.inRam(addr, bytes.length)) return false;
        this.writeMemory(addr, bytes);
        return true;
      },
      output: (byte) => this.pendingOutput.push(byte),
      input: () => this.board.uart.takeInput(),
      harts: this.harts.count,
      currentHart: () => this.harts.current,
      raiseInterrupt: (hart, mask) => this.harts.setInterruptPending(hart, mask, true),
      // Rewriting satp flushes the TLBs; the decode cache checks itself and the translator
      // already drops code the guest overwrites, so FENCE.I needs nothing more.
      flushTranslations: (hart) =>
        this.harts.with(hart, () => core.fn.writeCsr(CSR.satp, core.fn.readCsr(CSR.satp))),
      hartStarted: (hart) => this.harts.status[hart] !== 'stopped',
      startHart: (hart, addr, opaque) => {
        this.harts.with(hart, () => {
          core.dv.setBigUint64(core.layout.priv, PRIV.S, true);
          core.fn.writeCsr(CSR.satp, 0n); // S-mode, paging off, TLBs empty
          core.setReg(10, BigInt(hart));
          core.setReg(11, opaque);
          core.pc = addr;
        });
        this.harts.status[hart] = 'ready';
      },
      stopCurrentHart: () => {
        this.harts.status[this.harts.current] = 'stopped';
        this.switchHart();
      },
      suspendCurrentHart: (resume) => {
        if (resume) {
          // As the SBI specifies a non-retentive resume: S-mode, paging off, SIE clear.
          core.fn.writeCsr(CSR.satp, 0n);
          core.fn.writeCsr(CSR.sstatus, core.fn.readCsr(CSR.sstatus) & ~2n);
          core.setReg(10, BigInt(this.harts.current));
          core.setReg(11, resume.opaque);
          core.pc = resume.addr;
        }
        this.harts.status[this.harts.current] = 'waiting';
      },
      halt: (code) => (this.halted ??= { code }),
    };
  }

  /** The symbol table of the loaded ELF. */
  symbol(name: string): bigint | undefined {
    return this.image?.symbols.get(name);
  }

  get pc(): bigint {
    return this.core.pc;
  }
  set pc(v: bigint) {
    this.core.pc = v;
  }
  getReg(i: number): bigint {
    return this.core.reg(i);
  }
  setReg(i: number, v: bigint): void {
    this.core.setReg(i, v);
  }
  /** f register i's bits (a single NaN-boxed). */
  getFreg(i: number): bigint {
    return this.core.freg(i);
  }
  setFreg(i: number, v: bigint): void {
    this.core.setFreg(i, v);
  }
  readCsr(num: number): bigint {
    return this.core.fn.readCsr(num);
  }
  /** Instructions retired, by all harts. */
  get instret(): bigint {
    return this.harts.instret(this.core.fn.readCsr(CSR.minstret));
  }

  /** Copies guest RAM out (physical addresses). */
  readMemory(addr: bigint, length: number): Uint8Array {
    const off = this.ramOffset(addr, length);
    return this.core.u8.slice(off, off + length);
  }

  /** Copies bytes into guest RAM (physical addresses). */
  writeMemory(addr: bigint, bytes: Uint8Array): void {
    const off = this.ramOffset(addr, bytes.length);
    this.core.u8.set(bytes, off);
    if (bytes.length) this.translator?.invalidate(addr, bytes.length);
  }

  /** Listens to the guest's console output (UART and HTIF), in order, as byte chunks. */
  onOutput(listener: OutputListener): () => void {
    this.outputListeners.push(listener);
    return () => (this.outputListeners = this.outputListeners.filter((l) => l !== listener));
  }

  /** Queues console input for the guest (UART receive). */
  pushInput(bytes: Uint8Array): void {
    this.board.uart.pushInput(bytes);
  }

  /**
   * Delivers console input when the guest has retired `at` instructions (at once if it has
   * already): a run stops exactly there to take it, so a replayed run sees its input where the
   * recorded one did (src/vmm/replay.ts).
   */
  scheduleInput(at: bigint, bytes: Uint8Array): void {
    const i = this.scheduledInput.findIndex((e) => e.at > at);
    this.scheduledInput.splice(i < 0 ? this.scheduledInput.length : i, 0, { at, bytes: bytes.slice() });
  }

  /**
   * Says that no console input will come but what is scheduled (a replay): once that is
   * delivered, a guest that waits only for input is reported stuck instead of waiting forever.
   */
  closeInput(): void {
    this.inputClosed = true;
  }

  // --- snapshots (src/vmm/snapshot.ts) ---

  /**
   * The whole VM as bytes: the options that define it, every hart's and device's state, the
   * supervisor's and the non-zero pages of RAM; not translations. Take it between runs (the state
   * is copied before this returns a promise); Machine.restore() continues it on either engine.
   * Console output gathered so far goes to the listeners first.
   */
  snapshot(): Promise<Uint8Array> {
    // A disk's image lives outside the VM (a file, or an embedder's object): a snapshot would
    // need it back at restore, with its in-memory writes; not supported yet.
    if (this.board.virtio.some((t) => t.device !== undefined)) {
      throw new WasmvisorError('a snapshot of a machine with drives is not supported yet');
    }
    if (this.ramSize % PAGE_BYTES !== 0) {
      throw new WasmvisorError(
        `a snapshot needs RAM in whole ${PAGE_BYTES}-byte pages (this VM has ${this.ramSize} bytes)`,
      );
    }
    this.flushOutput();
    const { harts, board } = this;
    const size = harts.archStateBytes;
    const hartStates = new Uint8Array(harts.count * size);
    for (let h = 0; h < harts.count; h++) hartStates.set(harts.archState(h), h * size);
    return encodeSnapshot({
      header: {
        machine: {
          memory: this.ramSize,
          harts: harts.count,
          sbi: this.sbiMode,
          deterministic: this.deterministic,
          bootargs: this.bootargs,
        },
        engine: this.engine,
        instret: this.instret.toString(),
        core: { hartStateBytes: size, jcGenerationNext: harts.generationNext.toString() },
        harts: { current: harts.current, turnStart: harts.turnStart.toString(), status: [...harts.status] },
        clock: { skippedTicks: this.skippedTicks.toString() },
        halted: this.halted?.code ?? null,
        symbols: { tohost: board.htif.tohost?.toString(), fromhost: board.htif.fromhost?.toString() },
        consoleBytes: this.consoleBytes,
        devices: {
          uart: board.uart.saveState(),
          clint: board.clint.saveState(),
          plic: board.plic.saveState(),
          htif: board.htif.saveState(),
        },
        ram: { pages: 0 }, // counted by encodeSnapshot
      },
      hartStates,
      ram: this.core.u8.subarray(this.core.layout.ram, this.core.layout.ram + this.ramSize),
    });
  }

  /**
   * A machine from snapshot() bytes, continuing where the snapshot was taken: the same VM (memory,
   * harts, SBI, clock, bootargs come from the snapshot) on the engine `options` choose, its
   * translator empty. `name` (the file) starts error messages; a bad snapshot throws WasmvisorError.
   */
  static async restore(bytes: Uint8Array, options: RestoreOptions = {}, name = 'snapshot'): Promise<Machine> {
    const snap = await decodeSnapshot(bytes, name);
    const { machine: vm, core } = snap.header;
    let machine: Machine;
    try {
      machine = await Machine.create({ ...options, ...vm });
    } catch (e) {
      if (e instanceof WasmvisorError) throw new WasmvisorError(`${name}: ${e.message}`);
      throw e;
    }
    if (core.hartStateBytes !== machine.harts.archStateBytes) {
      throw new WasmvisorError(
        `${name}: its hart state is ${core.hartStateBytes} bytes, ${machine.harts.archStateBytes} in this wasmvisor (another version made it)`,
      );
    }
    machine.applySnapshot(snap, name);
    return machine;
  }

  /** restore(): puts a decoded snapshot into this new machine (nothing has run or been loaded). */
  private applySnapshot({ header, hartStates, pageNumbers, pages }: DecodedSnapshot, name: string): void {
    const { core, harts, board } = this;
    pageNumbers.forEach((p, i) =>
      core.u8.set(pages.subarray(i * PAGE_BYTES, (i + 1) * PAGE_BYTES), core.layout.ram + p * PAGE_BYTES),
    );
    const size = header.core.hartStateBytes;
    const states = Array.from({ length: harts.count }, (_, h) =>
      hartStates.subarray(h * size, (h + 1) * size),
    );
    harts.restore(states, header.harts.current, BigInt(header.core.jcGenerationNext));
    harts.turnStart = BigInt(header.harts.turnStart);
    header.harts.status.forEach((s, h) => (harts.status[h] = s));
    // Before the CLINT's state: mtime goes on from the value saved, on the clock this machine has now.
    this.skippedTicks = BigInt(header.clock.skippedTicks);
    this.halted = header.halted === null ? undefined : { code: header.halted };
    this.consoleBytes = header.consoleBytes;
    const symbols = new Map<string, bigint>();
    for (const key of ['tohost', 'fromhost'] as const) {
      const at = header.symbols[key];
      if (at !== undefined) symbols.set(key, BigInt(at));
    }
    board.htif.setSymbols(symbols);
    this.watchToHost(symbols.get('tohost'));
    // Loading the devices re-drives their interrupt lines; the pending bits saved are the truth.
    const mip = Array.from({ length: harts.count }, (_, h) => harts.csr(h, CSR.mip));
    try {
      const d = header.devices;
      board.uart.loadState(d.uart);
      board.plic.loadState(d.plic);
      board.clint.loadState(d.clint);
      board.htif.loadState(d.htif);
    } catch (e) {
      throw new WasmvisorError(`${name}: bad device state in the snapshot (${(e as Error).message})`);
    }
    mip.forEach((bits, h) => {
      harts.setInterruptPending(h, (1n << 64n) - 1n, false);
      harts.setInterruptPending(h, bits, true);
    });
  }

  // --- running ---

  /**
   * Runs until the guest exits, crashes or reaches `maxInsns`. Yields to the event loop now and
   * then, so console input and timers keep flowing while a guest runs.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    // Threshold 0 means nothing runs untranslated: wait for the translator first (start-up,
    // not guest time).
    if (this.jitThreshold === 0) await this.translatorLoading;
    const start = performance.now();
    let lastYield = start;
    for (;;) {
      const result = this.runSlice(options, start, true);
      if (typeof result === 'object') return result;
      const now = performance.now();
      // Translator work arrives on event-loop turns: loading it, and regions back from the worker.
      const every = this.translatorBusy ? YIELD_WHILE_JIT_LOADS_MS : YIELD_EVERY_MS;
      if (result !== undefined || now - lastYield > every) {
        options.onSample?.((now - start) / 1000, this.instret);
        // WFI sleeps on the event loop (no host CPU spent); otherwise just let input and
        // translator work in. All of it is guest time: only start-up before run() is not.
        this.flushOutput();
        await (result === undefined ? nextTurn() : new Promise((resolve) => setTimeout(resolve, result)));
        lastYield = performance.now();
        if (options.profile) options.profile.yieldSeconds += (lastYield - now) / 1000;
      }
    }
  }

  /**
   * Runs about `insns` more instructions synchronously (fewer if the guest stops first); the
   * result's exitReason is 'budget' when the guest could go on. WFI waits are busy waits here.
   */
  runFor(insns: bigint, options: RunOptions = {}): RunResult {
    const start = performance.now();
    const stopAt = this.instret + insns;
    const limit = options.maxInsns !== undefined && options.maxInsns < stopAt ? options.maxInsns : stopAt;
    for (;;) {
      const result = this.runSlice({ ...options, maxInsns: limit }, start, limit === options.maxInsns);
      if (typeof result === 'number') {
        const until = performance.now() + result;
        while (performance.now() < until) {
          /* busy wait: this call is synchronous by contract */
        }
      } else if (result) {
        if (result.exitReason === 'max-insns' && limit === stopAt && options.maxInsns !== stopAt) {
          return { ...result, exitReason: 'budget', exitCode: 0, message: undefined };
        }
        return result;
      }
    }
  }

  /**
   * One turn for a scheduler (src/vmm/host.ts): runs up to `insns` instructions synchronously.
   * Returns a RunResult when the run is over, a number of milliseconds when every hart waits for
   * an interrupt (the caller runs someone else or sleeps; nothing is busy-waited here), or
   * undefined when the turn is used up.
   */
  runTurn(insns: bigint, options: RunOptions = {}): RunResult | number | undefined {
    const start = performance.now();
    const stopAt = this.instret + insns;
    const limit = options.maxInsns !== undefined && options.maxInsns < stopAt ? options.maxInsns : stopAt;
    for (;;) {
      const result = this.runSlice({ ...options, maxInsns: limit }, start, limit === options.maxInsns);
      if (typeof result === 'number') return result;
      if (result) {
        if (result.exitReason === 'max-insns' && limit === stopAt && options.maxInsns !== stopAt)
          return undefined;
        return result;
      }
    }
  }

  /**
   * Ends a run() from outside at its next slice (within milliseconds): it returns exitReason
   * 'stopped'. The machine can run again afterwards.
   */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Ends the machine's run from outside (a host's limit or request): the result of a run that did not finish. */
  stopped(exitReason: 'time-limit' | 'stopped', message: string): RunResult {
    return this.finish(
      performance.now(),
      exitReason,
      exitReason === 'time-limit' ? EXIT_CODE_MAX_INSNS : EXIT_CODE_STOPPED,
      message,
    );
  }

  /** Delivers console output gathered so far to the listeners (a host does it at the end of each turn). */
  flushConsole(): void {
    this.flushOutput();
  }

  /** Brings timer interrupts up to date with time: MTIP (CLINT mtimecmp) and, with Sstc, STIP. */
  updateTimers(): void {
    this.board.clint.update();
    this.core.fn.updateStip();
    if (this.harts.count > 1) this.harts.updateStip(this.board.clint.mtime());
  }

  /** Lockstep: one iteration of the core (an instruction retired, or a trap taken) and its exit. */
  step(): RunResult | undefined {
    const result = this.runSlice({ trace: () => {} }, performance.now()); // tracing runs one at a time
    return typeof result === 'object' ? result : undefined;
  }

  private finish(start: number, exitReason: ExitReason, exitCode: number, message?: string): RunResult {
    this.flushOutput();
    return {
      exitReason,
      exitCode,
      instret: this.instret,
      seconds: (performance.now() - start) / 1000,
      message,
    };
  }

  /**
   * One call into the core and the handling of its exit: a RunResult when the run is over, a
   * number of milliseconds when the hart waits for an interrupt, else undefined. `exactLimit`: a
   * run that reaches options.maxInsns stops there exactly (on the jit too).
   */
  private runSlice(options: RunOptions, start: number, exactLimit = false): RunResult | number | undefined {
    if (this.halted) return this.finish(start, 'exit', this.halted.code);
    while (this.scheduledInput.length > 0 && this.scheduledInput[0].at <= this.instret) {
      this.board.uart.pushInput(this.scheduledInput.shift()!.bytes);
    }
    if (this.stopRequested) {
      this.stopRequested = false;
      return this.finish(start, 'stopped', EXIT_CODE_STOPPED, 'stopped on request');
    }
    if (this.syncTime?.() ?? true) this.updateTimers();
    let budget = SLICE_INSNS;
    // The slice must end at exactly `budget` retired instructions (see runCore).
    let exact = false;
    if (this.harts.count > 1) {
      // A hart's turn is SLICE_INSNS instructions, however many exits it takes to run them.
      let ran = this.core.fn.readCsr(CSR.minstret) - this.harts.turnStart;
      if (ran >= BigInt(SLICE_INSNS)) {
        this.switchHart();
        ran = 0n;
      }
      budget = SLICE_INSNS - Number(ran);
      // Turns of exactly SLICE_INSNS make the harts' interleaving a function of instret.
      exact = this.deterministic;
    }
    if (options.maxInsns !== undefined) {
      const left = options.maxInsns - this.instret;
      if (left <= 0n) {
        return this.finish(
          start,
          'max-insns',
          EXIT_CODE_MAX_INSNS,
          `stopped after ${this.instret} instructions (--max-insns)`,
        );
      }
      if (left <= BigInt(budget)) {
        budget = Number(left);
        exact ||= exactLimit;
      }
    }
    const event = this.insnsToNextEvent();
    if (event !== undefined && event <= budget) {
      budget = Number(event);
      exact = true;
    }
    if (options.trace) {
      budget = 1;
      const pc = this.core.pc;
      options.trace(pc, this.disassembleAt(pc));
    }
    const profile = options.profile;
    const t0 = profile ? performance.now() : 0;
    const reason = this.runCore(budget, exact);
    const name = EXIT_NAMES[reason] ?? String(reason);
    this.exits[name] = (this.exits[name] ?? 0) + 1;
    if (!profile) return this.handleExit(reason, start);
    const t1 = performance.now();
    const result = this.handleExit(reason, start);
    profile.coreSeconds += (t1 - t0) / 1000;
    profile.exitSeconds[name] = (profile.exitSeconds[name] ?? 0) + (performance.now() - t1) / 1000;
    return result;
  }

  /**
   * Calls the core for `budget` instructions. The interpreter stops exactly there, translated code
   * only at its next backward branch or region exit (up to a region later). Where the stop must be
   * exact, translated code gets the budget less EXACT_MARGIN and the last stretch is interpreted.
   */
  private runCore(budget: number, exact: boolean): number {
    const { dv, layout, fn } = this.core;
    if (!exact || (dv.getBigUint64(layout.configFlags, true) & CONFIG_JIT) === 0n) return fn.run(budget);
    if (budget > EXACT_MARGIN) return fn.run(budget - EXACT_MARGIN);
    this.setJit(false);
    try {
      return fn.run(budget);
    } finally {
      this.setJit(true);
    }
  }

  /**
   * Instructions (of the running hart) until something is due at a set instruction count: the
   * next scheduled input, and on the deterministic clock the next timer deadline of any hart
   * (mtimecmp, and stimecmp with Sstc), so that timer interrupts become pending at the same
   * instruction however the run is sliced (by exits, the engine, or a snapshot).
   */
  private insnsToNextEvent(): bigint | undefined {
    let next = this.scheduledInput.length > 0 ? this.scheduledInput[0].at - this.instret : undefined;
    if (!this.deterministic) return next;
    const now = this.ticks();
    const instretNow = this.core.fn.instretNow();
    const { clint } = this.board;
    for (let h = 0; h < this.harts.count; h++) {
      const deadlines = [clint.nextDeadline(h)];
      if ((this.harts.csr(h, CSR.menvcfg) & MENVCFG_STCE) !== 0n) {
        deadlines.push(clint.toClock(this.harts.csr(h, CSR.stimecmp)));
      }
      for (const t of deadlines) {
        if (t === undefined || t <= now) continue;
        // ticks() = instret / DETERMINISTIC_INSNS_PER_TICK + skippedTicks reaches t here:
        const insns = (t - this.skippedTicks) * DETERMINISTIC_INSNS_PER_TICK - instretNow;
        if (next === undefined || insns < next) next = insns;
      }
    }
    return next;
  }

  /** The supervisor's part of runSlice: what the core's exit `reason` asks for. */
  private handleExit(reason: number, start: number): RunResult | number | undefined {
    switch (reason) {
      case EXIT.BUDGET:
        return undefined;
      case EXIT.MMIO:
        this.handleMmio();
        return undefined;
      case EXIT.WATCH:
        this.handleToHost();
        return undefined;
      case EXIT.WFI:
        this.harts.status[this.harts.current] = 'waiting';
        return this.wait(start);
      case EXIT.ECALL:
        // Only with sbi builtin (CONFIG_ECALL_EXITS): an SBI call, pc already past the ECALL.
        if (!this.sbi) throw new Error('core exited for an ECALL without an SBI to answer it');
        this.sbi.handleEcall();
        // HSM hart_suspend: the hart now waits, as after WFI.
        return this.harts.status[this.harts.current] === 'waiting' ? this.wait(start) : undefined;
      case EXIT.HOT: {
        const t0 = performance.now();
        this.translator?.onHot(this.core.pc);
        this.stolenMs += performance.now() - t0;
        return undefined;
      }
      case EXIT.CODE_WRITE: {
        const { dv, layout } = this.core;
        this.translator?.invalidate(dv.getBigUint64(layout.exitAddr, true), dv.getUint8(layout.exitSize));
        return undefined;
      }
      case EXIT.FATAL:
        return this.finish(start, 'fatal', EXIT_CODE_GUEST_CRASH, this.describeFatal());
      default:
        throw new Error(`core returned unknown exit reason ${reason}`);
    }
  }

  private handleMmio(): void {
    const { dv, layout, fn } = this.core;
    const addr = dv.getBigUint64(layout.exitAddr, true);
    const size = dv.getUint8(layout.exitSize) as 1 | 2 | 4 | 8;
    const isStore = (dv.getUint8(layout.exitFlags) & MMIO_STORE) !== 0;
    const hit = addr < 0x1_0000_0000n ? this.board.bus.find(Number(addr)) : undefined;
    if (!hit || hit.offset + size > hit.device.size) {
      fn.mmioFault();
      return;
    }
    if (isStore) {
      hit.device.write(hit.offset, size, dv.getBigUint64(layout.exitValue, true));
      fn.mmioDone(0n);
    } else {
      fn.mmioDone(hit.device.read(hit.offset, size));
    }
  }

  private handleToHost(): void {
    if (this.tohost === undefined) return;
    const value = this.core.dv.getBigUint64(
      this.core.layout.ram + Number(this.tohost - this.core.layout.ramBase),
      true,
    );
    if (value !== 0n) this.board.htif.onToHost(value);
    this.board.htif.poll(); // delivers a queued reply once the guest has read fromhost
  }

  /** WFI: how long to sleep until the timer deadline, or a report that nothing can wake the hart. */
  /**
   * Round robin: switches to the next hart that can run (ready, or waiting with an interrupt
   * pending), if any other can; returns whether it switched.
   */
  private switchHart(): boolean {
    const { harts } = this;
    let switched = false;
    for (let k = 1; k < harts.count && !switched; k++) {
      const h = (harts.current + k) % harts.count;
      if (harts.status[h] === 'ready' || (harts.status[h] === 'waiting' && harts.interruptible(h))) {
        harts.status[h] = 'ready';
        harts.switchTo(h);
        switched = true;
      }
    }
    harts.turnStart = this.core.fn.readCsr(CSR.minstret); // a new turn, for this hart or another
    return switched;
  }

  /** The running hart waits (WFI, SBI suspend): another hart takes over, or the machine sleeps. */
  private wait(start: number): RunResult | number | undefined {
    if (this.harts.count > 1 && this.switchHart()) return undefined;
    return this.handleWfi(start);
  }

  /** All harts wait in WFI: how long to sleep until the earliest of their timers, or a deadlock report. */
  private handleWfi(start: number): RunResult | number {
    let deadline: bigint | undefined;
    let externalArmed = false;
    for (let h = 0; h < this.harts.count; h++) {
      if (this.harts.status[h] === 'stopped') continue;
      const mie = this.harts.csr(h, CSR.mie);
      // The machine timer (CLINT mtimecmp) and, with Sstc on, the supervisor timer.
      const timers: (bigint | undefined)[] = [];
      if ((mie & (1n << 7n)) !== 0n) timers.push(this.board.clint.nextDeadline(h));
      const stimecmp = this.harts.csr(h, CSR.stimecmp);
      const sstc = (this.harts.csr(h, CSR.menvcfg) & MENVCFG_STCE) !== 0n;
      if (sstc && (mie & (1n << 5n)) !== 0n && stimecmp !== (1n << 64n) - 1n) {
        timers.push(this.board.clint.toClock(stimecmp));
      }
      for (const t of timers) if (t !== undefined && (deadline === undefined || t < deadline)) deadline = t;
      externalArmed ||= (mie & ((1n << 11n) | (1n << 9n))) !== 0n;
    }
    // The hart that ran last goes on when the wait is over (a spurious wakeup is allowed).
    this.harts.status[this.harts.current] = 'ready';
    const timerArmed = deadline !== undefined;
    const input = this.scheduledInput[0];
    if (input && input.at <= this.instret) return 0; // due: the next slice delivers it
    if (input && !timerArmed) {
      // Nothing but that input could end the wait, and the guest cannot reach its instruction.
      return this.finish(
        start,
        'deadlock',
        EXIT_CODE_GUEST_CRASH,
        `guest waits (wfi at instruction ${this.instret}) for input scheduled at instruction ${input.at}: the input log does not match this run`,
      );
    }
    if (!timerArmed && (!externalArmed || this.inputClosed)) {
      return this.finish(
        start,
        'deadlock',
        EXIT_CODE_GUEST_CRASH,
        `guest waits (wfi before pc 0x${this.core.pc.toString(16)}) for an interrupt that can never come`,
      );
    }
    if (!timerArmed) return MAX_HOST_WAIT_MS;
    const ticks = deadline! - this.ticks();
    if (this.deterministic) {
      // Nothing happens in between: skip ahead instead of sleeping.
      if (ticks > 0n) this.skippedTicks += ticks;
      return 0;
    }
    return ticks > 0n ? Math.min(Number(ticks) / (MTIME_HZ / 1000), MAX_HOST_WAIT_MS) : 0;
  }

  private describeFatal(): string {
    const { dv, layout, fn } = this.core;
    const pc = dv.getBigUint64(layout.exitAddr, true);
    const bits = Number(dv.getBigUint64(layout.exitValue, true));
    const cause = dv.getBigUint64(layout.exitCause, true);
    // A trap delegated to S-mode (an S-mode kernel's) uses stvec and the s* CSRs: report those.
    const toS = this.core.priv <= 1 && cause < 64n && ((fn.readCsr(CSR.medeleg) >> cause) & 1n) === 1n;
    const [x, tvec, epc, xcause, tval] = toS
      ? ['s', 0x105, 0x141, 0x142, 0x143]
      : ['m', 0x305, 0x341, 0x342, 0x343];
    let msg =
      `guest has no usable trap handler: ${causeName(cause)} at pc 0x${pc.toString(16)}` +
      (cause === 2n ? ` (instruction 0x${bits.toString(16).padStart(bits > 0xffff ? 8 : 4, '0')})` : '') +
      ` with ${x}tvec 0x${fn.readCsr(tvec).toString(16)}`;
    const prevCause = fn.readCsr(xcause);
    const prevPc = fn.readCsr(epc);
    if (prevCause !== 0n || prevPc !== 0n) {
      msg += `; the trap before it: ${causeName(prevCause)} at pc 0x${prevPc.toString(16)}, ${x}tval 0x${fn.readCsr(tval).toString(16)}`;
    }
    return msg;
  }

  /** Disassembles the instruction at a RAM address (for --trace and reports). */
  disassembleAt(pc: bigint): string {
    if (!this.inRam(pc, 2)) return '(outside RAM)';
    const off = this.core.layout.ram + Number(pc - this.core.layout.ramBase);
    return disassemble(this.core.dv.getUint32(off, true), pc);
  }

  private flushOutput(): void {
    if (this.pendingOutput.length === 0) return;
    const bytes = Uint8Array.from(this.pendingOutput);
    this.pendingOutput = [];
    this.consoleBytes += bytes.length;
    for (const l of this.outputListeners) l(bytes);
  }

  private inRam(addr: bigint, length: number): boolean {
    const base = this.core.layout.ramBase;
    return addr >= base && addr + BigInt(length) <= base + BigInt(this.ramSize);
  }

  private ramOffset(addr: bigint, length: number): number {
    if (!this.inRam(addr, length)) {
      throw new WasmvisorError(`address range 0x${addr.toString(16)}+${length} is outside guest RAM`);
    }
    return this.core.layout.ram + Number(addr - this.core.layout.ramBase);
  }
}

/** Refuses drives a board cannot take, with a message a user can act on. */
function checkDrives(drives: DriveOptions[]): void {
  if (drives.length > VIRTIO_COUNT) {
    throw new WasmvisorError(`${drives.length} drives, but the board has ${VIRTIO_COUNT} virtio-mmio slots`);
  }
  drives.forEach((d, i) => {
    const image = d?.image as Partial<BlockBackend> | Uint8Array | undefined;
    const backend =
      image instanceof Uint8Array || (typeof image?.size === 'number' && typeof image.read === 'function');
    if (!backend)
      throw new WasmvisorError(`drive ${i}: image must be a Uint8Array or a backend with size and read`);
    if (d.writable && !(image instanceof Uint8Array) && typeof image.write !== 'function') {
      throw new WasmvisorError(`drive ${i}: a writable drive needs a backend with write`);
    }
  });
}

function bigintBytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}
