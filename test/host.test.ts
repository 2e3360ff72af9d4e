// Several guests on one host (src/vmm/host.ts): CPU shares that follow weights, partitioned
// placement on worker threads, isolation from hostile neighbours, and the command line for it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Host, type GuestConfig, type GuestStats } from '../src/index.ts';
import { parseElf } from '../src/loader/elf.ts';

const root = new URL('..', import.meta.url).pathname;
const elf = (path: string) => readFileSync(join(root, path));
const hostile = (name: string) => elf(`test/guests/hostile/${name}.elf`);

/** A bench workload with its bench_scale patched, so it runs as long as asked. */
function scaled(name: string, scale: number): Uint8Array {
  const bytes = Uint8Array.from(elf(`bench/guests/${name}.elf`));
  const image = parseElf(bytes, name);
  const addr = image.symbols.get('bench_scale')!;
  const seg = image.segments.find((s) => addr >= s.paddr && addr < s.paddr + BigInt(s.data.length))!;
  new DataView(bytes.buffer).setUint32(seg.data.byteOffset + Number(addr - seg.paddr), scale, true);
  return bytes;
}

/** Runs guests on a host; returns the final figures and each guest's console output. */
async function runGuests(guests: GuestConfig[], placement: 'time-shared' | 'partitioned' = 'time-shared') {
  const out = new Map<string, string>();
  const host = new Host({
    placement,
    onOutput: (name, bytes) => out.set(name, (out.get(name) ?? '') + Buffer.from(bytes).toString('latin1')),
  });
  for (const g of guests) await host.add(g);
  const t0 = performance.now();
  const stats = await host.run();
  return {
    stats,
    out,
    seconds: (performance.now() - t0) / 1000,
    byName: (n: string) => stats.find((s) => s.name === n)!,
  };
}

const neighbour = { name: 'neighbour', elf: scaled('crc32', 1) };
const solo = await runGuests([neighbour]);
const neighbourOutput = solo.out.get('neighbour')!;

function expectNeighbourUnharmed(stats: GuestStats, output: string | undefined) {
  expect(stats.result?.exitReason).toBe('exit');
  expect(stats.result?.exitCode).toBe(0);
  expect(output).toBe(neighbourOutput);
}

describe('time-shared host', () => {
  test('a guest alone prints what it prints on a machine of its own', () => {
    expect(neighbourOutput).toMatch(/crc32 checksum: [0-9a-f]{8}\n$/);
    expect(solo.stats[0].share).toBe(1);
  });

  test('CPU shares follow weights 1:1:2:4 within 10%', async () => {
    const weights = [1, 1, 2, 4];
    const { stats } = await runGuests(
      weights.map((weight, i) => ({ name: `w${i}`, elf: hostile('spin'), weight, timeLimitMs: 1200 })),
    );
    const total = weights.reduce((a, b) => a + b, 0);
    for (const [i, s] of stats.entries()) {
      expect(s.result?.exitReason).toBe('time-limit');
      expect(s.share / (weights[i] / total)).toBeGreaterThan(0.9);
      expect(s.share / (weights[i] / total)).toBeLessThan(1.1);
    }
  });

  test('pause, resume and stop act on one guest only', async () => {
    const host = new Host();
    await host.add({ name: 'a', elf: hostile('spin') });
    await host.add({ name: 'b', elf: hostile('spin') });
    host.pause('a');
    const running = host.run();
    await new Promise((r) => setTimeout(r, 150));
    const paused = host.stats().find((s) => s.name === 'a')!;
    expect(paused.state).toBe('paused');
    expect(paused.instret).toBe(0n);
    host.resume('a');
    await new Promise((r) => setTimeout(r, 150));
    expect(host.stats().find((s) => s.name === 'a')!.instret).toBeGreaterThan(0n);
    host.stop('a');
    host.stop('b');
    const stats = await running;
    expect(stats.map((s) => s.result?.exitReason)).toEqual(['stopped', 'stopped']);
    expect(stats.map((s) => s.result?.exitCode)).toEqual([143, 143]);
    expect(() => host.stop('nobody')).toThrow(/no guest named 'nobody'/);
  });

  test('bad guest configurations are refused with one line', async () => {
    const host = new Host();
    await host.add({ name: 'a', elf: hostile('spin') });
    await expect(host.add({ name: 'a', elf: hostile('spin') })).rejects.toThrow(/two guests are named 'a'/);
    await expect(host.add({ name: 'b', elf: hostile('spin'), weight: 0 })).rejects.toThrow(/weight 0/);
    await expect(host.add({ name: 'c', elf: new Uint8Array(10) })).rejects.toThrow(/c: /);
    expect(() => new Host({ placement: 'nowhere' as 'partitioned' })).toThrow(/unknown placement/);
  });
});

