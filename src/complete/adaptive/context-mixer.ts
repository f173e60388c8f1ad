// A two-layer mixer chosen by context, as PAQ8's: K next-character distributions, mixed in the
// log domain (the V-ary form of logistic mixing in the stretched domain) by M weight sets, each
// selected by its own small context; the M mixtures are then mixed by a final weight set chosen by
// one more context. Every layer learns online from its own loss, by gradient descent.
//
//   inputs      lp_k(s) = max(ln p_k(s), ln 1e−8)                         (K, V)
//   layer 1     z_j(s)  = Σ_k W1[j, c_j, k] · lp_k(s),  g_j = softmax(z_j)     j = 0..M−1
//               ∂(−ln g_j(a)) / ∂W1[j, c_j, k] = E_{g_j}[lp_k] − lp_k(a)
//   layer 2     Z(s)    = Σ_j W2[c, j] · ln g_j(s),   out = softmax(Z)          (M > 1 only)
//               ∂(−ln out(a)) / ∂W2[c, j] = E_out[ln g_j] − ln g_j(a)
//
// With one weight set (M = 1) the output is g_0. ln g_j is floored as the inputs are. Cost per
// character: about 2·M·K·V multiply-adds each to mix and to learn.

const LOG_FLOOR = Math.log(1e-8);
const W_LIMIT = 16;

export interface ContextMixerShape {
  /** Distributions mixed (K). */
  inputs: number;
  vocabSize: number;
  /** Contexts of each layer-1 weight set (M sets). */
  selectors: readonly number[];
  /** Contexts of the final weight set (used when M > 1). */
  finalContexts: number;
}

export class ContextMixer {
  readonly K: number;
  readonly V: number;
  readonly M: number;
  readonly shape: ContextMixerShape;
  /** Learning rates of the two layers. */
  lr1 = 0.01;
  lr2 = 0.002;
  /** The learned weights (what is saved): W1 of set 0 (contexts_0, K), …, of set M−1, then W2
   *  (finalContexts, M) when M > 1. */
  readonly weights: Float32Array;

  private readonly setAt: Int32Array;      // (M) offset of set j's weights
  private readonly w2At: number;
  private readonly lp: Float32Array;       // (K, V)
  private readonly lg: Float32Array;       // (M, V) ln g_j, floored
  private readonly g: Float64Array;        // (M, V) g_j
  private readonly out64: Float64Array;    // (V)
  private readonly z: Float64Array;        // (V) the logits of the last softmaxOfMix
  private readonly ctx: Int32Array;        // (M) the contexts of the last mix
  private ctx2 = 0;
  private mixed = false;

  constructor(shape: ContextMixerShape) {
    const { inputs: K, vocabSize: V, selectors, finalContexts } = shape;
    if (!Number.isInteger(K) || K < 1 || K > 256) throw new Error(`The mixer needs 1 to 256 inputs, not ${K}.`);
    if (!Number.isInteger(V) || V < 2 || V > 65535) throw new Error(`The mixer's vocabulary must have 2 to 65535 characters, not ${V}.`);
    if (selectors.length < 1 || selectors.some((c) => !Number.isInteger(c) || c < 1 || c > 1 << 16)) throw new Error('Each of the mixer\'s weight sets needs 1 to 65536 contexts.');
    if (!Number.isInteger(finalContexts) || finalContexts < 1 || finalContexts > 1 << 16) throw new Error('The final weight set needs 1 to 65536 contexts.');
    this.K = K; this.V = V; this.M = selectors.length;
    this.shape = { inputs: K, vocabSize: V, selectors: [...selectors], finalContexts };
    this.setAt = new Int32Array(this.M);
    let at = 0;
    for (let j = 0; j < this.M; j++) { this.setAt[j] = at; at += selectors[j] * K; }
    this.w2At = at;
    this.weights = new Float32Array(at + (this.M > 1 ? finalContexts * this.M : 0));
    // start as the geometric mean of the inputs, and of the sets
    this.weights.fill(1 / K, 0, at);
    this.weights.fill(1 / this.M, at);
    this.lp = new Float32Array(K * V);
    this.lg = new Float32Array(this.M * V);
    this.g = new Float64Array(this.M * V);
    this.out64 = new Float64Array(V);
    this.z = new Float64Array(V);
    this.ctx = new Int32Array(this.M);
  }

