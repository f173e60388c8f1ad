// Every cell against every feature, chosen on one half of the text and scored on the other.
//
//   binary feature  AUC of the cell's value for "inside the feature" (the Mann-Whitney U from
//                   the ranks of the half). A feature is a list of spans, so the rank sum of its
//                   characters is a difference of prefix sums per span: one ranking (a counting
//                   sort) and one prefix sum per cell and half, then O(spans) per feature.
//   numeric feature Pearson r of c and of tanh(c) with the value.
//
// Per feature: the cell with the best oriented score on the first half (its sign chosen there),
// reported with its score on the second. Per cell: the feature it explains best, the same way.
import { cellValues, type Activations } from '../activations';
import type { Feature } from './features';

/** A binary feature is scored when it holds, and fails, on at least this many characters of each half. */
export const MIN_SUPPORT = 100;

export interface FeatureScore {
  feature: string;
  layer: number;
  index: number;
  metric: 'auc' | 'r';
  /** AUC oriented by sign, or sign·r, on the scoring half. */
  score: number;
  sign: 1 | -1;
  /** The value scored: AUC is the same for c and tanh(c); r is not. */
  variant: 'c' | 'tanh';
  /** The oriented score on the choosing half. */
  selectScore: number;
  /** Binary: the share of characters inside the feature (both halves). */
  coverage?: number;
  /** Other names of the same characters. */
  aliases?: string[];
  /** The next cells of the choosing half, with their scores on the other. */
  runnersUp: { layer: number; index: number; score: number }[];
}

export interface CellExplanation { layer: number; index: number; feature: string; metric: 'auc' | 'r'; score: number; sign: 1 | -1 }

export interface AtlasScores {
  features: FeatureScore[];
  /** One per cell, best explained first. */
  cells: CellExplanation[];
  /** Features left out: too rare or too common in a half (binary), constant in a half (numeric). */
  skipped: number;
}

interface Scored { f: Feature; sel: Float64Array; held: Float64Array; variant?: Uint8Array; coverage?: number }