describe('isolation: a hostile guest is stopped or contained, its neighbour unharmed', () => {
  const cases: {
    name: string;
    guest: Omit<GuestConfig, 'name'>;
    expectAttacker: (s: GuestStats, out: string) => void;
  }[] = [
    {
      name: 'a crash: no trap handler, a jump into nothing',
      guest: { elf: hostile('crash') },
      expectAttacker: (s, out) => {
        expect(s.result?.exitReason).toBe('fatal');
        expect(s.result?.message).toMatch(/no usable trap handler: instruction access fault at pc 0x0/);
        expect(out).toBe('crash: jumping into nothing\n');
      },
    },
    {
      name: 'wild pointers and MMIO to every 64 KiB below RAM',
      guest: { elf: hostile('wild') },
      expectAttacker: (s, out) => {
        expect(s.result?.exitCode).toBe(0);
        expect(out).toMatch(/wild: \d+ loads, \d+ stores, [1-9]\d* faulted/);
      },
    },
    {
      name: 'page tables that point outside RAM',
      guest: { elf: hostile('ptes') },
      expectAttacker: (s, out) => {
        expect(s.result?.exitCode).toBe(0);
        expect(out).toContain('ptes: 16 faults through tables in RAM, 16 with the root outside RAM');
      },
    },
    {
      name: 'an endless loop',
      guest: { elf: hostile('spin'), timeLimitMs: 400 },
      expectAttacker: (s) => expect(s.result?.exitReason).toBe('time-limit'),
    },
    {
      name: 'a console flood',
      guest: { elf: hostile('flood'), maxInsns: 20_000_000n },
      expectAttacker: (s, out) => {
        expect(s.result?.exitReason).toBe('max-insns');
        expect(out).toMatch(/^flood 0: the quick brown fox/);
      },
    },
    {
      name: 'code rewritten on every instruction, on the translator',
      guest: {
        elf: hostile('smc-storm'),
        engine: 'jit',
        jitThreshold: 0,
        codeCacheRegions: 16,
        timeLimitMs: 400,
      },
      expectAttacker: (s) => expect(s.result?.exitReason).toBe('time-limit'),
    },
    {
      name: 'all of its RAM filled, then stores past the end',
      guest: { elf: hostile('hog'), memory: 8 << 20 },
      expectAttacker: (s, out) => {
        expect(s.result?.exitCode).toBe(126); // its own trap handler reports the fault and exits
        expect(out).toMatch(/unexpected trap: mcause=7 .* mtval=80800000/);
      },
    },
  ];
  test.each(cases)('$name', async ({ guest, expectAttacker }) => {
    const run = await runGuests([{ ...guest, name: 'attacker' }, neighbour]);
    expectAttacker(run.byName('attacker'), run.out.get('attacker') ?? '');
    expectNeighbourUnharmed(run.byName('neighbour'), run.out.get('neighbour'));
  });
});

