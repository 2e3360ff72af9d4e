// The test guests (test/guests/*.elf, sources beside them) on every engine. Each guest checks
// itself and exits through the finisher or HTIF; its console output and exit code must equal what
// qemu-system-riscv64 produced for the same ELF (test/guests/expected/, written by
// scripts/build-guests.sh).
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
    const { output, result } = await runGuest(new URL(`${name}.elf`, dir), config);
    expect(output).toBe(readFileSync(expectedOut, 'latin1'));
    expect(result.exitReason).toBe('exit');
    expect(result.exitCode).toBe(Number(readFileSync(expectedCode, 'utf8').trim()));
  });
});
