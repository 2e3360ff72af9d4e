// THE instruction table: every guest instruction is written here once, as data. Everything else
// is derived from it: the op ids (ops.ts), the AssemblyScript decoder (gen-decoder.ts writes
// assembly/generated/), the TypeScript reference decoder (decode.ts), the disassembler
// (disasm.ts), the translator's dispatch and the test vectors (test/isa.test.ts).
//
// Guest ISA: RV64GC = RV64IMAFDC + Zicsr + Zifencei + the machine/supervisor privileged
// instructions.
//
// Register operands are numbered 0..31 for x registers and 64..95 for f registers (F_REG + n):
// the core keeps f0..f31 right after the x registers' area (layout.ts FREGS = REGS + F_REG * 8),
// so a decoded register offset (number * 8) addresses either file the same way.
// Floating-point operations that have a rounding-mode field (bits 14:12) carry it in imm; the
// fused multiply-adds carry rs3 << 3 | rm.
//
// Encodings are written as in riscv-opcodes ('14..12=0 6..0=0x13': fixed bit ranges), operand
// fields as in the ISA manual's encoding figures ('12:5=5:4|9:6|2|3': instruction bits [12:5]
// hold imm[5:4], imm[9:6], imm[2], imm[3], most significant first). Both are parsed below into
// plain numbers (match/mask) and bit-segment lists (Seg), which is what the decoders interpret.

export type Ext = 'I' | 'M' | 'A' | 'F' | 'D' | 'C' | 'Zicsr' | 'Zifencei' | 'Priv';

/** Operand layouts of 32-bit instructions. Each one fixes which fields exist and how they print. */
export type BaseFormat =
  | 'R' // rd, rs1, rs2
  | 'I' // rd, rs1, imm[11:0]
  | 'L' // loads: I operands, printed rd,imm(rs1)
  | 'JALR' // I operands, printed rd,imm(rs1)
  | 'SH6' // RV64 shifts by immediate: rd, rs1, shamt[5:0]
  | 'SH5' // *W shifts by immediate: rd, rs1, shamt[4:0]
  | 'S' // rs1, rs2, imm[11:0]
  | 'B' // rs1, rs2, byte offset imm[12:1]
  | 'U' // rd, imm[31:12] (imm is the final value: the upper bits in place)
  | 'J' // rd, byte offset imm[20:1]
  | 'CSR' // rd, rs1, imm = CSR number (unsigned)
  | 'CSRI' // rd, rs1 = the 5-bit zimm (not a register), imm = CSR number
  | 'AMO' // rd, rs1 (address), rs2; aq/rl ignored
  | 'LR' // rd, rs1 (address)
  | 'FENCE' // imm = fm|pred|succ (bits [31:20], unsigned); rd/rs1 ignored
  | 'SFENCE' // rs1 (vaddr), rs2 (asid)
  | 'NONE' // no operands
  // F and D (f = an f register, x = an x register; rm = the rounding mode, in imm)
  | 'FL' // loads: f rd, x rs1, imm[11:0]; printed rd,imm(rs1)
  | 'FS' // stores: x rs1, f rs2, imm[11:0]
  | 'FR' // f rd, f rs1, f rs2, rm
  | 'FR4' // f rd, f rs1, f rs2, f rs3, imm = rs3 << 3 | rm
  | 'FRS' // f rd, f rs1, f rs2 (no rm: sign injection, min/max)
  | 'FR1' // f rd, f rs1, rm (square root, conversions between formats)
  | 'FCMP' // x rd, f rs1, f rs2
  | 'FTOX' // x rd, f rs1, rm (conversions to integers)
  | 'XTOF' // f rd, x rs1, rm (conversions from integers)
  | 'FMVX' // x rd, f rs1 (moves to x, classify)
  | 'FMVF'; // f rd, x rs1 (moves from x)

/** Compressed instruction formats (descriptive only: each entry spells out its operands). */
export type CFormat = 'CR' | 'CI' | 'CSS' | 'CIW' | 'CL' | 'CS' | 'CA' | 'CB' | 'CJ';

export type Format = BaseFormat | CFormat;

/** Instruction bits [inst[0]:inst[1]] land in immediate bits [imm[0]:imm[1]] (inclusive ranges). */
export interface Seg {
  readonly inst: readonly [hi: number, lo: number];
  readonly imm: readonly [hi: number, lo: number];
}

/** An immediate: the OR of its segments; if signed, sign-extended from the highest bit placed. */
export interface ImmSpec {
  readonly signed: boolean;
  readonly segs: readonly Seg[];
}

/** A register operand: instruction bits [hi:lo] plus `add` (8 for rd'/rs1'/rs2'), or a fixed register. */
export type RegSpec =
  { readonly bits: readonly [hi: number, lo: number]; readonly add: number } | { readonly fixed: number };

export interface Operands {
  readonly rd?: RegSpec;
  readonly rs1?: RegSpec;
  readonly rs2?: RegSpec;
  readonly imm?: ImmSpec;
  /** rs1 holds an immediate (the CSR zimm), not a register number: the core does not scale it. */
  readonly rs1IsImm?: boolean;
}

