// The bench's tables, built once from results.json and drawn twice: as text on the terminal
// (colour only on a TTY) and as HTML in the report.
import type { Comparison } from './compare.ts';
import { fmtBytes, fmtCount, fmtMips, fmtNs, fmtPercent, fmtRatio, fmtSeconds } from './format.ts';
import { targetLabel } from './linux-boot.ts';
import type { Results, Row } from './schema.ts';
import { CHANGE_TOLERANCE, NOISE_TOLERANCE } from './stats.ts';

export type Tone = 'bad' | 'good' | 'warn' | 'bold' | 'dim';
export interface Cell {
  text: string;
  tone?: Tone;
}
export type CellLike = string | Cell;

export interface Table {
  id: string;
  title: string;
  head: string[];
  rows: CellLike[][];
  /** The first `left` columns are text (left-aligned); the others are figures. */
  left: number;
  notes: string[];
}

const cell = (c: CellLike): Cell => (typeof c === 'string' ? { text: c } : c);
export const runnerLabel = (r: string) => (r === 'qemu' ? 'QEMU' : r);

function statusCell(row: Row): Cell {
  if (row.status === 'wrong') return { text: 'WRONG output: not timed', tone: 'bad' };
  if (row.status === 'failed') return { text: `FAILED: ${row.note ?? ''}`, tone: 'bad' };
  const marks: string[] = [];
  if (row.seconds?.noisy) marks.push(`noisy (spread > ${fmtPercent(NOISE_TOLERANCE)})`);
  if (row.status === 'unchecked') marks.push('output unchecked');
  return { text: marks.join(', '), tone: row.seconds?.noisy ? 'warn' : undefined };
}

/** The second scale of the warm figures (undefined: none, e.g. an older results.json). */
const warmScaleOf = (r: Results) =>
  r.workloads.flatMap((w) => w.rows).find((x) => x.warm && !x.warm.from)?.warm?.scale;

export function headerLines(r: Results): string[] {
  const c = r.config;
  const runs = `median of ${c.repeat} run${c.repeat > 1 ? 's' : ''}`;
  const warm = c.warmup
    ? ` after ${c.warmup} warm-up run${c.warmup > 1 ? 's' : ''} per row (shown, not in the median)`
    : ', no warm-up run';
  const m = r.machine;
  const warmScale = warmScaleOf(r);
  const scales = `scale ${c.scale}${warmScale ? ` (and ${warmScale} for warm MIPS)` : ''}`;
  return [
    `wasmvisor bench${c.quick ? ' --quick' : ''}: ${scales}, ${runs}${warm}; ${new Date(r.createdAt).toISOString()}`,
    `${m.cpu}, ${m.cores} cores, ${fmtBytes(m.memoryBytes)}; ${m.os}; Node ${m.node} (V8 ${m.v8}); wasmvisor ${m.wasmvisor}${m.commit ? ` (${m.commit})` : ''}`,
    `${m.qemu ?? 'no QEMU'}; host compiler: ${m.cc ?? 'none'}` +
      (m.loadAverage
        ? `; load average ${m.loadAverage.map((x) => x.toFixed(1)).join(' at start, ')} at end`
        : ''),
  ];
}

