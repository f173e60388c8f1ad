// Scores of one cell against one label: the area under the ROC curve for binary labels (by
// ranking, ties averaged: the Mann-Whitney U statistic) and Pearson's r for counts.
//
// Sorting is the expensive part, so it is done once per cell (sortOrder) and every binary label
// (and every subset of characters, e.g. "away from the delimiters") is scored from that order.

/** Largest number of values sortOrder ranks at once (index bits packed beside the value). */
export const MAX_RANKED = 1 << 21;

/** A float32's bits as a uint32 that sorts like the float (negative values flipped). */
function sortableBits(u32: Uint32Array, i: number): number {
  const b = u32[i] === 0x80000000 ? 0 : u32[i];   // -0 ranks with +0
  return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/**
 * The ascending order of x (n ≤ MAX_RANKED): order[r] is the index of the r-th smallest value, and
 * tieStart[r] the first rank of the run of equal values rank r belongs to. One native sort of
 * doubles that pack (value bits, index), so no comparator is called.
 * `keys` (n) is scratch space, reusable between calls.
 */
export function sortOrder(x: Float32Array, keys?: Float64Array): { order: Int32Array; tieStart: Int32Array } {
  const n = x.length;
  if (n > MAX_RANKED) throw new Error(`Cannot rank more than ${MAX_RANKED} values at once, not ${n}.`);
  const u32 = new Uint32Array(x.buffer, x.byteOffset, n);
  const k = keys && keys.length >= n ? keys.subarray(0, n) : new Float64Array(n);
  for (let i = 0; i < n; i++) k[i] = sortableBits(u32, i) * MAX_RANKED + i;   // < 2^53: exact
  k.sort();
  const order = new Int32Array(n), tieStart = new Int32Array(n);
  let runStart = 0, prevBits = -1;
  for (let r = 0; r < n; r++) {
    const idx = k[r] % MAX_RANKED;
    const bits = (k[r] - idx) / MAX_RANKED;
    order[r] = idx;
    if (bits !== prevBits) { runStart = r; prevBits = bits; }
    tieStart[r] = runStart;
  }
  return { order, tieStart };
}

/**
 * AUC of the values whose order is given, for the binary label y, over the characters where
 * include is 1 (all when absent): P(value of a positive > value of a negative), ties counting
 * half. NaN when either class is empty.
 */
export function aucFromOrder(order: Int32Array, tieStart: Int32Array, y: Uint8Array, include?: Uint8Array): number {
  const n = order.length;
  // Walk runs of equal values; within a run, the included ranks are averaged.
  let rank = 0;          // included values ranked so far
  let posRankSum = 0, pos = 0, neg = 0;
  let r = 0;
  while (r < n) {
    let end = r + 1;
    while (end < n && tieStart[end] === tieStart[r]) end++;
    let runPos = 0, runAll = 0;
    for (let q = r; q < end; q++) {
      const i = order[q];
      if (include && !include[i]) continue;
      runAll++;
      if (y[i]) runPos++;
    }
    // ranks rank+1 .. rank+runAll share their mean
    posRankSum += runPos * (rank + (runAll + 1) / 2);
    pos += runPos; neg += runAll - runPos;
    rank += runAll;
    r = end;
  }
  if (pos === 0 || neg === 0) return NaN;
  return (posRankSum - pos * (pos + 1) / 2) / (pos * neg);
}

/** AUC of x for the binary label y (a sort per call; use sortOrder + aucFromOrder for many labels). */
export function auc(x: Float32Array, y: Uint8Array, include?: Uint8Array): number {
  const { order, tieStart } = sortOrder(x);
  return aucFromOrder(order, tieStart, y, include);
}

/** Running sums for Pearson's r between a value and a target. */
export class PearsonSums {
  n = 0; sx = 0; sy = 0; sxx = 0; syy = 0; sxy = 0;
  add(x: number, y: number): void {
    this.n++; this.sx += x; this.sy += y; this.sxx += x * x; this.syy += y * y; this.sxy += x * y;
  }
  /** r, or NaN when either side is constant or there are fewer than two points. */
  r(): number {
    const { n, sx, sy } = this;
    if (n < 2) return NaN;
    const cxx = this.sxx - sx * sx / n, cyy = this.syy - sy * sy / n, cxy = this.sxy - sx * sy / n;
    if (!(cxx > 1e-12 * Math.max(1, this.sxx)) || !(cyy > 1e-12 * Math.max(1, this.syy))) return NaN;
    return Math.max(-1, Math.min(1, cxy / Math.sqrt(cxx * cyy)));
  }
}

/** Pearson's r between x and y over [start, end) (all by default), in float64. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, start = 0, end = x.length): number {
  // Two passes (means first): accurate even when the values sit far from zero.
  let mx = 0, my = 0;
  const n = end - start;
  if (n < 2) return NaN;
  for (let i = start; i < end; i++) { mx += x[i]; my += y[i]; }
  mx /= n; my /= n;
  let cxx = 0, cyy = 0, cxy = 0;
  for (let i = start; i < end; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    cxx += dx * dx; cyy += dy * dy; cxy += dx * dy;
  }
  if (cxx === 0 || cyy === 0) return NaN;
  return Math.max(-1, Math.min(1, cxy / Math.sqrt(cxx * cyy)));
}
