// Branch hints (the Wasm branch-hinting proposal: a "metadata.code.branch_hint" custom section
// that says which way a br_if usually goes). V8's optimizing compiler then places the unlikely
// side out of line and lets the likely side fall through: a translated load's page-cache hit runs
// straight on to the access instead of jumping over the TLB refill (steady paged-qsort +3-6%), and
// slow paths stay out of hot code wherever V8's block order would have put them. Engines that do
// not know the section ignore it, as they do any custom section.
//
// binaryen's JS API cannot attach hints to expressions, so the code generator follows each hinted
// br_if with a marker (`drop (i32.const MARK_*)`, which compilers drop), and addBranchHints finds
// the markers in the emitted module and writes the section. A marker's bytes could also occur by
// chance inside a constant: the br_if it must follow is checked, and a wrong hint costs only speed.
import type Binaryen from 'binaryen';

type Ref = Binaryen.ExpressionRef;

const MARK_UNLIKELY = 0x2bad_1de0;
const MARK_LIKELY = 0x2bad_1de1;
const I32_CONST = 0x41;
const DROP = 0x1a;
const BR_IF = 0x0d;
const SECTION_NAME = 'metadata.code.branch_hint';

/** `brIf` (a br_if) and the marker that hints whether it is usually taken. */
export function hinted(m: Binaryen.Module, brIf: Ref, likely: boolean): Ref[] {
  return [brIf, m.drop(m.i32.const(likely ? MARK_LIKELY : MARK_UNLIKELY))];
}

/** V8 before 13.x reads the section only with --experimental-wasm-branch-hinting. */
export async function enableBranchHints(): Promise<void> {
  const major = Number(typeof process !== 'undefined' ? process.versions?.v8?.split('.')[0] : NaN);
  if (!(major >= 9 && major <= 13)) return; // not V8, or a V8 where the flag may be gone
  try {
    (await import('node:v8')).setFlagsFromString('--experimental-wasm-branch-hinting');
  } catch {
    // no flags to set here: the section is then ignored
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, at];
  }
}

function startsWith(bytes: Uint8Array, at: number, pattern: number[]): boolean {
  for (let k = 0; k < pattern.length; k++) if (bytes[at + k] !== pattern[k]) return false;
  return true;
}

/** The offset of the br_if whose label immediate ends just before `at`, or -1. */
function brIfBefore(bytes: Uint8Array, at: number, start: number): number {
  let p = at - 1; // the label's last LEB byte (high bit clear)
  if (p <= start || bytes[p] & 0x80) return -1;
  while (p - 1 > start && bytes[p - 1] & 0x80) p--;
  return bytes[p - 1] === BR_IF ? p - 1 : -1;
}

/** `bytes` with a branch-hint section made from its markers (the same bytes if it has none). */
export function addBranchHints(bytes: Uint8Array): Uint8Array {
  const marks = [MARK_UNLIKELY, MARK_LIKELY].map((v) => [I32_CONST, ...sleb(v), DROP]);
  let importedFunctions = 0;
  let codeSection = -1;
  const hints: number[] = []; // the section's body after its name
  let hintedFunctions = 0;
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, body] = readLeb(bytes, at + 1);
    if (id === 2) importedFunctions = countFunctionImports(bytes, body);
    if (id === 10) {
      codeSection = at;
      const [functions, first] = readLeb(bytes, body);
      let p = first;
      for (let f = 0; f < functions; f++) {
        const [len, start] = readLeb(bytes, p);
        const found: number[] = []; // each: offset, size 1, hint
        let count = 0;
        for (let q = start; q < start + len; q++) {
          const mark = marks.findIndex((pattern) => startsWith(bytes, q, pattern));
          if (mark < 0) continue;
          const br = brIfBefore(bytes, q, start);
          if (br >= 0) {
            found.push(...leb(br - start), 1, mark);
            count++;
          }
          q += marks[mark].length - 1;
        }
        if (count) {
          hints.push(...leb(importedFunctions + f), ...leb(count), ...found);
          hintedFunctions++;
        }
        p = start + len;
      }
    }
    at = body + size;
  }
  if (!hintedFunctions || codeSection < 0) return bytes;
  const name = [...new TextEncoder().encode(SECTION_NAME)];
  const payload = [...leb(name.length), ...name, ...leb(hintedFunctions), ...hints];
  const section = [0, ...leb(payload.length), ...payload];
  // Before the code section, where engines look for it.
  const out = new Uint8Array(bytes.length + section.length);
  out.set(bytes.subarray(0, codeSection));
  out.set(section, codeSection);
  out.set(bytes.subarray(codeSection), codeSection + section.length);
  return out;
}

/** How many functions the import section at `at` (its body) imports. */
function countFunctionImports(bytes: Uint8Array, at: number): number {
  let [count, p] = readLeb(bytes, at);
  let functions = 0;
  const skipName = () => {
    const [len, q] = readLeb(bytes, p);
    p = q + len;
  };
  const skipLimits = () => {
    const flags = bytes[p++];
    p = readLeb(bytes, p)[1];
    if (flags & 1) p = readLeb(bytes, p)[1];
  };
  while (count--) {
    skipName();
    skipName();
    const kind = bytes[p++];
    if (kind === 0) {
      functions++;
      p = readLeb(bytes, p)[1];
    } else if (kind === 1) {
      p++; // reference type
      skipLimits();
    } else if (kind === 2) skipLimits();
    else p += 2; // global: value type, mutability
  }
  return functions;
}
