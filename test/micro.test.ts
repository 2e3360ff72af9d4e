// The virtualization microbenchmarks (bench/micro.ts, guest bench/micro/micro.elf): every
// operation runs to a clean exit on every engine configuration and does exactly the number of
// operations asked, as the guest counts them (system calls, faults and interrupts counted by its
// trap handlers, device and code reads checked by its loops); and a quick measurement on the
// interpreter gives a well-formed result for every operation. No wall time is asserted.
import { describe, expect, test } from 'vitest';
import { MICROBENCHMARKS, runMicro, runMicrobenchmarks } from '../bench/micro.ts';
import { ENGINES } from './helpers/engines.ts';

const names = MICROBENCHMARKS.map((b) => b.name);
const LINE = 'A line of console output from the microbenchmarks, 64 bytes.   \n';

describe.each(ENGINES)('microbenchmarks on $name', ({ engine, jitThreshold, deterministic }) => {
  test.each(names)('%s', async (name) => {
    // Enough iterations for the tiering jit to translate the loop and the handlers (threshold 2).
    const count = name.startsWith('print-') ? 7 : 300;
    const run = await runMicro(name, engine, count, { jitThreshold, deterministic });
    expect(run.exitCode).toBe(0);
    expect(run.done).toBe(count);
    expect(run.output).toContain(`micro: ${name} ${count}/${count} ok\n`);
    // The print benchmarks' output, counted by the host: the same line, once per operation.
    const lines = run.output.split(LINE).length - 1;
    expect(lines).toBe(name.startsWith('print-') ? count : 0);
  });
});

describe('microbenchmark checks', () => {
  test('a handler that miscounts makes the guest fail, and runMicro say so', async () => {
    // syscall_vec's `c.addi t2, 1` (micro_events += 1) becomes `c.addi t2, 2`.
    const [plusOne, plusTwo] = [0x0385, 0x0389];
    const run = runMicro('syscall', 'interp', 50, {
      before: (vm) => {
        const at = vm.symbol('syscall_vec')!;
        const code = new DataView(vm.readMemory(at, 64).buffer);
        let off = 0;
        while (off < 64 && code.getUint16(off, true) !== plusOne) off += 2;
        expect(off, 'c.addi t2, 1 in syscall_vec').toBeLessThan(64);
        vm.writeMemory(at + BigInt(off), Uint8Array.of(plusTwo & 0xff, plusTwo >> 8));
      },
    });
    await expect(run).rejects.toThrow(/micro syscall on interp \(count 50\): exit 1 .*100\/50 FAILED/);
  });

  test('a count past the demand-paged range is refused by the guest', async () => {
    const max = MICROBENCHMARKS.find((b) => b.name === 'page-fault')!.max!;
    await expect(runMicro('page-fault', 'interp', max + 1)).rejects.toThrow(/more than the \d+ pages/);
    expect((await runMicro('page-fault', 'interp', max)).done).toBe(max);
  });

  test('unknown names and engines are one-line errors', async () => {
    await expect(runMicro('nope', 'interp', 1)).rejects.toThrow(/unknown microbenchmark 'nope'/);
    await expect(runMicro('loop', 'qemu', 1)).rejects.toThrow(/unknown engine 'qemu'/);
  });

  test('a quick run on the interpreter gives a positive, finite ns/op for every operation', async () => {
    const progress: string[] = [];
    const results = await runMicrobenchmarks({
      engines: ['interp'],
      repeat: 1,
      quick: true,
      onProgress: (m) => progress.push(m),
    });
    expect(results.map((r) => r.name)).toEqual(names);
    for (const r of results) {
      expect(r.engine).toBe('interp');
      expect(r.label.length).toBeGreaterThan(0);
      expect(Number.isInteger(r.ops) && r.ops > 0).toBe(true);
      expect(Number.isFinite(r.nsPerOp) && r.nsPerOp > 0).toBe(true);
      expect(r.samples).toHaveLength(1);
      expect(r.samples.every(Number.isFinite)).toBe(true);
    }
    expect(progress).toHaveLength(names.length);
  });
});
