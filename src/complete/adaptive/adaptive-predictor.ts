// The adaptive next-character predictor (issue 15): components that each predict the next
// character (the LSTM, the corpus and stream counts, the match model), a two-layer mixer whose
// weight sets are chosen by small contexts, and an SSE stage, all learning online from every
// character they read, right after predicting it.
//
//   predict(out)   every component's distributions → mixer → SSE → out
//   update(id)     the mixer, the SSE and every component learn that id came, then move past it
//   reset()        a new stream starts (what was learned stays)
//
// Mixer contexts (the weight sets of layer 1; `--without ctxmix` keeps only one, global):
//   0  match length bucket (16)
//   1  highest stream order with counts × whether that context was deterministic (2·(N+1))
//   2  column bucket (8) × whether the line so far is blank (2)
//   3  class of the last character × class of the one before (8 × 8)
//   4  one global set
//   5  the corpus n-gram's longest context with counts × the highest stream order's half, coarsened (4)
// and the final set by match bucket (16). SSE: the most likely character's APM by the last
// character × whether the highest order with counts was deterministic, the match prediction's by
// match bucket × whether it is also the most likely character.
import { charClass } from '../mixer';
import type { CompletionModel } from '../completion-model';
import { Stepper } from '../../engine/stepper';
import { LstmComponent, LstmLike, NextCharComponent, stepperLstm } from './component';
import { CountsComponent, DEFAULT_ORDERS } from './counts-component';
import { MatchModel, MATCH_BUCKETS, matchBucket } from './match-model';
import { ContextMixer } from './context-mixer';
import { SseStage } from './sse';

/** What `--without` can remove, each measured by its absence. */
export const ABLATIONS = ['lstm', 'corpus', 'counts', 'match', 'ctxmix', 'sse'] as const;
export type Ablation = typeof ABLATIONS[number];

export interface AdaptiveOptions {
  /** Parts left out (for ablations). */
  without?: ReadonlySet<Ablation>;
  /** The LSTM to use (default: a frozen Stepper over the model's weights). */
  lstm?: LstmLike;
  /** Stream count orders (default DEFAULT_ORDERS). */
  orders?: readonly number[];
  /** The stream count table holds 2^tableBits slots of 32 bytes (default 20). */
  tableBits?: number;
  /** Every stream order's distribution mixed, or the highest order's only (default). */
  expose?: 'every' | 'top';
}

const COLUMN_BUCKETS = 8;

/** A position of the predictor, from save(). */
export interface AdaptivePosition {
  readonly parts: unknown[];
  readonly prev: number[];
  readonly ahead: boolean;
}

export class AdaptivePredictor {
  readonly V: number;
  readonly components: NextCharComponent[];
  readonly mixer: ContextMixer;
  readonly sse: SseStage | null;
  readonly counts: CountsComponent | null;
  readonly match: MatchModel | null;
  readonly without: ReadonlySet<Ablation>;
  /** Every component's outputs, in component order (what the mixer mixes). */
  readonly outputs: Float32Array[];
  /** (components) index in `outputs` of each component's summary distribution. */
  readonly summaryAt: number[];

  private readonly perComponent: Float32Array[][];
  private readonly ctx: Int32Array;
  private readonly ctxMix: boolean;
  private readonly orders: number;
  private readonly corpusOrder: number;      // the corpus n-gram's order (0: none)
  private prev1 = -1;            // code points of the last two characters (−1: none, or UNK)
  private prev2 = -1;
  private column = 0;
  private blankLine = true;
  private predicted = false;
  private prevId = -1;
  private ahead = false;            // advance()d past characters not read

  constructor(readonly model: CompletionModel, opts: AdaptiveOptions = {}) {
    const V = (this.V = model.V);
    const without = (this.without = new Set(opts.without ?? []));
    const comps: NextCharComponent[] = [];
    if (!without.has('lstm')) comps.push(new LstmComponent(opts.lstm ?? stepperLstm(new Stepper(model.rnn))));
    const corpus = without.has('corpus') ? null : model.ngram;
    const orders = without.has('counts') ? [] : opts.orders ?? DEFAULT_ORDERS;
    this.counts = corpus || orders.length ? new CountsComponent(V, { corpus, orders, tableBits: opts.tableBits, expose: opts.expose }) : null;
    if (this.counts) comps.push(this.counts);
    this.match = without.has('match') ? null : new MatchModel(V);
    if (this.match) comps.push(this.match);
    if (comps.length === 0) throw new Error('The adaptive predictor needs at least one component.');
    this.components = comps;
    this.orders = orders.length;
    this.corpusOrder = corpus?.order ?? 0;
    this.perComponent = comps.map((c) => Array.from({ length: c.outputs }, () => new Float32Array(V)));
    this.outputs = this.perComponent.flat();
    this.summaryAt = [];
    let at = 0;
    for (const c of comps) { this.summaryAt.push(at + (c.summary ?? 0)); at += c.outputs; }
    this.ctxMix = !without.has('ctxmix');
    const selectors = this.ctxMix
      ? [MATCH_BUCKETS, 2 * (this.orders + 1), 2 * COLUMN_BUCKETS, 64, 1, (this.corpusOrder + 1) * 4]
      : [1];
    this.mixer = new ContextMixer({ inputs: this.outputs.length, vocabSize: V, selectors, finalContexts: MATCH_BUCKETS });
    this.ctx = new Int32Array(selectors.length);
    this.sse = without.has('sse') ? null : new SseStage((V + 1) * 2, MATCH_BUCKETS * 2);
  }

