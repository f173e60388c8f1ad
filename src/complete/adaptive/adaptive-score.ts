// Reading streams with the adaptive predictor, as `eval --mixture` scores them and as the editor's
// session reads documents: each stream from its start, in order, every character predicted
// first, scored, and only then learned from (what was learned carries into the next stream).
// Scored as `eval` scores (DESIGN.md): characters 2..N of each stream (the first is read, not
// scored); a character outside the vocabulary costs P(UNK) spread over the code points outside it.
// Beside the mixture's bits, each component's own (its summary distribution's).
import type { CompletionModel } from '../completion-model';
import type { AdaptivePredictor } from './adaptive-predictor';

export interface AdaptiveScore {
  /** Total bits of the mixture. */
  bits: number;
  /** Total bits of each component alone, by name. */
  components: Record<string, number>;
  chars: number;
  oov: number;
}

/** Reads streams a slice at a time (step), so a worker can interleave it with requests. */
export class AdaptiveScorer {
  bits = 0;
  chars = 0;
  oov = 0;
  readonly componentBits: Float64Array;
  private readonly out: Float32Array;
  private readonly oovCost: number;
  private s = 0;
  private i = 0;

  constructor(readonly predictor: AdaptivePredictor, readonly model: CompletionModel, private readonly streams: readonly Int32Array[]) {
    this.out = new Float32Array(model.V);
    this.oovCost = model.vocab.unkId >= 0 ? Math.log2(model.vocab.outOfVocabCodePoints) : 0;
    this.componentBits = new Float64Array(predictor.components.length);
  }

  get done(): boolean { return this.s >= this.streams.length; }

  /** Reads up to maxChars characters; returns whether every stream is read. */
  step(maxChars: number): boolean {
    const p = this.predictor, out = this.out, unk = this.model.vocab.unkId;
    const cost = (q: number, t: number) => -Math.log2(Math.max(q, 1e-30)) + (t === unk ? this.oovCost : 0);
    let budget = maxChars;
    while (this.s < this.streams.length && budget > 0) {
      const ids = this.streams[this.s];
      if (this.i === 0) p.reset();
      for (; this.i < ids.length && budget > 0; this.i++, budget--) {
        const t = ids[this.i];
        p.predict(out);
        if (this.i > 0) {
          this.bits += cost(out[t], t);
          for (let c = 0; c < this.componentBits.length; c++) this.componentBits[c] += cost(p.outputs[p.summaryAt[c]][t], t);
          this.chars++;
          if (t === unk) this.oov++;
        }
        p.update(t);
      }
      if (this.i >= ids.length) { this.s++; this.i = 0; }
    }
    return this.done;
  }

  result(): AdaptiveScore {
    const components: Record<string, number> = {};
    this.predictor.components.forEach((c, i) => { components[c.name] = this.componentBits[i]; });
    return { bits: this.bits, components, chars: this.chars, oov: this.oov };
  }
}

export function scoreAdaptive(predictor: AdaptivePredictor, model: CompletionModel, streams: readonly Int32Array[]): AdaptiveScore {
  const s = new AdaptiveScorer(predictor, model, streams);
  s.step(Infinity);
  return s.result();
}

/** The warm-up of a new predictor: its mixer and SSE learn from the held-out text stored beside the
 *  counts (read in full), then the text itself is forgotten (it is no document of the session). */
export function warmAdaptive(predictor: AdaptivePredictor, model: CompletionModel): void {
  if (!model.calibration.length) return;
  scoreAdaptive(predictor, model, model.calibration.map((t) => model.encode(t)));
  predictor.forgetText();
  predictor.reset();
}
