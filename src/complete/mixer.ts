// Logistic mixing of K next-character distributions, as context-mixing compressors (PAQ, cmix) mix
// bit predictions, generalised to V classes, learned online. Two mixtures, then a blend of them:
//
//   geometric ("product of experts"), weights w (K) per context:
//     z_s = Σ_k w_k · ln p_k(s)         g = softmax(z)
//     ∂(−ln g(a))/∂w_k = E_g[ln p_k] − ln p_k(a)
//   linear, weights π = softmax(u) (K) per context (a Bayesian-style mixture, the fallback: it never
//   costs more than ln(1/π_k) nats over component k, whatever the components do):
//     l_s = Σ_k π_k · p_k(s)
//     ∂(−ln l(a))/∂u_k = π_k − π_k·p_k(a)/l(a)
//   final, blend λ = σ(η) per context:
//     q = (1 − λ)·g + λ·l
//     ∂(−ln q(a))/∂η = −λ(1 − λ)·(l(a) − g(a))/q(a)
//
// Each part learns from its own loss by gradient descent (as PAQ's stacked mixers do), so the
// fallback stays a good model of its own. ln p is floored at ln 1e−8 ("stretch" clipped, as PAQ
// clips stretch(p) to ±2047/256) so one overconfident component cannot drive z to −∞.
// Weights are selected by a small context number (see mixerContext); K·V work per mix.

/** Contexts that mixerContext() produces. */
export const MIXER_CONTEXTS = 32;
const LOG_FLOOR = Math.log(1e-8);
const W_LIMIT = 8;           // |w| bound: keeps the geometric mixture from running away
const U_LIMIT = 16;
const ETA_LIMIT = 6;         // λ stays within [0.0025, 0.9975]
const MAGIC = 0x584d4c4c;    // "LLMX"
const FORMAT_VERSION = 1;
const HEADER_WORDS = 7;      // magic, version, K, V, contexts, lr (f32), lrLinear (f32)

export interface MixerOptions {
  /** Number of weight sets, selected by mix()'s ctx (default MIXER_CONTEXTS). */
  contexts?: number;
  /** Learning rate of the geometric weights (default 0.02). */
  lr?: number;
  /** Learning rate of the linear weights and the blend (default 0.05). */
  lrLinear?: number;
}

/** The learned weights, copied: layout [w (contexts, K), u (contexts, K), η (contexts)]. */
export interface MixerSnapshot {
  readonly weights: Float32Array;
}

export class LogisticMixer {
  readonly components: number;   // K
  readonly vocabSize: number;    // V
  readonly contexts: number;
  lr: number;
  lrLinear: number;

  private readonly weights: Float32Array;   // [w | u | η], as MixerSnapshot
  private readonly uAt: number;             // offset of u in weights
  private readonly etaAt: number;           // offset of η
  // the last mix, for update()
  private readonly lp: Float32Array;        // (K, V) ln p_k(s), floored
  private readonly pk: Float32Array;        // (K, V) p_k(s), normalised
  private readonly g: Float64Array;         // (V) geometric mixture
  private readonly l: Float64Array;         // (V) linear mixture
  private readonly pi: Float64Array;        // (K) softmax(u)
  private readonly q: Float64Array;         // (V) final mixture
  private lastCtx = -1;                     // −1: nothing to learn from

