// Summary statistics of repeated measurements, and the named tolerances the bench judges them by.

/**
 * A row whose samples spread more than this (max - min over the median) is marked as noisy: its
 * median is reported, but the reader is told not to trust small differences.
 */
export const NOISE_TOLERANCE = 0.1;

/**
 * --compare: a change counts as a regression (or an improvement) only when it is larger than this
 * and than the two measurements' own spreads added up.
 */
export const CHANGE_TOLERANCE = 0.05;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (ok.length === 0) return NaN;
  return Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length);
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: 0 for a single sample. */
  spread: number;
  /** spread > NOISE_TOLERANCE */
  noisy: boolean;
  n: number;
}

export function summarize(xs: readonly number[]): Summary {
  const med = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const spread = xs.length > 1 && med > 0 ? (max - min) / med : 0;
  return { median: med, min, max, spread, noisy: spread > NOISE_TOLERANCE, n: xs.length };
}

/**
 * When curve `b` catches up with curve `a` for good (the jit's instructions retired against the
 * interpreter's, over guest seconds): 0 when it is never behind, null when it is still behind at
 * the end of the shorter curve. Curves are rising [x, y] points.
 */
export function breakEven(a: readonly [number, number][], b: readonly [number, number][]): number | null {
  if (a.length === 0 || b.length === 0) return null;
  const at = (curve: readonly [number, number][], x: number): number => {
    let [x0, y0] = [0, 0];
    for (const [x1, y1] of curve) {
      if (x <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
      [x0, y0] = [x1, y1];
    }
    return y0;
  };
  const end = Math.min(a[a.length - 1][0], b[b.length - 1][0]);
  const xs = [...new Set([...a, ...b].map((p) => p[0]))].filter((x) => x <= end).sort((p, q) => p - q);
  const gap = (x: number) => at(b, x) - at(a, x);
  let lastBehind = -1;
  xs.forEach((x, i) => {
    if (gap(x) < 0) lastBehind = i;
  });
  if (lastBehind < 0) return 0;
  if (lastBehind === xs.length - 1) return null;
  // The crossing between the last point behind and the next, by linear interpolation.
  const [x0, x1] = [xs[lastBehind], xs[lastBehind + 1]];
  const [g0, g1] = [gap(x0), gap(x1)];
  return x0 + ((x1 - x0) * -g0) / (g1 - g0);
}
