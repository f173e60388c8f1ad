// Finding the interpretable cells (Karpathy, Johnson & Fei-Fei 2015): which single cell of the
// model tracks "inside a string", "inside a comment", "inside an if-condition", the block depth
// and the column.
//
// 1. Run the model over held-out text with carried state (activations.ts).
// 2. Split the characters into two halves (at a file boundary near the middle when there is one).
// 3. Score every cell on each half: AUC for quote, comment and if (ranking once per cell), also
//    over the characters away from the delimiters (a cell that fires only on `"` itself is no
//    quote cell); |Pearson r| of c and of tanh(c) with the depth and the column (AUC is the same
//    for c and tanh(c): tanh keeps the order).
// 4. Rank the cells of each label on the first half and report the scores of the top ones on the
//    second (choosing and scoring on the same text flatters), with the sign chosen on the first.
// 5. Linear probes trained on the first half, scored on the second: over all cells (the
//    ceiling) and over the last 8 characters alone (the floor, a model with no memory).
import type { CharRNN } from '../engine/model';
import type { Vocab } from '../corpus/vocab';
import { Activations, CellText, CollectOptions, WINDOW, cellValues, collectActivations } from './activations';
import { DenseDesign, OneHotDesign, fitProbe, scoreProbe } from './probe';
import { PearsonSums, aucFromOrder, sortOrder } from './stats';

export type CellLabel = 'quote' | 'comment' | 'if' | 'indent' | 'column';
export const CELL_LABELS: readonly CellLabel[] = ['quote', 'comment', 'if', 'indent', 'column'];
const BINARY = ['quote', 'comment', 'if'] as const;
const COUNTS = ['indent', 'column'] as const;

/** One cell found for one label; scores are on the held-out half. The checkpoint stores these. */
export interface DiscoveredCell {
  label: CellLabel;
  layer: number;
  index: number;
  metric: 'auc' | 'r';
  /** AUC oriented by sign (binary labels), or sign·r (indent: block depth; column). */
  score: number;
  /** +1: the cell is high where the label holds (grows with the count); −1: low. Chosen on the first half. */
  sign: 1 | -1;
  /** The linear probe over all cells (the ceiling). */
  probe: number;
  /** The probe over the last 8 characters alone (the floor). */
  floor: number;
  /** Binary labels: the AUC away from the delimiters (quote marks, comment markers, if's parentheses). */
  scoreInner?: number;
  /** indent: sign·r with the leading-whitespace level, the second view of indentation. */
  scoreLevel?: number;
  /** Which value was scored: the cell state c, or tanh(c) (as painted). */
  variant: 'c' | 'tanh';
  /** The score on the first half, that ranked the cell. */
  selectScore: number;
}

export interface Discovery {
  /** Best first per label (by the held-out score, among the top cells of the choosing half),
   *  labels in CELL_LABELS order. */
  cells: DiscoveredCell[];
  /** Characters in the half that chose the cells and in the half that scored them. */
  chars: { select: number; score: number };
  /** Characters left out by the cap on activations. */
  dropped: number;
  /** Labels that could not be scored, with why ("comment: no comments in the text"). */
  missing: string[];
  labelSource: 'tree-sitter' | 'lexer' | 'mixed';
}

export interface DiscoverOptions extends CollectOptions {
  /** Cells kept per label (default 5). */
  top?: number;
  /** Characters per half the probes are fitted and scored on (default 10,000). */
  probeRows?: number;
  onPhase?: (phase: 'run' | 'score' | 'probe') => void;
}

export async function discoverCells(model: CharRNN, vocab: Vocab, texts: readonly CellText[], opts: DiscoverOptions = {}): Promise<Discovery> {
  opts.onPhase?.('run');
  const a = await collectActivations(model, vocab, texts, opts);
  if (a.n < 4) throw new Error(`There are ${a.n} characters to look at; cell discovery needs more text.`);
  opts.onPhase?.('score');
  const r = scoreActivations(a, opts);
  r.dropped = a.dropped;
  return r;
}

