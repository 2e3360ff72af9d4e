// The report's charts: Vega-Lite specifications built from results.json, rendered to SVG in Node
// (vega-lite compiles a spec to Vega; a vega View with the 'none' renderer draws it with toSVG()),
// so the report is a self-contained file with no script and no network.
import type { Results, Row } from './schema.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Spec = Record<string, any>;

const RUNNER_COLORS: Record<string, string> = {
  interp: '#4c78a8',
  jit: '#f58518',
  lockstep: '#b279a2',
  QEMU: '#54a24b',
  native: '#9d755d',
};
const label = (r: string) => (r === 'qemu' ? 'QEMU' : r);
const runnerColor = (domain: string[]) => ({
  scale: { domain, range: domain.map((d) => RUNNER_COLORS[d] ?? '#888') },
});

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: 'start' },
};

const base = (title: string, extra: Spec): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  config: CONFIG,
  background: 'white',
  ...extra,
});

function timedRows(r: Results): { workload: string; row: Row }[] {
  return r.workloads.flatMap((w) =>
    w.rows.filter((row) => row.seconds && row.mips !== null).map((row) => ({ workload: w.name, row })),
  );
}

/**
 * MIPS per workload and runner (native apart: it is the next chart), with min-max bars; with `warm`,
 * the warm MIPS (the slope between two scales), whiskers from the rounds' differences.
 */
export function barsChart(r: Results, warm = false): Spec | undefined {
  const values: {
    workload: string;
    runner: string;
    mips: number | null;
    low: number | null;
    high: number | null;
    noisy: boolean;
  }[] = [];
  for (const { workload, row } of timedRows(r)) {
    if (row.runner === 'native') continue;
    const instret = r.workloads.find((w) => w.name === workload)!.instret!;
    const runner = label(row.runner);
    const s = row.seconds!;
    if (!warm) {
      const [low, high] = [instret / s.max / 1e6, instret / s.min / 1e6];
      values.push({ workload, runner, mips: row.mips, low, high, noisy: s.noisy });
      continue;
    }
    const f = row.warm;
    if (!f?.mips || !f.seconds || f.instret === null) continue;
    // The extra instructions over the rounds' warm seconds; one not positive has no speed: no whisker.
    const d = (f.instret - instret) / 1e6;
    const ok = f.seconds.min > 0;
    const [low, high] = ok ? [d / f.seconds.max, d / f.seconds.min] : [null, null];
    values.push({ workload, runner, mips: f.mips, low, high, noisy: f.seconds.noisy });
  }
  if (!values.length) return undefined;
  const domain = [...new Set(values.map((v) => v.runner))];
  const x = { field: 'workload', type: 'nominal', title: null, axis: { labelAngle: -30 } };
  const warmScale = r.workloads.flatMap((w) => w.rows).find((x) => x.warm && !x.warm.from)?.warm?.scale;
  const title = warm
    ? `Warm MIPS per workload: the slope between scales ${r.config.scale} and ${warmScale} (whiskers: the rounds' fastest and slowest)`
    : 'Guest MIPS per workload (median; whiskers: fastest and slowest run)';
  return base(title, {
    data: { values },
    width: Math.min(
      1000,
      Math.max(360, new Set(values.map((v) => v.workload)).size * (14 * domain.length + 20)),
    ),
    height: 260,
    encoding: {
      x,
      xOffset: { field: 'runner', sort: domain },
      color: { field: 'runner', title: 'runner', sort: domain, ...runnerColor(domain) },
    },
    layer: [
      {
        mark: 'bar',
        encoding: { y: { field: 'mips', type: 'quantitative', title: 'MIPS (higher is better)' } },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: {
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color: { value: '#333' },
        },
      },
    ],
  });
}

/** Each row's speed as a fraction of the native build's (log scale). */
export function nativeChart(r: Results): Spec | undefined {
  const values = timedRows(r)
    .filter(({ row }) => row.runner !== 'native' && row.vsNative !== null)
    .map(({ workload, row }) => ({ workload, runner: label(row.runner), vsNative: row.vsNative }));
  if (!values.length) return undefined;
  const domain = [...new Set(values.map((v) => v.runner))];
  return base('Speed relative to native (the same C built for the host; 1 = native speed)', {
    data: { values },
    width: 520,
    height: { step: 18 },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      y: { field: 'workload', type: 'nominal', title: null },
      x: {
        field: 'vsNative',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'fraction of native speed (log scale)',
      },
      color: { field: 'runner', sort: domain, ...runnerColor(domain) },
      shape: { field: 'runner', sort: domain },
    },
  });
}

