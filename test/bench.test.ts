// `wasmvisor bench`: a run on a tiny configuration writes a well-formed results.json and a report
// with SVG charts; --compare marks a regression; bad flags are one-line errors with exit code 2;
// the generated sweep guests print what their JavaScript model says; and, where Debian's chromium
// and playwright-core are installed, the report's charts render in a real browser. Nothing here
// looks at how fast anything ran: the bench never asserts wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseOptions } from '../bench/cli.ts';
import { footprintGuest, smcGuest } from '../bench/gen.ts';
import { qemuVersion } from '../bench/runners.ts';
import { validateResults, type Results } from '../bench/schema.ts';
import { breakEven, summarize } from '../bench/stats.ts';
import { ENGINES, runGuest } from './helpers/engines.ts';

const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-test-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// One bench run shared by the tests below: one workload, both engines, the smallest scale, the
// self-modifying-code and guest-count sweeps only (their points are short), no microbenchmarks.
const out = join(tmp, 'run');
let run: ReturnType<typeof cli>;
let results: Results;
beforeAll(() => {
  run = cli('bench', 'crc32', '--quick', '--scale', '1', '--skip', 'micro,scale,footprint', '--out', out);
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
}, 120_000);

describe('wasmvisor bench', () => {
  test('prints the table and writes a well-formed results.json', () => {
    expect(run.stderr).toBe(''); // no progress line: stderr is not a terminal
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wasmvisor bench --quick: scale 1/);
    expect(run.stdout).toMatch(/\ncrc32 +interp +\d/);
    expect(run.stdout).toMatch(/\n +jit +/);
    expect(run.stdout).toContain(join(out, 'report.html'));
    expect(validateResults(results)).toEqual([]);
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.cpu.length).toBeGreaterThan(0);
    const [w] = results.workloads;
    expect(w.name).toBe('crc32');
    expect(w.scale).toBe(1);
    expect(w.reference).toBe('expected.json');
    expect(w.instret).toBeGreaterThan(1e6);
    for (const engine of ['interp', 'jit']) {
      const row = w.rows.find((r) => r.runner === engine)!;
      expect(row.status).toBe('ok');
      expect(row.seconds!.n).toBe(1);
      expect(row.mips).toBeGreaterThan(0);
      const [s] = row.samples;
      expect(s.stats!.samples!.length).toBeGreaterThan(0);
      expect(s.stats!.profile!.coreSeconds).toBeGreaterThan(0);
      expect(row.breakdown!.startupSeconds).toBeGreaterThan(0);
    }
    const jit = w.rows.find((r) => r.runner === 'jit')!;
    expect(jit.vsInterp).toBeGreaterThan(0);
    expect(jit.breakdown!.translatedFraction).toBeGreaterThanOrEqual(0);
    // QEMU and native rows when installed, a note when not.
    if (qemuVersion()) expect(w.rows.some((r) => r.runner === 'qemu' && r.status === 'ok')).toBe(true);
    else expect(results.notes.join('\n')).toMatch(/no QEMU rows/);
    const native = w.rows.find((r) => r.runner === 'native');
    if (results.machine.cc) expect(native?.status).toBe('ok');
    else expect(results.notes.join('\n')).toMatch(/no native rows/);
    const smc = results.sweeps.find((s) => s.id === 'smc')!;
    expect(smc.status).toBe('measured');
    expect(smc.points.length).toBe(6);
    expect(smc.points.every((p) => p.status === 'ok')).toBe(true);
    // The number-of-guests sweep (bench/multi-guest.ts): both placements, 1, 2 and 4 guests.
    const guests = results.sweeps.find((s) => s.id === 'guests')!;
    expect(guests.status).toBe('measured');
    for (const placement of ['time-shared', 'partitioned']) {
      const points = guests.points.filter((p) => p.series === placement);
      expect(points.map((p) => p.x)).toEqual([1, 2, 4]);
      for (const p of points) expect(p.mips).toBeGreaterThan(0);
    }
    expect(results.microbenchmarks.status).toBe('skipped');
  });

  test('writes a self-contained report.html with SVG charts', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5);
    for (const id of ['bars', 'breakdown', 'warmup-mips', 'warmup-insns', 'sweep-smc']) {
      expect(html).toContain(`id="chart-${id}"><svg`);
    }
    expect(html).toContain(results.machine.cpu);
    expect(html).toContain('id="table-results"');
  });

  test('--compare shows the change against an earlier results.json, a regression marked', () => {
    // The same results as "then", with the interpreter twice as fast: now it has regressed.
    const then = structuredClone(results);
    const interp = then.workloads[0].rows.find((r) => r.runner === 'interp')!;
    for (const k of ['median', 'min', 'max'] as const) interp.seconds![k] /= 2;
    const oldFile = join(tmp, 'old.json');
    writeFileSync(oldFile, JSON.stringify(then));
    const dir = join(tmp, 'compare');
    const r = cli('bench', '--from', join(out, 'results.json'), '--compare', oldFile, '--out', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // a regression is shown, never turned into a failure
    expect(r.stdout).toMatch(/Change against .*old\.json/);
    expect(r.stdout).toMatch(/crc32 +interp .*\+100% slower: REGRESSION/);
    expect(r.stdout).not.toContain('\x1b['); // colour only on a terminal
    expect(existsSync(join(dir, 'results.json'))).toBe(false); // --from measures and writes nothing new
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('class="regressions"');
    expect(html).toMatch(/class="num bad">\+100% slower: REGRESSION/);
  });

  test('bad flags end in one line on stderr and exit code 2', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"schema": "something else"}');
    for (const args of [
      ['--repeat', '0'],
      ['--engines', 'interp,quantum'],
      ['--no-such-flag'],
      ['--compare', join(tmp, 'missing.json')],
      ['--compare', bad],
      ['no-such-workload'],
    ]) {
      const r = cli('bench', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^wasmvisor: bench: [^\n]+\n$/);
    }
    for (const args of [
      ['--scale', 'x'],
      ['--warmup', '-1'],
      ['--skip', 'lunch'],
      ['--timeout', '0'],
      ['--from', 'a.json', 'sha256'],
    ]) {
      expect(() => parseOptions(args), args.join(' ')).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
    const help = cli('bench', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: wasmvisor bench/);
  });

  const chromium = '/usr/bin/chromium';
  const playwright = (() => {
    try {
      return createRequire(import.meta.url).resolve('playwright-core');
    } catch {
      return undefined;
    }
  })();
  test.skipIf(!existsSync(chromium) || !playwright)(
    'the report renders its charts in headless Chromium',
    async () => {
      const { chromium: browserType } = await import('playwright-core');
      const browser = await browserType.launch({
        executablePath: chromium,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`file://${join(out, 'report.html')}`);
        const sizes = await page.$$eval('.chart svg', (svgs) =>
          svgs.map((s) => {
            const r = s.getBoundingClientRect();
            return [r.width, r.height, s.querySelectorAll('path, rect, line, text').length];
          }),
        );
        expect(sizes.length).toBeGreaterThanOrEqual(5);
        for (const [w, h, marks] of sizes) {
          expect(w).toBeGreaterThan(50);
          expect(h).toBeGreaterThan(50);
          expect(marks).toBeGreaterThan(5);
        }
        const shot = join(out, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      } finally {
        await browser.close();
      }
    },
  );
});

