// Every bench workload's console output at scale 1 equals the output of the same C source
// compiled natively for the host (bench/guests/expected.json, written by scripts/build-guests.sh).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ENGINES, runGuest } from './helpers/engines.ts';

const dir = new URL('../bench/guests/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<
  string,
  Record<string, string>
>;
const workloads = readdirSync(dir)
  .filter((f) => f.endsWith('.elf'))
  .map((f) => f.slice(0, -4))
  .sort();

describe.each(ENGINES)('bench workloads on $name', (config) => {
  test('every workload has a native reference', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(9);
    for (const w of workloads) expect(expected[w]?.['1'], w).toBeTypeOf('string');
  });
  test.each(workloads)('%s matches the native checksum', async (name) => {
    const { output, result } = await runGuest(new URL(`${name}.elf`, dir), config);
    expect(result.exitCode).toBe(0);
    expect(output).toBe(expected[name]['1']);
  });
});
