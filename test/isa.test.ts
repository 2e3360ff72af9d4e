// The instruction table and what is derived from it: no undeclared overlaps, the generated
// AssemblyScript decoder (in build/core.wasm) agrees with the TypeScript reference decoder on
// vectors derived from the table, known encodings from the cross assembler decode as expected,
// and the disassembler prints objdump's text.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, lookup, type Decoded } from '../src/isa/decode.ts';
import { disassemble } from '../src/isa/disasm.ts';
import { generateDecode, generateOps } from '../src/isa/gen-decoder.ts';
import { OP_NAMES, opEnumName, opId } from '../src/isa/ops.ts';
import { ENTRY_BY_NAME, TABLE, type Entry } from '../src/isa/table.ts';
import { Core } from '../src/core/core.ts';

const root = new URL('..', import.meta.url);

// Deterministic pseudo-random words (xorshift32).
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe('table', () => {
  it('has no overlapping entries except those declared with yieldsTo', () => {
    const declared = (a: Entry, b: Entry) => a.yieldsTo?.includes(b.name) || b.yieldsTo?.includes(a.name);
    const clashes: string[] = [];
    for (let i = 0; i < TABLE.length; i++) {
      for (let j = i + 1; j < TABLE.length; j++) {
        const a = TABLE[i];
        const b = TABLE[j];
        if (a.len !== b.len) continue;
        const overlap = (a.mask & b.mask & (a.match ^ b.match)) >>> 0 === 0;
        if (overlap && !declared(a, b)) clashes.push(`${a.name} / ${b.name}`);
        if (!overlap && declared(a, b)) clashes.push(`${a.name} / ${b.name} declared but disjoint`);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('is consistent: match within mask, operand bits outside the mask, ids in table order', () => {
    for (const e of TABLE) {
      expect((e.match & ~e.mask) >>> 0, e.name).toBe(0);
      const o = e.operands;
      for (const spec of [o.rd, o.rs1, o.rs2]) {
        if (spec && 'bits' in spec) {
          const bits = (2 ** (spec.bits[0] - spec.bits[1] + 1) - 1) * 2 ** spec.bits[1];
          expect((bits & e.mask) >>> 0, `${e.name} register field under the mask`).toBe(0);
        }
      }
      for (const s of o.imm?.segs ?? []) {
        const bits = (2 ** (s.inst[0] - s.inst[1] + 1) - 1) * 2 ** s.inst[1];
        expect((bits & e.mask) >>> 0, `${e.name} immediate under the mask`).toBe(0);
      }
      if (e.len === 2) expect(ENTRY_BY_NAME.get(e.expand!)?.len, e.name).toBe(4);
      if (e.sensitive) expect(e.endsBlock, e.name).toBe(true);
    }
    const base = TABLE.filter((e) => e.len === 4).map((e) => e.name);
    expect(OP_NAMES).toEqual(['illegal', ...base]);
    expect(opId('lui')).toBe(1);
    expect(opEnumName('amomaxu.d')).toBe('AMOMAXU_D');
    expect(opEnumName('sfence.vma')).toBe('SFENCE_VMA');
    expect(() => opId('c.addi')).toThrow();
  });

  it('matches the committed generated files (npm run gen)', () => {
    expect(readFileSync(new URL('assembly/generated/ops.ts', root), 'utf8')).toBe(generateOps());
    expect(readFileSync(new URL('assembly/generated/decode.ts', root), 'utf8')).toBe(generateDecode());
  });
});

describe('core decoder (build/core.wasm) against the reference decoder', () => {
  let decodeOne: (raw: number) => number;
  let dv: DataView;
  // The decoded record's layout, read from its one definition (assembly/layout.ts).
  const L: Record<string, number> = {};

  beforeAll(async () => {
    const core = await Core.create(1 << 20, () => 0n);
    const d = core.layout.decoded;
    Object.assign(L, { D_RAW: d.raw, D_IMM: d.imm, D_RD: d.rd, D_RS1: d.rs1, D_RS2: d.rs2, D_OP: d.op });
    Object.assign(L, { D_LEN: d.len, REG_SINK: core.layout.regSink });
    decodeOne = core.fn.decodeOne;
    dv = core.dv;
  });

  function record(raw: number) {
    const e = decodeOne(raw);
    return {
      raw: dv.getUint32(e + L.D_RAW, true),
      imm: dv.getInt32(e + L.D_IMM, true),
      rd: dv.getUint16(e + L.D_RD, true),
      rs1: dv.getUint16(e + L.D_RS1, true),
      rs2: dv.getUint16(e + L.D_RS2, true),
      op: dv.getUint8(e + L.D_OP),
      len: dv.getUint8(e + L.D_LEN),
    };
  }

  function expected(raw: number, d: Decoded) {
    const rs1IsImm = d.op !== 0 && ENTRY_BY_NAME.get(d.name)!.operands.rs1IsImm;
    return {
      raw: raw >>> 0,
      imm: d.imm | 0,
      rd: d.rd === 0 ? L.REG_SINK : d.rd * 8,
      rs1: rs1IsImm ? d.rs1 : d.rs1 * 8,
      rs2: d.rs2 * 8,
      op: d.op,
      len: d.len,
    };
  }

  it('reads the record layout', () => {
    expect(Object.keys(L).sort()).toEqual(
      ['D_IMM', 'D_LEN', 'D_OP', 'D_RAW', 'D_RD', 'D_RS1', 'D_RS2', 'REG_SINK'].sort(),
    );
  });

  it('agrees on vectors derived from every entry', () => {
    const next = rng(0x5eed);
    for (const e of TABLE) {
      const free = ~e.mask >>> 0;
      // all operand bits clear, all set, then random; a compressed word gets random upper bits
      const fills = [0, 0xffffffff, ...Array.from({ length: 40 }, next)];
      let own = 0;
      for (const fill of fills) {
        let raw = (e.match | (fill & free)) >>> 0;
        if (e.len === 2) raw = ((next() & 0xffff0000) | (raw & 0xffff)) >>> 0;
        const d = decode(raw);
        expect(record(raw), `${e.name} ${raw.toString(16)}`).toEqual(expected(raw, d));
        if (lookup(raw) === e && d.op !== 0) {
          own++;
          expect(d.name, e.name).toBe(e.expand ?? e.name);
          if (e.len === 2) expect(d.cname).toBe(e.name);
        }
      }
      expect(own, `${e.name}: no vector decodes to it`).toBeGreaterThan(0);
    }
  });

  it('agrees on random words and on every halfword', () => {
    const next = rng(42);
    for (let i = 0; i < 30000; i++) {
      const raw = i & 1 ? (next() | 3) >>> 0 : next();
      expect(record(raw), raw.toString(16)).toEqual(expected(raw, decode(raw)));
    }
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 3) === 3) continue;
      const raw = (h | 0xabcd0000) >>> 0;
      const r = record(raw);
      const d = decode(raw);
      if (r.op !== d.op || r.imm !== (d.imm | 0) || r.rd !== expected(raw, d).rd) {
        expect(r, h.toString(16)).toEqual(expected(raw, d));
      }
    }
  });

  it('fills illegal records: op 0, length from the low bits, raw kept', () => {
    expect(record(0)).toMatchObject({ raw: 0, op: 0, len: 2 });
    expect(record(0xffffffff)).toMatchObject({ raw: 0xffffffff, op: 0, len: 4 });
    expect(record(0x12340000)).toMatchObject({ raw: 0x12340000, op: 0, len: 2 });
  });

  it('follows the record conventions of layout.ts', () => {
    // csrrwi zero,0x7c0,5: rd is the sink, rs1 the unscaled zimm, imm the CSR number
    expect(record(0x7c02d073)).toMatchObject({ op: opId('csrrwi'), rd: L.REG_SINK, rs1: 5, imm: 0x7c0 });
    // csrrw zero,mscratch,a0: rs1 scaled
    expect(record(0x34051073)).toMatchObject({ op: opId('csrrw'), rs1: 10 * 8, imm: 0x340 });
    // lui a0,0xfffff: final value
    expect(record(0xfffff537)).toMatchObject({ op: opId('lui'), rd: 80, imm: -4096 });
    // c.ldsp a0,8(sp)
    expect(record(0x6522)).toMatchObject({ op: opId('ld'), rd: 80, rs1: 16, imm: 8, len: 2 });
    // amoswap.w.aq a0,a2,(a1): aq/rl ignored
    expect(record(0x0cc5a52f)).toMatchObject({ op: opId('amoswap.w'), rd: 80, rs1: 88, rs2: 96, imm: 0 });
    // fld f0,0(zero): an f register is an offset past the x registers (f0 is no sink)
    expect(record(0x00003007)).toMatchObject({ op: opId('fld'), rd: 64 * 8, rs1: 0, imm: 0 });
    // fmadd.d fa0,fa1,fa2,fa3 (dyn): imm = rs3 << 3 | rm
    expect(record(0x6ac5f543)).toMatchObject({ rd: 74 * 8, rs1: 75 * 8, rs2: 76 * 8, imm: (13 << 3) | 7 });
  });
});

// Words from riscv64-unknown-elf-as (objdump -M no-aliases shows the compressed mnemonic).
const KNOWN: [number, Partial<Decoded> & { name: string }][] = [
  [0x00a50533, { name: 'add', rd: 10, rs1: 10, rs2: 10, len: 4 }],
  [0x4505, { name: 'addi', cname: 'c.li', rd: 10, rs1: 0, imm: 1, len: 2 }],
  [0x12345537, { name: 'lui', rd: 10, imm: 0x12345000 }],
  [0x008500e7, { name: 'jalr', rd: 1, rs1: 10, imm: 8 }],
  [0xfe050ce3, { name: 'beq', rs1: 10, rs2: 0, imm: -8 }],
  [0x004000ef, { name: 'jal', rd: 1, imm: 4 }],
  [0x00113423, { name: 'sd', rs1: 2, rs2: 1, imm: 8 }],
  [0x03f51513, { name: 'slli', rd: 10, rs1: 10, imm: 63 }],
  [0x02051513, { name: 'slli', imm: 32 }], // RV64: shamt[5] set is legal
  [0x4035551b, { name: 'sraiw', imm: 3 }],
  [0x0ff0000f, { name: 'fence', imm: 0x0ff }],
  [0x8330000f, { name: 'fence', imm: 0x833 }], // fence.tso
  [0x0000100f, { name: 'fence.i' }],
  [0x12b50073, { name: 'sfence.vma', rs1: 10, rs2: 11 }],
  [0x100ff573, { name: 'csrrci', rd: 10, rs1: 31, imm: 0x100 }],
  [0x1605b52f, { name: 'lr.d', rd: 10, rs1: 11, rs2: 0 }],
  [0x18c5b52f, { name: 'sc.d', rd: 10, rs1: 11, rs2: 12 }],
  [0x02c5f53b, { name: 'remuw', rd: 10, rs1: 11, rs2: 12 }],
  [0x0808, { name: 'addi', cname: 'c.addi4spn', rd: 10, rs1: 2, imm: 16 }],
  [0x41c8, { name: 'lw', cname: 'c.lw', rd: 10, rs1: 11, imm: 4 }],
  [0xe588, { name: 'sd', cname: 'c.sd', rs1: 11, rs2: 10, imm: 8 }],
  [0x0001, { name: 'addi', cname: 'c.nop', rd: 0, rs1: 0, imm: 0 }],
  [0x2505, { name: 'addiw', cname: 'c.addiw', rd: 10, rs1: 10, imm: 1 }],
  [0x7139, { name: 'addi', cname: 'c.addi16sp', rd: 2, rs1: 2, imm: -64 }],
  [0x757d, { name: 'lui', cname: 'c.lui', rd: 10, imm: -4096 }],
  [0x917d, { name: 'srli', cname: 'c.srli', rd: 10, rs1: 10, imm: 63 }],
  [0x997d, { name: 'andi', cname: 'c.andi', rd: 10, imm: -1 }],
  [0x9d2d, { name: 'addw', cname: 'c.addw', rd: 10, rs1: 10, rs2: 11 }],
  [0xb7b1, { name: 'jal', cname: 'c.j', rd: 0, imm: -180 }],
  [0xf521, { name: 'bne', cname: 'c.bnez', rs1: 10, rs2: 0, imm: -184 }],
  [0x4512, { name: 'lw', cname: 'c.lwsp', rd: 10, rs1: 2, imm: 4 }],
  [0x8082, { name: 'jalr', cname: 'c.jr', rd: 0, rs1: 1, imm: 0 }],
  [0x852e, { name: 'add', cname: 'c.mv', rd: 10, rs1: 0, rs2: 11 }],
  [0x9002, { name: 'ebreak', cname: 'c.ebreak' }],
  [0x9502, { name: 'jalr', cname: 'c.jalr', rd: 1, rs1: 10 }],
  [0x952e, { name: 'add', cname: 'c.add', rd: 10, rs1: 10, rs2: 11 }],
  [0xe42a, { name: 'sd', cname: 'c.sdsp', rs1: 2, rs2: 10, imm: 8 }],
  // HINTs decode as their base op with rd = x0
  [0x0005, { name: 'addi', cname: 'c.addi', rd: 0, imm: 1 }],
  [0x4005, { name: 'addi', cname: 'c.li', rd: 0, imm: 1 }],
  [0x802e, { name: 'add', cname: 'c.mv', rd: 0, rs2: 11 }],
  [0x0012, { name: 'slli', cname: 'c.slli', rd: 0, imm: 4 }],
  [0x6005, { name: 'lui', cname: 'c.lui', rd: 0, imm: 0x1000 }],
  // F and D: f registers are numbered 64 + n; rm (or rs3 << 3 | rm) in imm
  [0x00002007, { name: 'flw', rd: 64, rs1: 0, imm: 0 }],
  [0xfff52e27, { name: 'fsw', rs1: 10, rs2: 64 + 31, imm: -4 }],
  [0x02c5f553, { name: 'fadd.d', rd: 74, rs1: 75, rs2: 76, imm: 7 }],
  [0x00209053, { name: 'fadd.s', rd: 64, rs1: 65, rs2: 66, imm: 1 }],
  [0x6ac5f543, { name: 'fmadd.d', rd: 74, rs1: 75, rs2: 76, imm: (13 << 3) | 7 }],
  [0xc2051553, { name: 'fcvt.w.d', rd: 10, rs1: 74, imm: 1 }],
  [0xd2050553, { name: 'fcvt.d.w', rd: 74, rs1: 10, imm: 0 }],
  [0xa2b52553, { name: 'feq.d', rd: 10, rs1: 74, rs2: 75 }],
  [0xe2050553, { name: 'fmv.x.d', rd: 10, rs1: 74 }],
  [0xf0050553, { name: 'fmv.w.x', rd: 74, rs1: 10 }],
  [0x2522, { name: 'fld', cname: 'c.fldsp', rd: 74, rs1: 2, imm: 8, len: 2 }],
  [0x2002, { name: 'fld', cname: 'c.fldsp', rd: 64, rs1: 2, imm: 0, len: 2 }], // f0 is not reserved
  [0x2588, { name: 'fld', cname: 'c.fld', rd: 74, rs1: 11, imm: 8, len: 2 }],
  [0xa822, { name: 'fsd', cname: 'c.fsdsp', rs1: 2, rs2: 72, imm: 16, len: 2 }],
  [0xa008, { name: 'fsd', cname: 'c.fsd', rs1: 8, rs2: 74, imm: 0, len: 2 }],
];

// Reserved or not-yet-supported encodings (objdump prints most as .2byte/.4byte).
const ILLEGAL: [number, string][] = [
  [0x0000, 'all-zero halfword'],
  [0x0004, 'c.addi4spn imm 0'],
  [0x4002, 'c.lwsp rd 0'],
  [0x6002, 'c.ldsp rd 0'],
  [0x2001, 'c.addiw rd 0'],
  [0x6501, 'c.lui imm 0'],
  [0x6101, 'c.addi16sp imm 0'],
  [0x8002, 'c.jr rs1 0'],
  [0x8000, 'quadrant 0 funct3 4'],
  [0x9c41, 'c.subw/c.addw funct2 2'],
  [0x9c61, 'c.subw/c.addw funct2 3'],
  [0x0205151b, 'slliw with bit 25 set'],
  [0x1015a52f, 'lr.w with rs2 != 0'],
  [0xffffffff, 'all ones'],
  [0x04000053, 'fadd.h (no Zfh)'],
  [0x06000053, 'fadd.q (no Q)'],
  [0x00004007, 'flq (no Q)'],
  [0x0600f043, 'fmadd.q (no Q)'],
];

describe('reference decoder on known encodings', () => {
  const word = (raw: number) => '0x' + raw.toString(16).padStart((raw & 3) === 3 ? 8 : 4, '0');
  const known = KNOWN.map(([raw, want]) => ({ word: word(raw), raw, want, name: want.name }));
  it.each(known)('$word decodes as $name', ({ raw, want }) => {
    const d = decode(raw);
    expect(d).toMatchObject(want);
    if (!('cname' in want)) expect(d.cname).toBeUndefined();
    expect(d.op).toBe(opId(want.name));
  });
  const illegal = ILLEGAL.map(([raw, why]) => ({ word: word(raw), raw, why }));
  it.each(illegal)('$word is illegal ($why)', ({ raw }) => {
    expect(decode(raw)).toEqual({
      op: 0,
      name: 'illegal',
      rd: 0,
      rs1: 0,
      rs2: 0,
      imm: 0,
      len: (raw & 3) === 3 ? 4 : 2,
    });
  });
});

describe('disassembler', () => {
  it('prints objdump -M no-aliases text', () => {
    const pc = 0x80000000n;
    const cases: [number, string][] = [
      [0x00150513, 'addi a0,a0,1'],
      [0x00813083, 'ld ra,8(sp)'],
      [0x00113423, 'sd ra,8(sp)'],
      [0x00050863, 'beq a0,zero,0x80000010'],
      [0xfe050ce3, 'beq a0,zero,0x7ffffff8'],
      [0x004000ef, 'jal ra,0x80000004'],
      [0x00008067, 'jalr zero,0(ra)'],
      [0xfffff537, 'lui a0,0xfffff'],
      [0x03f51513, 'slli a0,a0,0x3f'],
      [0x34051073, 'csrrw zero,mscratch,a0'],
      [0x7c02d073, 'csrrwi zero,0x7c0,5'],
      [0xc0002573, 'csrrs a0,cycle,zero'],
      [0x1605b52f, 'lr.d.aqrl a0,(a1)'],
      [0x0cc5a52f, 'amoswap.w.aq a0,a2,(a1)'],
      [0x0ff0000f, 'fence iorw,iorw'],
      [0x0310000f, 'fence rw,w'],
      [0x8330000f, 'fence.tso'],
      [0x0000100f, 'fence.i'],
      [0x30200073, 'mret'],
      [0x12000073, 'sfence.vma zero,zero'],
      [0x4505, 'addi a0,zero,1'],
      [0x6522, 'ld a0,8(sp)'],
      [0x8082, 'jalr zero,0(ra)'],
      [0xb7b1, 'jal zero,0x7fffff4c'],
      [0x02c5f553, 'fadd.d fa0,fa1,fa2'],
      [0x00209053, 'fadd.s ft0,ft1,ft2,rtz'],
      [0x6ac5f543, 'fmadd.d fa0,fa1,fa2,fa3'],
      [0x9924b447, 'fmsub.s fs0,fs1,fs2,fs3,rup'],
      [0x5a05f553, 'fsqrt.d fa0,fa1'],
      [0xc2051553, 'fcvt.w.d a0,fa0,rtz'],
      [0xd2050553, 'fcvt.d.w fa0,a0'],
      [0x42058553, 'fcvt.d.s fa0,fa1'],
      [0xa2b52553, 'feq.d a0,fa0,fa1'],
      [0xe0051553, 'fclass.s a0,fa0'],
      [0xf0050553, 'fmv.w.x fa0,a0'],
      [0x22b59553, 'fsgnjn.d fa0,fa1,fa1'],
      [0xfff52e27, 'fsw ft11,-4(a0)'],
      [0xc0304553, 'fcvt.lu.s a0,ft0,rmm'],
      [0x2522, 'fld fa0,8(sp)'],
      [0xa822, 'fsd fs0,16(sp)'],
      [0x00000000, 'illegal 0x0000'],
      [0xffffffff, 'illegal 0xffffffff'],
    ];
    for (const [raw, text] of cases) expect(disassemble(raw, pc), raw.toString(16)).toBe(text);
    expect(disassemble(0x00050863)).toBe('beq a0,zero,.+16');
    expect(disassemble(0x12340000 | 0x4505)).toBe('addi a0,zero,1'); // upper half ignored
  });
});
