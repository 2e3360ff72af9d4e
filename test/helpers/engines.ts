// Every guest test runs on every engine (DESIGN principle 9). New engines join this list.
import { readFile } from 'node:fs/promises';
import { createMachine, type EngineName, type RunResult } from '../../src/index.ts';

export const ENGINES: { name: string; engine: EngineName }[] = [{ name: 'interp', engine: 'interp' }];

export interface GuestRun {
  output: string;
  result: RunResult;
}

/** Runs a guest ELF to completion on an engine and collects its console output. */
export async function runGuest(
  path: string | URL,
  engine: EngineName,
  opts: {
    maxInsns?: bigint;
    memory?: number;
    before?: (vm: Awaited<ReturnType<typeof createMachine>>) => void;
  } = {},
): Promise<GuestRun> {
  const bytes = await readFile(path);
  const vm = await createMachine({ engine, memory: opts.memory });
  vm.loadElf(bytes, String(path));
  opts.before?.(vm);
  const chunks: Uint8Array[] = [];
  vm.onOutput((b) => chunks.push(b));
  const result = await vm.run({ maxInsns: opts.maxInsns ?? 200_000_000n });
  return { output: Buffer.concat(chunks).toString('latin1'), result };
}
