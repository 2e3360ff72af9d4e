// Guests generated at bench time, as raw RV64I machine code in a minimal ELF: the sweeps need a
// code footprint and a code-rewrite rate chosen on the command line, which compiled C cannot
// give. Each generator also computes, in JavaScript, the exact console output the guest must
// print, so a wrong row is caught like a bundled workload's. The programs keep every value in
// 32 bits (the W instructions), so that reference is fast to compute with JavaScript numbers.
//
// Board: QEMU virt's. Output goes to the 16550 UART's transmit register, the end to the SiFive
// test finisher; both engines and `qemu-system-riscv64 -M virt -bios none` run these files.

const RAM_BASE = 0x8000_0000;
const UART = 0x1000_0000;
const FINISHER = 0x10_0000;
const FINISHER_PASS = 0x5555;

const R = {
  zero: 0,
  ra: 1,
  t0: 5,
  t1: 6,
  t2: 7,
  s0: 8,
  s1: 9,
  a0: 10,
  a1: 11,
  a2: 12,
  s2: 18,
  s3: 19,
  s4: 20,
  t3: 28,
};

/** A tiny two-pass assembler: 32-bit instructions only, branches and jumps to labels. */
class Asm {
  private words: number[] = [];
  private labels = new Map<string, number>();
  private fixups: { at: number; label: string; make: (offset: number) => number }[] = [];

  get here(): number {
    return this.words.length * 4;
  }
  label(name: string): void {
    this.labels.set(name, this.here);
  }
  word(w: number): void {
    this.words.push(w >>> 0);
  }
  /** Pads with zero words to a multiple of `bytes`. */
  align(bytes: number): void {
    while (this.here % bytes) this.word(0);
  }