export function resultsTable(r: Results): Table {
  const rows: CellLike[][] = [];
  for (const w of r.workloads) {
    w.rows.forEach((row, i) => {
      const warm = row.samples.filter((s) => s.warmup);
      rows.push([
        i === 0 ? { text: w.name, tone: 'bold' } : '',
        runnerLabel(row.runner),
        i === 0 ? fmtCount(w.instret) : '',
        row.seconds ? fmtSeconds(row.seconds.median) : '–',
        row.seconds && row.seconds.n > 1
          ? `${fmtSeconds(row.seconds.min)} – ${fmtSeconds(row.seconds.max)}`
          : '',
        { text: fmtMips(row.mips), tone: row.seconds?.noisy ? 'warn' : undefined },
        // Native has no warm figures (its start-up is negligible); older files have none at all.
        row.warm ? { text: fmtMips(row.warm.mips), tone: row.warm.seconds?.noisy ? 'warn' : undefined } : '',
        row.runner === 'interp' ? '' : fmtRatio(row.vsInterp),
        row.runner === 'qemu' ? '' : fmtRatio(row.vsQemu),
        row.runner === 'native' ? '' : fmtRatio(row.vsNative),
        row.warm && row.runner !== 'interp' ? fmtRatio(row.warm.vsInterp) : '',
        row.warm && row.runner !== 'qemu' ? fmtRatio(row.warm.vsQemu) : '',
        warm.map((s) => (s.ok ? fmtSeconds(s.seconds) : 'failed')).join(' '),
        statusCell(row),
      ]);
    });
  }
  let first = true;
  for (const s of r.summary) {
    if (!s.rows) continue;
    rows.push([
      first ? { text: 'geomean', tone: 'bold' } : '',
      runnerLabel(s.runner),
      '',
      '',
      '',
      { text: fmtMips(s.geomeanMips), tone: 'bold' },
      s.warm?.rows ? { text: fmtMips(s.warm.geomeanMips), tone: 'bold' } : '',
      s.runner === 'interp' ? '' : fmtRatio(s.vsInterp),
      s.runner === 'qemu' ? '' : fmtRatio(s.vsQemu),
      s.runner === 'native' ? '' : fmtRatio(s.vsNative),
      s.warm?.rows && s.runner !== 'interp' ? fmtRatio(s.warm.vsInterp) : '',
      s.warm?.rows && s.runner !== 'qemu' ? fmtRatio(s.warm.vsQemu) : '',
      '',
      `${s.rows} workload${s.rows > 1 ? 's' : ''}`,
    ]);
    first = false;
  }
  const notes = [
    'seconds: the median; guest time for wasmvisor (first instruction to exit, from --stats), wall time of the whole process for QEMU and native. ' +
      "min – max: the fastest and slowest measured run. MIPS: the guest's instructions / seconds (for QEMU and native too). " +
      "vs X: X's seconds / this row's (above 1x: faster than X). warm-up: the warm-up runs' seconds.",
  ];
  const ws = warmScaleOf(r);
  if (ws !== undefined) {
    notes.push(
      `warm MIPS: the speed once warm, the slope between the same guest at scale ${r.config.scale} and ${ws}: ` +
        `(instructions at ${ws} - at ${r.config.scale}) / (median seconds at ${ws} - at ${r.config.scale}); start-up and warm-up, ` +
        'paid at both, cancel (–: the difference was not positive); a runner still warming up at the first takes the ' +
        `next pair, ${ws} and ${(ws * ws) / r.config.scale} (see the notes). warm vs X: this row's warm MIPS / X's.`,
    );
  }
  if (r.startup.length) {
    notes.push(
      'fixed cost of one run (whole process, a guest that only exits): ' +
        r.startup.map((s) => `${runnerLabel(s.runner)} ${fmtSeconds(s.wallSeconds.median)}`).join(', '),
    );
  }
  for (const w of r.workloads) for (const n of w.notes) notes.push(`${w.name}: ${n}`);
  return {
    id: 'results',
    title: 'Workloads',
    head: [
      'workload',
      'runner',
      'instructions',
      'seconds',
      'min – max',
      'MIPS',
      'warm MIPS',
      'vs interp',
      'vs QEMU',
      'vs native',
      'warm vs interp',
      'warm vs QEMU',
      'warm-up',
      '',
    ],
    rows,
    left: 2,
    notes,
  };
}

export function breakdownTables(r: Results): Table[] {
  const time: CellLike[][] = [];
  const trans: CellLike[][] = [];
  for (const w of r.workloads) {
    for (const row of w.rows) {
      const b = row.breakdown;
      if (!b) continue;
      const exits = Object.entries(b.exits)
        .filter(([, e]) => e.count > 0)
        .sort((x, y) => (y[1].seconds ?? 0) - (x[1].seconds ?? 0))
        .slice(0, 4)
        .map(([k, e]) => `${k} ${fmtCount(e.count)} × ${e.micros !== null ? fmtNs(e.micros * 1000) : '?'}`)
        .join(', ');
      const exitTotal = Object.values(b.exits).reduce((s, e) => s + (e.seconds ?? 0), 0);
      time.push([
        w.name,
        row.runner,
        fmtSeconds(b.startupSeconds),
        fmtSeconds(b.guestSeconds),
        fmtSeconds(b.coreSeconds),
        b.translatedFraction === null ? '' : fmtPercent(b.translatedFraction),
        b.translatedSecondsEstimate === null ? '' : fmtSeconds(b.translatedSecondsEstimate),
        fmtSeconds(exitTotal),
        fmtSeconds(b.yieldSeconds),
        exits,
      ]);
      if (row.runner === 'jit') {
        trans.push([
          w.name,
          fmtSeconds(b.translatorReadySeconds),
          fmtSeconds(b.translateSeconds),
          fmtSeconds(b.compileSeconds),
          `${b.regions ?? '–'} / ${b.modules ?? '–'} / ${b.liveRegions ?? '–'}`,
          fmtBytes(b.wasmBytes),
          `${b.invalidations ?? '–'} / ${b.flushes ?? '–'}`,
          b.breakEvenSeconds === null
            ? { text: 'not reached', tone: 'warn' }
            : fmtSeconds(b.breakEvenSeconds),
          fmtMips(b.steadyMips),
        ]);
      }
    }
  }
  const out: Table[] = [];
  if (time.length) {
    out.push({
      id: 'time',
      title: 'Where the time goes (the median run of each row)',
      head: [
        'workload',
        'engine',
        'start-up',
        'guest',
        'in core',
        'insns translated',
        '≈ translated code',
        'exits',
        'event loop',
        'costliest exits: count × cost each',
      ],
      rows: time,
      left: 2,
      notes: [
        'start-up: process start to the first instruction (not in guest time). in core: the interpreter and translated code; ' +
          "≈ translated code: in core less the interpreted instructions at the interpreter row's rate (an estimate, which also holds the jit-mode interpreter's extra bookkeeping; given from 5% of instructions translated). " +
          "exits: the supervisor handling the core's exits (MMIO, hot blocks, code writes, ...). event loop: yields (console, translations arriving from the worker, WFI).",
      ],
    });
  }
  if (trans.length) {
    out.push({
      id: 'translator',
      title: 'The translator',
      head: [
        'workload',
        'ready after',
        'translate (worker)',
        'V8 compile',
        'regions / modules / live',
        'Wasm compiled',
        'invalidations / flushes',
        'break-even vs interp',
        'MIPS, last quarter',
      ],
      rows: trans,
      left: 1,
      notes: [
        'ready after: first instruction to binaryen loaded in the compile worker (the interpreter runs meanwhile). translate: binaryen building modules, in the worker beside the guest. ' +
          "V8 compile: compiling and instantiating them on the guest's thread. live: regions in the code cache at the end. " +
          'break-even: guest time after which the jit has retired more instructions than the interpreter had by then.',
      ],
    });
  }
  return out;
}

