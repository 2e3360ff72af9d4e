// Op ids, derived from the table: every 32-bit entry in table order gets an id from 1; 0 is ILLEGAL.
// Compressed instructions decode to the op of their expansion. The AssemblyScript core sees the
// same numbering as `Op` in assembly/generated/ops.ts (written by gen-decoder.ts).
import { TABLE } from './table.ts';

/** Mnemonic of each op id (index = id); OP_NAMES[0] is 'illegal'. */
export const OP_NAMES: readonly string[] = [
  'illegal',
  ...TABLE.filter((e) => e.len === 4).map((e) => e.name),
];

const IDS: ReadonlyMap<string, number> = new Map(OP_NAMES.map((n, i) => [n, i]));

/** The op id of a 32-bit mnemonic ('addi', 'fence.i'); throws on a name the table does not have. */
export function opId(name: string): number {
  const id = IDS.get(name);
  if (id === undefined) throw new Error(`no op named '${name}'`);
  return id;
}

/** The `Op` enum member name of a mnemonic: 'fence.i' -> 'FENCE_I', 'amoswap.w' -> 'AMOSWAP_W'. */
export function opEnumName(name: string): string {
  return name.toUpperCase().replace(/\./g, '_');
}
