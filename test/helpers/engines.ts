// Every guest test runs on every engine (DESIGN principle 9). New engines join this list.
import { readFile } from 'node:fs/promises';
import { createMachine, type EngineName, type RunResult } from '../../src/index.ts';

export interface EngineConfig {
  name: string;
  engine: EngineName;
  jitThreshold?: number;
  deterministic?: boolean;
}

export const ENGINES: EngineConfig[] = [
  { name: 'interp', engine: 'interp' },
  // Threshold 0 translates every block on its first entry; that first run (V8 compiling the new
  // module, ~0.1 ms) would be visible to guests that time themselves against the host clock
  // (timer, wfi), so this configuration runs on the deterministic, instruction-based clock.
  { name: 'jit (threshold 0: everything translated)', engine: 'jit', jitThreshold: 0, deterministic: true },
  { name: 'jit (threshold 2: tiering)', engine: 'jit', jitThreshold: 2 },
  // The jit with everything translated and the interpreter side by side, their state compared
  // every LOCKSTEP_STEP instructions (src/vmm/lockstep.ts): a wrong result names its first
  // differing register instead of a wrong checksum. Always on the deterministic clock.
  { name: 'lockstep (jit threshold 0 against interp)', engine: 'lockstep', jitThreshold: 0 },
];

export interface GuestRun {
  output: string;
  result: RunResult;
}

/** Runs a guest ELF to completion on an engine and collects its console output. */
export async function runGuest(
  path: string | URL,
  config: EngineConfig,
  opts: {
    maxInsns?: bigint;
    memory?: number;
    /** Answer the kernel's SBI calls in the supervisor (`--sbi builtin`). */
    sbi?: 'builtin';
    /** M-mode firmware to start first (`--bios`), e.g. OpenSBI's fw_jump. */
    firmware?: Uint8Array;
    /** Harts (`--smp`). */
    harts?: number;
    /** A disk image for drive 0 (`--drive`, writes kept in memory). */
    disk?: Uint8Array;
    before?: (vm: Awaited<ReturnType<typeof createMachine>>) => void;
  } = {},
): Promise<GuestRun> {
  const bytes = await readFile(path);
  const { engine, jitThreshold, deterministic } = config;
  const vm = await createMachine({
    engine,
    jitThreshold,
    deterministic,
    memory: opts.memory,
    sbi: opts.sbi,
    harts: opts.harts,
    drives: opts.disk ? [{ image: opts.disk }] : undefined,
  });
  await vm.jitReady(); // tests want translation from the first hot block, not after binaryen loads
  if (opts.firmware) vm.loadFirmware(opts.firmware, 'firmware');
  vm.loadElf(bytes, String(path));
  opts.before?.(vm);
  const chunks: Uint8Array[] = [];
  vm.onOutput((b) => chunks.push(b));
  const result = await vm.run({ maxInsns: opts.maxInsns ?? 200_000_000n });
  return { output: Buffer.concat(chunks).toString('latin1'), result };
}
