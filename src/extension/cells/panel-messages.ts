// Messages between the extension host and the cell-activation panel's webview script
// (media/cells-panel.ts). Plain data; nothing here imports vscode, so the webview bundle can
// import the types. Positions are code-point indices into the document's text.

/** A cell the picker offers. key is "L:i". sign: the panel paints sign·value, so that the
 *  side of the cell's best label (inside a string, deeper) is the warm colour. */
export interface CellOption { key: string; label: string; detail?: string; sign?: 1 | -1 }

export type PanelStateKind =
  | 'no-model'        // nothing trained yet
  | 'model-error'     // the stored model could not be loaded
  | 'loading'         // the worker is loading the model
  | 'no-editor'       // no text editor to follow
  | 'binary'          // the document looks binary
  | 'too-large'       // over the hard limit: not shown at all
  | 'empty'           // nothing to paint
  | 'ready';

export interface PanelState { kind: PanelStateKind; message: string }

export interface PanelModel {
  cell: 'lstm' | 'gru' | 'rnn';
  layers: number;
  hidden: number;
  steps: number;
  /** How values become colours: tanh(c) for the LSTM's cell state; h is already in (−1, 1). */
  paint: 'tanh' | 'identity';
  options: CellOption[];
  selected: string;
  /** true when the checkpoint has no discovered cells yet */
  noDiscovered: boolean;
}

export interface PanelDocument {
  doc: string;
  version: number;
  /** file name to show (a relative path, or "Untitled-1") */
  name: string;
  languageId: string;
  text: string;
  /** Notes to show above the text (an untitled editor, a file painted only around the view). */
  notes: string[];
  /** The first line in view in the editor. */
  topLine: number;
}

export interface GateLayerData { layer: number; gates: { name: string; low: number[]; high: number[] }[] }

export type ToCellsPanel =
  | { type: 'state'; state: PanelState }
  | { type: 'model'; model: PanelModel }
  | { type: 'document'; document: PanelDocument }
  /** Values of the selected cell `key` for positions [start, start + values.length); NaN: not
   *  computed. A Float32Array: VS Code transfers its buffer to the webview, no JSON. */
  | { type: 'values'; doc: string; version: number; key: string; start: number; values: Float32Array }
  | { type: 'progress'; doc: string; version: number; exactUpTo: number; length: number; ms: number }
  | { type: 'reveal'; doc: string; line: number }
  | { type: 'guesses'; at: number; top: { ch: string; p: number }[] }
  | { type: 'gates'; steps: number; layers: GateLayerData[]; cell: string }
  | { type: 'discovery'; running: boolean; message: string }
  | { type: 'options'; decorations: boolean }
  /** The cells most selectively active at a clicked character (end = at + 1) or in the editor's
   *  selection; `label` is what discovery says the cell tracks, when it says anything. */
  | { type: 'active'; doc: string; start: number; end: number; from: 'click' | 'selection'; cells: ActiveCellView[] };

export interface ActiveCellView { key: string; score: number; inside: number; around: number; label?: string }

export type FromCellsPanel =
  | { type: 'ready' }
  | { type: 'select'; key: string }
  | { type: 'hover'; at: number }
  /** A character was clicked: move the editor there and list the cells most active at it. */
  | { type: 'goto'; at: number }
  | { type: 'decorations'; on: boolean }
  | { type: 'discover' }
  | { type: 'view'; view: 'heatmap' | 'gates' }
  | { type: 'train' }
  | { type: 'painted'; doc: string; version: number; ms: number; chars: number }
  | { type: 'csp-violation'; detail: string };

/** Colour bins of the diverging scale: value −1 … +1 in BINS steps (the CSS classes b0 … b20). */
export const BINS = 21;

export function binOf(v: number): number {
  if (!Number.isFinite(v)) return (BINS - 1) / 2;
  const x = Math.max(-1, Math.min(1, v));
  return Math.round(((x + 1) / 2) * (BINS - 1));
}

/** Largest opacity of a bin: a light tint, so that the text and its syntax colours stay readable
 *  on any theme (the paper's figures); the warm side a little stronger than the cool one. */
export const WARM_ALPHA = 0.42;
export const COOL_ALPHA = 0.3;

/** The colour of bin b (warm red for +1, blue for −1, clear at 0), as CSS rgba; the panel's CSS
 *  (media/cells-panel.css, b0 … b20) and the editor decorations use the same numbers. */
export function binColor(b: number): string {
  const t = (b - (BINS - 1) / 2) / ((BINS - 1) / 2);   // −1 … 1
  const a = Math.min(1, Math.abs(t)) * (t >= 0 ? WARM_ALPHA : COOL_ALPHA);
  return t >= 0 ? `rgba(232, 72, 40, ${a.toFixed(3)})` : `rgba(38, 110, 220, ${a.toFixed(3)})`;
}
