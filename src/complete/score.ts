// Bits per character of the completion predictor on held-out streams, for each component at once:
// the LSTM alone, the n-gram alone (the corpus counts plus the stream read so far, as the editor
// adds the open document), and their mixture, learned online. Scored as `eval` scores (DESIGN.md):
// each stream from the zero state, characters 2..N, each from what came before it; a character
// outside the vocabulary costs P(UNK) spread over the code points outside the vocabulary.
//
// The document overlay is rebuilt from the stream's prefix every `overlayEvery` characters (the
// editor rebuilds it when idle), so no prediction sees the text it predicts.
import { LogisticMixer, mixerContext } from '../engine/mixer';
import { Stepper } from '../engine/stepper';
import type { CompletionModel } from './model';

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
  /** Called between streams (progress). */
  onStream?: (done: number, total: number) => void;
}

export function scoreStreams(model: CompletionModel, streams: Int32Array[], opts: ScoreOptions = {}): ScoreResult {
  const V = model.V, unk = model.vocab.unkId;
  const oovCost = unk >= 0 ? Math.log2(model.vocab.outOfVocabCodePoints) : 0;
  const stepper = new Stepper(model.rnn);
  const mixer = opts.mixer ?? new LogisticMixer(2, V);
  const every = opts.overlayEvery ?? 2000;
  const base = model.ngram;
  const order = base?.order ?? 0;
  const pL = new Float32Array(V), pN = new Float32Array(V), pM = new Float32Array(V);
  const pair = [pL, pN];
  const bits: ComponentBits = { lstm: 0, ngram: 0, mixture: 0 };
  let chars = 0, oov = 0;
  const cost = (p: number, target: number) => -Math.log2(Math.max(p, 1e-30)) + (target === unk ? oovCost : 0);

  streams.forEach((ids, s) => {
    opts.onStream?.(s, streams.length);
    if (ids.length < 2) return;
    stepper.reset();
    const overlay = base && every > 0 ? base.withOverlay() : null;
    const ng = overlay ?? base;
    for (let i = 0; i < ids.length; i++) {
      if (i > 0) {
        const t = ids[i];
        stepper.probs(1, pL);
        const l = cost(pL[t], t);
        bits.lstm += l;
        if (ng) {
          ng.predict(ids, i, pN);
          const prev = model.codes[ids[i - 1]];
          mixer.mix(pair, mixerContext(prev, ng.matchOrder, order), pM);
          bits.ngram += cost(pN[t], t);
          bits.mixture += cost(pM[t], t);
          mixer.update(t);
        } else {
          bits.ngram += l;
          bits.mixture += l;
        }
        chars++;
        if (t === unk) oov++;
      }
      stepper.feed(ids[i]);
      if (overlay && (i + 1) % every === 0 && i + 1 < ids.length) {
        overlay.clear();
        overlay.addText(ids.subarray(0, i + 1));
      }
    }
  });
  opts.onStream?.(streams.length, streams.length);
  return { bits, chars, oov };
}
