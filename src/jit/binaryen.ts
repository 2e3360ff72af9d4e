// binaryen for the code generator, loaded once per thread. Its npm build is one 14.8 MB ES module
// (its 5 MB of Wasm inside as a 14.7 MB string literal) that takes ~0.3 s to import, about half of
// it V8 compiling the JavaScript. In Node, the module's text is rewritten once as a classic script
// and the Wasm kept as a file of its own, beside the package in node_modules/.cache/wasmvisor/,
// with a V8 code cache of the script (vm.Script cachedData): later loads then read 0.2 MB of
// script and the Wasm's bytes instead of parsing and converting the literal (~0.11 s -> ~0.06 s).
// Anywhere else, or when the module is not the shape expected, it is a plain import.
import type Binaryen from 'binaryen';

/** The loaded module (a live binding: set by loadBinaryen, which codegen.ts awaits first). */
export let binaryen: typeof Binaryen;

let loading: Promise<void> | undefined;

/** Replaces a block's children (binaryen.js has Block.setChildren; its typings leave it out). */
export function setBlockChildren(block: Binaryen.ExpressionRef, children: Binaryen.ExpressionRef[]): void {
  (binaryen as unknown as { Block: { setChildren(b: number, c: number[]): void } }).Block.setChildren(
    block,
    children,
  );
}

export function loadBinaryen(): Promise<void> {
  loading ??= (async () => {
    binaryen = (await viaCodeCache()) ?? (await import('binaryen')).default;
  })();
  return loading;
}

// The module's text around what a classic script cannot have (import.meta, a dynamic import, a
// top-level await, export), and what each becomes in the function the script evaluates to.
const REWRITES: [string, string][] = [
  ['let{createRequire:r}=await import("node:module")', 'let r=__createRequire'],
  ['var jr=await S6(),$r=jr;export{$r as default};', 'return S6;'],
];
// Where the Wasm's bytes are made from the literal (`x6`, which maps each character c to
// ~c >> 8 & c), and what takes their place: the factory's parameter holding the bytes read from
// the file.
const WASM_LITERAL = ['bA??=x6(`', '`)'];
const WASM_BYTES = 'bA??=__wasm';

/**
 * The module's text as a classic script evaluating to its factory, and the Wasm's bytes taken out
 * of it; undefined if not the shape expected.
 */
function asScript(text: string): { script: string; wasm: Uint8Array } | undefined {
  if (!REWRITES.every(([from]) => text.includes(from))) return undefined;
  const start = text.indexOf(WASM_LITERAL[0]);
  if (start < 0) return undefined;
  const from = start + WASM_LITERAL[0].length;
  let end = from;
  while (text[end] !== '`') end += text[end] === '\\' ? 2 : 1;
  if (text.slice(end, end + 2) !== WASM_LITERAL[1]) return undefined;
  // The literal's value, as the module would compute it (template escapes included).
  const chars = new Function(`return \`${text.slice(from, end)}\``)() as string;
  const wasm = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) wasm[i] = (~chars.charCodeAt(i) >> 8) & chars.charCodeAt(i);
  text = text.slice(0, start) + WASM_BYTES + text.slice(end + WASM_LITERAL[1].length);
  for (const [from, to] of REWRITES) text = text.replace(from, to);
  const script = `(function (__createRequire, __url, __wasm) {${text.replaceAll('import.meta.url', '__url')}\n})`;
  return { script, wasm };
}

/** Writes a cache file whole, then renames it: a process loading at the same time never reads half of it. */
function writeWhole(fs: typeof import('node:fs'), dir: string, file: string, data: string | Buffer): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, 'latin1');
    fs.renameSync(tmp, file);
  } catch {
    // A read-only install: every load prepares and compiles, as a plain import would.
  }
}

async function viaCodeCache(): Promise<typeof Binaryen | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  const [{ createRequire }, fs, path, { pathToFileURL }, vm] = await Promise.all([
    import('node:module'),
    import('node:fs'),
    import('node:path'),
    import('node:url'),
    import('node:vm'),
  ]);
  const file = createRequire(import.meta.url).resolve('binaryen');
  // Beside the package (owned by whoever installed it, unlike a shared temporary directory):
  // keyed by what makes a cache invalid; V8 also checks and rejects a stale one.
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'package.json'), 'utf8'));
  const dir = path.join(path.dirname(file), '..', '.cache', 'wasmvisor');
  const key = `binaryen-${version}-${fs.statSync(file).size}`;
  const cacheFile = path.join(dir, `${key}-${process.version}-${process.arch}.v8cache`);
  // Not `.script.js`: versions before the Wasm was taken out read that name as the whole module.
  const scriptFile = path.join(dir, `${key}.nowasm.js`);
  const wasmFile = path.join(dir, `${key}.wasm`);
  let source: string;
  let wasm: Uint8Array;
  try {
    source = fs.readFileSync(scriptFile, 'latin1');
    wasm = fs.readFileSync(wasmFile);
  } catch {
    const rewritten = asScript(fs.readFileSync(file, 'latin1'));
    if (rewritten === undefined) return undefined;
    ({ script: source, wasm } = rewritten);
    writeWhole(fs, dir, wasmFile, Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength));
    writeWhole(fs, dir, scriptFile, source);
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  const factory = script.runInThisContext() as (
    req: typeof createRequire,
    url: string,
    wasm: Uint8Array,
  ) => () => Promise<typeof Binaryen>;
  const loaded = await factory(createRequire, pathToFileURL(file).href, wasm)();
  if (!cachedData || script.cachedDataRejected) writeWhole(fs, dir, cacheFile, script.createCachedData());
  return loaded;
}
