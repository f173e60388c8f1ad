// The typed messages between the extension host and the cells worker (dist/cells-worker.js),
// which computes everything the cell-activation panel shows, off the extension host's thread.
//
//   host --postMessage-> worker   InferRequest
//   worker --postMessage-> host   InferReply
//
// Positions are code-point indices into the document's text (the model reads code points).
// Plain structured-clone data; nothing here imports vscode.
import type { CellType } from '../engine/config';
import type { DiscoveredCell } from './discover';
import type { ActiveCell } from './doc-analysis';
import type { CellRef } from './trace';

export interface ModelInfo {
  cell: CellType;
  layers: number;
  hidden: number;
  vocabSize: number;
  steps: number;
  /** The checkpoint's discovered cells (empty when discovery has not run on it yet). */
  cells: DiscoveredCell[];
  /** The file's modification time when it was loaded, to notice a newer model. */
  mtimeMs: number;
  backend: string;
}

export interface DiscoverCorpus {
  roots: string[];
  include: string[];
  extraIgnore: string[];
  maxFileBytes: number;
  maxTotalBytes: number;
  valFraction: number;
  seed: number;
  /** Most characters looked at. */
  maxChars: number;
}

export type InferRequest =
  /** Load (or reload) the model file. */
  | { type: 'load'; checkpointPath: string }
  /** Compute the cells' values over a document: the focus range first, then all of it from the
   *  start (resuming from the last analysis of the same doc where the text is unchanged). */
  | { type: 'analyze'; doc: string; version: number; header: string; text: string; cells: CellRef[];
      focus: [number, number] }
  /** The editor scrolled: paint this range now if the analysis has not reached it. */
  | { type: 'focus'; doc: string; version: number; focus: [number, number] }
  /** Send the known values of one tracked cell again (the panel switched to it). */
  | { type: 'resend'; doc: string; version: number; key: string; focus: [number, number] }
  /** The model's five likeliest next characters after position `at` of the analyzed document. */
  | { type: 'guesses'; id: number; doc: string; at: number }
  /** Gate saturation over the analyzed document (sent when its exact pass is complete). */
  | { type: 'gates'; doc: string }
  /** The cells most selectively active in [start, end) of the analyzed document (a click, a selection). */
  | { type: 'most-active'; id: number; doc: string; start: number; end: number }
  /** Find the interpretable cells on the workspace's held-out files and store them in the model. */
  | { type: 'discover'; id: number; checkpointPath: string; corpus: DiscoverCorpus };

export interface GateLayer {
  layer: number;
  gates: { name: string; low: Float32Array; high: Float32Array }[];   // fractions per unit (H)
}

export type InferReply =
  | { type: 'loaded'; model: ModelInfo }
  | { type: 'load-failed'; message: string }
  /** Values of the requested cells for positions [start, start + values[k].length). exact: from
   *  the start of the file with carried state; otherwise from a warm-up shortly before `start`. */
  | { type: 'values'; doc: string; version: number; start: number; exact: boolean; cells: string[]; values: Float32Array[] }
  /** The analysis of this version is complete up to `exactUpTo` (= the length when finished). */
  | { type: 'progress'; doc: string; version: number; exactUpTo: number; length: number; ms: number }
  | { type: 'guesses'; id: number; at: number; top: { ch: string; p: number }[] }
  | { type: 'gates'; doc: string; version: number; steps: number; layers: GateLayer[] }
  | { type: 'most-active'; id: number; doc: string; start: number; end: number; cells: ActiveCell[] }
  | { type: 'discovered'; id: number; cells: DiscoveredCell[]; missing: string[]; chars: number; stored: boolean; note?: string }
  | { type: 'error'; id?: number; doc?: string; message: string };
