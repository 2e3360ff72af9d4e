// Parsing of command-line values shared by the commands (src/cli.ts, src/cli-host.ts).
import { WasmvisorError } from './errors.ts';

/** Parses sizes such as 128M, 1G, 65536 or 64K into bytes. */
export function parseSize(text: string, flag = '--memory'): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new WasmvisorError(`invalid ${flag} '${text}' (expected e.g. 128M, 1G)`, 2);
  const unit = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/** Parses a whole number given for `flag`. */
export function parseCount(text: string, flag: string): bigint {
  if (!/^\d+$/.test(text)) throw new WasmvisorError(`invalid ${flag} '${text}' (expected a whole number)`, 2);
  return BigInt(text);
}

/**
 * Whether a command line will translate in the compile worker (`run` or `resume` with
 * `--engine jit`, tiered, not deterministic), judged before it is parsed for real so that the
 * worker can start loading binaryen as early as possible. A wrong guess costs only time.
 */
export function wantsCompileWorker(argv: string[]): boolean {
  const value = (flag: string) => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    return i < 0 ? undefined : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  };
  return (
    (argv[0] === 'run' || argv[0] === 'resume') &&
    value('--engine') === 'jit' &&
    value('--jit-threshold') !== '0' &&
    !argv.includes('--deterministic')
  );
}
