// binaryen for the code generator, loaded once per thread. Its npm build is one 14.8 MB ES module
// (the Wasm inside as a string) that takes ~0.3 s to import, about half of it V8 compiling the
// JavaScript. In Node that half is kept in a V8 code cache (vm.Script cachedData) beside the
// package, in node_modules/.cache/wasmvisor/: later loads take ~0.15 s. Anywhere else, or when
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
  let source = fs.readFileSync(file, 'latin1');
  if (!REWRITES.every(([from]) => source.includes(from))) return undefined;
  for (const [from, to] of REWRITES) source = source.replace(from, to);
  source = `(function (__createRequire, __url) {${source.replaceAll('import.meta.url', '__url')}\n})`;
  // Beside the package (owned by whoever installed it, unlike a shared temporary directory):
  // keyed by what makes a cache invalid; V8 also checks and rejects a stale one.
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'package.json'), 'utf8'));
  const dir = path.join(path.dirname(file), '..', '.cache', 'wasmvisor');
  const cacheFile = path.join(dir, `binaryen-${version}-${process.version}-${process.arch}.v8cache`);
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
  if (!cachedData || script.cachedDataRejected) {
    try {
      // Written whole, then renamed: a process loading at the same time never reads half of it.
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only install: every load compiles, as a plain import would.
    }
  }
  return loaded;
}
