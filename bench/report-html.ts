// report.html: one self-contained file (inline CSS and SVG, no script, nothing fetched) with the
// machine, the tables and the charts of a results.json, and the change against an earlier run.
import {
  barsChart,
  breakdownChart,
  linuxBootChart,
  microChart,
  nativeChart,
  renderSvg,
  sweepCharts,
  warmupCharts,
  type Spec,
} from './charts.ts';
import type { Comparison } from './compare.ts';
import { fmtBytes, fmtPercent } from './format.ts';
import type { Results } from './schema.ts';
import { NOISE_TOLERANCE } from './stats.ts';
import {
  breakdownTables,
  compareTable,
  esc,
  headerLines,
  htmlTable,
  linuxBootTable,
  microTable,
  resultsTable,
  sweepTables,
  type Table,
} from './tables.ts';

const CSS = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin-top: 24px; }
.meta { color: #555; margin: 2px 0; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f5f5f5; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; }
.bad { color: #c00; font-weight: bold; }
.good { color: #080; }
.warn { color: #b36b00; }
.bold { font-weight: bold; }
.note { color: #555; font-size: 12.5px; max-width: 1100px; }
.chart { margin: 14px 0; overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; }
.honesty { background: #f8f8f0; border: 1px solid #e6e6cc; padding: 8px 14px; }
.regressions { background: #fff0f0; border: 1px solid #e8b0b0; padding: 8px 14px; }
dl.machine { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; }
dl.machine dt { color: #555; }
dl.machine dd { margin: 0; }
`;

async function chart(spec: Spec | undefined, id: string): Promise<string> {
  if (!spec) return '';
  try {
    return `<div class="chart" id="chart-${id}">${await renderSvg(spec)}</div>`;
  } catch (e) {
    return `<p class="note bad">chart ${esc(id)} could not be drawn: ${esc((e as Error).message)}</p>`;
  }
}

function section(t: Table, level = 'h3'): string {
  const notes = t.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n');
  return `<${level}>${esc(t.title)}</${level}>\n${htmlTable(t)}\n${notes}`;
}

export async function renderReport(r: Results, comparison?: Comparison): Promise<string> {
  const m = r.machine;
  const parts: string[] = [];
  const header = headerLines(r);
  parts.push(`<h1>wasmvisor benchmark</h1>`);
  parts.push(`<p class="meta">${esc(header[0])}</p>`);
  parts.push(`<p class="meta">Command: <code>wasmvisor bench ${esc(r.argv.join(' '))}</code></p>`);
  parts.push(`<dl class="machine">
<dt>CPU</dt><dd>${esc(m.cpu)} (${m.cores} cores), ${esc(fmtBytes(m.memoryBytes))} memory</dd>
<dt>OS</dt><dd>${esc(m.os)}</dd>
<dt>Node / V8</dt><dd>${esc(m.node)} / ${esc(m.v8)}</dd>
<dt>wasmvisor</dt><dd>${esc(m.wasmvisor)}${m.commit ? ` (${esc(m.commit)})` : ''}</dd>
<dt>QEMU</dt><dd>${esc(m.qemu ?? 'not installed: no QEMU rows')}</dd>
<dt>host C compiler</dt><dd>${esc(m.cc ?? 'none: no native rows')}</dd>
${m.loadAverage ? `<dt>load average</dt><dd>${m.loadAverage.map((x) => x.toFixed(2)).join(' at start, ')} at end (1 minute; ${m.cores} cores)</dd>` : ''}
</dl>`);
  parts.push(`<div class="honesty"><p><b>How to read this.</b> Every run is a fresh process, as a user runs it. Warm-up runs are
shown beside the median, not hidden; rows whose runs spread more than ${fmtPercent(NOISE_TOLERANCE)} of their median are marked
<span class="warn">noisy</span>; a row whose output differs from the reference is marked <span class="bad">WRONG</span> and not timed.
wasmvisor's seconds are guest time (first instruction to exit); QEMU's and native's are the wall time of their whole process, start-up
included (the fixed cost of each is measured below). The jit's seconds include its warm-up (translation happens during the run).
Warm MIPS is the speed once warm: the slope between runs of the same guest at two scales, so start-up and warm-up cancel.
Nothing here is asserted: the numbers are this machine's, on this day. Every raw sample is in results.json.</p></div>`);
  if (r.notes.length)
    parts.push(`<ul>${r.notes.map((n) => `<li class="note">${esc(n)}</li>`).join('')}</ul>`);

  if (comparison) {
    const t = compareTable(comparison);
    const reg = comparison.changes.filter((c) => c.verdict === 'regression');
    parts.push(`<h2 id="compare">Change against an earlier run</h2>`);
    if (reg.length) {
      parts.push(
        `<div class="regressions"><p class="bad">${reg.length} regression${reg.length > 1 ? 's' : ''}: ${esc(
          reg.map((c) => `${c.name} ${c.runner} ${fmtPercent(c.slower, true)}`).join(', '),
        )}</p></div>`,
      );
    }
    parts.push(section(t));
  }

  parts.push(`<h2 id="workloads">Workloads: interpreter, translator, QEMU and native</h2>`);
  parts.push(section(resultsTable(r)));
  parts.push(await chart(barsChart(r), 'bars'));
  parts.push(await chart(barsChart(r, true), 'warm'));
  parts.push(await chart(nativeChart(r), 'native'));

  parts.push(`<h2 id="time">Where the time goes</h2>`);
  parts.push(await chart(breakdownChart(r), 'breakdown'));
  for (const t of breakdownTables(r)) parts.push(section(t));
  const [warmMips, warmInsns] = warmupCharts(r);
  if (warmMips) {
    parts.push(`<h3>Warm-up</h3>`);
    parts.push(await chart(warmMips, 'warmup-mips'));
    parts.push(await chart(warmInsns, 'warmup-insns'));
  }

  parts.push(`<h2 id="sweeps">How cost grows</h2>`);
  const charts = sweepCharts(r);
  for (const t of sweepTables(r)) {
    const id = t.id.replace(/^sweep-/, '');
    parts.push(section(t));
    const c = charts.find((x) => x.id === id);
    if (c) parts.push(await chart(c.spec, `sweep-${id}`));
  }

  const linux = linuxBootTable(r);
  if (linux) {
    parts.push(`<h2 id="linux">Linux boot to the shell prompt</h2>`);
    parts.push(section(linux));
    parts.push(await chart(linuxBootChart(r), 'linux'));
  }

  parts.push(`<h2 id="micro">Virtualization microbenchmarks</h2>`);
  const mt = microTable(r);
  parts.push(section({ ...mt, title: mt.title }));
  parts.push(await chart(microChart(r), 'micro'));

  parts.push(`<p class="note">Generated by <code>wasmvisor bench</code> in ${r.seconds.toFixed(0)} s.</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasmvisor benchmark</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
${parts.filter(Boolean).join('\n')}
</body></html>
`;
}
