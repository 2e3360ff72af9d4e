/**
 * wasmvisor's embedding API: create a RISC-V machine, load a guest, run it, inspect it.
 *
 *   const vm = await createMachine({ memory: 64 << 20 });
 *   vm.onOutput((bytes) => process.stdout.write(bytes));
 *   vm.loadElf(await readFile('hello.elf'), 'hello.elf');
 *   const result = await vm.run();   // { exitReason: 'exit', exitCode: 0, instret, seconds }
 */
import { Machine, type MachineOptions } from './vmm/machine.ts';

export { Machine } from './vmm/machine.ts';
export type { MachineOptions, RunOptions, RunResult, ExitReason, EngineName } from './vmm/machine.ts';
export { WasmvisorError } from './errors.ts';
export { disassemble } from './isa/disasm.ts';
export type { ElfImage } from './loader/elf.ts';

/** Creates a machine on the virt-compatible board with the given options. */
export function createMachine(options: MachineOptions = {}): Promise<Machine> {
  return Machine.create(options);
}
