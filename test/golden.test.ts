// Golden tests of code generation (v86's tests/expect): a few guest snippets and the Wasm text
// their regions must produce. Code generation is deterministic, so any change to the output is
// deliberate: review the diff, then accept it with `npm run golden:accept`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createMachine } from '../src/index.ts';
import { buildRegion } from '../src/jit/codegen.ts';
import { discoverRegion } from '../src/jit/region.ts';

const RAM = 0x8000_0000n;
const accept = process.env.WASMVISOR_ACCEPT_GOLDEN === '1';

// Hand-assembled snippets (checked with riscv64-unknown-elf-objdump).
const SNIPPETS: Record<string, { words: number[]; note: string; paged?: boolean }> = {
  'counted-loop': {
    note: '1: addi a0,a0,1; bne a0,a1,1b; ret — a loop in one block, a backward edge with a budget check',
    words: [0x00150513, 0xfeb51ee3, 0x00008067],
  },
  'load-store': {
    note: 'ld a0,8(a1); sd a0,16(a1); lw a2,0(a1); sb a2,1(a1); ret — fast paths and slow-path calls',
    words: [0x0085b503, 0x00a5b823, 0x0005a603, 0x00c580a3, 0x00008067],
  },
  'call-return': {
    note: 'jal ra,f; addi a0,a0,1; ret; f: addi a0,a0,2; ret — a call inside the region and its return target',
    words: [0x00c000ef, 0x00150513, 0x00008067, 0x00250513, 0x00008067],
  },
  'csr-fallback': {
    note: 'csrr a0,mscratch; addi a0,a0,1; ret — a CSR read goes through the interpreter op and ends the block',
    words: [0x34002573, 0x00150513, 0x00008067],
  },
  'paged-load-store': {
    note: 'the load-store snippet translated with paging on (S-mode): TLB lookups, the interpreter op on a miss',
    words: [0x0085b503, 0x00a5b823, 0x0005a603, 0x00c580a3, 0x00008067],
    paged: true,
  },
  divide: {
    note: 'div a0,a0,a1; remuw a2,a0,a1; ret — guarded division',
    words: [0x02b54533, 0x02b5763b, 0x00008067],
  },
};

describe('golden Wasm for translated regions', () => {
  test.each(Object.keys(SNIPPETS))('%s', async (name) => {
    const vm = await createMachine({ engine: 'interp', memory: 1 << 20 });
    const bytes = new Uint8Array(SNIPPETS[name].words.length * 4);
    SNIPPETS[name].words.forEach((w, i) => new DataView(bytes.buffer).setUint32(i * 4, w >>> 0, true));
    vm.writeMemory(RAM, bytes);
    const page = SNIPPETS[name].paged ? { vpage: RAM, ppage: RAM, priv: 1 } : undefined;
    const code = buildRegion(discoverRegion(vm.core, RAM, page), vm.core.layout, vm.ramSize);
    expect(code.module.validate(), 'the module validates').toBeTruthy();
    const text = `;; ${SNIPPETS[name].note}\n${code.module.emitText()}`;
    code.module.dispose();
    const file = new URL(`./golden/${name}.wat`, import.meta.url);
    if (accept || !existsSync(file)) {
      if (!accept) throw new Error(`no golden file for ${name}: run 'npm run golden:accept' and review it`);
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