export function sweepTables(r: Results): Table[] {
  const out: Table[] = [];
  for (const s of r.sweeps) {
    if (s.status !== 'measured') {
      out.push({
        id: `sweep-${s.id}`,
        title: s.title,
        head: [],
        rows: [],
        left: 1,
        notes: [s.note ?? s.status],
      });
      continue;
    }
    const series = [...new Set(s.points.map((p) => p.series))];
    // One row per setting: the scale, the block count, the rewrite interval.
    const settingOf = (p: (typeof s.points)[number]): string =>
      s.id === 'footprint'
        ? `${p.extra.blocks} blocks (${fmtBytes(p.extra.hotBytes)})`
        : s.id === 'smc'
          ? p.extra.callsPerWrite === null
            ? 'written once'
            : `every ${p.extra.callsPerWrite} calls`
          : String(p.x);
    const settings = [...new Set(s.points.map(settingOf))];
    const rows = settings.map((setting) => {
      const at = s.points.filter((p) => settingOf(p) === setting);
      return [
        setting,
        ...series.map((name): CellLike => {
          const p = at.find((q) => q.series === name);
          if (!p) return '';
          if (p.status === 'wrong' || p.status === 'failed')
            return { text: p.status.toUpperCase(), tone: 'bad' };
          let text = fmtMips(p.mips);
          if (s.id === 'smc' && p.extra.writesPerSecond)
            text += ` at ${fmtCount(p.extra.writesPerSecond)} writes/s`;
          if (s.id === 'footprint' && p.runner === 'jit' && p.extra.translateSeconds !== null) {
            text += ` (translate ${fmtSeconds(p.extra.translateSeconds)})`;
          }
          return text;
        }),
      ];
    });
    out.push({
      id: `sweep-${s.id}`,
      title: s.title,
      head: [
        s.id === 'smc' ? 'rewrite' : s.id === 'footprint' ? 'hot code' : s.xLabel,
        ...series.map((x) => `${x} MIPS`),
      ],
      rows,
      left: 1,
      notes: s.note ? [s.note] : [],
    });
  }
  return out;
}

/** Linux boot time to the shell prompt, each engine and firmware beside QEMU's (undefined in older files). */
export function linuxBootTable(r: Results): Table | undefined {
  const b = r.linuxBoot;
  if (!b) return undefined;
  const title = 'Linux boot to shell (s)';
  if (b.status !== 'measured')
    return { id: 'linux', title, head: [], rows: [], left: 1, notes: [b.note ?? b.status] };
  const secs = (x: number) => x.toFixed(3);
  const rows = b.rows.map((row): CellLike[] => {
    const status: Cell =
      row.status === 'failed'
        ? { text: `FAILED: ${row.note ?? ''}`, tone: 'bad' }
        : row.status === 'skipped'
          ? { text: `skipped: ${row.note ?? ''}`, tone: 'dim' }
          : row.seconds?.noisy
            ? { text: `noisy (spread > ${fmtPercent(NOISE_TOLERANCE)})`, tone: 'warn' }
            : { text: '' };
    return [
      targetLabel(row),
      row.seconds ? secs(row.seconds.median) : '–',
      row.seconds && row.seconds.n > 1 ? `${secs(row.seconds.min)} – ${secs(row.seconds.max)}` : '',
      row.runner === 'qemu' || row.qemuRatio === null ? '' : `${row.qemuRatio.toFixed(2)}`,
      row.warmupSamples.map(secs).join(' '),
      status,
    ];
  });
  return {
    id: 'linux',
    title,
    head: ['runner', 'median', 'min – max', "/ QEMU's", 'warm-up', ''],
    rows,
    left: 1,
    notes: [
      'Wall time from starting the process to the first shell prompt (Node and wasmvisor start-up included, ' +
        "as for QEMU); each run then types poweroff and must exit with status 0. / QEMU's: this row's median " +
        "over QEMU's (2.00: twice QEMU's time). QEMU boots through OpenSBI fw_jump.",
    ],
  };
}