  /** A new stream starts: every component back to no context. */
  reset(): void {
    for (const c of this.components) c.reset();
    this.prev1 = -1; this.prev2 = -1; this.prevId = -1; this.column = 0; this.blankLine = true;
    this.ahead = false;
    this.predicted = false;
  }

  /** The next-character distribution (V probabilities) into out. */
  predict(out: Float32Array): Float32Array {
    const V = this.V;
    for (let i = 0; i < this.components.length; i++) this.components[i].predict(this.perComponent[i]);
    const mb = this.match ? matchBucket(this.match.length) : 0;
    const highest = this.counts ? this.counts.highest : 0;
    const det = this.counts?.deterministic ? 1 : 0;
    const cls1 = this.prev1 < 0 ? 7 : charClass(this.prev1);
    if (this.ctxMix) {
      const c = this.ctx;
      c[0] = mb;
      c[1] = Math.min(highest, this.orders) * 2 + det;
      c[2] = columnBucket(this.column) * 2 + (this.blankLine ? 1 : 0);
      c[3] = cls1 * 8 + (this.prev2 < 0 ? 7 : charClass(this.prev2));
      c[4] = 0;
      c[5] = (this.counts ? this.counts.corpusOrder : 0) * 4 + Math.min(3, Math.floor(highest / 2));
    }
    this.mixer.mix(this.outputs, this.ctx, mb, out);
    if (this.sse) {
      const predicted = this.match ? this.match.predicted : -1;
      let best = 0;
      for (let s = 1; s < V; s++) if (out[s] > out[best]) best = s;
      this.sse.apply(out, V, best, (this.prevId + 1) * 2 + det, predicted, mb * 2 + (predicted === best ? 1 : 0));
    }
    this.predicted = true;
    return out;
  }

  /** The character that came after the last predict(): everything learns from it and moves past
   *  it. (Without a predict() first, the components only move past it.) */
  update(id: number): void {
    if (this.ahead) throw new Error('update() after advance(): restore() the position first (a decoder\'s guesses are not text read).');
    if (this.predicted) {
      this.mixer.update(id);
      this.sse?.update(id);
    }
    this.predicted = false;
    for (const c of this.components) c.update(id);
    this.moveContext(id);
  }

  private moveContext(id: number): void {
    this.prevId = id;
    const code = this.model.codes[id];
    this.prev2 = this.prev1;
    this.prev1 = code;
    if (code === 10) { this.column = 0; this.blankLine = true; } else {
      this.column++;
      if (code !== 32 && code !== 9) this.blankLine = false;
    }
  }

  /** Moves past id without learning from it: what a decoder does with the characters it tries.
   *  save() before and restore() after (update() must not follow an advance without it). */
  advance(id: number): void {
    this.predicted = false;
    this.ahead = true;
    for (const c of this.components) c.advance(id);
    this.moveContext(id);
  }

  /** The position: every component's context and the mixer's; nothing learned is in it. */
  save(): AdaptivePosition {
    return { parts: this.components.map((c) => c.save()), prev: [this.prev1, this.prev2, this.prevId, this.column, this.blankLine ? 1 : 0], ahead: this.ahead };
  }

  restore(p: AdaptivePosition): void {
    this.components.forEach((c, i) => c.restore(p.parts[i]));
    [this.prev1, this.prev2, this.prevId, this.column] = p.prev;
    this.blankLine = p.prev[4] === 1;
    this.ahead = p.ahead;
    this.predicted = false;
  }

  /** After predict(): the match model's predicted run of characters (up to max), for a decoder
   *  to propose whole; empty without a match. */
  continuation(max: number): Int32Array {
    return this.match ? this.match.continuation(max) : new Int32Array(0);
  }

  /** Forgets what was read (stream counts, match history); keeps what the mixer and SSE learned. */
  forgetText(): void {
    this.counts?.clearCounts();
    if (this.match) this.match.clearHistory();
  }

  /** Bytes held by the count table and the match history. */
  get memoryBytes(): number {
    return (this.counts?.memoryBytes ?? 0) + (this.match?.memoryBytes ?? 0);
  }
}

/** 0, 1, 2–3, 4–7, 8–15, 16–31, 32–63, 64+. */
function columnBucket(col: number): number {
  return col === 0 ? 0 : Math.min(COLUMN_BUCKETS - 1, 1 + Math.floor(Math.log2(col)));
}
