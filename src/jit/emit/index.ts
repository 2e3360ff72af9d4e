// The translator's dispatch: one emitter per instruction, named as the interpreter's op. An
// instruction with no emitter here is still translated, as a call into the interpreter's op
// (Ctx.fallback), so nothing is ever untranslatable.
import type { Ctx } from '../context.ts';
import type { Insn } from '../region.ts';
import { control } from './control.ts';
import { float } from './float.ts';
import { integer } from './integer.ts';
import { memory } from './memory.ts';
import { muldiv } from './muldiv.ts';

export type Emitter = (c: Ctx, i: Insn) => void;

export const EMITTERS: ReadonlyMap<string, Emitter> = new Map(
  Object.entries({ ...integer, ...memory, ...muldiv, ...float, ...control }),
);

/** Control transfers whose emitters end a block themselves (through Ctx.branchTo/jumpTo or Ctx.exit). */
export const TERMINATORS = new Set(Object.keys(control));
