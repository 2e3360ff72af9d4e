// binaryen for the code generator, loaded once per thread. Its npm build is one 14.8 MB ES module
// (the Wasm inside as a string) that takes ~0.3 s to import, about half of it V8 compiling the
// JavaScript. In Node that half is kept in a V8 code cache (vm.Script cachedData) beside the
// package, in node_modules/.cache/wasmvisor/, with the module's text rewritten as a classic
// script: later loads take ~0.1 s. Anywhere else, or when
// the module is not the shape expected, it is a plain import.
import type Binaryen from 'binaryen';

/** The loaded module (a live binding: set by loadBinaryen, which codegen.ts awaits first). */
export let binaryen: typeof Binaryen;

let loading: Promise<void> | undefined;

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

/** The module's text as a classic script evaluating to its factory; undefined if not the shape expected. */
function asScript(text: string): string | undefined {
  if (!REWRITES.every(([from]) => text.includes(from))) return undefined;
  for (const [from, to] of REWRITES) text = text.replace(from, to);
  return `(function (__createRequire, __url) {${text.replaceAll('import.meta.url', '__url')}\n})`;
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
  const cacheFile = path.join(dir, `binaryen-${version}-${process.version}-${process.arch}.v8cache`);
  // The rewritten text is kept too: rewriting 14.8 MB of text took ~40 ms of each load.
  const scriptFile = path.join(dir, `binaryen-${version}-${fs.statSync(file).size}.script.js`);
  let source: string;
  try {
    source = fs.readFileSync(scriptFile, 'latin1');
  } catch {
    const rewritten = asScript(fs.readFileSync(file, 'latin1'));
    if (rewritten === undefined) return undefined;
    source = rewritten;
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
  ) => () => Promise<typeof Binaryen>;
  const loaded = await factory(createRequire, pathToFileURL(file).href)();
  if (!cachedData || script.cachedDataRejected) writeWhole(fs, dir, cacheFile, script.createCachedData());
  return loaded;
}