/** Steps 2-5 on collected activations. */
export function scoreActivations(a: Activations, opts: Pick<DiscoverOptions, 'top' | 'probeRows' | 'onPhase'> = {}): Discovery {
  const top = opts.top ?? 5;
  const split = halfPoint(a);
  const halves: [number, number][] = [[0, split], [split, a.n]];
  const binary = scoreBinary(a, halves);
  const counts = scoreCounts(a, halves);
  opts.onPhase?.('probe');
  const cells: DiscoveredCell[] = [];
  const missing: string[] = [];
  const probeRows = opts.probeRows ?? 10_000;
  const rowsA = strided(0, split, probeRows), rowsB = strided(split, a.n, probeRows);
  const dense = denseDesigns(a, rowsA, rowsB);
  const floor = floorDesigns(a, rowsA, rowsB);

  for (const label of CELL_LABELS) {
    const target = labelTarget(a, label);
    const why = unscorable(label, target, halves);
    if (why) { missing.push(`${label}: ${why}`); continue; }
    const kind = label === 'indent' || label === 'column' ? 'ridge' : 'logistic';
    const yA = pick(target, rowsA), yB = pick(target, rowsB);
    const probe = scoreProbe(fitProbe(dense.A, yA, kind), dense.B, yB);
    const floorScore = scoreProbe(fitProbe(floor.A, yA, kind), floor.B, yB);
    const found = kind === 'logistic' ? binary.pick(label as typeof BINARY[number], top) : counts.pick(label as typeof COUNTS[number], top);
    // best first: by the score on the held-out half (the candidates were chosen on the other)
    found.sort((x, y) => y.score - x.score || x.d - y.d);
    for (const f of found) {
      cells.push({
        label, layer: Math.floor(f.d / a.hidden), index: f.d % a.hidden, metric: kind === 'logistic' ? 'auc' : 'r',
        score: round(f.score), sign: f.sign, probe: round(probe), floor: round(floorScore),
        ...(f.scoreInner !== undefined ? { scoreInner: round(f.scoreInner) } : {}),
        ...(f.scoreLevel !== undefined ? { scoreLevel: round(f.scoreLevel) } : {}),
        variant: f.variant, selectScore: round(f.selectScore),
      });
    }
  }
  const sources = new Set(a.sources);
  return {
    cells, chars: { select: split, score: a.n - split }, dropped: 0, missing,
    labelSource: sources.size === 1 ? [...sources][0] : 'mixed',
  };
}

// ---- halves ---------------------------------------------------------------------------------

/** The file boundary nearest the middle when one lies in the middle half, else the middle. */
export function halfPoint(a: Pick<Activations, 'n' | 'textStarts'>): number {
  const mid = Math.floor(a.n / 2);
  let best = mid, dist = Infinity;
  for (const s of a.textStarts) {
    if (s >= a.n / 4 && s <= (3 * a.n) / 4 && Math.abs(s - mid) < dist) { best = s; dist = Math.abs(s - mid); }
  }
  return best;
}

function strided(start: number, end: number, max: number): Int32Array {
  const n = end - start, k = Math.min(n, max);
  const rows = new Int32Array(k);
  for (let i = 0; i < k; i++) rows[i] = start + Math.floor((i * n) / k);
  return rows;
}

function pick(x: ArrayLike<number>, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = x[rows[i]];
  return out;
}

function labelTarget(a: Activations, label: CellLabel): Uint8Array | Float32Array {
  return label === 'indent' ? a.indentDepth : label === 'column' ? a.column : a[label];
}

function unscorable(label: CellLabel, y: Uint8Array | Float32Array, halves: [number, number][]): string | undefined {
  for (const [s, e] of halves) {
    let lo = Infinity, hi = -Infinity;
    for (let i = s; i < e; i++) { if (y[i] < lo) lo = y[i]; if (y[i] > hi) hi = y[i]; }
    if (lo === hi) {
      if (label === 'indent' || label === 'column') return `the ${label === 'indent' ? 'block depth' : 'column'} does not vary in one half of the text`;
      return hi === 0 ? `no characters ${describe(label)} in one half of the text` : `every character is ${describe(label)} in one half of the text`;
    }
  }
  return undefined;
}

function describe(label: CellLabel): string {
  return label === 'quote' ? 'inside a string' : label === 'comment' ? 'inside a comment' : 'inside an if-condition';
}

// ---- single cells ---------------------------------------------------------------------------

interface Found { d: number; score: number; sign: 1 | -1; selectScore: number; variant: 'c' | 'tanh'; scoreInner?: number; scoreLevel?: number }

/** AUC of every cell for quote, comment and if, on all characters and away from delimiters, per half. */
function scoreBinary(a: Activations, halves: [number, number][]) {
  const D = a.d;
  // auc[label][half][all | inner] (D)
  const auc = BINARY.map(() => halves.map(() => [new Float64Array(D), new Float64Array(D)]));
  const inner = { quote: a.quoteInner, comment: a.commentInner, if: a.ifInner };
  // include: every character but the delimiters (in the label, not in its inner part)
  const include = BINARY.map((l) => {
    const m = new Uint8Array(a.n);
    for (let i = 0; i < a.n; i++) m[i] = a[l][i] && !inner[l][i] ? 0 : 1;
    return m;
  });
  const keys = new Float64Array(a.n);
  for (let d = 0; d < D; d++) {
    halves.forEach(([s, e], h) => {
      const { order, tieStart } = sortOrder(cellValues(a, d, s, e), keys);
      BINARY.forEach((l, li) => {
        auc[li][h][0][d] = aucFromOrder(order, tieStart, a[l].subarray(s, e));
        auc[li][h][1][d] = aucFromOrder(order, tieStart, inner[l].subarray(s, e), include[li].subarray(s, e));
      });
    });
  }
  return {
    pick(label: typeof BINARY[number], top: number): Found[] {
      const li = BINARY.indexOf(label);
      const [A, B] = auc[li];
      const oriented = (x: number, sign: number) => (sign > 0 ? x : 1 - x);
      const cand: Found[] = [];
      for (let d = 0; d < D; d++) {
        if (!Number.isFinite(A[0][d])) continue;
        const sign: 1 | -1 = A[0][d] >= 0.5 ? 1 : -1;
        // rank by the mean of the two views: a quote cell must hold on all characters and away from the marks
        const innerA = Number.isFinite(A[1][d]) ? oriented(A[1][d], sign) : oriented(A[0][d], sign);
        const selectScore = (oriented(A[0][d], sign) + innerA) / 2;
        const innerB = Number.isFinite(B[1][d]) ? oriented(B[1][d], sign) : undefined;
        cand.push({ d, sign, selectScore, score: oriented(B[0][d], sign), scoreInner: innerB, variant: 'c' });
      }
      return best(cand, top);
    },
  };
}

