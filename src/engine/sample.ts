// Generate characters from a model: prime it, then draw each next character from
// softmax(logits / temperature) (or take the argmax), feeding it back in.
import type { CharRNN } from './model';
import { Rng } from './rng';
import { Stepper } from './stepper';

export interface SampleOptions {
  prime?: Int32Array;              // characters fed first (not part of the output)
  length: number;                  // at most this many characters are generated
  temperature?: number | 'greedy'; // default 1; 0 or 'greedy' takes the most likely character
  seed?: number;                   // default: a fresh random seed
  stopAt?: (id: number) => boolean; // stop before emitting a character for which this is true
}

/** The generated character indices (the prime excluded; the stop character excluded). */
export function sample(model: CharRNN, opts: SampleOptions): Int32Array {
  const stepper = new Stepper(model);
  if (opts.prime && opts.prime.length > 0) stepper.primeLayerwise(opts.prime);
  return sampleFrom(stepper, opts);
}

/** Sample from a stepper's current state (e.g. a cached document state). Leaves the stepper
 *  after the last emitted character. */
export function sampleFrom(stepper: Stepper, opts: Omit<SampleOptions, 'prime'>): Int32Array {
  const temperature = opts.temperature === 'greedy' ? 0 : opts.temperature ?? 1;
  const rng = new Rng(opts.seed ?? Math.floor(Math.random() * 4294967296));
  const length = Math.max(0, Math.floor(opts.length));
  const out = new Int32Array(length);
  let p: Float32Array | undefined;
  let n = 0;
  while (n < length) {
    p = stepper.probs(temperature, p);
    const id = temperature > 0 ? draw(p, rng.next()) : argmax(p);
    if (opts.stopAt && opts.stopAt(id)) break;
    out[n++] = id;
    stepper.feed(id);
  }
  return out.slice(0, n);
}

/** The index where the cumulative distribution passes u ∈ [0,1). */
function draw(p: Float32Array, u: number): number {
  let acc = 0;
  for (let v = 0; v < p.length; v++) {
    acc += p[v];
    if (u < acc) return v;
  }
  // rounding left u above the total: take the last character with non-zero probability
  for (let v = p.length - 1; v > 0; v--) if (p[v] > 0) return v;
  return 0;
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let v = 1; v < p.length; v++) if (p[v] > p[best]) best = v;
  return best;
}