/** The representative (median) run's samples of a row. */
function curveOf(row: Row): [number, number][] | undefined {
  const measured = row.samples.filter((s) => !s.warmup && s.ok).sort((a, b) => a.seconds - b.seconds);
  return measured[(measured.length - 1) >> 1]?.stats?.samples;
}

/** Instructions retired by guest time `x`, interpolated between samples (the curve starts at 0, 0). */
function retiredAt(curve: [number, number][], x: number): number {
  let [x0, y0] = [0, 0];
  for (const [x1, y1] of curve) {
    if (x <= x1) return x1 > x0 ? y0 + ((y1 - y0) * (x - x0)) / (x1 - x0) : y1;
    [x0, y0] = [x1, y1];
  }
  return y0;
}

/** MIPS over consecutive windows of the run (at most `points`, none shorter than 10 ms): the warm-up curve. */
export function windowedMips(curve: [number, number][], points = 80): { t: number; mips: number }[] {
  if (curve.length < 2) return [];
  const end = curve[curve.length - 1][0];
  const n = Math.max(1, Math.min(points, Math.floor(end / 0.01)));
  const w = end / n;
  const out: { t: number; mips: number }[] = [];
  for (let k = 1; k <= n; k++) {
    const t = k * w;
    out.push({ t: +(t - w / 2).toFixed(4), mips: (retiredAt(curve, t) - retiredAt(curve, t - w)) / w / 1e6 });
  }
  return out;
}

export function warmupCharts(r: Results): Spec[] {
  const mips: Spec[] = [];
  const cumulative: Spec[] = [];
  for (const w of r.workloads) {
    for (const row of w.rows) {
      if (!row.seconds || row.runner === 'qemu' || row.runner === 'native') continue;
      const curve = curveOf(row);
      if (!curve) continue;
      for (const p of windowedMips(curve))
        mips.push({ workload: w.name, runner: row.runner, t: p.t, mips: p.mips });
      const step = Math.max(1, Math.floor(curve.length / 150));
      curve.forEach(([t, n], i) => {
        if (i % step === 0 || i === curve.length - 1)
          cumulative.push({ workload: w.name, runner: row.runner, t, minsns: n / 1e6 });
      });
    }
  }
  if (!mips.length) return [];
  const domain = [...new Set(mips.map((v) => v.runner as string))];
  const facet = { field: 'workload', type: 'nominal', title: null };
  const color = { field: 'runner', sort: domain, ...runnerColor(domain) };
  // One small line chart per workload, the runners as colours, for a y field over guest time.
  const overTime = (title: string, values: unknown[], y: string, yTitle: string) =>
    base(title, {
      data: { values },
      columns: 5,
      facet,
      resolve: { scale: { x: 'independent', y: 'independent' } },
      spec: {
        width: 170,
        height: 110,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds' },
          y: { field: y, type: 'quantitative', title: yTitle },
          color,
        },
      },
    });
  return [
    overTime('Warm-up: MIPS over guest time, from the first instruction (median run)', mips, 'mips', 'MIPS'),
    overTime(
      'Instructions retired over guest time: the jit overtakes the interpreter at the break-even point',
      cumulative,
      'minsns',
      'M instructions',
    ),
  ];
}

