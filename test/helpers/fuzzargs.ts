// Command-line values of the fuzz scripts (test/fuzz.ts, test/fuzz-qemu.ts).

/** A whole number given for `flag`, or an error naming it, with the script's usage. */
export function wholeNumber(text: string, flag: string, usage: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`invalid ${flag} '${text}' (expected a whole number)\n${usage}`);
  return Number(text);
}

/** The first seed: `--seed` when given, else a random 32-bit one (printed, so a run repeats). */
export function firstSeed(text: string | undefined, usage: string): number {
  return text !== undefined ? wholeNumber(text, '--seed', usage) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}