/** Pearson r of c and tanh(c) with the block depth, the indentation level and the column, per half. */
function scoreCounts(a: Activations, halves: [number, number][]) {
  const D = a.d;
  // r[half][variant c|tanh][target depth|level|column] (D)
  const r = halves.map(() => [0, 1].map(() => [0, 1, 2].map(() => new Float64Array(D))));
  const targets = [a.indentDepth, a.indentLevel, a.column];
  for (let d = 0; d < D; d++) {
    halves.forEach(([s, e], h) => {
      const x = cellValues(a, d);
      const sums = [0, 1].map(() => targets.map(() => new PearsonSums()));
      for (let i = s; i < e; i++) {
        const c = x[i], t = Math.tanh(c);
        for (let k = 0; k < 3; k++) { sums[0][k].add(c, targets[k][i]); sums[1][k].add(t, targets[k][i]); }
      }
      for (let v = 0; v < 2; v++) for (let k = 0; k < 3; k++) r[h][v][k][d] = sums[v][k].r();
    });
  }
  return {
    pick(label: typeof COUNTS[number], top: number): Found[] {
      const k = label === 'indent' ? 0 : 2;
      const cand: Found[] = [];
      for (let d = 0; d < D; d++) {
        for (let v = 0; v < 2; v++) {
          const rA = r[0][v][k][d];
          if (!Number.isFinite(rA)) continue;
          const sign: 1 | -1 = rA >= 0 ? 1 : -1;
          const rB = r[1][v][k][d];
          const level = r[1][v][1][d];
          cand.push({
            d, sign, selectScore: Math.abs(rA), score: Number.isFinite(rB) ? sign * rB : 0, variant: v === 0 ? 'c' : 'tanh',
            ...(label === 'indent' && Number.isFinite(level) ? { scoreLevel: sign * level } : {}),
          });
        }
      }
      // a cell appears once, with the better of its two variants
      const seen = new Set<number>();
      return best(cand, cand.length).filter((f) => !seen.has(f.d) && seen.add(f.d)).slice(0, top);
    },
  };
}

function best(cand: Found[], top: number): Found[] {
  return cand.sort((x, y) => y.selectScore - x.selectScore || x.d - y.d).slice(0, top);
}

// ---- probes ---------------------------------------------------------------------------------

/** All cells, standardized by the first half's rows (clipped at ±5 sd: cell states can run away). */
function denseDesigns(a: Activations, rowsA: Int32Array, rowsB: Int32Array): { A: DenseDesign; B: DenseDesign } {
  const D = a.d;
  const XA = new Float32Array(rowsA.length * D), XB = new Float32Array(rowsB.length * D);
  for (let d = 0; d < D; d++) {
    const x = cellValues(a, d);
    let m = 0, v = 0;
    for (let i = 0; i < rowsA.length; i++) m += x[rowsA[i]];
    m /= rowsA.length;
    for (let i = 0; i < rowsA.length; i++) v += (x[rowsA[i]] - m) ** 2;
    const inv = 1 / (Math.sqrt(v / rowsA.length) || 1);
    const z = (val: number) => Math.max(-5, Math.min(5, (val - m) * inv));
    for (let i = 0; i < rowsA.length; i++) XA[i * D + d] = z(x[rowsA[i]]);
    for (let i = 0; i < rowsB.length; i++) XB[i * D + d] = z(x[rowsB[i]]);
  }
  return { A: new DenseDesign(XA, rowsA.length, D), B: new DenseDesign(XB, rowsB.length, D) };
}

/** The last 8 characters as one-hot features: column w·(V+1) + id. */
function floorDesigns(a: Activations, rowsA: Int32Array, rowsB: Int32Array): { A: OneHotDesign; B: OneHotDesign } {
  const V1 = a.vocabSize + 1, cols = WINDOW * V1;
  const make = (rows: Int32Array) => {
    const idx = new Int32Array(rows.length * WINDOW);
    for (let i = 0; i < rows.length; i++) {
      for (let w = 0; w < WINDOW; w++) idx[i * WINDOW + w] = w * V1 + a.window[rows[i] * WINDOW + w];
    }
    return new OneHotDesign(idx, rows.length, WINDOW, cols);
  };
  return { A: make(rowsA), B: make(rowsB) };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export type { CellText } from './activations';