export type Field = 'rd' | 'rs1' | 'rs2' | 'imm';

export interface Entry {
  /** Mnemonic: 'addi', 'amoswap.w', 'fence.i', 'c.addi16sp'. */
  readonly name: string;
  /** raw & mask == match identifies the instruction (compressed: within the low 16 bits). */
  readonly match: number;
  readonly mask: number;
  readonly len: 2 | 4;
  readonly format: Format;
  readonly ext: Ext;
  /** Where rd/rs1/rs2/imm come from; a field that is absent decodes as 0. */
  readonly operands: Operands;
  /** The translator must end the block after it (control transfer, privilege/CSR/TLB/code change). */
  readonly endsBlock: boolean;
  /** May raise a synchronous exception (memory access, ecall/ebreak, CSR and privileged ops). */
  readonly mayTrap: boolean;
  /** Needs the supervisor (emulated, never run natively by translated code). */
  readonly sensitive: boolean;
  /** Compressed only: the base instruction it expands to (its flags are copied from there). */
  readonly expand?: string;
  /** Encodings whose listed operand fields decode to 0 are reserved: they decode as illegal. */
  readonly reservedIfZero?: readonly Field[];
  /** More specific entries this one overlaps: the decoders try them first. */
  readonly yieldsTo?: readonly string[];
}

// ---- notation parsers (run once at load) ----------------------------------------------------------

/** riscv-opcodes style fixed fields: '31..25=0x20 14..12=5 6..0=0x33' -> match/mask. */
function enc(spec: string): { match: number; mask: number } {
  let match = 0;
  let mask = 0;
  for (const part of spec.trim().split(/\s+/)) {
    const m = /^(\d+)(?:\.\.(\d+))?=(0x[0-9a-f]+|\d+)$/i.exec(part);
    if (!m) throw new Error(`bad encoding field '${part}'`);
    const hi = Number(m[1]);
    const lo = m[2] === undefined ? hi : Number(m[2]);
    const value = Number(m[3]);
    const width = hi - lo + 1;
    if (width < 1 || width > 31 || value >= 2 ** width) throw new Error(`bad encoding field '${part}'`);
    const fieldMask = ((2 ** width - 1) * 2 ** lo) >>> 0;
    if ((mask & fieldMask) !== 0) throw new Error(`overlapping encoding fields in '${spec}'`);
    mask = (mask | fieldMask) >>> 0;
    match = (match | (value * 2 ** lo)) >>> 0;
  }
  return { match, mask };
}

function range(s: string): [number, number] {
  const [a, b] = s.split(':').map(Number);
  return [a, b ?? a];
}

/** ISA-manual style: '31:25=11:5 11:7=4:0', '12:5=5:4|9:6|2|3' -> segments. */
function segs(spec: string): Seg[] {
  const out: Seg[] = [];
  for (const group of spec.trim().split(/\s+/)) {
    const [instPart, immPart] = group.split('=');
    const [instHi, instLo] = range(instPart);
    let at = instHi;
    for (const piece of immPart.split('|')) {
      const [immHi, immLo] = range(piece);
      const width = immHi - immLo + 1;
      out.push({ inst: [at, at - width + 1], imm: [immHi, immLo] });
      at -= width;
    }
    if (at !== instLo - 1) throw new Error(`immediate '${group}' does not fill its instruction field`);
  }
  return out;
}

const simm = (spec: string): ImmSpec => ({ signed: true, segs: segs(spec) });
const uimm = (spec: string): ImmSpec => ({ signed: false, segs: segs(spec) });
/** A full 5-bit register field. */
const r = (hi: number, lo: number): RegSpec => ({ bits: [hi, lo], add: 0 });
/** A compressed 3-bit register field: x8..x15. */
const rc = (hi: number, lo: number): RegSpec => ({ bits: [hi, lo], add: 8 });
/** A fixed register. */
const x = (n: number): RegSpec => ({ fixed: n });
/** f registers are numbered from F_REG (see the top of this file). */
export const F_REG = 64;
/** A full 5-bit f register field. */
const f = (hi: number, lo: number): RegSpec => ({ bits: [hi, lo], add: F_REG });
/** A compressed 3-bit f register field: f8..f15. */
const fc = (hi: number, lo: number): RegSpec => ({ bits: [hi, lo], add: F_REG + 8 });

const RD = r(11, 7);
const RS1 = r(19, 15);
const RS2 = r(24, 20);
const IMM_I = simm('31:20=11:0');
const RM = uimm('14:12=2:0');

