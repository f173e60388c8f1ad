// The next-character distribution at one position of a text being read: the LSTM's, the
// n-gram's, or their mixture, whose weights a logistic mixer learns online (PAQ-style, in the
// stretched domain; mixer.ts) from every character it reads with `learn` on.
//
// The LSTM state is the Stepper's: the same h and c that the cell visualizer reads; mixing
// never changes it. The n-gram context is the last order−1 ids read, kept here; an id buffer
// that holds fewer than that means the stream starts there (the n-gram's BOS).
import { LogisticMixer, mixerContext } from './mixer';
import type { CharNGram } from './ngram';
import { Stepper } from '../engine/stepper';
import type { CompletionModel } from './completion-model';
import type { Component } from './decode-settings';

/** Everything a decoder must put back to return to a position. */
export interface PredictorState {
  lstm: Float32Array;
  ctx: Int32Array;
}

const CTX_SLACK = 256;   // ids appended before the context buffer shifts

export class MixturePredictor {
  readonly V: number;
  /** n-gram order (0 without n-gram). */
  readonly order: number;
  readonly stepper: Stepper;
  component: Component = 'mixture';
  /** LSTM steps taken (characters fed one by one or primed in a block). */
  fed = 0;
  /** While decoding with the n-gram alone, the LSTM is not stepped (its state is restored after). */
  decoding = false;

  private ngram: CharNGram | null;
  private readonly ctx: Int32Array;
  private ctxLen = 0;
  private readonly keep: number;            // ids of context that matter: order − 1
  private readonly pL: Float32Array;        // (V) LSTM
  private readonly pN: Float32Array;        // (V) n-gram
  private readonly pair: Float32Array[];
  private mixed = false;                    // the last dist() was a mixture (update() may follow)

  constructor(readonly model: CompletionModel, readonly mixer: LogisticMixer) {
    this.V = model.V;
    this.ngram = model.ngram;
    this.order = model.ngram?.order ?? 0;
    this.stepper = new Stepper(model.rnn);
    this.keep = Math.max(0, this.order - 1);
    this.ctx = new Int32Array(this.keep + CTX_SLACK);
    this.pL = new Float32Array(this.V);
    this.pN = new Float32Array(this.V);
    this.pair = [this.pL, this.pN];
    if (mixer.vocabSize !== this.V || mixer.components !== 2) throw new Error('The mixer does not fit this model (2 components over its vocabulary).');
  }

  /** The n-gram to read with: the corpus counts, or a document's overlay on them. */
  useNGram(ngram: CharNGram | null): void {
    this.ngram = ngram ?? this.model.ngram;
  }

  /** Whether distributions come from the mixture (or the n-gram) rather than the LSTM alone. */
  private get usesNGram(): boolean {
    return this.ngram !== null && this.component !== 'lstm';
  }

  /** The start of a stream: zero LSTM state, no n-gram context. */
  reset(): void {
    this.stepper.reset();
    this.ctxLen = 0;
  }

  /** Puts the n-gram context to the ids before the current position (only the last order − 1
   *  matter; fewer than that: the stream starts with them). Leaves the LSTM alone. */
  setContext(before: Int32Array): void {
    const n = Math.min(before.length, this.keep);
    this.ctx.set(before.subarray(before.length - n));
    this.ctxLen = n;
  }

  /** Reads ids fast (the LSTM a block at a time, layer by layer); the mixer learns nothing. */
  prime(ids: Int32Array): void {
    if (ids.length === 0) return;
    this.stepper.primeLayerwise(ids);
    this.fed += ids.length;
    for (let i = Math.max(0, ids.length - this.keep); i < ids.length; i++) this.appendCtx(ids[i]);
  }

  /** Reads ids one by one; with learn (and the mixture on), the mixer learns from each. Calls
   *  stop() between characters and returns how many it read (fewer when stop() said so). */
  read(ids: Int32Array, learn: boolean, stop?: () => boolean, scratch?: Float32Array): number {
    const learning = learn && this.component === 'mixture' && this.ngram !== null;
    const out = learning ? scratch ?? new Float32Array(this.V) : undefined;
    for (let i = 0; i < ids.length; i++) {
      if (stop && (i & 15) === 0 && stop()) return i;
      if (out) { this.dist(out); this.learn(ids[i]); }
      this.push(ids[i]);
    }
    return ids.length;
  }

  /** The next-character distribution (V probabilities) into out. */
  dist(out: Float32Array): Float32Array {
    this.mixed = false;
    if (!this.usesNGram) return this.stepper.probs(1, out);
    const ng = this.ngram!;
    if (this.component === 'ngram') return ng.predict(this.ctx, this.ctxLen, out);
    this.stepper.probs(1, this.pL);
    ng.predict(this.ctx, this.ctxLen, this.pN);
    const prev = this.ctxLen > 0 ? this.model.codes[this.ctx[this.ctxLen - 1]] : -1;
    this.mixer.mix(this.pair, mixerContext(prev, ng.matchOrder, this.order), out);
    this.mixed = true;
    return out;
  }

  /** After dist(): the mixer learns that `id` came next. */
  learn(id: number): void {
    if (this.mixed) this.mixer.update(id);
    this.mixed = false;
  }

  /** Moves past one id. */
  push(id: number): void {
    if (!(this.decoding && this.component === 'ngram' && this.ngram)) {
      this.stepper.feed(id);
      this.fed++;
    }
    this.appendCtx(id);
    this.mixed = false;
  }

  /** A copy of the position (the LSTM part into `lstmInto` when given). */
  save(lstmInto?: Float32Array): PredictorState {
    const from = Math.max(0, this.ctxLen - this.keep);
    return { lstm: this.stepper.saveState(lstmInto), ctx: this.ctx.slice(from, this.ctxLen) };
  }

  restore(s: PredictorState): void {
    this.stepper.loadState(s.lstm);
    this.ctx.set(s.ctx);
    this.ctxLen = s.ctx.length;
    this.mixed = false;
  }

  /** Only the LSTM part of a position (what the document cache stores). */
  loadLstm(state: Float32Array): void {
    this.stepper.loadState(state);
    this.mixed = false;
  }

  private appendCtx(id: number): void {
    if (this.keep === 0) return;
    if (this.ctxLen === this.ctx.length) {
      this.ctx.copyWithin(0, this.ctxLen - this.keep, this.ctxLen);
      this.ctxLen = this.keep;
    }
    this.ctx[this.ctxLen++] = id;
  }
}