  /** Mixes inputs (K arrays of ≥ V probabilities) with the weight sets of contexts ctx (one per
   *  set) and final context ctx2; writes V probabilities into out. Remembers all for update(). */
  mix(inputs: readonly Float32Array[], ctx: ArrayLike<number>, ctx2: number, out: Float32Array): Float32Array {
    const { K, V, M, lp, lg, g, weights: W } = this;
    if (inputs.length !== K) throw new RangeError(`mix: expected ${K} distributions, got ${inputs.length}.`);
    for (let j = 0; j < M; j++) {
      const c = ctx[j];
      if (!(c >= 0 && c < this.shape.selectors[j])) throw new RangeError(`mix: context ${c} of weight set ${j} is outside 0..${this.shape.selectors[j] - 1}.`);
      this.ctx[j] = c;
    }
    if (M > 1 && !(ctx2 >= 0 && ctx2 < this.shape.finalContexts)) throw new RangeError(`mix: final context ${ctx2} is outside 0..${this.shape.finalContexts - 1}.`);
    this.ctx2 = M > 1 ? ctx2 : 0;
    for (let k = 0; k < K; k++) {
      const d = inputs[k];
      for (let s = 0; s < V; s++) { const x = Math.log(d[s]); lp[k * V + s] = x > LOG_FLOOR ? x : LOG_FLOOR; }
    }
    for (let j = 0; j < M; j++) {
      const w = this.setAt[j] + this.ctx[j] * K;
      const lse = softmaxOfMix(lp, W, w, K, V, g, j * V, this.z);
      // ln g_j(s) = z_j(s) − ln Σ exp z_j, from the z that softmaxOfMix left in lg's place
      for (let s = 0; s < V; s++) { const x = this.z[s] - lse; lg[j * V + s] = x > LOG_FLOOR ? x : LOG_FLOOR; }
    }
    const o = this.out64;
    if (M === 1) for (let s = 0; s < V; s++) o[s] = g[s];
    else softmaxOfMix(lg, W, this.w2At + this.ctx2 * M, M, V, o, 0, this.z);
    for (let s = 0; s < V; s++) out[s] = o[s];
    this.mixed = true;
    return out;
  }

  /** The gradient of each layer's own loss (−ln g_j(a) for the sets, −ln out(a) for the final
   *  one) with respect to the weights used by the last mix: (M, K) then (M). */
  gradient(actual: number, into: Float64Array = new Float64Array(this.M * this.K + this.M)): Float64Array {
    const { K, V, M, lp, lg, g } = this;
    if (!this.mixed) throw new Error('gradient() needs a mix() before it.');
    for (let j = 0; j < M; j++) {
      for (let k = 0; k < K; k++) {
        let e = 0;
        for (let s = 0; s < V; s++) e += g[j * V + s] * lp[k * V + s];
        into[j * K + k] = e - lp[k * V + actual];
      }
    }
    for (let j = 0; j < M; j++) {
      if (M === 1) { into[M * K + j] = 0; continue; }
      let e = 0;
      for (let s = 0; s < V; s++) e += this.out64[s] * lg[j * V + s];
      into[M * K + j] = e - lg[j * V + actual];
    }
    return into;
  }

  private gradBuf: Float64Array | null = null;

  /** Learns from the id that followed the last mix (once per mix). */
  update(actual: number): void {
    const { K, M, weights: W } = this;
    if (!this.mixed) throw new Error('update() needs a mix() before it (and learns once per mix).');
    if (!Number.isInteger(actual) || actual < 0 || actual >= this.V) throw new RangeError(`update: id ${actual} is outside 0..${this.V - 1}.`);
    const gr = this.gradient(actual, this.gradBuf ??= new Float64Array(M * K + M));
    for (let j = 0; j < M; j++) {
      const w = this.setAt[j] + this.ctx[j] * K;
      for (let k = 0; k < K; k++) W[w + k] = clamp(W[w + k] - this.lr1 * gr[j * K + k], -W_LIMIT, W_LIMIT);
    }
    if (M > 1) {
      const w = this.w2At + this.ctx2 * M;
      for (let j = 0; j < M; j++) W[w + j] = clamp(W[w + j] - this.lr2 * gr[M * K + j], -W_LIMIT, W_LIMIT);
    }
    this.mixed = false;
  }
}

/** dst[at + s] = softmax_s(z), z(s) = Σ_k W[w + k] · x[k·V + s] for s < V; z into zOut.
 *  Returns ln Σ_s exp z(s). */
function softmaxOfMix(x: Float32Array, W: Float32Array, w: number, K: number, V: number, dst: Float64Array, at: number, zOut: Float64Array): number {
  zOut.fill(0, 0, V);
  for (let k = 0; k < K; k++) {
    const wk = W[w + k], row = k * V;
    if (wk !== 0) for (let s = 0; s < V; s++) zOut[s] += wk * x[row + s];
  }
  let zMax = -Infinity;
  for (let s = 0; s < V; s++) if (zOut[s] > zMax) zMax = zOut[s];
  let sum = 0;
  for (let s = 0; s < V; s++) { const e = Math.exp(zOut[s] - zMax); dst[at + s] = e; sum += e; }
  const inv = 1 / sum;
  for (let s = 0; s < V; s++) dst[at + s] *= inv;
  return zMax + Math.log(sum);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
