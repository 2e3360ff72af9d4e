// The test guests (test/guests/*.elf, sources beside them) on every engine. Each guest checks
// itself and exits through the finisher or HTIF; its console output and exit code must equal what
// qemu-system-riscv64 produced for the same ELF (test/guests/expected/, written by
// scripts/build-guests.sh). The S-mode guests (test/guests/smode/: a kernel with Sv39, U-mode,
// page faults and Sstc timer interrupts; every fault and delegation path) run the same way, the
// SBI variant of the kernel both with the supervisor's SBI and under Debian's OpenSBI firmware.
// A guest with a disk image beside it (<name>.img) gets it as drive 0, as on QEMU.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ENGINES, runGuest } from './helpers/engines.ts';

const dir = new URL('./guests/', import.meta.url);
const guests = readdirSync(dir)
  .filter((f) => f.endsWith('.elf'))
  .map((f) => f.slice(0, -4))
  .sort();

describe.each(ENGINES)('test guests on $name', (config) => {
  test('the guest set is present', () => {
    expect(guests.length).toBeGreaterThan(10);
  });
  test.each(guests)('%s', async (name) => {
    const expectedOut = new URL(`expected/${name}.out`, dir);
    const expectedCode = new URL(`expected/${name}.code`, dir);
    expect(existsSync(expectedOut), `missing reference output for ${name}`).toBe(true);
    const img = new URL(`${name}.img`, dir);
    const disk = existsSync(img) ? readFileSync(img) : undefined;
    const { output, result } = await runGuest(new URL(`${name}.elf`, dir), config, { disk });
    expect(output).toBe(readFileSync(expectedOut, 'latin1'));
    expect(result.exitReason).toBe('exit');
    expect(result.exitCode).toBe(Number(readFileSync(expectedCode, 'utf8').trim()));
  });
});

const smode = new URL('./guests/smode/', import.meta.url);
const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf';

describe.each(ENGINES)('S-mode guests on $name', (config) => {
  const check = (name: string, output: string, result: { exitReason: string; exitCode: number }) => {
    expect(output).toBe(readFileSync(new URL(`expected/${name}.out`, smode), 'latin1'));
    expect(result.exitReason).toBe('exit');
    expect(result.exitCode).toBe(
      Number(readFileSync(new URL(`expected/${name}.code`, smode), 'utf8').trim()),
    );
  };
  test.each(['skernel', 'sfaults'])('%s', async (name) => {
    const { output, result } = await runGuest(new URL(`${name}.elf`, smode), config);
    check(name, output, result);
  });
  test('skernel-sbi with --sbi builtin', async () => {
    const { output, result } = await runGuest(new URL('skernel-sbi.elf', smode), config, { sbi: 'builtin' });
    check('skernel-sbi', output, result);
  });
  // The reference was cut to the kernel's own lines; OpenSBI's banner comes first here too.
  test.skipIf(!existsSync(OPENSBI))('skernel-sbi under OpenSBI fw_jump (--bios)', async () => {
    const firmware = readFileSync(OPENSBI);
    const { output, result } = await runGuest(new URL('skernel-sbi.elf', smode), config, { firmware });
    expect(output).toMatch(/^\r?\nOpenSBI v/);
    check('skernel-sbi', output.slice(output.indexOf('skernel: ')).replaceAll('\r', ''), result);
  });
});

// Several harts, time-shared: every engine but lockstep (which runs one hart).
const smp = new URL('./guests/smp/', import.meta.url);
describe.each(ENGINES.filter((e) => e.engine !== 'lockstep'))('SMP guests on $name', (config) => {
  test('smp2: atomics and LR/SC across two harts, an IPI wakes a hart from WFI', async () => {
    const { output, result } = await runGuest(new URL('smp2.elf', smp), config, { harts: 2 });
    expect(output).toBe(readFileSync(new URL('expected/smp2.out', smp), 'latin1'));
    expect(result.exitReason).toBe('exit');
    expect(result.exitCode).toBe(Number(readFileSync(new URL('expected/smp2.code', smp), 'utf8').trim()));
  });
  // OpenSBI parks the second hart (it waits for an HSM start that never comes) while the kernel
  // runs on the first: the kernel's timer must still reach its hart while the other one spins.
  test.skipIf(!existsSync(OPENSBI))('skernel-sbi under OpenSBI fw_jump with two harts', async () => {
    const firmware = readFileSync(OPENSBI);
    const { output, result } = await runGuest(new URL('skernel-sbi.elf', smode), config, {
      firmware,
      harts: 2,
    });
    expect(output).toMatch(/Platform HART Count\s*: 2/);
    const kernel = output.slice(output.indexOf('skernel: ')).replaceAll('\r', '');
    expect(kernel).toBe(readFileSync(new URL('expected/skernel-sbi.out', smode), 'latin1'));
    expect(result).toMatchObject({ exitReason: 'exit', exitCode: 0 });
  });
});
