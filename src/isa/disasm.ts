// The disassembler: objdump style (`objdump -M no-aliases`) with ABI register names, driven by the
// reference decoder and the table's formats. Compressed instructions print as their expansion
// (c.li a0,1 -> addi a0,zero,1).
import { decode } from './decode.ts';
import { ENTRY_BY_NAME, F_REG, type BaseFormat } from './table.ts';

// prettier-ignore
export const ABI_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

// prettier-ignore
export const FABI_NAMES: readonly string[] = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];

/** Rounding modes as objdump prints them after the operands (nothing for dyn, 7). */
const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', '5', '6'];

/** Names of the CSRs the disassembler spells out; others print as their number in hex. */
// prettier-ignore
export const CSR_NAMES: ReadonlyMap<number, string> = new Map([
  [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'],
  [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'], [0x106, 'scounteren'], [0x10a, 'senvcfg'],
  [0x140, 'sscratch'], [0x141, 'sepc'], [0x142, 'scause'], [0x143, 'stval'], [0x144, 'sip'],
  [0x14d, 'stimecmp'], [0x180, 'satp'],
  [0x300, 'mstatus'], [0x301, 'misa'], [0x302, 'medeleg'], [0x303, 'mideleg'], [0x304, 'mie'],
  [0x305, 'mtvec'], [0x306, 'mcounteren'], [0x30a, 'menvcfg'], [0x320, 'mcountinhibit'],
  [0x340, 'mscratch'], [0x341, 'mepc'], [0x342, 'mcause'], [0x343, 'mtval'], [0x344, 'mip'],
  [0x34a, 'mtinst'], [0x34b, 'mtval2'], [0x3a0, 'pmpcfg0'], [0x3a2, 'pmpcfg2'],
  ...Array.from({ length: 16 }, (_, i): [number, string] => [0x3b0 + i, `pmpaddr${i}`]),
  [0x7a0, 'tselect'], [0x7a1, 'tdata1'], [0x7a2, 'tdata2'], [0x7a3, 'tdata3'],
  [0x7b0, 'dcsr'], [0x7b1, 'dpc'], [0x7b2, 'dscratch0'], [0x7b3, 'dscratch1'],
  [0xb00, 'mcycle'], [0xb02, 'minstret'], [0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret'],
  [0xf11, 'mvendorid'], [0xf12, 'marchid'], [0xf13, 'mimpid'], [0xf14, 'mhartid'], [0xf15, 'mconfigptr'],
]);

const hex = (n: number | bigint): string => '0x' + n.toString(16);

function fenceSet(bits: number): string {
  const s = ['i', 'o', 'r', 'w'].filter((_, i) => bits & (8 >> i)).join('');
  return s || '0';
}

/**
 * Disassembles one instruction word (the 32 bits at pc; a 16-bit instruction uses the low half).
 * With `pc`, branch and jump targets print as absolute addresses, otherwise as `.+offset`.
 */
export function disassemble(raw: number, pc?: bigint): string {
  const d = decode(raw);
  if (d.op === 0) {
    const bits = d.len === 4 ? raw >>> 0 : raw & 0xffff;
    return `illegal 0x${bits.toString(16).padStart(d.len * 2, '0')}`;
  }
  const entry = ENTRY_BY_NAME.get(d.name);
  if (!entry) return 'unknown';
  // x registers 0..31, f registers F_REG + n (src/isa/table.ts)
  const x = (n: number): string => (n >= F_REG ? FABI_NAMES[n - F_REG] : ABI_NAMES[n]);
  // objdump omits the rounding mode of the conversions that are always exact
  const exact = d.name === 'fcvt.d.w' || d.name === 'fcvt.d.wu' || d.name === 'fcvt.d.s';
  const rm = (field: number): string => (field === 7 || exact ? '' : `,${RM_NAMES[field]}`);
  const target = (): string =>
    pc === undefined
      ? `.${d.imm < 0 ? '-' : '+'}${Math.abs(d.imm)}`
      : hex(BigInt.asUintN(64, pc + BigInt(d.imm)));
  const csr = (): string => CSR_NAMES.get(d.imm) ?? hex(d.imm);
  let mnemonic = d.name;
  let args: string;
  switch (entry.format as BaseFormat) {
    case 'R':
      args = `${x(d.rd)},${x(d.rs1)},${x(d.rs2)}`;
      break;
    case 'I':
      args = `${x(d.rd)},${x(d.rs1)},${d.imm}`;
      break;
    case 'SH6':
    case 'SH5':
      args = `${x(d.rd)},${x(d.rs1)},${hex(d.imm)}`;
      break;
    case 'L':
    case 'JALR':
      args = `${x(d.rd)},${d.imm}(${x(d.rs1)})`;
      break;
    case 'S':
      args = `${x(d.rs2)},${d.imm}(${x(d.rs1)})`;
      break;
    case 'B':
      args = `${x(d.rs1)},${x(d.rs2)},${target()}`;
      break;
    case 'U':
      args = `${x(d.rd)},${hex(d.imm >>> 12)}`;
      break;
    case 'J':
      args = `${x(d.rd)},${target()}`;
      break;
    case 'CSR':
      args = `${x(d.rd)},${csr()},${x(d.rs1)}`;
      break;
    case 'CSRI':
      args = `${x(d.rd)},${csr()},${d.rs1}`;
      break;
    case 'AMO':
    case 'LR': {
      const aqrl = (raw >>> 25) & 3;
      mnemonic += ['', '.rl', '.aq', '.aqrl'][aqrl];
      args = entry.format === 'LR' ? `${x(d.rd)},(${x(d.rs1)})` : `${x(d.rd)},${x(d.rs2)},(${x(d.rs1)})`;
      break;
    }
    case 'FENCE':
      if (d.imm === 0x833) return 'fence.tso';
      args = `${fenceSet((d.imm >> 4) & 15)},${fenceSet(d.imm & 15)}`;
      break;
    case 'SFENCE':
      args = `${x(d.rs1)},${x(d.rs2)}`;
      break;
    case 'NONE':
      args = '';
      break;
    case 'FL':
      args = `${x(d.rd)},${d.imm}(${x(d.rs1)})`;
      break;
    case 'FS':
      args = `${x(d.rs2)},${d.imm}(${x(d.rs1)})`;
      break;
    case 'FR':
      args = `${x(d.rd)},${x(d.rs1)},${x(d.rs2)}${rm(d.imm)}`;
      break;
    case 'FR4':
      args = `${x(d.rd)},${x(d.rs1)},${x(d.rs2)},${x(F_REG + (d.imm >> 3))}${rm(d.imm & 7)}`;
      break;
    case 'FRS':
    case 'FCMP':
      args = `${x(d.rd)},${x(d.rs1)},${x(d.rs2)}`;
      break;
    case 'FR1':
    case 'FTOX':
    case 'XTOF':
      args = `${x(d.rd)},${x(d.rs1)}${rm(d.imm)}`;
      break;
    case 'FMVX':
    case 'FMVF':
      args = `${x(d.rd)},${x(d.rs1)}`;
      break;
    default:
      return 'unknown';
  }
  return args ? `${mnemonic} ${args}` : mnemonic;
}
