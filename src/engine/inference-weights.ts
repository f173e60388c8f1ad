// The packed copy of a model's weights that batch-1 inference reads (Stepper), one per model,
// shared by all its steppers: the WebAssembly heap never frees, and sampling makes a new
// Stepper every few seconds during training, so each must not bring its own megabytes.
//
//   wih[k], whh[k] (G·H, H)  Kernels.packInference copies (wih[0] unused: layer 0 reads emb)
//   dec (V, H)               the decoder's
//   emb (V, G·H)             W_ih_l0ᵀ + b_ih_l0: layer 0's input projection of character v is row v
//   ys (PRIME_BLOCK, H)      the priming buffer (priming is synchronous, so one per model will do)
//
// The copy follows the model: ensureFresh() compares a fingerprint of the parameters (the first
// and last FINGERPRINT_RUN of every tensor: a few cache lines each, cheap next to a step) and
// rebuilds the copy when it changed, as it does after any optimizer step (W_hh's gradient is
// dense) or checkpoint load. A change to a few parameters in the middle of a tensor can slip
// past it: refresh() after one. `version` counts the rebuilds, so a stepper knows when logits it
// computed earlier are stale.
import { gatesPerUnit } from './config';
import type { InferenceMatrix, Kernels } from './kernels';
import type { CharRNN } from './model';
import { view } from './params';

const FINGERPRINT_RUN = 64;
export const PRIME_BLOCK = 512;

export class InferenceWeights {
  readonly wih: InferenceMatrix[] = [];
  readonly whh: InferenceMatrix[] = [];
  dec!: InferenceMatrix;
  readonly emb: Float32Array;
  readonly ys: Float32Array;
  version = 0;
  private readonly K: Kernels;
  private readonly fpIndex: Int32Array;     // which parameters the fingerprint samples
  private readonly fpValue: Float32Array;   // their values when the copy was made

  /** The shared copy of this model's weights (made on first use). */
  static of(model: CharRNN): InferenceWeights {
    let w = shared.get(model);
    if (!w) { w = new InferenceWeights(model); shared.set(model, w); }
    return w;
  }

  private constructor(private readonly model: CharRNN) {
    const K = this.K = model.kernels, cfg = model.config;
    this.emb = K.alloc(cfg.vocabSize * gatesPerUnit(cfg.cell) * cfg.hidden);
    this.ys = K.alloc(PRIME_BLOCK * cfg.hidden);
    const fp: number[] = [];
    for (const t of model.layout.tensors) {
      const run = Math.min(FINGERPRINT_RUN, t.size);
      for (let i = 0; i < run; i++) fp.push(t.offset + i, t.offset + t.size - 1 - i);
    }
    this.fpIndex = Int32Array.from(fp);
    this.fpValue = new Float32Array(fp.length);
    this.refresh();
  }

  /** Rebuilds the copy from the model's parameters now. */
  refresh(): void {
    const K = this.K, m = this.model, lay = m.layout, cfg = m.config;
    const H = cfg.hidden, V = cfg.vocabSize, GH = gatesPerUnit(cfg.cell) * H;
    for (let k = 0; k < cfg.layers; k++) {
      const s = lay.layers[k];
      if (k > 0) this.wih[k] = K.packInference(view(m.params, s.wih), GH, H, this.wih[k]);
      this.whh[k] = K.packInference(view(m.params, s.whh), GH, H, this.whh[k]);
    }
    this.dec = K.packInference(view(m.params, lay.decoderWeight), V, H, this.dec);
    // emb[v, n] = W_ih_l0[n, v] + b_ih_l0[n]
    const w = view(m.params, lay.layers[0].wih), b = view(m.params, lay.layers[0].bih), emb = this.emb;
    for (let n = 0; n < GH; n++) {
      const bn = b[n], row = n * V;
      for (let v = 0; v < V; v++) emb[v * GH + n] = w[row + v] + bn;
    }
    const p = m.params, idx = this.fpIndex, val = this.fpValue;
    for (let j = 0; j < idx.length; j++) val[j] = p[idx[j]];
    this.version++;
  }

  /** Rebuilds the copy if the parameters' fingerprint changed since it was made. */
  ensureFresh(): void {
    const p = this.model.params, idx = this.fpIndex, val = this.fpValue;
    for (let j = 0; j < idx.length; j++) {
      // Object.is: a NaN parameter equals itself, so it does not force a rebuild every call
      if (!Object.is(p[idx[j]], val[j])) { this.refresh(); return; }
    }
  }
}

const shared = new WeakMap<CharRNN, InferenceWeights>();
