// The discovered cells a checkpoint lists (its `cells` metadata, written by model-files'
// storeCells): read back with the entries checked one by one, and named for the panel.
import { CELL_LABELS, type CellLabel, type DiscoveredCell } from './discover';

/** The well-formed entries of a checkpoint's `cells` list for a model of this shape (others are dropped). */
export function readDiscoveredCells(raw: unknown[] | undefined, shape: { layers: number; hidden: number }): DiscoveredCell[] {
  if (!raw) return [];
  const out: DiscoveredCell[] = [];
  for (const e of raw) {
    if (typeof e !== 'object' || e === null) continue;
    const c = e as Record<string, unknown>;
    if (!CELL_LABELS.includes(c.label as CellLabel)) continue;
    if (!(Number.isInteger(c.layer) && (c.layer as number) >= 0 && (c.layer as number) < shape.layers)) continue;
    if (!(Number.isInteger(c.index) && (c.index as number) >= 0 && (c.index as number) < shape.hidden)) continue;
    if (typeof c.score !== 'number' || !Number.isFinite(c.score)) continue;
    out.push({
      label: c.label as CellLabel, layer: c.layer as number, index: c.index as number,
      metric: c.metric === 'r' ? 'r' : 'auc', score: c.score, sign: c.sign === -1 ? -1 : 1,
      probe: typeof c.probe === 'number' ? c.probe : NaN, floor: typeof c.floor === 'number' ? c.floor : NaN,
      ...(typeof c.scoreInner === 'number' ? { scoreInner: c.scoreInner } : {}),
      ...(typeof c.scoreLevel === 'number' ? { scoreLevel: c.scoreLevel } : {}),
      variant: c.variant === 'tanh' ? 'tanh' : 'c',
      selectScore: typeof c.selectScore === 'number' ? c.selectScore : c.score,
    });
  }
  return out;
}

/** "quote cell: layer 1, #37, AUC 0.97", as the panel's picker lists a cell. */
export function describeCell(c: Pick<DiscoveredCell, 'label' | 'layer' | 'index' | 'metric' | 'score'>): string {
  const metric = c.metric === 'auc' ? `AUC ${c.score.toFixed(2)}` : `r ${c.score.toFixed(2)}`;
  return `${c.label} cell: layer ${c.layer}, #${c.index}, ${metric}`;
}

/** One discovered cell with every label it carries (best first), as the panel lists it. */
export interface CellEntry {
  layer: number;
  index: number;
  /** The cell's labels, best first; the first decides its sign and its place in the list. */
  labels: DiscoveredCell[];
  /** The sign of the best label: the panel multiplies by it so the label's side is warm. */
  sign: 1 | -1;
}

/** One entry per cell, each with all of its labels, cells ordered by their best held-out score. */
export function groupCells(cells: readonly DiscoveredCell[]): CellEntry[] {
  const byKey = new Map<string, CellEntry>();
  for (const c of cells) {
    const key = `${c.layer}:${c.index}`;
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { layer: c.layer, index: c.index, labels: [], sign: c.sign }));
    e.labels.push(c);
  }
  const out = [...byKey.values()];
  for (const e of out) { e.labels.sort((x, y) => y.score - x.score); e.sign = e.labels[0].sign; }
  return out.sort((x, y) => y.labels[0].score - x.labels[0].score || x.layer - y.layer || x.index - y.index);
}

/** "layer 1, #37: quote AUC 0.97, comment AUC 0.81", as the panel's picker lists a cell. */
export function describeEntry(e: CellEntry): string {
  const labels = e.labels.map((c) => `${c.label} ${c.metric === 'auc' ? 'AUC' : 'r'} ${c.score.toFixed(2)}`);
  return `layer ${e.layer}, #${e.index}: ${labels.join(', ')}`;
}