export function microTable(r: Results): Table {
  const m = r.microbenchmarks;
  const title = 'Virtualization microbenchmarks (time per operation)';
  if (m.status !== 'measured' || !m.results.length) {
    return { id: 'micro', title, head: [], rows: [], left: 1, notes: [m.note ?? m.status] };
  }
  const engines = [...new Set(m.results.map((x) => x.engine))];
  const names = [...new Set(m.results.map((x) => x.name))];
  const rows = names.map((name) => {
    const first = m.results.find((x) => x.name === name)!;
    return [
      first.label || name,
      ...engines.map((e) => {
        const x = m.results.find((y) => y.name === name && y.engine === e);
        return x ? fmtNs(x.nsPerOp) : '';
      }),
      first.note ?? '',
    ];
  });
  return {
    id: 'micro',
    title,
    head: ['operation', ...engines, ''],
    rows,
    left: 1,
    notes: m.note ? [m.note] : [],
  };
}

export function compareTable(c: Comparison): Table {
  const rows = c.changes.map((ch) => {
    const f = (v: number) =>
      ch.unit === 's' ? fmtSeconds(v) : ch.unit === 'MIPS' ? `${fmtMips(v)} MIPS` : fmtNs(v);
    const verdict: Cell =
      ch.verdict === 'regression'
        ? { text: `${fmtPercent(ch.slower, true)} slower: REGRESSION`, tone: 'bad' }
        : ch.verdict === 'improvement'
          ? { text: `${fmtPercent(-ch.slower)} faster`, tone: 'good' }
          : { text: `${fmtPercent(ch.slower, true)} (within ±${fmtPercent(ch.threshold)})` };
    return [ch.name, runnerLabel(ch.runner), f(ch.old), f(ch.new), verdict];
  });
  const reg = c.changes.filter((ch) => ch.verdict === 'regression').length;
  return {
    id: 'compare',
    title: `Change against ${c.against} (run of ${c.againstCreatedAt})`,
    head: ['what', 'runner', 'then', 'now', 'change'],
    rows,
    left: 2,
    notes: [
      ...c.notes,
      reg ? `${reg} regression${reg > 1 ? 's' : ''}` : 'no regression',
      `A change counts when it exceeds ${fmtPercent(CHANGE_TOLERANCE)} and the two runs' spreads added up; times are compared, so +10% means 10% slower.`,
    ],
  };
}

// --- drawing ---

export interface Style {
  tone(t: Tone | undefined, s: string): string;
}

export function ansi(color: boolean): Style {
  const codes: Record<Tone, string> = { bad: '31', good: '32', warn: '33', bold: '1', dim: '2' };
  return { tone: (t, s) => (color && t && s ? `\x1b[${codes[t]}m${s}\x1b[0m` : s) };
}

export function textTable(t: Table, st: Style): string {
  const out = [st.tone('bold', t.title)];
  if (t.head.length) {
    const cells = t.rows.map((r) => r.map(cell));
    const widths = t.head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.text.length ?? 0)));
    const line = (r: Cell[]) =>
      r
        .map((c, i) => {
          const pad = ' '.repeat(Math.max(0, widths[i] - c.text.length));
          return i < t.left || t.head[i] === ''
            ? st.tone(c.tone, c.text) + pad
            : pad + st.tone(c.tone, c.text);
        })
        .join('  ')
        .trimEnd();
    out.push(line(t.head.map((h) => ({ text: h }))));
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of cells) out.push(line(r));
  }
  for (const n of t.notes) out.push(st.tone('dim', n));
  return out.join('\n');
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlTable(t: Table): string {
  if (!t.head.length) return '';
  const td = (c: CellLike, i: number, tag = 'td') => {
    const x = cell(c);
    const text = i < t.left || t.head[i] === '';
    const cls = [text ? 'text' : 'num', x.tone ?? ''].filter(Boolean).join(' ');
    return `<${tag} class="${cls}">${esc(x.text)}</${tag}>`;
  };
  const head = `<tr>${t.head.map((h, i) => td(h, i, 'th')).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => td(c, i)).join('')}</tr>`).join('\n');
  return `<table id="table-${t.id}"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

export { esc };
