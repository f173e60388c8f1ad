// The cell values of one open document, kept up to date as it is edited: what the inference
// worker runs for the cell-activation panel.
//
// - The exact pass runs the model from the start of the text (header line first, as trained) in
//   blocks of TRACE_BLOCK characters, saving the state before each block. After an edit only the
//   blocks from the first changed character on are run again.
// - The range in view comes first: when the exact pass would reach it only after a while, a quick
//   pass from a warm-up of WARMUP characters before it is painted first, then replaced.
// - A document over EXACT_LIMIT characters is only ever painted around the range in view.
// - Between chunks the pass yields, so a newer request (an edit, a scroll) takes over.
import type { Vocab } from '../corpus/vocab';
import type { CharRNN } from '../engine/model';
import { Stepper } from '../engine/stepper';
import { BlockTracer, GateCounts, TRACE_BLOCK, sigmoidGates } from './block-tracer';
import { CellRef, cellKey } from './trace';

export const EXACT_LIMIT = 1_000_000;
export const WARMUP = 1000;
/** Characters on each side of a span that "cells most active here" compares it with. */
export const FIND_CONTEXT = 2000;
const CHUNK = 8 * TRACE_BLOCK;
const FAST_GAP = 3000;

export interface ValuesMessage { doc: string; version: number; start: number; exact: boolean; cells: string[]; values: Float32Array[] }
export interface ProgressMessage { doc: string; version: number; exactUpTo: number; length: number; ms: number }
/** A cell by how selectively it is active in a span: score = (inside − around) / (sd around + 0.05),
 *  of the painted value; negative: selectively low there. */
export interface ActiveCell { layer: number; index: number; inside: number; around: number; score: number }
export interface GateReport { steps: number; layers: { layer: number; gates: { name: string; low: Float32Array; high: Float32Array }[] }[] }

export interface AnalysisSink {
  values(m: ValuesMessage): void;
  progress(m: ProgressMessage): void;
}

interface DocRun {
  doc: string;
  version: number;
  ids: Int32Array;
  /** header characters before the text */
  skip: number;
  cells: CellRef[];
  keys: string[];
  /** states[j]: the state before ids[j·TRACE_BLOCK]; valid for j ≤ exactBlocks */
  states: Float32Array[];
  /** gate counts of block j, j < exactBlocks */
  gateBlocks: GateCounts[];
  /** per cell, one value per character of the text */
  values: Float32Array[];
  exactBlocks: number;
}

export interface AnalyzeRequest { doc: string; version: number; header: string; text: string; cells: CellRef[]; focus: [number, number] }

export class DocAnalyzer {
  private readonly tracer: BlockTracer;
  private readonly stepper: Stepper;
  private run: DocRun | undefined;
  private generation = 0;

  private readonly exactLimit: number;
  private readonly yieldNow: () => Promise<void>;

  constructor(private readonly model: CharRNN, private readonly vocab: Vocab, private readonly sink: AnalysisSink,
    opts: { exactLimit?: number; yieldNow?: () => Promise<void> } = {}) {
    this.exactLimit = opts.exactLimit ?? EXACT_LIMIT;
    this.yieldNow = opts.yieldNow ?? (() => new Promise((r) => setImmediate(r)));
    this.tracer = new BlockTracer(model);
    this.stepper = new Stepper(model);
  }

  /** Runs until this version is complete, or until a newer request supersedes it. */
  get exactLimitChars(): number { return this.exactLimit; }