/** Where the time of each wasmvisor row's median run went, stacked. */
export function breakdownChart(r: Results): Spec | undefined {
  const values: Spec[] = [];
  const order = [
    'start-up',
    'interpreted (est.)',
    'translated code (est.)',
    'in core',
    'supervisor exits',
    'event loop',
  ];
  for (const w of r.workloads) {
    for (const row of w.rows) {
      const b = row.breakdown;
      if (!b) continue;
      const key = `${w.name} · ${row.runner}`;
      const add = (part: string, seconds: number | null) => {
        if (seconds !== null && seconds > 0) values.push({ key, part, seconds, order: order.indexOf(part) });
      };
      add('start-up', b.startupSeconds);
      if (b.coreSeconds !== null) {
        if (b.translatedSecondsEstimate !== null) {
          add('translated code (est.)', b.translatedSecondsEstimate);
          add('interpreted (est.)', b.coreSeconds - b.translatedSecondsEstimate);
        } else if (row.runner === 'interp') add('interpreted (est.)', b.coreSeconds);
        else add('in core', b.coreSeconds);
      }
      add(
        'supervisor exits',
        Object.values(b.exits).reduce((s, e) => s + (e.seconds ?? 0), 0),
      );
      add('event loop', b.yieldSeconds);
    }
  }
  if (!values.length) return undefined;
  return base('Where the time goes: one run per row (the median one), from process start to exit', {
    data: { values },
    width: 560,
    height: { step: 16 },
    mark: 'bar',
    encoding: {
      y: { field: 'key', type: 'nominal', title: null, sort: null },
      x: { field: 'seconds', type: 'quantitative', stack: 'zero', title: 'seconds' },
      color: {
        field: 'part',
        type: 'nominal',
        title: null,
        scale: { domain: order, range: ['#bab0ac', '#4c78a8', '#f58518', '#72b7b2', '#e45756', '#eeca3b'] },
      },
      order: { field: 'order' },
    },
  });
}

export function sweepCharts(r: Results): { id: string; spec: Spec }[] {
  const out: { id: string; spec: Spec }[] = [];
  for (const s of r.sweeps) {
    if (s.status !== 'measured') continue;
    const values = s.points
      .filter((p) => p.mips !== null && p.x > 0)
      .map((p) => ({ series: p.series, x: p.x, mips: p.mips }));
    if (!values.length) continue;
    const domain = [...new Set(values.map((v) => v.series))];
    const colors = domain.map((d) => RUNNER_COLORS[d.split(' · ')[0]] ?? '#888');
    out.push({
      id: s.id,
      spec: base('', {
        data: { values },
        width: 420,
        height: 240,
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'x',
            type: 'quantitative',
            scale: s.xLog ? { type: 'log', nice: false } : { zero: false },
            title: s.xLabel,
          },
          y: { field: 'mips', type: 'quantitative', title: 'MIPS' },
          color: { field: 'series', title: null, sort: domain, scale: { domain, range: colors } },
          strokeDash: { field: 'series', title: null, sort: domain },
        },
      }),
    });
  }
  return out;
}

export function microChart(r: Results): Spec | undefined {
  const m = r.microbenchmarks;
  if (m.status !== 'measured' || !m.results.length) return undefined;
  const values = m.results
    .filter((x) => x.nsPerOp > 0)
    .map((x) => ({ op: x.label || x.name, engine: x.engine, ns: x.nsPerOp }));
  const domain = [...new Set(values.map((v) => v.engine))];
  return base('Microbenchmarks: nanoseconds per operation (log scale)', {
    data: { values },
    width: 480,
    height: { step: 18 },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      y: { field: 'op', type: 'nominal', title: null, sort: null, axis: { labelLimit: 420 } },
      x: {
        field: 'ns',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'ns per operation (lower is better)',
      },
      color: { field: 'engine', sort: domain, ...runnerColor(domain) },
      shape: { field: 'engine', sort: domain },
    },
  });
}

/** Linux boot to the shell prompt: a bar per runner and firmware (median; whiskers: min and max). */
export function linuxBootChart(r: Results): Spec | undefined {
  const b = r.linuxBoot;
  if (!b || b.status !== 'measured') return undefined;
  const values = b.rows
    .filter((row) => row.seconds)
    .map((row) => ({
      target: `${label(row.runner)}, ${row.firmware === 'builtin' ? 'built-in SBI' : 'OpenSBI'}`,
      runner: label(row.runner),
      seconds: row.seconds!.median,
      low: row.seconds!.min,
      high: row.seconds!.max,
    }));
  if (!values.length) return undefined;
  const domain = [...new Set(values.map((v) => v.runner))];
  const y = { field: 'target', type: 'nominal', title: null, sort: null };
  return base('Linux boot to the shell prompt (wall time from process start; lower is better)', {
    data: { values },
    width: 480,
    height: { step: 22 },
    encoding: { y },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'seconds (median)' },
          color: { field: 'runner', title: 'runner', sort: domain, ...runnerColor(domain) },
        },
      },
      {
        mark: { type: 'rule', color: '#333' },
        encoding: { x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
      },
    ],
  });
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
