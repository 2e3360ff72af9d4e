// Eager optimization of translated code, in the compile worker. V8 compiles a new module with its
// baseline compiler (Liftoff) and recompiles a function with TurboFan only once it has run hot
// for a while, on background threads that binaryen's own hot functions keep busy (their TurboFan
// jobs take 15-50 ms each, at BACKGROUND_NICE): sha256's hottest region ran as Liftoff code for
// ~0.2 s after it was installed, at about half of its final speed. A region is hot by
// construction, so the worker asks for TurboFan right away, through V8's %WasmTierUpFunction:
// ~1-3 ms per region, on the worker's thread, and the code is the module's, shared with the
// guest's thread that instantiates it. Where the intrinsic is missing (another engine, or a V8
// without it), regions simply tier up as before.

/** Compiles every exported function of `module` with the optimizing tier now; false if it cannot. */
export type Optimizer = (module: WebAssembly.Module) => boolean;

/** The optimizer of this engine, or undefined where there is none. */
export async function eagerOptimizer(): Promise<Optimizer | undefined> {
  if (typeof process === 'undefined' || !process.versions?.v8) return undefined;
  let tierUp: (f: unknown) => void;
  try {
    const v8 = await import('node:v8');
    // Only lets code compiled from now on use V8's intrinsics (the function below).
    v8.setFlagsFromString('--allow-natives-syntax');
    tierUp = new Function('f', '%WasmTierUpFunction(f)') as (f: unknown) => void;
  } catch {
    return undefined;
  }
  let working = true;
  return (module) => {
    if (!working) return false;
    try {
      const instance = new WebAssembly.Instance(module, stubImports(module));
      for (const e of WebAssembly.Module.exports(module))
        if (e.kind === 'function') tierUp(instance.exports[e.name]);
      return true;
    } catch {
      working = false; // the intrinsic changed: regions tier up by themselves
      return false;
    }
  };
}

/**
 * Imports that only let the module instantiate: optimized code belongs to the module, not to
 * the instance, and these functions never run.
 */
export function stubImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    const value =
      i.kind === 'memory'
        ? new WebAssembly.Memory({ initial: 0 })
        : i.kind === 'table'
          ? new WebAssembly.Table({ initial: 0, element: 'anyfunc' })
          : () => 0;
    (imports[i.module] ??= {})[i.name] = value;
  }
  return imports;
}
