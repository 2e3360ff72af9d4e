// `wasmvisor bench`: a run on a tiny configuration writes a well-formed results.json and a report
// with SVG charts; --compare marks a regression; bad flags are one-line errors with exit code 2;
// the generated sweep guests print what their JavaScript model says; and, where Debian's chromium
// and playwright-core are installed, the report's charts render in a real browser; the Linux
// boot-time part (bench/linux-boot.ts) on fake boots and tiny scripts (test/linux.test.ts boots
// the real thing). Nothing here looks at how fast anything ran: the bench never asserts wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { linuxBootChart } from '../bench/charts.ts';
import { parseOptions } from '../bench/cli.ts';
import { compareResults } from '../bench/compare.ts';
import { footprintGuest, smcGuest } from '../bench/gen.ts';
import {
  LINUX_TARGETS,
  measureLinuxBoot,
  PROMPT,
  READY,
  runSession,
  sessionFailure,
  type LinuxTarget,
  type Session,
} from '../bench/linux-boot.ts';
import { relate } from '../bench/measure.ts';
import { qemuVersion } from '../bench/runners.ts';
import { validateResults, type RawSample, type Results, type Row } from '../bench/schema.ts';
import { breakEven, summarize } from '../bench/stats.ts';
import { ansi, linuxBootTable, textTable } from '../bench/tables.ts';
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
// self-modifying-code and guest-count sweeps only (their points are short), no microbenchmarks,
// no Linux boots (below, on fake boots).
const out = join(tmp, 'run');
let run: ReturnType<typeof cli>;
let results: Results;
beforeAll(() => {
  run = cli(
    'bench',
    'crc32',
    '--quick',
    '--scale',
    '1',
    '--skip',
    'micro,scale,footprint,linux',
    '--out',
    out,
  );
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
    // The warm figures: one run per round at 3 times the scale, the slope between the two; for a
    // runner still warming up at scale 1 (the jit, usually), the slope from 3 to 9.
    expect(run.stdout).toMatch(/^wasmvisor bench --quick: scale 1 \(and 3 for warm MIPS\)/);
    expect(run.stdout).toMatch(
      / MIPS +warm MIPS +vs interp +vs QEMU +vs native +warm vs interp +warm vs QEMU /,
    );
    expect(run.stdout).toMatch(/\ngeomean +interp( +\S+){2}/); // geomean MIPS and warm MIPS
    for (const engine of ['interp', 'jit']) {
      const warm = w.rows.find((r) => r.runner === engine)!.warm!;
      expect(warm.scale).toBe(warm.from ? 9 : 3);
      if (warm.from) {
        expect(warm.from.scale).toBe(3);
        expect(warm.from.samples.map((s) => s.ok)).toEqual([true]);
        expect(w.notes.join('\n')).toContain(`${engine}: still warming up at scale 1`);
      }
      expect(warm.instret).toBeGreaterThan((warm.from?.instret ?? w.instret!) * 2);
      expect(warm.samples.map((s) => s.ok)).toEqual([true]);
      expect(warm.seconds!.n).toBe(1);
      expect(warm.mips).toBeGreaterThan(0);
      expect(results.summary.find((s) => s.runner === engine)!.warm!.geomeanMips).toBeGreaterThan(0);
    }
    expect(w.rows.find((r) => r.runner === 'jit')!.warm!.vsInterp).toBeGreaterThan(0);
    expect(w.rows.find((r) => r.runner === 'native')?.warm ?? null).toBeNull();
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
    expect(results.linuxBoot).toEqual({ status: 'skipped', note: 'skipped (--skip linux)', rows: [] });
    expect(run.stdout).toContain('\nLinux boot to shell (s)\nskipped (--skip linux)\n');
  });

  test('writes a self-contained report.html with SVG charts', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5);
    for (const id of ['bars', 'warm', 'breakdown', 'warmup-mips', 'warmup-insns', 'sweep-smc']) {
      expect(html).toContain(`id="chart-${id}"><svg`);
    }
    expect(html).toContain(results.machine.cpu);
    expect(html).toContain('id="table-results"');
  });

  test('validateResults checks the warm figures, which older files may lack', () => {
    const withRow = (f: (row: Record<string, unknown>) => void) => {
      const x = structuredClone(results) as unknown as { workloads: { rows: Record<string, unknown>[] }[] };
      f(x.workloads[0].rows[0]);
      return validateResults(x);
    };
    expect(withRow((row) => delete row.warm)).toEqual([]);
    expect(withRow((row) => (row.warm = null))).toEqual([]);
    expect(withRow((row) => (row.warm = 'fast'))).toEqual(['workloads[0].rows[0].warm: expected an object']);
    expect(withRow((row) => ((row.warm as Record<string, unknown>).mips = '300'))).toEqual([
      'workloads[0].rows[0].warm.mips: expected a number, got "300"',
    ]);
    expect(withRow((row) => ((row.warm as Record<string, unknown>).mips = -5))).toEqual([
      'workloads[0].rows[0].warm.mips: expected a positive number',
    ]);
    expect(withRow((row) => delete (row.warm as Record<string, unknown>).scale)).toEqual([
      'workloads[0].rows[0].warm.scale: expected a number, got undefined',
    ]);
    const from = (row: Record<string, unknown>) => ((row.warm as Record<string, unknown>).from = {});
    expect(withRow(from)).toEqual([
      'workloads[0].rows[0].warm.from.scale: expected a number, got undefined',
      'workloads[0].rows[0].warm.from.instret: expected a number, got undefined',
      'workloads[0].rows[0].warm.from.samples: expected an array',
    ]);
    const old = structuredClone(results);
    for (const s of old.summary) delete s.warm;
    expect(validateResults(old)).toEqual([]);
    expect(validateResults({ ...old, summary: [{ ...old.summary[0], warm: 1 }] })).toEqual([
      'summary[0].warm: expected an object',
    ]);
  });

  test("warm MIPS is the slope from the first scale of the pair: the row's own, or the next when it was still warming up", () => {
    const run = (seconds: number): RawSample => ({
      warmup: false,
      ok: true,
      exitCode: 0,
      seconds,
      wallSeconds: seconds,
    });
    const row = (runner: Row['runner'], seconds: number, warm: NonNullable<Row['warm']>): Row => ({
      runner,
      status: 'ok',
      samples: [run(seconds)],
      seconds: summarize([seconds]),
      mips: null,
      vsInterp: null,
      vsQemu: null,
      vsNative: null,
      warm,
    });
    const figures = { mips: null, vsInterp: null, vsQemu: null };
    const interp = row('interp', 1, {
      scale: 3,
      instret: 300e6,
      samples: [run(3)],
      seconds: summarize([2]),
      ...figures,
    });
    // The jit's runs at 1 (0.45 s) were still warming up: its pair is 3 (0.6 s) and 9 (0.9 s).
    const from = { scale: 3, instret: 300e6, samples: [run(0.6)] };
    const jit = row('jit', 0.45, {
      from,
      scale: 9,
      instret: 900e6,
      samples: [run(0.9)],
      seconds: summarize([0.3]),
      ...figures,
    });
    relate([interp, jit], 100e6);
    expect(interp.warm!.mips).toBeCloseTo(100); // 200 M instructions in 2 s
    expect(jit.warm!.mips).toBeCloseTo(2000); // 600 M in 0.3 s, not 800 M in 0.45 s
    expect(jit.warm!.vsInterp).toBeCloseTo(20);
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
    // Warm MIPS compared too: the jit's twice as fast then is a regression now.
    const warmThen = structuredClone(results);
    const jit = warmThen.workloads[0].rows.find((x) => x.runner === 'jit')!;
    jit.warm!.mips! *= 2;
    const c = compareResults(warmThen, results, 'old.json').changes;
    expect(c.find((x) => x.name === 'crc32, warm' && x.runner === 'jit')?.verdict).toBe('regression');
    expect(c.find((x) => x.name === 'crc32, warm' && x.runner === 'interp')?.verdict).toBe('same');
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

describe('Linux boot time (bench/linux-boot.ts)', () => {
  // A finished session as runSession returns it: the prompt after `promptMs`, exit `code`.
  const session = (promptMs: number, code: number | null = 0, more: Partial<Session> = {}): Session => ({
    output: `${READY}\n${PROMPT}`,
    stderr: '',
    code,
    timedOut: false,
    readyMs: promptMs / 2,
    promptMs,
    totalMs: promptMs + 100,
    ...more,
  });
  const key = (t: LinuxTarget) => `${t.runner}/${t.firmware}`;

  test('boots in rounds, warm-up apart, medians and the ratio to QEMU; a failed target is not run again', async () => {
    const times: Record<string, number[]> = {
      'interp/builtin': [900, 500, 520, 480],
      'jit/builtin': [2000, 1200, 1100, 1300],
      'interp/opensbi': [600, 540, 560, 550],
      'qemu/opensbi': [400, 300, 320, 310],
    };
    const calls: string[] = [];
    const seen: string[] = [];
    const r = await measureLinuxBoot({
      targets: LINUX_TARGETS,
      haveQemu: true,
      repeat: 3,
      warmup: 1,
      timeoutMs: 5000,
      missing: () => undefined,
      onRun: (m) => seen.push(m),
      boot: async (t) => {
        calls.push(key(t));
        // jit under OpenSBI: the first boot never reaches the prompt.
        if (key(t) === 'jit/opensbi') return session(NaN, null, { timedOut: true });
        const n = calls.filter((c) => c === key(t)).length - 1;
        return session(times[key(t)][n]);
      },
    });
    expect(r.status).toBe('measured');
    expect(calls.filter((c) => c === 'jit/opensbi')).toHaveLength(1);
    expect(calls.filter((c) => c === 'qemu/opensbi')).toHaveLength(4);
    expect(calls.slice(0, 5)).toEqual(LINUX_TARGETS.map(key)); // one boot of each target per round
    expect(seen[0]).toBe('linux boot: wasmvisor interp, built-in SBI');
    const row = (k: string) => r.rows.find((x) => key(x) === k)!;
    expect(row('interp/builtin')).toMatchObject({
      status: 'ok',
      warmupSamples: [0.9],
      samples: [0.5, 0.52, 0.48],
    });
    expect(row('interp/builtin').seconds).toMatchObject({ median: 0.5, min: 0.48, max: 0.52, n: 3 });
    expect(row('jit/builtin').qemuRatio).toBeCloseTo(1.2 / 0.31);
    expect(row('qemu/opensbi').qemuRatio).toBeCloseTo(1);
    expect(row('jit/opensbi')).toMatchObject({
      status: 'failed',
      note: 'no shell prompt within 5 s',
      seconds: null,
      qemuRatio: null,
    });

    // results.json, the table, the chart and --compare on it.
    const withBoot: Results = { ...structuredClone(results), linuxBoot: r };
    expect(validateResults(withBoot)).toEqual([]);
    expect(
      validateResults({ ...withBoot, linuxBoot: { ...r, rows: [{ ...r.rows[0], runner: 'bochs' }] } }),
    ).toEqual(['linuxBoot.rows[0].runner: unknown runner']);
    const text = textTable(linuxBootTable(withBoot)!, ansi(false));
    expect(text).toMatch(/^Linux boot to shell \(s\)\nrunner +median +min – max +\/ QEMU's +warm-up/);
    expect(text).toMatch(/\nwasmvisor interp, built-in SBI +0\.500 +0\.480 – 0\.520 +1\.61 +0\.900\n/);
    expect(text).toMatch(/\nwasmvisor jit, OpenSBI +– +FAILED: no shell prompt within 5 s\n/);
    expect(text).toMatch(/\nQEMU, OpenSBI +0\.310 +0\.300 – 0\.320 +0\.400\n/);
    expect(linuxBootChart(withBoot)!.data.values).toHaveLength(4);
    const then: Results = structuredClone(withBoot);
    for (const k of ['median', 'min', 'max'] as const) then.linuxBoot!.rows[1].seconds![k] /= 2;
    const c = compareResults(then, withBoot, 'old.json').changes.filter((x) => x.what === 'linux boot');
    expect(c.map((x) => [x.runner, x.verdict])).toEqual([
      ['wasmvisor interp, built-in SBI', 'same'],
      ['wasmvisor jit, built-in SBI', 'regression'],
      ['wasmvisor interp, OpenSBI', 'same'],
      ['QEMU, OpenSBI', 'same'],
    ]);
  });

  test('targets that cannot run are skipped with a note; with none left, the part is', async () => {
    const boot = async () => session(300);
    const noQemu = await measureLinuxBoot({
      targets: LINUX_TARGETS,
      haveQemu: false,
      repeat: 1,
      warmup: 0,
      timeoutMs: 5000,
      boot,
      missing: (t) => (t.runner === 'qemu' ? 'qemu-system-riscv64 is not installed' : undefined),
    });
    expect(noQemu.status).toBe('measured');
    expect(noQemu.rows.at(-1)).toMatchObject({
      status: 'skipped',
      note: 'qemu-system-riscv64 is not installed',
    });
    expect(noQemu.rows.every((r) => r.qemuRatio === null)).toBe(true);
    const withNoQemu: Results = { ...structuredClone(results), linuxBoot: noQemu };
    expect(textTable(linuxBootTable(withNoQemu)!, ansi(false))).toContain(
      'skipped: qemu-system-riscv64 is not installed',
    );
    const none = await measureLinuxBoot({
      targets: LINUX_TARGETS,
      haveQemu: true,
      repeat: 1,
      warmup: 0,
      timeoutMs: 5000,
      boot: () => Promise.reject(new Error('must not boot')),
      missing: () => 'the Linux fixtures are not built (npm run linux)',
    });
    expect(none).toMatchObject({
      status: 'skipped',
      note: 'the Linux fixtures are not built (npm run linux)',
    });
    expect(textTable(linuxBootTable({ ...results, linuxBoot: none })!, ansi(false))).toBe(
      'Linux boot to shell (s)\nthe Linux fixtures are not built (npm run linux)',
    );
    expect(linuxBootTable({ ...results, linuxBoot: undefined })).toBeUndefined(); // an older results.json
  });

  test('runSession types at the prompt after READY and times it; failures are one line', async () => {
    // A stand-in for the guest: a prompt before READY (must be ignored), READY, then a shell that
    // echoes, exiting with the status given on the command line at "poweroff".
    const shell = (code: number, prompt = true) =>
      [
        process.execPath,
        [
          '-e',
          `process.stdout.write('boot ${PROMPT}');
         setTimeout(() => process.stdout.write('${READY}\\n' + (${prompt} ? '${PROMPT}' : '')), 50);
         let buf = '';
         process.stdin.on('data', (d) => {
           buf += d;
           if (buf.includes('poweroff\\n')) { process.stderr.write('wasmvisor: powered off\\n'); process.exit(${code}); }
           process.stdout.write('${PROMPT}');
         });`,
        ],
      ] as [string, string[]];
    const ok = await runSession(shell(0), ['echo hi', 'poweroff'], 10_000);
    expect(sessionFailure(ok, 10_000)).toBeUndefined();
    expect(ok.readyMs).toBeGreaterThan(0);
    expect(ok.promptMs).toBeGreaterThanOrEqual(ok.readyMs);
    expect(ok.totalMs).toBeGreaterThanOrEqual(ok.promptMs);
    expect(ok.stderr).toBe('wasmvisor: powered off\n');
    expect(sessionFailure(await runSession(shell(3), ['poweroff'], 10_000), 10_000)).toBe(
      'poweroff ended with exit 3 (wasmvisor: powered off)',
    );
    const noPrompt = await runSession(shell(0, false), ['poweroff'], 1000);
    expect(noPrompt.timedOut).toBe(true);
    expect(sessionFailure(noPrompt, 1000)).toBe('no shell prompt within 1 s');
    const missing = await runSession(['/nonexistent/qemu-system-riscv64', []], ['poweroff'], 1000);
    expect(sessionFailure(missing, 1000)).toMatch(
      /^could not start: spawn \/nonexistent\/qemu-system-riscv64 ENOENT$/,
    );
  });
});
