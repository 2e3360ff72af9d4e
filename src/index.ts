/**
 * wasmvisor's embedding API: create a RISC-V machine, load a guest, run it, inspect it.
 *
 *   const vm = await createMachine({ memory: 64 << 20 });
 *   vm.onOutput((bytes) => process.stdout.write(bytes));
 *   vm.loadElf(await readFile('hello.elf'), 'hello.elf');
 *   const result = await vm.run();   // { exitReason: 'exit', exitCode: 0, instret, seconds }
 */
import { WasmvisorError } from './errors.ts';
import {
  Machine,
  type EngineName as MachineEngine,
  type MachineOptions,
  type RestoreOptions,
} from './vmm/machine.ts';
import { Lockstep, type LockstepOptions } from './vmm/lockstep.ts';

export { Machine } from './vmm/machine.ts';
export { Lockstep, EXIT_CODE_DIVERGED } from './vmm/lockstep.ts';
export type {
  MachineOptions,
  RestoreOptions,
  RunOptions,
  RunProfile,
  RunResult,
  ExitReason,
  SbiMode,
} from './vmm/machine.ts';
export { DTB_RESERVED_BYTES } from './vmm/machine.ts';
export { SNAPSHOT_VERSION, type SnapshotHeader } from './vmm/snapshot.ts';
export {
  parseInputLog,
  recordInput,
  replayInput,
  headerLine,
  eventLine,
  endLine,
  type InputLog,
  type InputEvent,
  type InputLogHeader,
} from './vmm/replay.ts';
export { Sbi, type SbiHost } from './vmm/sbi.ts';
export {
  Host,
  TURN_MS,
  type GuestConfig,
  type GuestStats,
  type GuestState,
  type HostOptions,
  type Placement,
} from './vmm/host.ts';
export { boardDeviceTree, FdtBuilder, RISCV_ISA, type BoardDeviceTreeOptions } from './machine/fdt.ts';
export { WasmvisorError } from './errors.ts';
export { memoryBackend, type BlockBackend, type DriveOptions } from './machine/devices/virtio-blk.ts';
export { disassemble } from './isa/disasm.ts';
export type { ElfImage } from './loader/elf.ts';

/** `lockstep` runs the jit and the interpreter side by side and stops where they disagree. */
export type EngineName = MachineEngine | 'lockstep';

export interface CreateOptions extends Omit<MachineOptions, 'engine'>, LockstepOptions {
  engine?: EngineName;
}

/** Creates a machine on the virt-compatible board with the given options. */
export function createMachine(options: CreateOptions & { engine: 'lockstep' }): Promise<Lockstep>;
export function createMachine(options?: MachineOptions): Promise<Machine>;
export function createMachine(options?: CreateOptions): Promise<Machine | Lockstep>;
export async function createMachine(options: CreateOptions = {}): Promise<Machine | Lockstep> {
  const { engine, ...rest } = options;
  if (engine === 'lockstep') return Lockstep.create(rest);
  if (engine !== undefined && engine !== 'interp' && engine !== 'jit') {
    throw new WasmvisorError(`unknown engine '${engine}' (expected interp, jit or lockstep)`);
  }
  return Machine.create({ ...rest, engine });
}

/**
 * A machine from a snapshot (`await vm.snapshot()`), continuing where it was taken, on the engine
 * `options` choose; the VM itself (memory, harts, SBI, clock) is the snapshot's. Throws
 * WasmvisorError for a bad snapshot; `name` (e.g. the file) starts its message.
 */
export function restoreMachine(
  bytes: Uint8Array,
  options: RestoreOptions = {},
  name?: string,
): Promise<Machine> {
  return Machine.restore(bytes, options, name);
}
