// Random RV64GC programs (test/helpers/randprog.ts) on every engine configuration: each must end
// exactly as the interpreter does (test/helpers/differential.ts). A fixed set of seeds here;
// `npm run fuzz` tries random ones. A failure prints the seed, the first difference and the
// minimized program's disassembly.
import { describe, expect, test } from 'vitest';
import { decode, lookup } from '../src/isa/decode.ts';
import { TABLE } from '../src/isa/table.ts';
import { differential, minimize, report } from './helpers/differential.ts';
import { encode } from './helpers/encode.ts';
import { Rng, listing, randomProgram } from './helpers/randprog.ts';

const PROGRAMS = 200;
const BATCH = 20;

describe('random programs agree on every engine', () => {
  test.each(Array.from({ length: PROGRAMS / BATCH }, (_, i) => i * BATCH + 1))(
    'seeds %i and the next ones',
    async (first) => {
      for (let seed = first; seed < first + BATCH; seed++) {
        const p = randomProgram(seed);
        const diff = await differential(p);
        if (diff) {
          const small = await minimize(p);
          expect.fail(report(small, (await differential(small)) ?? diff));
        }
      }
    },
  );
});

describe('the tools', () => {
  test('the encoder inverts the decoder for every instruction of the table', () => {
    const rng = new Rng(1);
    for (const e of TABLE) {
      let encoded = 0;
      for (let i = 0; i < 64; i++) {
        const width = e.len === 2 ? 0xffff : 0xffff_ffff;
        const raw = ((e.match | (rng.u32() & ~e.mask)) & width) >>> 0;
        const d = decode(raw);
        if (lookup(raw) !== e || d.op === 0) continue; // a more specific entry, or reserved
        const again = decode(encode(e.name, { rd: d.rd, rs1: d.rs1, rs2: d.rs2, imm: d.imm }).raw);
        expect(again, `${e.name} 0x${raw.toString(16)}`).toEqual(d);
        encoded++;
      }
      expect(encoded, e.name).toBeGreaterThan(0);
    }
    expect(() => encode('addi', { rd: 1, rs1: 1, imm: 4096 })).toThrow(/imm/);
    expect(() => encode('c.lw', { rd: 1, rs1: 8, imm: 0 })).toThrow(/rd x1 does not fit/);
  });

  test('a seed always gives the same program, which the disassembler can list', () => {
    const a = randomProgram(42);
    expect(randomProgram(42)).toEqual(a);
    expect(randomProgram(43).code).not.toEqual(a.code);
    expect(listing(a).at(-1)).toMatch(/mret$/);
  });

  test('minimizing keeps what the failure needs and nops the rest', async () => {
    const p = randomProgram(5);
    const keep = p.optional[Math.floor(p.optional.length / 2)];
    const word = (q: typeof p) => new DataView(q.code.buffer).getUint16(keep[0], true);
    const small = await minimize(p, async (q) => word(q) === word(p));
    expect(small.optional).toEqual([keep]);
    expect(listing(small).length).toBeLessThan(listing(p).length);
  });
});
