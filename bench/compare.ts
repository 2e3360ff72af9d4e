// --compare old.json: each figure of this run against the same figure of an earlier one. A change
// counts only when it is larger than CHANGE_TOLERANCE and than the two measurements' spreads added
// up; anything smaller is reported as the same. Nothing here fails a run: the bench never asserts
// wall time, it shows the change (a regression in red on a terminal, marked in the report).
import { targetLabel } from './linux-boot.ts';
import type { Results } from './schema.ts';
import { CHANGE_TOLERANCE } from './stats.ts';

export interface Change {
  what: 'workload' | 'warm' | 'geomean' | 'microbenchmark' | 'linux boot';
  name: string;
  runner: string;
  unit: 's' | 'MIPS' | 'ns/op';
  old: number;
  new: number;
  /** Relative change in time ((new - old) / old for seconds and ns/op; old / new - 1 for MIPS): above 0 is slower. */
  slower: number;
  /** The change needed to count: CHANGE_TOLERANCE, or the spreads added up when larger. */
  threshold: number;
  verdict: 'regression' | 'improvement' | 'same';
}

export interface Comparison {
  against: string;
  againstCreatedAt: string;
  changes: Change[];
  notes: string[];
}

const spreadOf = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const med = s[s.length >> 1];
  return med > 0 ? (s[s.length - 1] - s[0]) / med : 0;
};

function judge(slower: number, threshold: number): Change['verdict'] {
  if (slower > threshold) return 'regression';
  if (slower < -threshold) return 'improvement';
  return 'same';
}

export function compareResults(old: Results, cur: Results, againstPath: string): Comparison {
  const notes: string[] = [];
  const changes: Change[] = [];
  if (old.config.scale !== cur.config.scale) {
    notes.push(`scale differs (${old.config.scale} then, ${cur.config.scale} now): times are not comparable`);
  }
  if (old.machine.cpu !== cur.machine.cpu || old.machine.cores !== cur.machine.cores) {
    notes.push(
      `another machine: ${old.machine.cpu} (${old.machine.cores} cores) then, ${cur.machine.cpu} (${cur.machine.cores}) now`,
    );
  }
  if (old.machine.node !== cur.machine.node)
    notes.push(`Node ${old.machine.node} then, ${cur.machine.node} now`);
  if (old.machine.qemu !== cur.machine.qemu && old.machine.qemu && cur.machine.qemu) {
    notes.push(`QEMU differs: ${old.machine.qemu} then, ${cur.machine.qemu} now`);
  }
  const busy = (r: Results) => (r.machine.loadAverage?.[0] ?? 0) >= 1;
  if (busy(old) || busy(cur)) {
    notes.push(
      `${busy(old) ? (busy(cur) ? 'both runs were' : 'the earlier run was') : 'this run was'} taken on a busy machine (load average 1 or more): expect noise`,
    );
  }
  const missing: string[] = [];
  for (const w of cur.workloads) {
    const ow = old.workloads.find((x) => x.name === w.name);
    for (const row of w.rows) {
      const orow = ow?.rows.find((r) => r.runner === row.runner);
      if (!orow?.seconds || !row.seconds) {
        if (row.seconds) missing.push(`${w.name}/${row.runner}`);
        continue;
      }
      if (ow!.scale !== w.scale) continue;
      const slower = (row.seconds.median - orow.seconds.median) / orow.seconds.median;
      const threshold = Math.max(CHANGE_TOLERANCE, orow.seconds.spread + row.seconds.spread);
      changes.push({
        what: 'workload',
        name: w.name,
        runner: row.runner,
        unit: 's',
        old: orow.seconds.median,
        new: row.seconds.median,
        slower,
        threshold,
        verdict: judge(slower, threshold),
      });
      // Warm MIPS, where both runs have it at the same scales.
      const [was, now] = [orow.warm, row.warm];
      if (was?.mips && now?.mips && was.scale === now.scale) {
        const slower = was.mips / now.mips - 1;
        const threshold = Math.max(CHANGE_TOLERANCE, (was.seconds?.spread ?? 0) + (now.seconds?.spread ?? 0));
        changes.push({
          what: 'warm',
          name: `${w.name}, warm`,
          runner: row.runner,
          unit: 'MIPS',
          old: was.mips,
          new: now.mips,
          slower,
          threshold,
          verdict: judge(slower, threshold),
        });
      }
    }
  }
  if (missing.length) notes.push(`not in the earlier run (or not timed there): ${missing.join(', ')}`);
  for (const s of cur.summary) {
    const o = old.summary.find((x) => x.runner === s.runner);
    if (!o?.geomeanMips || !s.geomeanMips) continue;
    const slower = o.geomeanMips / s.geomeanMips - 1;
    changes.push({
      what: 'geomean',
      name: 'geomean',
      runner: s.runner,
      unit: 'MIPS',
      old: o.geomeanMips,
      new: s.geomeanMips,
      slower,
      threshold: CHANGE_TOLERANCE,
      verdict: judge(slower, CHANGE_TOLERANCE),
    });
    const [was, now] = [o.warm?.geomeanMips, s.warm?.geomeanMips];
    if (was && now) {
      const slower = was / now - 1;
      changes.push({
        what: 'geomean',
        name: 'geomean, warm',
        runner: s.runner,
        unit: 'MIPS',
        old: was,
        new: now,
        slower,
        threshold: CHANGE_TOLERANCE,
        verdict: judge(slower, CHANGE_TOLERANCE),
      });
    }
  }
  for (const m of cur.microbenchmarks.results) {
    const o = old.microbenchmarks.results.find((x) => x.name === m.name && x.engine === m.engine);
    if (!o || !(o.nsPerOp > 0) || !(m.nsPerOp > 0)) continue;
    const slower = (m.nsPerOp - o.nsPerOp) / o.nsPerOp;
    const threshold = Math.max(CHANGE_TOLERANCE, spreadOf(o.samples ?? []) + spreadOf(m.samples ?? []));
    changes.push({
      what: 'microbenchmark',
      name: m.name,
      runner: m.engine,
      unit: 'ns/op',
      old: o.nsPerOp,
      new: m.nsPerOp,
      slower,
      threshold,
      verdict: judge(slower, threshold),
    });
  }
  // Linux boot to the shell prompt, per runner and firmware (absent in older files).
  for (const row of cur.linuxBoot?.rows ?? []) {
    const o = old.linuxBoot?.rows.find((x) => x.runner === row.runner && x.firmware === row.firmware);
    if (!o?.seconds || !row.seconds) continue;
    const slower = (row.seconds.median - o.seconds.median) / o.seconds.median;
    const threshold = Math.max(CHANGE_TOLERANCE, o.seconds.spread + row.seconds.spread);
    changes.push({
      what: 'linux boot',
      name: 'linux boot',
      runner: targetLabel(row),
      unit: 's',
      old: o.seconds.median,
      new: row.seconds.median,
      slower,
      threshold,
      verdict: judge(slower, threshold),
    });
  }
  return { against: againstPath, againstCreatedAt: old.createdAt, changes, notes };
}