export function scoreAtlas(a: Activations, features: readonly Feature[], split: number, runnersUp = 3): AtlasScores {
  const halves: [number, number][] = [[0, split], [split, a.n]];
  const D = a.d;
  const binary: { f: Feature; clipped: Int32Array[]; pos: number[] }[] = [];
  const numeric: { f: Feature; y: Float32Array }[] = [];
  let skipped = 0;
  for (const f of features) {
    if (f.kind === 'binary') {
      const clipped = halves.map(([s, e]) => clip(f.spans, s, e));
      const pos = clipped.map(spanLength);
      const ok = halves.every(([s, e], h) => pos[h] >= MIN_SUPPORT && e - s - pos[h] >= MIN_SUPPORT);
      if (ok) binary.push({ f, clipped, pos }); else skipped++;
    } else if (halves.every(([s, e]) => varies(f.values, s, e))) {
      numeric.push({ f, y: f.values });
    } else skipped++;
  }

  // auc[feature][half] (D), r[feature][half][variant] (D)
  const auc = binary.map(() => halves.map(() => new Float64Array(D)));
  const r = numeric.map(() => halves.map(() => [new Float64Array(D), new Float64Array(D)]));
  const longest = Math.max(split, a.n - split);
  const bins = new Uint16Array(longest), counts = new Float64Array(RANK_LEVELS);
  const prefix = new Float64Array(longest + 1);
  const sums = new CellSums(longest);
  // Σy, Σy² of each numeric feature per half
  const ySums = numeric.map((m) => halves.map(([s, e]) => {
    let sy = 0, syy = 0;
    for (let i = s; i < e; i++) { sy += m.y[i]; syy += m.y[i] * m.y[i]; }
    return [sy, syy];
  }));
  for (let d = 0; d < D; d++) {
    halves.forEach(([s, e], h) => {
      const x = cellValues(a, d, s, e), n = e - s;
      rankPrefix(x, bins, counts, prefix);
      if (numeric.length > 0) sums.load(x);
      binary.forEach((b, k) => {
        const sp = b.clipped[h], pos = b.pos[h], neg = n - pos;
        let rankSum = 0;
        for (let j = 0; j < sp.length; j += 2) rankSum += prefix[sp[j + 1]] - prefix[sp[j]];
        auc[k][h][d] = (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
      });
      numeric.forEach((m, k) => {
        const [rc, rt] = sums.r(x, m.y, s, ySums[k][h][0], ySums[k][h][1]);
        r[k][h][0][d] = rc; r[k][h][1][d] = rt;
      });
    });
  }

  const scored: Scored[] = [];
  binary.forEach((b, k) => {
    const [A, B] = auc[k];
    const sel = new Float64Array(D), held = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      const up = A[d] >= 0.5;
      sel[d] = up ? A[d] : 1 - A[d];
      held[d] = up ? B[d] : 1 - B[d];
    }
    scored.push({ f: b.f, sel, held, coverage: (b.pos[0] + b.pos[1]) / a.n });
  });
  numeric.forEach((m, k) => {
    const sel = new Float64Array(D), held = new Float64Array(D), variant = new Uint8Array(D);
    for (let d = 0; d < D; d++) {
      const v = Math.abs(r[k][0][1][d]) > Math.abs(r[k][0][0][d]) ? 1 : 0;
      const rA = r[k][0][v][d], rB = r[k][1][v][d];
      sel[d] = Number.isFinite(rA) ? Math.abs(rA) : 0;
      held[d] = Number.isFinite(rB) && Number.isFinite(rA) ? Math.sign(rA || 1) * rB : 0;
      variant[d] = v;
    }
    scored.push({ f: m.f, sel, held, variant });
  });

  const out: FeatureScore[] = scored.map((s) => {
    const order = Array.from({ length: D }, (_, d) => d).sort((x, y) => s.sel[y] - s.sel[x] || x - y);
    const d = order[0], bin = s.f.kind === 'binary';
    const signOf = (q: number): 1 | -1 => {
      if (bin) return auc[binary.findIndex((b) => b.f === s.f)][0][q] >= 0.5 ? 1 : -1;
      const k = numeric.findIndex((m) => m.f === s.f);
      return r[k][0][s.variant![q]][q] >= 0 ? 1 : -1;
    };
    return {
      feature: s.f.name, layer: Math.floor(d / a.hidden), index: d % a.hidden, metric: bin ? 'auc' : 'r',
      score: round(s.held[d]), sign: signOf(d), variant: bin || s.variant![d] === 0 ? 'c' : 'tanh',
      selectScore: round(s.sel[d]),
      ...(s.coverage !== undefined ? { coverage: round(s.coverage) } : {}),
      ...(s.f.kind === 'binary' && s.f.aliases ? { aliases: s.f.aliases } : {}),
      runnersUp: order.slice(1, 1 + runnersUp).map((q) => ({ layer: Math.floor(q / a.hidden), index: q % a.hidden, score: round(s.held[q]) })),
    };
  });
  out.sort((x, y) => y.score - x.score || x.feature.localeCompare(y.feature));

  // per cell: the feature chosen on the first half
  const cells: CellExplanation[] = [];
  for (let d = 0; d < D && scored.length > 0; d++) {
    let best = 0;
    for (let k = 1; k < scored.length; k++) if (scored[k].sel[d] > scored[best].sel[d]) best = k;
    const s = scored[best], bin = s.f.kind === 'binary';
    const sign: 1 | -1 = bin ? (auc[binary.findIndex((b) => b.f === s.f)][0][d] >= 0.5 ? 1 : -1)
      : (r[numeric.findIndex((m) => m.f === s.f)][0][s.variant![d]][d] >= 0 ? 1 : -1);
    cells.push({ layer: Math.floor(d / a.hidden), index: d % a.hidden, feature: s.f.name, metric: bin ? 'auc' : 'r', score: round(s.held[d]), sign });
  }
  cells.sort((x, y) => y.score - x.score || x.layer - y.layer || x.index - y.index);
  return { features: out, cells, skipped };
}