describe('partitioned host', () => {
  test('guests run in worker threads with the same output', async () => {
    const run = await runGuests(
      [
        { name: 'p1', elf: scaled('crc32', 1) },
        { name: 'p2', elf: scaled('crc32', 1), engine: 'jit' },
        { name: 'bad', elf: hostile('spin'), timeLimitMs: 300 },
      ],
      'partitioned',
    );
    expect(run.out.get('p1')).toBe(neighbourOutput);
    expect(run.out.get('p2')).toBe(neighbourOutput);
    expect(run.byName('bad').result?.exitReason).toBe('time-limit');
    expect(run.stats.every((s) => s.instret > 0n)).toBe(true);
  });

  // Whether running them in parallel pays is the bench's question (the guest-count sweep); here,
  // that the placement changes nothing a guest can see.
  test('two busy guests give the same results partitioned as time-shared', async () => {
    const guests = [0, 1].map((i) => ({ name: `g${i}`, elf: scaled('crc32', 6) }));
    const shared = await runGuests(guests, 'time-shared');
    const partitioned = await runGuests(guests, 'partitioned');
    console.log(
      `2 guests: time-shared ${shared.seconds.toFixed(2)} s, partitioned ${partitioned.seconds.toFixed(2)} s`,
    );
    for (const run of [shared, partitioned]) {
      expect(run.stats.map((s) => s.result?.exitCode)).toEqual([0, 0]);
      expect(run.stats.every((s) => s.cpuSeconds > 0)).toBe(true);
    }
    expect(partitioned.out).toEqual(shared.out);
    expect(partitioned.stats.map((s) => s.instret)).toEqual(shared.stats.map((s) => s.instret));
  });
});

describe('wasmvisor run a.elf b.elf / wasmvisor host config.json', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-host-'));
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
      encoding: 'latin1',
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const hello = join(root, 'test/guests/hello.elf');
  const exitcode = join(root, 'test/guests/exitcode.elf');

  test('prefixes each guest console line and ends with a summary', () => {
    const r = cli('run', hello, hello, exitcode, '--weights', '1,2,1');
    const helloLines = readFileSync(join(root, 'test/guests/expected/hello.out'), 'latin1')
      .trimEnd()
      .split('\n');
    for (const prefix of ['[hello] ', '[hello-2] ']) {
      expect(
        r.stdout
          .split('\n')
          .filter((l) => l.startsWith(prefix))
          .map((l) => l.slice(prefix.length)),
      ).toEqual(helloLines);
    }
    expect(r.stderr).toMatch(/3 guests, time-shared/);
    expect(r.stderr).toMatch(/hello-2\s+0\s+exit\s+\d+/);
    expect(r.code).toBe(3); // the first failing guest's exit code (exitcode.elf exits 3)
  });

  test('a configuration file with consoles in files and a partitioned placement', () => {
    const config = {
      placement: 'partitioned',
      guests: [
        { elf: hello, name: 'one', console: 'one.log' },
        { elf: join(root, 'test/guests/hostile/spin.elf'), name: 'two', timeLimit: 0.3, console: 'two.log' },
      ],
    };
    writeFileSync(join(tmp, 'host.json'), JSON.stringify(config));
    const r = cli('host', join(tmp, 'host.json'));
    expect(readFileSync(join(tmp, 'one.log'), 'latin1')).toBe(
      readFileSync(join(root, 'test/guests/expected/hello.out'), 'latin1'),
    );
    expect(readFileSync(join(tmp, 'two.log'), 'latin1')).toBe('spin: looping forever\n');
    expect(r.stderr).toMatch(/two\s+124\s+time-limit/);
    expect(r.code).toBe(124);
  });

  test.each([
    [['run', hello, hello, '--weights', '1'], /--weights gives 1 weights for 2 guests/],
    [['run', hello, hello, '--placement', 'moon'], /unknown --placement 'moon'/],
    [['run', hello, hello, '--engine', 'lockstep'], /lockstep runs one guest at a time/],
    [['run', hello, hello, '--time-limit', 'soon'], /invalid --time-limit 'soon'/],
    [['host'], /expected one configuration file/],
    [['host', join(root, 'package.json')], /expected an object with a "guests" array/],
  ])('%j is refused with one line', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(message);
  });
});