export const FORMAT_OPERANDS: Readonly<Record<BaseFormat, Operands>> = {
  R: { rd: RD, rs1: RS1, rs2: RS2 },
  I: { rd: RD, rs1: RS1, imm: IMM_I },
  L: { rd: RD, rs1: RS1, imm: IMM_I },
  JALR: { rd: RD, rs1: RS1, imm: IMM_I },
  SH6: { rd: RD, rs1: RS1, imm: uimm('25:20=5:0') },
  SH5: { rd: RD, rs1: RS1, imm: uimm('24:20=4:0') },
  S: { rs1: RS1, rs2: RS2, imm: simm('31:25=11:5 11:7=4:0') },
  B: { rs1: RS1, rs2: RS2, imm: simm('31:25=12|10:5 11:7=4:1|11') },
  U: { rd: RD, imm: simm('31:12=31:12') },
  J: { rd: RD, imm: simm('31:12=20|10:1|11|19:12') },
  CSR: { rd: RD, rs1: RS1, imm: uimm('31:20=11:0') },
  CSRI: { rd: RD, rs1: RS1, imm: uimm('31:20=11:0'), rs1IsImm: true },
  AMO: { rd: RD, rs1: RS1, rs2: RS2 },
  LR: { rd: RD, rs1: RS1 },
  FENCE: { imm: uimm('31:20=11:0') },
  SFENCE: { rs1: RS1, rs2: RS2 },
  NONE: {},
  FL: { rd: f(11, 7), rs1: RS1, imm: IMM_I },
  FS: { rs1: RS1, rs2: f(24, 20), imm: simm('31:25=11:5 11:7=4:0') },
  FR: { rd: f(11, 7), rs1: f(19, 15), rs2: f(24, 20), imm: RM },
  FR4: { rd: f(11, 7), rs1: f(19, 15), rs2: f(24, 20), imm: uimm('31:27=7:3 14:12=2:0') },
  FRS: { rd: f(11, 7), rs1: f(19, 15), rs2: f(24, 20) },
  FR1: { rd: f(11, 7), rs1: f(19, 15), imm: RM },
  FCMP: { rd: RD, rs1: f(19, 15), rs2: f(24, 20) },
  FTOX: { rd: RD, rs1: f(19, 15), imm: RM },
  XTOF: { rd: f(11, 7), rs1: RS1, imm: RM },
  FMVX: { rd: RD, rs1: f(19, 15) },
  FMVF: { rd: f(11, 7), rs1: RS1 },
};

// ---- 32-bit instructions (op ids follow this order) -----------------------------------------------
// [name, encoding, format, ext, flags]; flags: 'end' = endsBlock, 'trap' = mayTrap, 'sens' = sensitive.

type BaseRow = readonly [string, string, BaseFormat, Ext, string?];

const SYS = 'end trap sens';