  async analyze(req: AnalyzeRequest): Promise<'done' | 'superseded' | 'window-only'> {
    const t0 = Date.now(), sink = this.sink;
    const gen = ++this.generation;
    const headerIds = this.vocab.encode(req.header), bodyIds = this.vocab.encode(req.text);
    const ids = new Int32Array(headerIds.length + bodyIds.length);
    ids.set(headerIds); ids.set(bodyIds, headerIds.length);
    const skip = headerIds.length, n = bodyIds.length;
    const keys = req.cells.map(cellKey);

    // What the last analysis of this document still gives: the blocks before the first change.
    const prev = this.run;
    let keep = 0;
    if (prev && prev.doc === req.doc && sameKeys(prev.keys, keys)) {
      const m = Math.min(prev.ids.length, ids.length);
      let p = 0;
      while (p < m && prev.ids[p] === ids[p]) p++;
      keep = Math.min(Math.floor(p / TRACE_BLOCK), prev.exactBlocks);
    }
    const run: DocRun = {
      doc: req.doc, version: req.version, ids, skip, cells: req.cells.slice(), keys,
      states: keep > 0 ? prev!.states.slice(0, keep + 1) : [new Float32Array(this.tracer.stateSize)],
      gateBlocks: keep > 0 ? prev!.gateBlocks.slice(0, keep) : [],
      // past the exact limit only windows are computed: no array over the whole text
      values: req.cells.map(() => new Float32Array(n > this.exactLimit ? 0 : n)),
      exactBlocks: keep,
    };
    const keptText = n > this.exactLimit ? 0 : Math.max(0, Math.min(n, keep * TRACE_BLOCK - skip));
    if (keptText > 0) run.values.forEach((v, k) => v.set(prev!.values[k].subarray(0, keptText)));
    this.run = run;
    const post = (start: number, end: number) => {
      if (end > start) sink.values({ doc: run.doc, version: run.version, start, exact: true, cells: keys, values: run.values.map((v) => v.slice(start, end)) });
    };
    if (keptText > 0) post(0, keptText);

    // The range in view first, when the exact pass is far from it (or never gets there).
    this.focus(req.doc, req.version, req.focus);
    if (n > this.exactLimit) {
      sink.progress({ doc: run.doc, version: run.version, exactUpTo: 0, length: n, ms: Date.now() - t0 });
      return 'window-only';
    }

    // The exact pass, from the first block that changed. Each block starts from its saved state:
    // a focus() between chunks runs the tracer elsewhere.
    let posted = keptText;
    const viewEnd = clamp(req.focus[1], 0, n);
    const blocks = Math.ceil(ids.length / TRACE_BLOCK);
    for (let b = keep; b < blocks; b++) {
      const gates = this.tracer.newGateCounts();
      this.tracer.loadState(run.states[b]);
      this.tracer.run(ids, b * TRACE_BLOCK, Math.min(ids.length, (b + 1) * TRACE_BLOCK), req.cells, run.values, skip, gates);
      run.gateBlocks[b] = gates;
      run.states[b + 1] = this.tracer.saveState();
      run.exactBlocks = b + 1;
      const done = Math.max(0, Math.min(n, (b + 1) * TRACE_BLOCK - skip));
      // in chunks, and at once when the range in view is complete (its first paint)
      if (done - posted >= CHUNK || b === blocks - 1 || (posted < viewEnd && done >= viewEnd)) {
        post(posted, done);
        posted = done;
        sink.progress({ doc: run.doc, version: run.version, exactUpTo: done, length: n, ms: Date.now() - t0 });
        if (b < blocks - 1) {
          await this.yieldNow();
          if (gen !== this.generation) return 'superseded';
        }
      }
    }
    if (blocks === 0 || posted < n) sink.progress({ doc: run.doc, version: run.version, exactUpTo: n, length: n, ms: Date.now() - t0 });
    return 'done';
  }

  /**
   * Paints focus = [start, end) of the analyzed version now if the exact pass is far from it (or
   * will never get there, past EXACT_LIMIT): a quick pass from WARMUP characters before it.
   */
  focus(doc: string, version: number, focus: [number, number]): void {
    const run = this.run;
    if (!run || run.doc !== doc || run.version !== version) return;
    const n = run.ids.length - run.skip;
    const fs = clamp(focus[0], 0, n), fe = clamp(focus[1], fs, n);
    const exactText = Math.max(0, run.exactBlocks * TRACE_BLOCK - run.skip);
    if (!(fe > fs && (n > this.exactLimit || fs - exactText > FAST_GAP))) return;
    const window = run.cells.map(() => new Float32Array(fe - fs));
    this.tracer.reset();
    this.tracer.run(run.ids, Math.max(0, run.skip + fs - WARMUP), run.skip + fs);
    this.tracer.run(run.ids, run.skip + fs, run.skip + fe, run.cells, window, run.skip + fs);
    this.sink.values({ doc, version, start: fs, exact: false, cells: run.keys, values: window });
  }

  /**
   * Sends again the values of one tracked cell that are known for the analyzed version (all the
   * exact ones; for a document past the exact limit, the window around `focus`).
   */
  resend(doc: string, version: number, key: string, focus: [number, number]): void {
    const run = this.run;
    if (!run || run.doc !== doc || run.version !== version) return;
    const k = run.keys.indexOf(key);
    if (k < 0) return;
    const n = run.ids.length - run.skip;
    if (n > this.exactLimit) { this.focus(doc, version, focus); return; }
    const exact = Math.max(0, Math.min(n, run.exactBlocks * TRACE_BLOCK - run.skip));
    const values = run.keys.map((_, j) => (j === k ? run.values[j].slice(0, exact) : new Float32Array(0)));
    if (exact > 0) this.sink.values({ doc, version, start: 0, exact: true, cells: run.keys, values });
  }

