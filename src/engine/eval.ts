// Bits per character of a model on held-out text, as DESIGN.md defines it: each stream runs
// from the zero state; characters 2..N are scored, each from the state after the characters
// before it; a target equal to unkId (a character outside the vocabulary) costs
// −log2(P(UNK) / outOfVocabCodePoints), i.e. P(UNK) spread uniformly over those code points.
//
// Streams run in parallel lanes of one batch. A lane takes the next stream at a chunk boundary
// (its state zeroed there), so a stream wastes at most T−1 padded steps; padded steps have a
// masked target and score nothing.
import type { CharRNN } from './model';

export interface EvalOptions {
  unkId?: number;                // the UNK index, if the vocabulary has one
  outOfVocabCodePoints?: number; // code points UNK stands for; default: all Unicode scalar values outside the vocabulary
  batch?: number;                // lanes; default and maximum: the model's maxB
}

export interface EvalResult { bits: number; chars: number; oov: number }

const UNICODE_SCALAR_VALUES = 0x110000 - 0x800;   // code points minus surrogates

export function evaluateStreams(model: CharRNN, streams: Int32Array[], opts: EvalOptions = {}): EvalResult {
  const V = model.config.vocabSize, L = model.config.layers, H = model.config.hidden;
  const unkId = opts.unkId ?? -1;
  const oovPoints = opts.outOfVocabCodePoints ?? UNICODE_SCALAR_VALUES - (V - 1);
  if (unkId >= 0 && !(oovPoints >= 1)) throw new Error(`The number of out-of-vocabulary code points must be at least 1, not ${oovPoints}.`);

  // longest first, so long streams start early and lanes finish together
  const queue = streams.filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
  let chars = 0, oov = 0;
  for (const s of queue) {
    chars += s.length - 1;
    if (unkId >= 0) for (let i = 1; i < s.length; i++) if (s[i] === unkId) oov++;
  }
  if (queue.length === 0) return { bits: 0, chars: 0, oov: 0 };

  const B = Math.max(1, Math.min(opts.batch ?? model.maxB, model.maxB, queue.length));
  const T = model.maxT;
  const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
  const state = model.newState(B);
  const lane: (Int32Array | null)[] = new Array(B).fill(null);
  const pos = new Int32Array(B);   // next input position of each lane's stream
  let next = 0, nats = 0;
  for (;;) {
    let busy = false;
    for (let b = 0; b < B; b++) {
      if (lane[b] === null && next < queue.length) {
        lane[b] = queue[next++]; pos[b] = 0;
        for (let k = 0; k < L; k++) {
          state.h.fill(0, (k * B + b) * H, (k * B + b + 1) * H);
          state.c.fill(0, (k * B + b) * H, (k * B + b + 1) * H);
        }
      }
      const s = lane[b];
      if (s) busy = true;
      for (let t = 0; t < T; t++) {
        const p = pos[b] + t, i = t * B + b;
        if (s && p + 1 < s.length) { inputs[i] = s[p]; targets[i] = s[p + 1]; }
        else { inputs[i] = 0; targets[i] = -1; }
      }
    }
    if (!busy) break;
    nats += model.lossChunk(inputs, targets, T, B, state);
    for (let b = 0; b < B; b++) {
      const s = lane[b];
      if (!s) continue;
      pos[b] += T;
      if (pos[b] + 1 >= s.length) lane[b] = null;
    }
  }
  const bits = nats / Math.LN2 + (unkId >= 0 ? oov * Math.log2(oovPoints) : 0);
  return { bits, chars, oov };
}