  constructor(components: number, vocabSize: number, opts: MixerOptions = {}) {
    const contexts = opts.contexts ?? MIXER_CONTEXTS;
    if (!Number.isInteger(components) || components < 1 || components > 64) {
      throw new Error(`The mixer needs an integer number of components from 1 to 64, not ${components}.`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 65535) {
      throw new Error(`The mixer's vocabulary size must be an integer from 1 to 65535, not ${vocabSize}.`);
    }
    if (!Number.isInteger(contexts) || contexts < 1 || contexts > 1 << 20) {
      throw new Error(`The mixer's contexts must be an integer from 1 to ${1 << 20}, not ${contexts}.`);
    }
    this.components = components;
    this.vocabSize = vocabSize;
    this.contexts = contexts;
    this.lr = opts.lr ?? 0.02;
    this.lrLinear = opts.lrLinear ?? 0.05;
    if (!(this.lr >= 0 && this.lr < 10) || !(this.lrLinear >= 0 && this.lrLinear < 10)) {
      throw new Error(`The mixer's learning rates must be in [0, 10), not ${this.lr} and ${this.lrLinear}.`);
    }
    const K = components, V = vocabSize;
    this.uAt = contexts * K;
    this.etaAt = 2 * contexts * K;
    this.weights = new Float32Array(2 * contexts * K + contexts);
    // start as the plain geometric mean (Σw = 1) with a little of the linear mixture
    this.weights.fill(1 / K, 0, this.uAt);
    this.weights.fill(-2, this.etaAt);     // λ = σ(−2) ≈ 0.12
    this.lp = new Float32Array(K * V);
    this.pk = new Float32Array(K * V);
    this.g = new Float64Array(V);
    this.l = new Float64Array(V);
    this.pi = new Float64Array(K);
    this.q = new Float64Array(V);
  }

  /** Mixes dists (K arrays of ≥ V probabilities, each summing to about 1) with the weights of
   *  context ctx; writes the V-probability mixture into out and returns it. Remembers the inputs
   *  for update(). */
  mix(dists: Float32Array[], ctx: number, out: Float32Array): Float32Array {
    const K = this.components, V = this.vocabSize;
    if (dists.length !== K) throw new RangeError(`mix: expected ${K} distributions, got ${dists.length}.`);
    if (!Number.isInteger(ctx) || ctx < 0 || ctx >= this.contexts) throw new RangeError(`mix: context ${ctx} is outside 0..${this.contexts - 1}.`);
    if (out.length < V) throw new RangeError(`mix: out holds ${out.length} floats, fewer than the vocabulary's ${V}.`);
    const lp = this.lp, pk = this.pk, g = this.g, l = this.l, pi = this.pi, q = this.q, W = this.weights;
    // inputs: p_k normalised, ln p_k floored
    for (let k = 0; k < K; k++) {
      const d = dists[k];
      if (d.length < V) throw new RangeError(`mix: distribution ${k} holds ${d.length} floats, fewer than ${V}.`);
      let sum = 0;
      for (let s = 0; s < V; s++) { const p = d[s]; sum += p > 0 ? p : 0; }
      const inv = sum > 0 ? 1 / sum : 0;
      for (let s = 0; s < V; s++) {
        const p = d[s] > 0 ? d[s] * inv : 0;
        pk[k * V + s] = sum > 0 ? p : 1 / V;
        const x = Math.log(p);
        lp[k * V + s] = x > LOG_FLOOR ? x : LOG_FLOOR;   // also catches log(0) = −∞ and NaN
      }
    }
    // geometric: g = softmax(Σ_k w_k ln p_k)
    let zMax = -Infinity;
    for (let s = 0; s < V; s++) {
      let z = 0;
      for (let k = 0; k < K; k++) z += W[ctx * K + k] * lp[k * V + s];
      g[s] = z;
      if (z > zMax) zMax = z;
    }
    let gSum = 0;
    for (let s = 0; s < V; s++) { const e = Math.exp(g[s] - zMax); g[s] = e; gSum += e; }
    for (let s = 0; s < V; s++) g[s] /= gSum;
    // linear: l = Σ_k π_k p_k
    let uMax = -Infinity;
    for (let k = 0; k < K; k++) uMax = Math.max(uMax, W[this.uAt + ctx * K + k]);
    let piSum = 0;
    for (let k = 0; k < K; k++) { pi[k] = Math.exp(W[this.uAt + ctx * K + k] - uMax); piSum += pi[k]; }
    for (let k = 0; k < K; k++) pi[k] /= piSum;
    l.fill(0);
    for (let k = 0; k < K; k++) {
      const w = pi[k];
      for (let s = 0; s < V; s++) l[s] += w * pk[k * V + s];
    }
    // final blend
    const lambda = sigmoid(W[this.etaAt + ctx]);
    for (let s = 0; s < V; s++) {
      q[s] = (1 - lambda) * g[s] + lambda * l[s];
      out[s] = q[s];
    }
    this.lastCtx = ctx;
    return out;
  }

  /** Learns from the id that followed the last mix (once per mix). */
  update(actual: number): void {
    const K = this.components, V = this.vocabSize, ctx = this.lastCtx;
    if (ctx < 0) throw new Error('update() needs a mix() before it (and learns once per mix).');
    if (!Number.isInteger(actual) || actual < 0 || actual >= V) throw new RangeError(`update: id ${actual} is outside 0..${V - 1}.`);
    const lp = this.lp, pk = this.pk, g = this.g, l = this.l, pi = this.pi, W = this.weights;
    // geometric: w_k −= lr·(E_g[ln p_k] − ln p_k(a))
    for (let k = 0; k < K; k++) {
      let e = 0;
      for (let s = 0; s < V; s++) e += g[s] * lp[k * V + s];
      const grad = e - lp[k * V + actual];
      W[ctx * K + k] = clamp(W[ctx * K + k] - this.lr * grad, -W_LIMIT, W_LIMIT);
    }
    // linear: u_k −= lrLinear·(π_k − posterior_k)
    const la = l[actual];
    for (let k = 0; k < K; k++) {
      const post = la > 0 ? pi[k] * pk[k * V + actual] / la : pi[k];
      const at = this.uAt + ctx * K + k;
      W[at] = clamp(W[at] - this.lrLinear * (pi[k] - post), -U_LIMIT, U_LIMIT);
    }
    // blend: η −= lrLinear·∂(−ln q(a))/∂η
    const eta = W[this.etaAt + ctx], lambda = sigmoid(eta);
    const qa = this.q[actual];
    if (qa > 0) {
      const grad = -lambda * (1 - lambda) * (la - g[actual]) / qa;
      W[this.etaAt + ctx] = clamp(eta - this.lrLinear * grad, -ETA_LIMIT, ETA_LIMIT);
    }
    this.lastCtx = -1;
  }

  /** A copy of the weights, to restore() after decoding (which must not learn from its own guesses). */
  snapshot(): MixerSnapshot {
    return { weights: this.weights.slice() };
  }

  /** Puts back the weights of a snapshot of this mixer's shape; forgets the last mix. */
  restore(s: MixerSnapshot): void {
    if (!s || !(s.weights instanceof Float32Array) || s.weights.length !== this.weights.length) {
      throw new Error('restore: the snapshot is not of a mixer of this shape.');
    }
    this.weights.set(s.weights);
    this.lastCtx = -1;
  }

  /** The mixer as bytes: a header of uint32 words (magic "LLMX", version, K, V, contexts, the two
   *  learning rates as float32), the weights (float32), a checksum word. */
  serialize(): Uint8Array {
    const words = HEADER_WORDS + this.weights.length + 1;
    const buf = new ArrayBuffer(words * 4);
    const u32 = new Uint32Array(buf), f32 = new Float32Array(buf);
    u32.set([MAGIC, FORMAT_VERSION, this.components, this.vocabSize, this.contexts]);
    f32[5] = this.lr; f32[6] = this.lrLinear;
    f32.set(this.weights, HEADER_WORDS);
    u32[words - 1] = checksum(u32, words - 1);
    return new Uint8Array(buf);
  }

  /** A mixer from serialize()'s bytes; refuses anything malformed with one sentence. */
  static deserialize(bytes: Uint8Array): LogisticMixer {
    const fail = (why: string): never => { throw new Error(`Not a valid mixer: ${why}.`); };
    if (bytes.length < (HEADER_WORDS + 1) * 4 || bytes.length % 4 !== 0) fail('the data is too short or not a whole number of words');
    const buf = bytes.slice().buffer;
    const u32 = new Uint32Array(buf), f32 = new Float32Array(buf);
    if (u32[0] !== MAGIC) fail('it does not start with the mixer signature');
    if (u32[1] !== FORMAT_VERSION) fail(`format version ${u32[1]} is not the supported ${FORMAT_VERSION}`);
    if (checksum(u32, u32.length - 1) !== u32[u32.length - 1]) fail('the checksum does not match (the data is corrupted)');
    const K = u32[2], V = u32[3], contexts = u32[4];
    let m: LogisticMixer;
    try {
      m = new LogisticMixer(K, V, { contexts, lr: f32[5], lrLinear: f32[6] });
    } catch (e) {
      return fail((e as Error).message.replace(/\.$/, ''));
    }
    if (u32.length !== HEADER_WORDS + m.weights.length + 1) fail('its size does not match its header');
    const w = f32.subarray(HEADER_WORDS, HEADER_WORDS + m.weights.length);
    for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) fail('a weight is not a finite number');
    m.weights.set(w);
    return m;
  }
}