const BASE: readonly BaseRow[] = [
  // RV32I / RV64I
  ['lui', '6..0=0x37', 'U', 'I'],
  ['auipc', '6..0=0x17', 'U', 'I'],
  ['jal', '6..0=0x6f', 'J', 'I', 'end'],
  ['jalr', '14..12=0 6..0=0x67', 'JALR', 'I', 'end'],
  ['beq', '14..12=0 6..0=0x63', 'B', 'I', 'end'],
  ['bne', '14..12=1 6..0=0x63', 'B', 'I', 'end'],
  ['blt', '14..12=4 6..0=0x63', 'B', 'I', 'end'],
  ['bge', '14..12=5 6..0=0x63', 'B', 'I', 'end'],
  ['bltu', '14..12=6 6..0=0x63', 'B', 'I', 'end'],
  ['bgeu', '14..12=7 6..0=0x63', 'B', 'I', 'end'],
  ['lb', '14..12=0 6..0=0x03', 'L', 'I', 'trap'],
  ['lh', '14..12=1 6..0=0x03', 'L', 'I', 'trap'],
  ['lw', '14..12=2 6..0=0x03', 'L', 'I', 'trap'],
  ['ld', '14..12=3 6..0=0x03', 'L', 'I', 'trap'],
  ['lbu', '14..12=4 6..0=0x03', 'L', 'I', 'trap'],
  ['lhu', '14..12=5 6..0=0x03', 'L', 'I', 'trap'],
  ['lwu', '14..12=6 6..0=0x03', 'L', 'I', 'trap'],
  ['sb', '14..12=0 6..0=0x23', 'S', 'I', 'trap'],
  ['sh', '14..12=1 6..0=0x23', 'S', 'I', 'trap'],
  ['sw', '14..12=2 6..0=0x23', 'S', 'I', 'trap'],
  ['sd', '14..12=3 6..0=0x23', 'S', 'I', 'trap'],
  ['addi', '14..12=0 6..0=0x13', 'I', 'I'],
  ['slti', '14..12=2 6..0=0x13', 'I', 'I'],
  ['sltiu', '14..12=3 6..0=0x13', 'I', 'I'],
  ['xori', '14..12=4 6..0=0x13', 'I', 'I'],
  ['ori', '14..12=6 6..0=0x13', 'I', 'I'],
  ['andi', '14..12=7 6..0=0x13', 'I', 'I'],
  ['slli', '31..26=0 14..12=1 6..0=0x13', 'SH6', 'I'],
  ['srli', '31..26=0 14..12=5 6..0=0x13', 'SH6', 'I'],
  ['srai', '31..26=0x10 14..12=5 6..0=0x13', 'SH6', 'I'],
  ['add', '31..25=0 14..12=0 6..0=0x33', 'R', 'I'],
  ['sub', '31..25=0x20 14..12=0 6..0=0x33', 'R', 'I'],
  ['sll', '31..25=0 14..12=1 6..0=0x33', 'R', 'I'],
  ['slt', '31..25=0 14..12=2 6..0=0x33', 'R', 'I'],
  ['sltu', '31..25=0 14..12=3 6..0=0x33', 'R', 'I'],
  ['xor', '31..25=0 14..12=4 6..0=0x33', 'R', 'I'],
  ['srl', '31..25=0 14..12=5 6..0=0x33', 'R', 'I'],
  ['sra', '31..25=0x20 14..12=5 6..0=0x33', 'R', 'I'],
  ['or', '31..25=0 14..12=6 6..0=0x33', 'R', 'I'],
  ['and', '31..25=0 14..12=7 6..0=0x33', 'R', 'I'],
  ['fence', '14..12=0 6..0=0x0f', 'FENCE', 'I'],
  ['ecall', '31..7=0 6..0=0x73', 'NONE', 'I', SYS],
  ['ebreak', '31..20=1 19..7=0 6..0=0x73', 'NONE', 'I', SYS],
  ['addiw', '14..12=0 6..0=0x1b', 'I', 'I'],
  ['slliw', '31..25=0 14..12=1 6..0=0x1b', 'SH5', 'I'],
  ['srliw', '31..25=0 14..12=5 6..0=0x1b', 'SH5', 'I'],
  ['sraiw', '31..25=0x20 14..12=5 6..0=0x1b', 'SH5', 'I'],
  ['addw', '31..25=0 14..12=0 6..0=0x3b', 'R', 'I'],
  ['subw', '31..25=0x20 14..12=0 6..0=0x3b', 'R', 'I'],
  ['sllw', '31..25=0 14..12=1 6..0=0x3b', 'R', 'I'],
  ['srlw', '31..25=0 14..12=5 6..0=0x3b', 'R', 'I'],
  ['sraw', '31..25=0x20 14..12=5 6..0=0x3b', 'R', 'I'],

  // M (division never traps in RISC-V: x/0 and overflow have defined results)
  ['mul', '31..25=1 14..12=0 6..0=0x33', 'R', 'M'],
  ['mulh', '31..25=1 14..12=1 6..0=0x33', 'R', 'M'],
  ['mulhsu', '31..25=1 14..12=2 6..0=0x33', 'R', 'M'],
  ['mulhu', '31..25=1 14..12=3 6..0=0x33', 'R', 'M'],
  ['div', '31..25=1 14..12=4 6..0=0x33', 'R', 'M'],
  ['divu', '31..25=1 14..12=5 6..0=0x33', 'R', 'M'],
  ['rem', '31..25=1 14..12=6 6..0=0x33', 'R', 'M'],
  ['remu', '31..25=1 14..12=7 6..0=0x33', 'R', 'M'],
  ['mulw', '31..25=1 14..12=0 6..0=0x3b', 'R', 'M'],
  ['divw', '31..25=1 14..12=4 6..0=0x3b', 'R', 'M'],
  ['divuw', '31..25=1 14..12=5 6..0=0x3b', 'R', 'M'],
  ['remw', '31..25=1 14..12=6 6..0=0x3b', 'R', 'M'],
  ['remuw', '31..25=1 14..12=7 6..0=0x3b', 'R', 'M'],

  // A (bits 26..25 = aq/rl: accepted and ignored)
  ['lr.w', '31..27=0x02 24..20=0 14..12=2 6..0=0x2f', 'LR', 'A', 'trap'],
  ['sc.w', '31..27=0x03 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoswap.w', '31..27=0x01 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoadd.w', '31..27=0x00 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoxor.w', '31..27=0x04 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoand.w', '31..27=0x0c 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoor.w', '31..27=0x08 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomin.w', '31..27=0x10 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomax.w', '31..27=0x14 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amominu.w', '31..27=0x18 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomaxu.w', '31..27=0x1c 14..12=2 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['lr.d', '31..27=0x02 24..20=0 14..12=3 6..0=0x2f', 'LR', 'A', 'trap'],
  ['sc.d', '31..27=0x03 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoswap.d', '31..27=0x01 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoadd.d', '31..27=0x00 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoxor.d', '31..27=0x04 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoand.d', '31..27=0x0c 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amoor.d', '31..27=0x08 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomin.d', '31..27=0x10 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomax.d', '31..27=0x14 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amominu.d', '31..27=0x18 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],
  ['amomaxu.d', '31..27=0x1c 14..12=3 6..0=0x2f', 'AMO', 'A', 'trap'],

  // Zifencei: the translator drops stale code here (rd, rs1, imm are reserved and ignored)
  ['fence.i', '14..12=1 6..0=0x0f', 'NONE', 'Zifencei', 'end sens'],

  // Zicsr: every CSR op ends the block (it may change privilege-visible state or read instret)
  ['csrrw', '14..12=1 6..0=0x73', 'CSR', 'Zicsr', SYS],
  ['csrrs', '14..12=2 6..0=0x73', 'CSR', 'Zicsr', SYS],
  ['csrrc', '14..12=3 6..0=0x73', 'CSR', 'Zicsr', SYS],
  ['csrrwi', '14..12=5 6..0=0x73', 'CSRI', 'Zicsr', SYS],
  ['csrrsi', '14..12=6 6..0=0x73', 'CSRI', 'Zicsr', SYS],
  ['csrrci', '14..12=7 6..0=0x73', 'CSRI', 'Zicsr', SYS],

  // Privileged (trap: illegal from a lower privilege, or under mstatus.TSR/TW/TVM)
  ['sret', '31..20=0x102 19..7=0 6..0=0x73', 'NONE', 'Priv', SYS],
  ['mret', '31..20=0x302 19..7=0 6..0=0x73', 'NONE', 'Priv', SYS],
  ['wfi', '31..20=0x105 19..7=0 6..0=0x73', 'NONE', 'Priv', SYS],
  ['sfence.vma', '31..25=0x09 14..12=0 11..7=0 6..0=0x73', 'SFENCE', 'Priv', SYS],

  // F and D (kept last: the core tests `op >= Op.FLW` for them). Every one traps while
  // mstatus.FS is Off, and those with a rounding mode on a reserved one.
  ['flw', '14..12=2 6..0=0x07', 'FL', 'F', 'trap'],
  ['fsw', '14..12=2 6..0=0x27', 'FS', 'F', 'trap'],
  ['fmadd.s', '26..25=0 6..0=0x43', 'FR4', 'F', 'trap'],
  ['fmsub.s', '26..25=0 6..0=0x47', 'FR4', 'F', 'trap'],
  ['fnmsub.s', '26..25=0 6..0=0x4b', 'FR4', 'F', 'trap'],
  ['fnmadd.s', '26..25=0 6..0=0x4f', 'FR4', 'F', 'trap'],
  ['fadd.s', '31..25=0x00 6..0=0x53', 'FR', 'F', 'trap'],
  ['fsub.s', '31..25=0x04 6..0=0x53', 'FR', 'F', 'trap'],
  ['fmul.s', '31..25=0x08 6..0=0x53', 'FR', 'F', 'trap'],
  ['fdiv.s', '31..25=0x0c 6..0=0x53', 'FR', 'F', 'trap'],
  ['fsqrt.s', '31..25=0x2c 24..20=0 6..0=0x53', 'FR1', 'F', 'trap'],
  ['fsgnj.s', '31..25=0x10 14..12=0 6..0=0x53', 'FRS', 'F', 'trap'],
  ['fsgnjn.s', '31..25=0x10 14..12=1 6..0=0x53', 'FRS', 'F', 'trap'],
  ['fsgnjx.s', '31..25=0x10 14..12=2 6..0=0x53', 'FRS', 'F', 'trap'],
  ['fmin.s', '31..25=0x14 14..12=0 6..0=0x53', 'FRS', 'F', 'trap'],
  ['fmax.s', '31..25=0x14 14..12=1 6..0=0x53', 'FRS', 'F', 'trap'],
  ['feq.s', '31..25=0x50 14..12=2 6..0=0x53', 'FCMP', 'F', 'trap'],
  ['flt.s', '31..25=0x50 14..12=1 6..0=0x53', 'FCMP', 'F', 'trap'],
  ['fle.s', '31..25=0x50 14..12=0 6..0=0x53', 'FCMP', 'F', 'trap'],
  ['fclass.s', '31..25=0x70 24..20=0 14..12=1 6..0=0x53', 'FMVX', 'F', 'trap'],
  ['fcvt.w.s', '31..25=0x60 24..20=0 6..0=0x53', 'FTOX', 'F', 'trap'],
  ['fcvt.wu.s', '31..25=0x60 24..20=1 6..0=0x53', 'FTOX', 'F', 'trap'],
  ['fcvt.l.s', '31..25=0x60 24..20=2 6..0=0x53', 'FTOX', 'F', 'trap'],
  ['fcvt.lu.s', '31..25=0x60 24..20=3 6..0=0x53', 'FTOX', 'F', 'trap'],
  ['fcvt.s.w', '31..25=0x68 24..20=0 6..0=0x53', 'XTOF', 'F', 'trap'],
  ['fcvt.s.wu', '31..25=0x68 24..20=1 6..0=0x53', 'XTOF', 'F', 'trap'],
  ['fcvt.s.l', '31..25=0x68 24..20=2 6..0=0x53', 'XTOF', 'F', 'trap'],
  ['fcvt.s.lu', '31..25=0x68 24..20=3 6..0=0x53', 'XTOF', 'F', 'trap'],
  ['fmv.x.w', '31..25=0x70 24..20=0 14..12=0 6..0=0x53', 'FMVX', 'F', 'trap'],
  ['fmv.w.x', '31..25=0x78 24..20=0 14..12=0 6..0=0x53', 'FMVF', 'F', 'trap'],
  ['fld', '14..12=3 6..0=0x07', 'FL', 'D', 'trap'],
  ['fsd', '14..12=3 6..0=0x27', 'FS', 'D', 'trap'],
  ['fmadd.d', '26..25=1 6..0=0x43', 'FR4', 'D', 'trap'],
  ['fmsub.d', '26..25=1 6..0=0x47', 'FR4', 'D', 'trap'],
  ['fnmsub.d', '26..25=1 6..0=0x4b', 'FR4', 'D', 'trap'],
  ['fnmadd.d', '26..25=1 6..0=0x4f', 'FR4', 'D', 'trap'],
  ['fadd.d', '31..25=0x01 6..0=0x53', 'FR', 'D', 'trap'],
  ['fsub.d', '31..25=0x05 6..0=0x53', 'FR', 'D', 'trap'],
  ['fmul.d', '31..25=0x09 6..0=0x53', 'FR', 'D', 'trap'],
  ['fdiv.d', '31..25=0x0d 6..0=0x53', 'FR', 'D', 'trap'],
  ['fsqrt.d', '31..25=0x2d 24..20=0 6..0=0x53', 'FR1', 'D', 'trap'],
  ['fsgnj.d', '31..25=0x11 14..12=0 6..0=0x53', 'FRS', 'D', 'trap'],
  ['fsgnjn.d', '31..25=0x11 14..12=1 6..0=0x53', 'FRS', 'D', 'trap'],
  ['fsgnjx.d', '31..25=0x11 14..12=2 6..0=0x53', 'FRS', 'D', 'trap'],
  ['fmin.d', '31..25=0x15 14..12=0 6..0=0x53', 'FRS', 'D', 'trap'],
  ['fmax.d', '31..25=0x15 14..12=1 6..0=0x53', 'FRS', 'D', 'trap'],
  ['fcvt.s.d', '31..25=0x20 24..20=1 6..0=0x53', 'FR1', 'D', 'trap'],
  ['fcvt.d.s', '31..25=0x21 24..20=0 6..0=0x53', 'FR1', 'D', 'trap'],
  ['feq.d', '31..25=0x51 14..12=2 6..0=0x53', 'FCMP', 'D', 'trap'],
  ['flt.d', '31..25=0x51 14..12=1 6..0=0x53', 'FCMP', 'D', 'trap'],
  ['fle.d', '31..25=0x51 14..12=0 6..0=0x53', 'FCMP', 'D', 'trap'],
  ['fclass.d', '31..25=0x71 24..20=0 14..12=1 6..0=0x53', 'FMVX', 'D', 'trap'],
  ['fcvt.w.d', '31..25=0x61 24..20=0 6..0=0x53', 'FTOX', 'D', 'trap'],
  ['fcvt.wu.d', '31..25=0x61 24..20=1 6..0=0x53', 'FTOX', 'D', 'trap'],
  ['fcvt.l.d', '31..25=0x61 24..20=2 6..0=0x53', 'FTOX', 'D', 'trap'],
  ['fcvt.lu.d', '31..25=0x61 24..20=3 6..0=0x53', 'FTOX', 'D', 'trap'],
  ['fcvt.d.w', '31..25=0x69 24..20=0 6..0=0x53', 'XTOF', 'D', 'trap'],
  ['fcvt.d.wu', '31..25=0x69 24..20=1 6..0=0x53', 'XTOF', 'D', 'trap'],
  ['fcvt.d.l', '31..25=0x69 24..20=2 6..0=0x53', 'XTOF', 'D', 'trap'],
  ['fcvt.d.lu', '31..25=0x69 24..20=3 6..0=0x53', 'XTOF', 'D', 'trap'],
  ['fmv.x.d', '31..25=0x71 24..20=0 14..12=0 6..0=0x53', 'FMVX', 'D', 'trap'],
  ['fmv.d.x', '31..25=0x79 24..20=0 14..12=0 6..0=0x53', 'FMVF', 'D', 'trap'],
];

// ---- 16-bit instructions (RV64C) ------------------------------------------------------------------
// Operands are those of the expansion. Immediates are final values (byte offsets, lui's imm<<12).

interface CRow {
  readonly name: string;
  readonly enc: string;
  readonly format: CFormat;
  readonly expand: string;
  readonly operands: Operands;
  readonly reservedIfZero?: readonly Field[];
  readonly yieldsTo?: readonly string[];
}

const CI_IMM = simm('12=5 6:2=4:0');
const CI_SHAMT = uimm('12=5 6:2=4:0');

const COMPRESSED: readonly CRow[] = [
  // Quadrant 0 (funct3 4 is reserved)
  {
    name: 'c.addi4spn',
    enc: '15..13=0 1..0=0',
    format: 'CIW',
    expand: 'addi',
    operands: { rd: rc(4, 2), rs1: x(2), imm: uimm('12:5=5:4|9:6|2|3') },
    reservedIfZero: ['imm'], // also covers the all-zero halfword, defined illegal
  },
  {
    name: 'c.fld',
    enc: '15..13=1 1..0=0',
    format: 'CL',
    expand: 'fld',
    operands: { rd: fc(4, 2), rs1: rc(9, 7), imm: uimm('12:10=5:3 6:5=7:6') },
  },
  {
    name: 'c.lw',
    enc: '15..13=2 1..0=0',
    format: 'CL',
    expand: 'lw',
    operands: { rd: rc(4, 2), rs1: rc(9, 7), imm: uimm('12:10=5:3 6:5=2|6') },
  },
  {
    name: 'c.ld',
    enc: '15..13=3 1..0=0',
    format: 'CL',
    expand: 'ld',
    operands: { rd: rc(4, 2), rs1: rc(9, 7), imm: uimm('12:10=5:3 6:5=7:6') },
  },
  {
    name: 'c.fsd',
    enc: '15..13=5 1..0=0',
    format: 'CS',
    expand: 'fsd',
    operands: { rs1: rc(9, 7), rs2: fc(4, 2), imm: uimm('12:10=5:3 6:5=7:6') },
  },
  {
    name: 'c.sw',
    enc: '15..13=6 1..0=0',
    format: 'CS',
    expand: 'sw',
    operands: { rs1: rc(9, 7), rs2: rc(4, 2), imm: uimm('12:10=5:3 6:5=2|6') },
  },
  {
    name: 'c.sd',
    enc: '15..13=7 1..0=0',
    format: 'CS',
    expand: 'sd',
    operands: { rs1: rc(9, 7), rs2: rc(4, 2), imm: uimm('12:10=5:3 6:5=7:6') },
  },

  // Quadrant 1
  { name: 'c.nop', enc: '15..13=0 12=0 11..7=0 6..2=0 1..0=1', format: 'CI', expand: 'addi', operands: {} },
  {
    name: 'c.addi', // rd=0 (imm!=0) and imm=0 are HINTs: they decode as addi
    enc: '15..13=0 1..0=1',
    format: 'CI',
    expand: 'addi',
    operands: { rd: RD, rs1: RD, imm: CI_IMM },
    yieldsTo: ['c.nop'],
  },
  {
    name: 'c.addiw', // RV64: this encoding is c.jal on RV32
    enc: '15..13=1 1..0=1',
    format: 'CI',
    expand: 'addiw',
    operands: { rd: RD, rs1: RD, imm: CI_IMM },
    reservedIfZero: ['rd'],
  },
  {
    name: 'c.li', // rd=0 is a HINT
    enc: '15..13=2 1..0=1',
    format: 'CI',
    expand: 'addi',
    operands: { rd: RD, rs1: x(0), imm: CI_IMM },
  },
  {
    name: 'c.addi16sp',
    enc: '15..13=3 11..7=2 1..0=1',
    format: 'CI',
    expand: 'addi',
    operands: { rd: x(2), rs1: x(2), imm: simm('12=9 6:2=4|6|8:7|5') },
    reservedIfZero: ['imm'],
  },
  {
    name: 'c.lui', // rd=0 is a HINT
    enc: '15..13=3 1..0=1',
    format: 'CI',
    expand: 'lui',
    operands: { rd: RD, imm: simm('12=17 6:2=16:12') },
    reservedIfZero: ['imm'],
    yieldsTo: ['c.addi16sp'],
  },
  {
    name: 'c.srli', // shamt=0 is a HINT
    enc: '15..13=4 11..10=0 1..0=1',
    format: 'CB',
    expand: 'srli',
    operands: { rd: rc(9, 7), rs1: rc(9, 7), imm: CI_SHAMT },
  },
  {
    name: 'c.srai',
    enc: '15..13=4 11..10=1 1..0=1',
    format: 'CB',
    expand: 'srai',
    operands: { rd: rc(9, 7), rs1: rc(9, 7), imm: CI_SHAMT },
  },
  {
    name: 'c.andi',
    enc: '15..13=4 11..10=2 1..0=1',
    format: 'CB',
    expand: 'andi',
    operands: { rd: rc(9, 7), rs1: rc(9, 7), imm: CI_IMM },
  },
  ...(['sub', 'xor', 'or', 'and', 'subw', 'addw'] as const).map((op, i): CRow => ({
    name: `c.${op}`, // bit 12 = 1 with funct2 2 or 3 is reserved (matches nothing)
    enc: `15..13=4 12=${i >> 2} 11..10=3 6..5=${i & 3} 1..0=1`,
    format: 'CA',
    expand: op,
    operands: { rd: rc(9, 7), rs1: rc(9, 7), rs2: rc(4, 2) },
  })),
  {
    name: 'c.j',
    enc: '15..13=5 1..0=1',
    format: 'CJ',
    expand: 'jal',
    operands: { rd: x(0), imm: simm('12:2=11|4|9:8|10|6|7|3:1|5') },
  },
  {
    name: 'c.beqz',
    enc: '15..13=6 1..0=1',
    format: 'CB',
    expand: 'beq',
    operands: { rs1: rc(9, 7), rs2: x(0), imm: simm('12:10=8|4:3 6:2=7:6|2:1|5') },
  },
  {
    name: 'c.bnez',
    enc: '15..13=7 1..0=1',
    format: 'CB',
    expand: 'bne',
    operands: { rs1: rc(9, 7), rs2: x(0), imm: simm('12:10=8|4:3 6:2=7:6|2:1|5') },
  },

  // Quadrant 2
  {
    name: 'c.slli', // rd=0 and shamt=0 are HINTs
    enc: '15..13=0 1..0=2',
    format: 'CI',
    expand: 'slli',
    operands: { rd: RD, rs1: RD, imm: CI_SHAMT },
  },
  {
    name: 'c.fldsp', // f0 is a register like any other: no reserved rd here
    enc: '15..13=1 1..0=2',
    format: 'CI',
    expand: 'fld',
    operands: { rd: f(11, 7), rs1: x(2), imm: uimm('12=5 6:2=4:3|8:6') },
  },
  {
    name: 'c.lwsp',
    enc: '15..13=2 1..0=2',
    format: 'CI',
    expand: 'lw',
    operands: { rd: RD, rs1: x(2), imm: uimm('12=5 6:2=4:2|7:6') },
    reservedIfZero: ['rd'],
  },
  {
    name: 'c.ldsp',
    enc: '15..13=3 1..0=2',
    format: 'CI',
    expand: 'ld',
    operands: { rd: RD, rs1: x(2), imm: uimm('12=5 6:2=4:3|8:6') },
    reservedIfZero: ['rd'],
  },
  {
    name: 'c.jr',
    enc: '15..13=4 12=0 6..2=0 1..0=2',
    format: 'CR',
    expand: 'jalr',
    operands: { rd: x(0), rs1: RD },
    reservedIfZero: ['rs1'],
  },
  {
    name: 'c.mv', // rd=0 is a HINT
    enc: '15..13=4 12=0 1..0=2',
    format: 'CR',
    expand: 'add',
    operands: { rd: RD, rs1: x(0), rs2: r(6, 2) },
    yieldsTo: ['c.jr'],
  },
  {
    name: 'c.ebreak',
    enc: '15..13=4 12=1 11..7=0 6..2=0 1..0=2',
    format: 'CR',
    expand: 'ebreak',
    operands: {},
  },
  {
    name: 'c.jalr',
    enc: '15..13=4 12=1 6..2=0 1..0=2',
    format: 'CR',
    expand: 'jalr',
    operands: { rd: x(1), rs1: RD },
    yieldsTo: ['c.ebreak'],
  },
  {
    name: 'c.add', // rd=0 is a HINT
    enc: '15..13=4 12=1 1..0=2',
    format: 'CR',
    expand: 'add',
    operands: { rd: RD, rs1: RD, rs2: r(6, 2) },
    yieldsTo: ['c.jalr', 'c.ebreak'],
  },
  {
    name: 'c.fsdsp',
    enc: '15..13=5 1..0=2',
    format: 'CSS',
    expand: 'fsd',
    operands: { rs1: x(2), rs2: f(6, 2), imm: uimm('12:7=5:3|8:6') },
  },
  {
    name: 'c.swsp',
    enc: '15..13=6 1..0=2',
    format: 'CSS',
    expand: 'sw',
    operands: { rs1: x(2), rs2: r(6, 2), imm: uimm('12:7=5:2|7:6') },
  },
  {
    name: 'c.sdsp',
    enc: '15..13=7 1..0=2',
    format: 'CSS',
    expand: 'sd',
    operands: { rs1: x(2), rs2: r(6, 2), imm: uimm('12:7=5:3|8:6') },
  },
];

// ---- the table ------------------------------------------------------------------------------------

function buildTable(): Entry[] {
  const base: Entry[] = BASE.map(([name, e, format, ext, flags = '']) => {
    const words = new Set(flags.split(/\s+/).filter(Boolean));
    for (const w of words) if (!['end', 'trap', 'sens'].includes(w)) throw new Error(`${name}: flag '${w}'`);
    const { match, mask } = enc(e);
    return {
      name,
      match,
      mask,
      len: 4,
      format,
      ext,
      operands: FORMAT_OPERANDS[format],
      endsBlock: words.has('end'),
      mayTrap: words.has('trap'),
      sensitive: words.has('sens'),
    };
  });
  const byName = new Map(base.map((b) => [b.name, b]));
  const compressed: Entry[] = COMPRESSED.map((c) => {
    const target = byName.get(c.expand);
    if (!target) throw new Error(`${c.name}: expands to unknown '${c.expand}'`);
    const { match, mask } = enc(c.enc);
    return {
      name: c.name,
      match,
      mask,
      len: 2,
      format: c.format,
      ext: 'C',
      operands: c.operands,
      endsBlock: target.endsBlock,
      mayTrap: target.mayTrap,
      sensitive: target.sensitive,
      expand: c.expand,
      ...(c.reservedIfZero && { reservedIfZero: c.reservedIfZero }),
      ...(c.yieldsTo && { yieldsTo: c.yieldsTo }),
    };
  });
  const all = [...base, ...compressed];
  const names = new Set<string>();
  for (const e of all) {
    if (names.has(e.name)) throw new Error(`duplicate entry '${e.name}'`);
    names.add(e.name);
    if ((e.len === 4) !== ((e.match & 3) === 3) || (e.mask & 3) !== 3) throw new Error(`${e.name}: length`);
    if (e.len === 2 && e.mask > 0xffff) throw new Error(`${e.name}: compressed mask beyond bit 15`);
  }
  for (const e of all)
    for (const y of e.yieldsTo ?? []) if (!names.has(y)) throw new Error(`${e.name}: ${y}?`);
  return all;
}

/** Every instruction: the 32-bit ones first (in op-id order), then the compressed ones. */
export const TABLE: readonly Entry[] = buildTable();

export const ENTRY_BY_NAME: ReadonlyMap<string, Entry> = new Map(TABLE.map((e) => [e.name, e]));