  private r(f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): void {
    this.word((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op);
  }
  private i(imm: number, rs1: number, f3: number, rd: number, op: number): void {
    if (imm < -2048 || imm > 2047) throw new Error(`immediate ${imm} does not fit 12 bits`);
    this.word(((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op);
  }
  addi = (rd: number, rs1: number, imm: number) => this.i(imm, rs1, 0, rd, 0x13);
  andi = (rd: number, rs1: number, imm: number) => this.i(imm, rs1, 7, rd, 0x13);
  slli = (rd: number, rs1: number, sh: number) => this.i(sh, rs1, 1, rd, 0x13);
  addiw = (rd: number, rs1: number, imm: number) => this.i(imm, rs1, 0, rd, 0x1b);
  slliw = (rd: number, rs1: number, sh: number) => this.i(sh, rs1, 1, rd, 0x1b);
  srliw = (rd: number, rs1: number, sh: number) => this.i(sh, rs1, 5, rd, 0x1b);
  xor = (rd: number, rs1: number, rs2: number) => this.r(0, rs2, rs1, 4, rd, 0x33);
  or = (rd: number, rs1: number, rs2: number) => this.r(0, rs2, rs1, 6, rd, 0x33);
  srl = (rd: number, rs1: number, rs2: number) => this.r(0, rs2, rs1, 5, rd, 0x33);
  lui = (rd: number, imm20: number) => this.word(((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37);
  jalr = (rd: number, rs1: number, imm: number) => this.i(imm, rs1, 0, rd, 0x67);
  sb = (rs2: number, rs1: number, imm: number) =>
    this.word(
      (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (0 << 12) | ((imm & 0x1f) << 7) | 0x23,
    );
  sw = (rs2: number, rs1: number, imm: number) =>
    this.word(
      (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | ((imm & 0x1f) << 7) | 0x23,
    );
  fenceI = () => this.word(0x0000_100f);

  /** rd = a 32-bit constant, sign-extended (lui + addiw). */
  li(rd: number, value: number): void {
    const v = value | 0;
    if (v >= -2048 && v <= 2047) return this.addi(rd, R.zero, v);
    const lo = (v << 20) >> 20;
    this.lui(rd, (v - lo) >>> 12);
    if (lo) this.addiw(rd, rd, lo);
  }
  /** rd = the address of `label` (auipc + addi). */
  la(rd: number, label: string): void {
    const at = this.here;
    this.fixups.push({
      at,
      label,
      make: (off) => ((((off + 0x800) >> 12) & 0xfffff) << 12) | (rd << 7) | 0x17,
    });
    this.word(0);
    this.fixups.push({
      at: at + 4,
      label,
      make: (off) => (((off + 4) & 0xfff) << 20) | (rd << 15) | (rd << 7) | 0x13,
    });
    this.word(0);
  }
  private branch(f3: number, rs1: number, rs2: number, label: string): void {
    this.fixups.push({
      at: this.here,
      label,
      make: (off) => {
        if (off < -4096 || off > 4094) throw new Error(`branch to ${label} out of range`);
        return (
          (((off >> 12) & 1) << 31) |
          (((off >> 5) & 0x3f) << 25) |
          (rs2 << 20) |
          (rs1 << 15) |
          (f3 << 12) |
          (((off >> 1) & 0xf) << 8) |
          (((off >> 11) & 1) << 7) |
          0x63
        );
      },
    });
    this.word(0);
  }
  beq = (rs1: number, rs2: number, l: string) => this.branch(0, rs1, rs2, l);
  bne = (rs1: number, rs2: number, l: string) => this.branch(1, rs1, rs2, l);
  blt = (rs1: number, rs2: number, l: string) => this.branch(4, rs1, rs2, l);
  bge = (rs1: number, rs2: number, l: string) => this.branch(5, rs1, rs2, l);
  jal(rd: number, label: string): void {
    this.fixups.push({
      at: this.here,
      label,
      make: (off) => {
        if (off < -(1 << 20) || off >= 1 << 20) throw new Error(`jump to ${label} out of range`);
        return (
          (((off >> 20) & 1) << 31) |
          (((off >> 1) & 0x3ff) << 21) |
          (((off >> 11) & 1) << 20) |
          (((off >> 12) & 0xff) << 12) |
          (rd << 7) |
          0x6f
        );
      },
    });
    this.word(0);
  }

  /** The machine code, labels resolved. */
  bytes(): Uint8Array {
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`no label ${f.label}`);
      this.words[f.at / 4] = f.make(target - f.at) >>> 0;
    }
    const out = new Uint8Array(this.words.length * 4);
    const dv = new DataView(out.buffer);
    this.words.forEach((w, k) => dv.setUint32(k * 4, w, true));
    return out;
  }

  // --- the runtime every generated guest shares ---

  /** Prints a0 as 16 hex digits and a newline (clobbers t0-t3). */
  printHexRoutine(): void {
    this.label('print_hex');
    this.lui(R.t0, UART >>> 12);
    this.addi(R.t1, R.zero, 60);
    this.label('ph_loop');
    this.srl(R.t2, R.a0, R.t1);
    this.andi(R.t2, R.t2, 15);
    this.addi(R.t3, R.zero, 10);
    this.blt(R.t2, R.t3, 'ph_digit');
    this.addi(R.t2, R.t2, 'a'.charCodeAt(0) - 10 - '0'.charCodeAt(0));
    this.label('ph_digit');
    this.addi(R.t2, R.t2, '0'.charCodeAt(0));
    this.sb(R.t2, R.t0, 0);
    this.addi(R.t1, R.t1, -4);
    this.bge(R.t1, R.zero, 'ph_loop');
    this.addi(R.t2, R.zero, 10);
    this.sb(R.t2, R.t0, 0);
    this.jalr(R.zero, R.ra, 0);
  }

  /** Ends the run with exit code 0 through the test finisher. */
  exit(): void {
    this.lui(R.t0, FINISHER >>> 12);
    this.li(R.t1, FINISHER_PASS);
    this.sw(R.t1, R.t0, 0);
    this.label('halt');
    this.jal(R.zero, 'halt');
  }
}

/** A minimal ELF64 RISC-V executable: one RWX segment at 0x8000_0000 holding `code`, entry at its start. */
export function elf(code: Uint8Array): Uint8Array {
  const offset = 0x1000;
  const out = new Uint8Array(offset + code.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, BigInt(RAM_BASE), true); // entry
  dv.setBigUint64(32, 64n, true); // phoff
  dv.setUint16(52, 64, true); // ehsize
  dv.setUint16(54, 56, true); // phentsize
  dv.setUint16(56, 1, true); // phnum
  dv.setUint16(58, 64, true); // shentsize
  const ph = 64;
  dv.setUint32(ph, 1, true); // PT_LOAD
  dv.setUint32(ph + 4, 7, true); // RWX
  dv.setBigUint64(ph + 8, BigInt(offset), true);
  dv.setBigUint64(ph + 16, BigInt(RAM_BASE), true);
  dv.setBigUint64(ph + 24, BigInt(RAM_BASE), true);
  dv.setBigUint64(ph + 32, BigInt(code.length), true);
  dv.setBigUint64(ph + 40, BigInt(code.length), true);
  dv.setBigUint64(ph + 48, 0x1000n, true);
  out.set(code, offset);
  return out;
}

export interface GeneratedGuest {
  name: string;
  elf: Uint8Array;
  /** What the guest prints. */
  expected: string;
  /** Bytes of code that run hot. */
  hotBytes: number;
}

const hex64 = (v: number) =>
  BigInt.asUintN(64, BigInt(v | 0))
    .toString(16)
    .padStart(16, '0');

/** A guest that does nothing but end: the start-up and shut-down cost of an emulator. */
export function emptyGuest(): GeneratedGuest {
  const a = new Asm();
  a.exit();
  return { name: 'empty', elf: elf(a.bytes()), expected: '', hotBytes: 0 };
}

// The same values in JavaScript: int32 arithmetic is what the W instructions do.
const rotl = (x: number, sh: number) => (x << sh) | (x >>> (32 - sh)) | 0;

/**
 * Code footprint: a loop over `blocks` distinct basic blocks of 8 instructions (32 bytes each),
 * about `insns` instructions in all. More blocks, same work: the translator has more to translate
 * before it pays off (each block runs insns / (8 * blocks) times).
 */
export function footprintGuest(blocks: number, insns: number): GeneratedGuest {
  if (!(blocks >= 1 && blocks * 32 < 1 << 20)) throw new Error(`footprint: ${blocks} blocks do not fit`);
  const iters = Math.max(1, Math.round(insns / (8 * blocks + 3)));
  const imm = (k: number) => ((k * 37) % 2001) - 1000;
  const sh = (k: number) => 1 + (k % 13);
  const a = new Asm();
  a.li(R.s0, iters);
  a.addi(R.a0, R.zero, 0);
  a.li(R.a1, 0x1234567);
  a.addi(R.a2, R.zero, 0);
  a.label('outer');
  for (let k = 0; k < blocks; k++) {
    a.addiw(R.a0, R.a0, imm(k));
    a.xor(R.a1, R.a1, R.a0);
    a.slliw(R.t0, R.a1, sh(k));
    a.srliw(R.t1, R.a1, 32 - sh(k));
    a.or(R.a1, R.t0, R.t1);
    a.andi(R.t2, R.a1, 1);
    a.beq(R.t2, R.zero, `b${k + 1}`);
    a.addiw(R.a2, R.a2, 1);
    a.label(`b${k + 1}`);
  }
  a.addi(R.s0, R.s0, -1);
  a.beq(R.s0, R.zero, 'done');
  a.jal(R.zero, 'outer');
  a.label('done');
  a.addi(R.a0, R.a1, 0);
  a.jal(R.ra, 'print_hex');
  a.addi(R.a0, R.a2, 0);
  a.jal(R.ra, 'print_hex');
  a.exit();
  a.printHexRoutine();

  let [a0, a1, a2] = [0, 0x1234567, 0];
  for (let it = 0; it < iters; it++) {
    for (let k = 0; k < blocks; k++) {
      a0 = (a0 + imm(k)) | 0;
      a1 = rotl(a1 ^ a0, sh(k));
      if (a1 & 1) a2 = (a2 + 1) | 0;
    }
  }
  return {
    name: `footprint-${blocks}`,
    elf: elf(a.bytes()),
    expected: `${hex64(a1)}\n${hex64(a2)}\n`,
    hotBytes: blocks * 32,
  };
}

/**
 * Self-modifying code: a hot function in a page of its own whose first instruction (addiw a0, a0,
 * imm) is rewritten, followed by FENCE.I, once every `callsPerWrite` calls; about `insns`
 * instructions in all. Each rewrite invalidates the function's translation.
 */
export function smcGuest(callsPerWrite: number, insns: number): GeneratedGuest & { writes: number } {
  const bodyInsns = 10; // the function, ret included
  const perCall = bodyInsns + 3;
  const calls = Math.max(1, Math.min(callsPerWrite, Math.round(insns / perCall)));
  const writes = Math.max(1, Math.round(insns / (calls * perCall + 9)));
  const ADDIW_A0_A0 = (R.a0 << 15) | (R.a0 << 7) | 0x1b;
  const a = new Asm();
  a.li(R.s0, writes);
  a.li(R.s1, calls);
  a.la(R.s2, 'patch');
  a.li(R.s4, ADDIW_A0_A0);
  a.addi(R.a0, R.zero, 0);
  a.li(R.a1, 0x7654321);
  a.label('outer');
  a.andi(R.t0, R.s0, 0x7ff);
  a.slli(R.t0, R.t0, 20);
  a.or(R.t0, R.t0, R.s4);
  a.sw(R.t0, R.s2, 0);
  a.fenceI();
  a.addi(R.s3, R.s1, 0);
  a.label('inner');
  a.jal(R.ra, 'hot');
  a.addi(R.s3, R.s3, -1);
  a.bne(R.s3, R.zero, 'inner');
  a.addi(R.s0, R.s0, -1);
  a.bne(R.s0, R.zero, 'outer');
  a.addi(R.a0, R.a1, 0);
  a.jal(R.ra, 'print_hex');
  a.exit();
  a.printHexRoutine();
  a.align(4096); // the rewritten function has its page to itself
  a.label('hot');
  a.label('patch');
  a.addiw(R.a0, R.a0, 0);
  a.xor(R.a1, R.a1, R.a0);
  a.slliw(R.t0, R.a1, 7);
  a.srliw(R.t1, R.a1, 25);
  a.or(R.a1, R.t0, R.t1);
  a.addiw(R.a1, R.a1, 0x35);
  a.slliw(R.t0, R.a1, 3);
  a.xor(R.a1, R.a1, R.t0);
  a.addiw(R.a1, R.a1, -7);
  a.jalr(R.zero, R.ra, 0);

  let [a0, a1] = [0, 0x7654321];
  for (let s0 = writes; s0 > 0; s0--) {
    const imm = s0 & 0x7ff;
    for (let c = 0; c < calls; c++) {
      a0 = (a0 + imm) | 0;
      a1 = rotl(a1 ^ a0, 7);
      a1 = (a1 + 0x35) | 0;
      a1 = (a1 ^ (a1 << 3)) | 0;
      a1 = (a1 - 7) | 0;
    }
  }
  return {
    name: `smc-${callsPerWrite}`,
    elf: elf(a.bytes()),
    expected: `${hex64(a1)}\n`,
    hotBytes: bodyInsns * 4,
    writes,
  };
}
