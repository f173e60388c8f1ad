// Activation traces: the value a cell holds after each character, the numbers the heatmap
// paints. c_t for an LSTM, h_t for GRU and RNN (they have no separate cell state).
import type { ModelConfig } from '../engine/config';
import type { Stepper } from '../engine/stepper';

/** A cell of the model, numbered from 0 as PyTorch numbers layers and units. */
export interface CellRef { layer: number; index: number }

/** "L:i" as the CLI and the checkpoint's cells name a cell. */
export function cellKey(c: CellRef): string {
  return `${c.layer}:${c.index}`;
}

/** Parses "L:i[,L:i...]", checking each cell exists in a model of this shape; one clear sentence on error. */
export function parseCellRefs(spec: string, config: Pick<ModelConfig, 'layers' | 'hidden'>): CellRef[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error('Name at least one cell as LAYER:INDEX, e.g. 0:37.');
  return parts.map((p) => {
    const m = /^(\d+):(\d+)$/.exec(p);
    if (!m) throw new Error(`"${p}" is not a cell; write LAYER:INDEX, e.g. 0:37.`);
    const c = { layer: Number(m[1]), index: Number(m[2]) };
    checkCell(c, config);
    return c;
  });
}

export function checkCell(c: CellRef, config: Pick<ModelConfig, 'layers' | 'hidden'>): void {
  if (!(Number.isInteger(c.layer) && c.layer >= 0 && c.layer < config.layers)) {
    throw new Error(`The model has layers 0 to ${config.layers - 1}, so there is no layer ${c.layer}.`);
  }
  if (!(Number.isInteger(c.index) && c.index >= 0 && c.index < config.hidden)) {
    throw new Error(`Each layer has cells 0 to ${config.hidden - 1}, so there is no cell ${c.index}.`);
  }
}

/**
 * Feeds ids from the stepper's current state and returns, per requested cell, its value after
 * each character from ids[skip] on (the first `skip` characters, e.g. a file's header line, are
 * fed but not reported). The stepper is left after the last character.
 */
export function traceCells(stepper: Stepper, ids: Int32Array, cells: readonly CellRef[], skip = 0): Float32Array[] {
  const n = Math.max(0, ids.length - skip);
  const out = cells.map(() => new Float32Array(n));
  for (let t = 0; t < ids.length; t++) {
    stepper.feed(ids[t]);
    if (t < skip) continue;
    for (let k = 0; k < cells.length; k++) out[k][t - skip] = stepper.cell(cells[k].layer)[cells[k].index];
  }
  return out;
}