describe('the sweeps’ generated guests', () => {
  const configs = ENGINES.filter((c) => c.engine !== 'lockstep');
  test.each(configs)('print what their model computes on $name', async (config) => {
    for (const g of [
      footprintGuest(64, 200_000),
      footprintGuest(1000, 300_000),
      smcGuest(3, 100_000),
      smcGuest(Infinity, 50_000),
    ]) {
      const file = join(tmp, `${g.name}.elf`);
      writeFileSync(file, g.elf);
      const { output, result } = await runGuest(file, config);
      expect(result.exitCode, g.name).toBe(0);
      expect(output, g.name).toBe(g.expected);
    }
  });
});

describe('bench statistics', () => {
  test('summaries mark a spread over the tolerance as noisy', () => {
    expect(summarize([1, 1.01, 0.99])).toMatchObject({ median: 1, n: 3, noisy: false });
    expect(summarize([1, 1.5, 1.1])).toMatchObject({ median: 1.1, noisy: true });
    expect(summarize([2])).toMatchObject({ median: 2, spread: 0, noisy: false });
  });

  test('break-even: where one cumulative curve overtakes another for good', () => {
    const interp: [number, number][] = [
      [1, 100],
      [2, 200],
      [3, 300],
      [4, 400],
    ];
    expect(
      breakEven(interp, [
        [1, 50],
        [2, 150],
        [3, 350],
        [4, 600],
      ]),
    ).toBeCloseTo(2.5);
    expect(
      breakEven(interp, [
        [1, 200],
        [4, 800],
      ]),
    ).toBe(0);
    expect(
      breakEven(interp, [
        [1, 50],
        [4, 300],
      ]),
    ).toBeNull();
  });
});

describe('wasmvisor run --stats-samples', () => {
  test('adds the warm-up samples, the profile and the start-up to the --stats line', () => {
    const r = cli('run', join(root, 'test/guests/hello.elf'), '--stats', '--stats-samples');
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(stats.samples.at(-1)).toEqual([stats.seconds, stats.instret]);
    expect(stats.profile.coreSeconds).toBeGreaterThan(0);
    expect(Object.keys(stats.profile.exitSeconds)).toEqual(Object.keys(stats.exits));
    expect(stats.startupSeconds).toBeGreaterThan(0);
    const bad = cli('run', join(root, 'test/guests/hello.elf'), '--stats-samples');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wasmvisor: --stats-samples needs --stats\n');
  });
});
