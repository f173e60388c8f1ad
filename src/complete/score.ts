// Reading held-out streams with the completion predictor: bits per character of each component
// at once (the LSTM alone, the n-gram alone, with the stream read so far counted in as the editor
// counts the open document, and their mixture, learned online), and, with the same loop, the
// warm-up that gives a new model's mixer its first weights.
//
// Scored as `eval` scores (DESIGN.md): each stream from the zero state, characters 2..N, each
// from what came before it; a character outside the vocabulary costs P(UNK) spread over the code
// points outside the vocabulary. The stream's overlay is rebuilt from its prefix every
// `overlayEvery` characters (the editor rebuilds it when idle), so no prediction sees the text it
// predicts.
import { LogisticMixer, mixerContext } from './mixer';
import type { CharNGram } from './ngram';
import { Stepper } from '../engine/stepper';
import type { CompletionModel } from './completion-model';

export interface ComponentBits { lstm: number; ngram: number; mixture: number }

export interface ScoreResult {
  /** Total bits per component (ngram and mixture equal lstm when there is no n-gram). */
  bits: ComponentBits;
  chars: number;
  oov: number;
}

export interface ScoreOptions {
  /** Characters between rebuilds of a stream's overlay (default 2,000; 0: no overlay). */
  overlayEvery?: number;
  /** The mixer to learn in (default: a new one, learning across the streams in order). */
  mixer?: LogisticMixer;
}

/** Reads streams a slice at a time (step), so a worker can interleave it with requests. */
export class StreamScorer {
  readonly mixer: LogisticMixer;
  readonly bits: ComponentBits = { lstm: 0, ngram: 0, mixture: 0 };
  chars = 0;
  oov = 0;
  private readonly stepper: Stepper;
  private readonly every: number;
  private readonly oovCost: number;
  private readonly pL: Float32Array;
  private readonly pN: Float32Array;
  private readonly pM: Float32Array;
  private s = 0;                          // current stream
  private i = 0;                          // next position in it
  private overlay: CharNGram | null = null;

  constructor(readonly model: CompletionModel, private readonly streams: Int32Array[], opts: ScoreOptions = {}) {
    const V = model.V;
    this.mixer = opts.mixer ?? new LogisticMixer(2, V);
    this.stepper = new Stepper(model.rnn);
    this.every = opts.overlayEvery ?? 2000;
    this.oovCost = model.vocab.unkId >= 0 ? Math.log2(model.vocab.outOfVocabCodePoints) : 0;
    this.pL = new Float32Array(V); this.pN = new Float32Array(V); this.pM = new Float32Array(V);
  }

  get done(): boolean {
    return this.s >= this.streams.length;
  }

  /** Reads up to maxChars characters; returns whether every stream is read. */
  step(maxChars: number): boolean {
    const { model, stepper, mixer, pL, pN, pM } = this;
    const unk = model.vocab.unkId, base = model.ngram, order = base?.order ?? 0;
    const cost = (p: number, t: number) => -Math.log2(Math.max(p, 1e-30)) + (t === unk ? this.oovCost : 0);
    let budget = maxChars;
    while (this.s < this.streams.length && budget > 0) {
      const ids = this.streams[this.s];
      if (this.i === 0) {
        stepper.reset();
        this.overlay = base && this.every > 0 ? base.withOverlay() : null;
      }
      const ng = this.overlay ?? base;
      for (; this.i < ids.length && budget > 0; this.i++, budget--) {
        const i = this.i;
        if (i > 0) {
          const t = ids[i];
          stepper.probs(1, pL);
          const l = cost(pL[t], t);
          this.bits.lstm += l;
          if (ng) {
            ng.predict(ids, i, pN);
            mixer.mix([pL, pN], mixerContext(model.codes[ids[i - 1]], ng.matchOrder, order), pM);
            this.bits.ngram += cost(pN[t], t);
            this.bits.mixture += cost(pM[t], t);
            mixer.update(t);
          } else {
            this.bits.ngram += l;
            this.bits.mixture += l;
          }
          this.chars++;
          if (t === unk) this.oov++;
        }
        stepper.feed(ids[i]);
        if (this.overlay && (i + 1) % this.every === 0 && i + 1 < ids.length) {
          this.overlay.clear();
          this.overlay.addText(ids.subarray(0, i + 1));
        }
      }
      if (this.i >= ids.length) { this.s++; this.i = 0; this.overlay = null; }
    }
    return this.done;
  }

  result(): ScoreResult {
    return { bits: { ...this.bits }, chars: this.chars, oov: this.oov };
  }
}

export function scoreStreams(model: CompletionModel, streams: Int32Array[], opts: ScoreOptions = {}): ScoreResult {
  const s = new StreamScorer(model, streams, opts);
  s.step(Infinity);
  return s.result();
}

/** A new mixer whose weights have learned from the model's calibration text (held-out files that
 *  training stored beside the counts), read in full. Without such text: a new mixer. */
export function warmMixer(model: CompletionModel): LogisticMixer {
  const mixer = new LogisticMixer(2, model.V);
  if (model.ngram && model.calibration.length) scoreStreams(model, model.calibration.map((t) => model.encode(t)), { mixer });
  return mixer;
}