/** Levels a cell's values are ranked in: values within (max − min) / RANK_LEVELS of each other
 *  tie. A counting sort instead of a comparison sort, O(n) a cell and half (the sort was most of
 *  the atlas's time); the AUC moves by less than 1e-3 against exact ranks (test/unit/atlas.test.ts). */
const RANK_LEVELS = 1 << 16;

/** prefix[i] = the sum of the (1-based, ties averaged) ranks of x[0..i), values binned into RANK_LEVELS. */
function rankPrefix(x: Float32Array, bins: Uint16Array, counts: Float64Array, prefix: Float64Array): void {
  const n = x.length;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) { const v = x[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  const scale = hi > lo ? (RANK_LEVELS - 1) / (hi - lo) : 0;
  counts.fill(0);
  for (let i = 0; i < n; i++) { const b = Math.floor((x[i] - lo) * scale); bins[i] = b; counts[b]++; }
  // counts[b] becomes the mean rank of bin b: ranks below+1 … below+count share their mean
  let below = 0;
  for (let b = 0; b < RANK_LEVELS; b++) { const c = counts[b]; counts[b] = below + (c + 1) / 2; below += c; }
  prefix[0] = 0;
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + counts[bins[i]];
}

/** The sums Pearson's r needs of one cell's values over a half, c and tanh(c): computed once
 *  per cell and half, then one dot product per numeric feature. */
class CellSums {
  readonly t: Float32Array;
  n = 0; sx = 0; sxx = 0; st = 0; stt = 0;
  constructor(size: number) { this.t = new Float32Array(size); }
  load(x: Float32Array): void {
    const n = this.n = x.length, t = this.t;
    let sx = 0, sxx = 0, st = 0, stt = 0;
    for (let i = 0; i < n; i++) {
      const c = x[i], h = Math.tanh(c);
      t[i] = h; sx += c; sxx += c * c; st += h; stt += h * h;
    }
    this.sx = sx; this.sxx = sxx; this.st = st; this.stt = stt;
  }
  /** [r(c, y), r(tanh c, y)] with y[offset …], whose sums over the half are sy, syy. */
  r(x: Float32Array, y: Float32Array, offset: number, sy: number, syy: number): [number, number] {
    const n = this.n, t = this.t;
    let sxy = 0, sty = 0;
    for (let i = 0; i < n; i++) { const v = y[offset + i]; sxy += x[i] * v; sty += t[i] * v; }
    const cyy = syy - (sy * sy) / n;
    const r = (sa: number, saa: number, say: number) => {
      const caa = saa - (sa * sa) / n, cay = say - (sa * sy) / n;
      return caa > 1e-12 * Math.max(1, saa) && cyy > 0 ? Math.max(-1, Math.min(1, cay / Math.sqrt(caa * cyy))) : NaN;
    };
    return [r(this.sx, this.sxx, sxy), r(this.st, this.stt, sty)];
  }
}

/** The spans within [s, e), shifted to start at 0. */
function clip(spans: Int32Array, s: number, e: number): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < spans.length; j += 2) {
    const a = Math.max(s, spans[j]), b = Math.min(e, spans[j + 1]);
    if (b > a) out.push(a - s, b - s);
  }
  return Int32Array.from(out);
}

function spanLength(sp: Int32Array): number {
  let n = 0;
  for (let j = 0; j < sp.length; j += 2) n += sp[j + 1] - sp[j];
  return n;
}

function varies(y: Float32Array, s: number, e: number): boolean {
  for (let i = s + 1; i < e; i++) if (y[i] !== y[s]) return true;
  return false;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