/** Character classes for mixerContext: 0 word (letter, digit, _ $), 1 space or tab, 2 newline,
 *  3 opening bracket, 4 closing bracket, 5 quote, 6 other ASCII punctuation, 7 anything else. */
export function charClass(code: number): number {
  if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36) return 0;
  if (code === 32 || code === 9) return 1;
  if (code === 10 || code === 13) return 2;
  if (code === 40 || code === 91 || code === 123) return 3;
  if (code === 41 || code === 93 || code === 125) return 4;
  if (code === 34 || code === 39 || code === 96) return 5;
  if (code > 32 && code < 127) return 6;
  return 7;
}

/** A mixer context in 0..MIXER_CONTEXTS−1 from the previous character's code (−1 at the start of
 *  a text or for UNK) and the n-gram's matchOrder out of its order: 8 classes × 4 buckets (no
 *  context beyond the bigram, a short one, a long one, the full order). */
export function mixerContext(prevCode: number, matchOrder: number, order: number): number {
  const cls = prevCode < 0 ? 7 : charClass(prevCode);
  const bucket = matchOrder >= order ? 3 : matchOrder <= 2 ? 0 : matchOrder <= (order >> 1) + 1 ? 1 : 2;
  return cls * 4 + bucket;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function checksum(u32: Uint32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ u32[i], 0x01000193);
  return h >>> 0;
}