  /** The five likeliest next characters after text position `at` of the document last analyzed. */
  guesses(doc: string, at: number): { ch: string; p: number }[] {
    const run = this.run;
    if (!run || run.doc !== doc) return [];
    const pos = clamp(at, 0, run.ids.length - run.skip - 1) + run.skip;   // ids index of that character
    // the nearest saved state at or before it; without one (not computed yet), a warm-up
    const j = Math.min(Math.floor(pos / TRACE_BLOCK), run.exactBlocks);
    let from: number;
    if (pos - j * TRACE_BLOCK <= 2 * WARMUP) {
      this.stepper.loadState(run.states[j]);
      from = j * TRACE_BLOCK;
    } else {
      this.stepper.reset();
      from = Math.max(0, pos - WARMUP);
    }
    if (pos + 1 > from) this.stepper.primeLayerwise(run.ids.subarray(from, pos + 1));
    const p = this.stepper.probs();
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 5);
    return order.map((id) => ({ ch: id === this.vocab.unkId ? '' : this.vocab.chars[id], p: p[id] }));
  }

  /**
   * The cells most selectively active in [start, end) of the document last analyzed (a click is
   * one character, a selection a span), against the characters around it (FIND_CONTEXT on each
   * side): every cell is run over the span and its context from the nearest saved state, and
   * ranked by (mean inside − mean around) / sd around, of the painted value (tanh(c) for an LSTM).
   */
  mostActive(doc: string, start: number, end: number, top = 10): ActiveCell[] {
    const run = this.run;
    if (!run || run.doc !== doc) return [];
    const n = run.ids.length - run.skip;
    const s = clamp(start, 0, n - 1), e = clamp(Math.max(end, start + 1), s + 1, n);
    const from = Math.max(0, s - FIND_CONTEXT), to = Math.min(n, e + FIND_CONTEXT);
    const { layers: L, hidden: H, cell } = this.model.config;
    const D = L * H;
    // the nearest saved state before the context, else a warm-up
    const pos = from + run.skip;
    const j = Math.min(Math.floor(pos / TRACE_BLOCK), run.exactBlocks);
    let at: number;
    if (pos - j * TRACE_BLOCK <= 2 * WARMUP) { this.stepper.loadState(run.states[j]); at = j * TRACE_BLOCK; }
    else { this.stepper.reset(); at = Math.max(0, pos - WARMUP); }
    if (pos > at) this.stepper.primeLayerwise(run.ids.subarray(at, pos));
    const inSum = new Float64Array(D), outSum = new Float64Array(D), outSq = new Float64Array(D);
    const paint = cell === 'lstm' ? Math.tanh : (x: number) => x;
    for (let i = from; i < to; i++) {
      this.stepper.feed(run.ids[i + run.skip]);
      const inside = i >= s && i < e;
      for (let k = 0; k < L; k++) {
        const c = this.stepper.cell(k);
        for (let u = 0; u < H; u++) {
          const v = paint(c[u]), d = k * H + u;
          if (inside) inSum[d] += v; else { outSum[d] += v; outSq[d] += v * v; }
        }
      }
    }
    const nIn = e - s, nOut = Math.max(1, to - from - nIn);
    const out: ActiveCell[] = [];
    for (let d = 0; d < D; d++) {
      const mi = inSum[d] / nIn, mo = outSum[d] / nOut;
      const sd = Math.sqrt(Math.max(0, outSq[d] / nOut - mo * mo));
      out.push({ layer: Math.floor(d / H), index: d % H, inside: mi, around: mo, score: (mi - mo) / (sd + 0.05) });
    }
    return out.sort((x, y) => Math.abs(y.score) - Math.abs(x.score)).slice(0, top);
  }

  /** Gate saturation over the exact part of the document last analyzed (fractions of steps). */
  gates(doc: string): GateReport & { version: number } | undefined {
    const run = this.run;
    if (!run || run.doc !== doc) return undefined;
    const { layers: L, hidden: H, cell } = this.model.config;
    const names = sigmoidGates(cell);
    const low = new Uint32Array(L * names.length * H), high = new Uint32Array(low.length);
    let steps = 0;
    for (let b = 0; b < run.exactBlocks; b++) {
      const g = run.gateBlocks[b];
      steps += g.steps;
      for (let i = 0; i < low.length; i++) { low[i] += g.low[i]; high[i] += g.high[i]; }
    }
    const layers = [];
    for (let k = 0; k < L; k++) {
      layers.push({
        layer: k,
        gates: names.map((g, gi) => {
          const base = (k * names.length + gi) * H;
          const frac = (src: Uint32Array) => Float32Array.from(src.subarray(base, base + H), (x) => (steps ? x / steps : 0));
          return { name: g.name, low: frac(low), high: frac(high) };
        }),
      });
    }
    return { version: run.version, steps, layers };
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(x)));
}
