// Control transfers, the ends of blocks. Direct targets become edges of the region's control
// flow (Ctx.branchTo/jumpTo: loops in the guest are loops in Wasm); indirect ones leave through
// the shared tail, which chains to translated code through the jump cache without returning to
// JavaScript.
import { binaryen } from '../binaryen.ts';
import type { Ctx } from '../context.ts';
import type { Emitter } from './index.ts';

type Ref = number;

// if (rs1 CMP rs2) goto pc + imm else goto pc + len
function branch(cmp: (c: Ctx, a: Ref, b: Ref) => Ref): Emitter {
  return (c, i) => {
    c.branchTo(cmp(c, c.get(i.rs1), c.get(i.rs2)), i.pc + BigInt(i.imm));
    c.jumpTo(c.nextPc);
  };
}

export const control: Record<string, Emitter> = {
  beq: branch((c, a, b) => c.m.i64.eq(a, b)),
  bne: branch((c, a, b) => c.m.i64.ne(a, b)),
  blt: branch((c, a, b) => c.m.i64.lt_s(a, b)),
  bge: branch((c, a, b) => c.m.i64.ge_s(a, b)),
  bltu: branch((c, a, b) => c.m.i64.lt_u(a, b)),
  bgeu: branch((c, a, b) => c.m.i64.ge_u(a, b)),
  // rd = pc + len; goto pc + imm
  jal: (c, i) => {
    c.set(i.rd, c.i64(c.nextPc));
    c.jumpTo(i.pc + BigInt(i.imm));
  },
  // t = (rs1 + imm) & ~1; rd = pc + len
  // if (t == ret1) goto ret1 ... (returns to the region's own call sites stay inside it)
  // else leave to t (the tail looks t up in the jump cache)
  // Only a return (jr ra or jr t0, as the ISA's return-address hints say) compares: a switch's jump
  // through a table never goes to a return address, and was paying eight compares a case.
  jalr: (c, i) => {
    const t = c.temp();
    c.emit(c.m.local.set(t, c.m.i64.and(c.m.i64.add(c.get(i.rs1), c.i64(i.imm)), c.i64(-2))));
    c.set(i.rd, c.i64(c.nextPc));
    if (i.rd === 0 && (i.rs1 === 1 || i.rs1 === 5)) {
      for (const ret of c.returnTargets)
        c.branchTo(c.m.i64.eq(c.m.local.get(t, binaryen.i64), c.i64(ret)), ret);
    }
    c.jumpToLocal(t);
  },
};
