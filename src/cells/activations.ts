// Runs a model over texts with carried state and keeps what discovery scores: every cell of every
// layer after each character (cell-major, so one cell's values over the text are contiguous and
// sort in place), the labels of each character, and the ids of the 8 characters ending at it
// (the floor probe's features).
//
// Shapes: acts (D, N) float32 with D = layers·hidden, row d = layer·hidden + index;
//         window (N, WINDOW) int32, column w = the character w−7 places back (V = none, before
//         the start); labels: N entries each.
import type { CharRNN } from '../engine/model';
import { Stepper } from '../engine/stepper';
import type { Vocab } from '../corpus/vocab';
import { labelText, type CharLabels } from './labels/labels';

export const WINDOW = 8;

/** One text to run over. header (e.g. the corpus's `==> path <==` line) is fed first and not scored. */
export interface CellText { text: string; languageId: string; header?: string }

export interface Activations {
  /** N: characters kept (scored). */
  n: number;
  /** D = layers·hidden */
  d: number;
  hidden: number;
  vocabSize: number;
  acts: Float32Array;
  window: Int32Array;
  quote: Uint8Array; quoteInner: Uint8Array;
  comment: Uint8Array; commentInner: Uint8Array;
  if: Uint8Array; ifInner: Uint8Array;
  indentDepth: Float32Array; indentLevel: Float32Array; column: Float32Array;
  /** Index of the first character of each text kept (for splitting at file boundaries). */
  textStarts: number[];
  /** Where the labels came from, per text kept. */
  sources: CharLabels['source'][];
  /** Characters left out by the cap. */
  dropped: number;
}

export interface CollectOptions {
  /** Most characters kept (default DEFAULT_MAX_CHARS). */
  maxChars?: number;
  /** Most activation values kept, N·D (default DEFAULT_MAX_VALUES). */
  maxValues?: number;
  /** Progress after each block of characters. */
  onProgress?: (done: number, total: number) => void;
  /** Called between blocks; lets a worker take messages (e.g. a cancel that throws). */
  yieldEvery?: () => Promise<void>;
}

const BLOCK = 4096;
/** Characters discovery looks at by default: more than the held-out text of a workspace usually has. */
export const DEFAULT_MAX_CHARS = 1_000_000;
/** Activation values kept by default: 128M floats = 512 MiB, so 262,144 characters of a 2×256 model
 *  (every cell of every character is kept: each cell's values are sorted to rank it). */
export const DEFAULT_MAX_VALUES = 128 * 1024 * 1024;

export async function collectActivations(model: CharRNN, vocab: Vocab, texts: readonly CellText[], opts: CollectOptions = {}): Promise<Activations> {
  const L = model.config.layers, H = model.config.hidden, D = L * H, V = model.config.vocabSize;
  const total = texts.reduce((s, t) => s + codePoints(t.text), 0);
  const cap = Math.max(1, Math.min(total, opts.maxChars ?? DEFAULT_MAX_CHARS, Math.floor((opts.maxValues ?? DEFAULT_MAX_VALUES) / D)));
  const a: Activations = {
    n: 0, d: D, hidden: H, vocabSize: V,
    acts: new Float32Array(D * cap), window: new Int32Array(cap * WINDOW).fill(V),
    quote: new Uint8Array(cap), quoteInner: new Uint8Array(cap), comment: new Uint8Array(cap), commentInner: new Uint8Array(cap),
    if: new Uint8Array(cap), ifInner: new Uint8Array(cap),
    indentDepth: new Float32Array(cap), indentLevel: new Float32Array(cap), column: new Float32Array(cap),
    textStarts: [], sources: [], dropped: 0,
  };
  const stepper = new Stepper(model);
  stepper.reset();
  const recent = new Int32Array(WINDOW).fill(V);   // ring of the last WINDOW ids, recent[t % WINDOW]
  let fed = 0, sinceYield = 0;
  const feed = (id: number) => { stepper.feed(id); recent[fed % WINDOW] = id; fed++; };

  for (const t of texts) {
    if (a.n >= cap) { a.dropped += codePoints(t.text); continue; }
    const labels = await labelText(t.text, t.languageId);
    if (t.header) for (const id of vocab.encode(t.header)) feed(id);
    const ids = vocab.encode(t.text);
    const keep = Math.min(ids.length, labels.length, cap - a.n);
    a.textStarts.push(a.n); a.sources.push(labels.source);
    for (let i = 0; i < keep; i++) {
      feed(ids[i]);
      const row = a.n;
      for (let k = 0; k < L; k++) {
        const c = stepper.cell(k);
        for (let j = 0; j < H; j++) a.acts[(k * H + j) * cap + row] = c[j];
      }
      for (let w = 0; w < WINDOW; w++) {
        const back = fed - WINDOW + w;   // the id fed `WINDOW − w − 1` places before the last
        a.window[row * WINDOW + w] = back >= 0 ? recent[back % WINDOW] : V;
      }
      a.quote[row] = labels.quote[i]; a.quoteInner[row] = labels.quoteInner[i];
      a.comment[row] = labels.comment[i]; a.commentInner[row] = labels.commentInner[i];
      a.if[row] = labels.if[i]; a.ifInner[row] = labels.ifInner[i];
      a.indentDepth[row] = labels.indentDepth[i]; a.indentLevel[row] = labels.indentLevel[i]; a.column[row] = labels.column[i];
      a.n++;
      if (++sinceYield >= BLOCK) {
        sinceYield = 0;
        opts.onProgress?.(a.n, cap);
        if (opts.yieldEvery) await opts.yieldEvery();
      }
    }
    a.dropped += ids.length - keep;
  }
  opts.onProgress?.(a.n, cap);
  if (a.n < cap) {
    // Fewer characters than room: repack the rows so each cell's values stay contiguous over n.
    const packed = new Float32Array(D * a.n);
    for (let d = 0; d < D; d++) packed.set(a.acts.subarray(d * cap, d * cap + a.n), d * a.n);
    a.acts = packed;
  }
  return a;
}

/** The values of cell row d over characters [start, end) (a view). */
export function cellValues(a: Activations, d: number, start = 0, end = a.n): Float32Array {
  return a.acts.subarray(d * a.n + start, d * a.n + end);
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else { const d = s.charCodeAt(i + 1); if (d >= 0xdc00 && d <= 0xdfff) { n++; i++; } else n++; }
  }
  return n;
}
