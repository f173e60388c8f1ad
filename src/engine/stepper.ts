// Batch-1 incremental inference: feed one character, read the next-character distribution and
// every layer's state. Used by sampling, completions and cell traces. All buffers are
// allocated once here, so feeding allocates nothing.
//
// Shapes: state h, c (L, H); act (L, G·H) the last step's activated gates; logits (V).
// Each layer's steps run inside the kernels (Kernels.inferenceSteps): feed is L calls plus one
// for the logits, priming L calls per block of characters.
//
// Weights: the stepper reads a packed copy of the model's weights (Kernels.packInference,
// shared by all steppers of a model, see inference-weights.ts): the WebAssembly backend keeps
// them as 16-bit integers with a scale per row, half the bytes of float32, so that a 2×256
// LSTM's weights stay in L2 from one character to the next (logits within ~1e-3 of float32);
// the reference backend keeps float32 (exact). Layer 0's input product is a row lookup. Biases
// other than b_ih_l0 are read live from the model. The copy follows the model's parameters (a
// fingerprint is checked at every feed, logits and primeLayerwise); after editing a few
// parameters by hand, call refresh().
import { gatesPerUnit } from './config';
import { InferenceWeights, PRIME_BLOCK } from './inference-weights';
import type { Kernels } from './kernels';
import type { CharRNN } from './model';
import { view } from './params';

export class Stepper {
  private readonly K: Kernels;
  private readonly L: number; private readonly H: number; private readonly V: number;
  private readonly bih: Float32Array[]; private readonly bhh: Float32Array[]; private readonly decB: Float32Array;
  private readonly w: InferenceWeights;     // the packed weights, shared with the model's other steppers

  private readonly h: Float32Array;         // (L, H)
  private readonly c: Float32Array;         // (L, H)
  private readonly hViews: Float32Array[];  // per-layer views of h
  private readonly cViews: Float32Array[];  // per-layer views of c (LSTM), of h otherwise
  private readonly actViews: Float32Array[];
  private readonly logitBuf: Float32Array;  // (V)
  private readonly id: Int32Array;          // (1) the character fed
  private readonly blockIds: Int32Array;    // (PRIME_BLOCK) characters primed
  private logitsFresh = false;
  private logitsVersion = -1;
  private clamp: { layer: number; index: number; value: number } | undefined;               // the weights' version the logits were computed with

  constructor(private readonly model: CharRNN) {
    const K = this.K = model.kernels, cfg = model.config;
    const L = this.L = cfg.layers, H = this.H = cfg.hidden, V = this.V = cfg.vocabSize;
    const GH = gatesPerUnit(cfg.cell) * H;
    const lay = model.layout;
    this.bih = lay.layers.map((s) => view(model.params, s.bih));
    this.bhh = lay.layers.map((s) => view(model.params, s.bhh));
    this.decB = view(model.params, lay.decoderBias);

    this.w = InferenceWeights.of(model);
    this.h = K.alloc(L * H);
    this.c = K.alloc(L * H);
    const act = K.alloc(L * GH);
    this.hViews = []; this.cViews = []; this.actViews = [];
    for (let k = 0; k < L; k++) {
      this.hViews.push(this.h.subarray(k * H, (k + 1) * H));
      this.cViews.push(this.c.subarray(k * H, (k + 1) * H));
      this.actViews.push(act.subarray(k * GH, (k + 1) * GH));
    }
    this.logitBuf = K.alloc(V);
    this.id = K.allocInt(1);
    this.blockIds = K.allocInt(PRIME_BLOCK);
  }

  /** Rebuilds the packed copy of the weights from the model's parameters now (needed only after
   *  editing a few parameters by hand: other changes are noticed). */
  refresh(): void {
    this.w.refresh();
  }

  /** Zero state (and gates), as at the start of a stream. */
  reset(): void {
    this.h.fill(0); this.c.fill(0);
    for (const a of this.actViews) a.fill(0);
    this.logitsFresh = false;
  }

  /** Advance by one character. */
  feed(id: number): void {
    this.checkId(id);
    this.w.ensureFresh();
    this.id[0] = id;
    for (let k = 0; k < this.L; k++) {
      this.layerSteps(k, 1, k === 0 ? this.w.emb : this.hViews[k - 1], this.id, null);
      if (this.clamp?.layer === k) this.applyClamp();
    }
    this.logitsFresh = false;
  }

  /**
   * Ablation: after every step of feed(), hold one unit at a value, before the layer above and the
   * decoder read it. LSTM: c_j = value and h_j = o_j·tanh(value) (o_j the step's output gate);
   * GRU and RNN: h_j = value. undefined lifts it. primeLayerwise refuses while a unit is held.
   */
  setClamp(clamp: { layer: number; index: number; value: number } | undefined): void {
    if (clamp && !(clamp.layer >= 0 && clamp.layer < this.L && clamp.index >= 0 && clamp.index < this.H)) {
      throw new Error(`There is no cell ${clamp.layer}:${clamp.index} in a ${this.L}×${this.H} model.`);
    }
    this.clamp = clamp ? { ...clamp } : undefined;
  }

  private applyClamp(): void {
    const { layer, index, value } = this.clamp!;
    if (this.model.config.cell === 'lstm') {
      this.cViews[layer][index] = value;
      const o = this.actViews[layer][3 * this.H + index];   // gates i, f, g, o (PyTorch order)
      this.hViews[layer][index] = o * Math.tanh(value);
    } else {
      this.hViews[layer][index] = value;
    }
  }

  /** n steps of layer k: from characters ids (layer 0) or the layer below's outputs xs (n, H);
   *  ys (n, H) gets this layer's outputs when given. */
  private layerSteps(k: number, n: number, xs: Float32Array, ids: Int32Array | null, ys: Float32Array | null): void {
    const w = this.w;
    this.K.inferenceSteps(this.model.config.cell, n, this.H, xs, k === 0 ? ids : null, k === 0 ? null : w.wih[k],
      this.bih[k], w.whh[k], this.bhh[k], this.hViews[k], this.cViews[k], this.actViews[k], ys);
  }

  /** (V) logits of the next character after the last one fed (a view; valid until the next feed). */
  logits(): Float32Array {
    this.w.ensureFresh();
    if (!this.logitsFresh || this.logitsVersion !== this.w.version) {
      this.K.gemvPacked(this.logitBuf, this.w.dec, this.hViews[this.L - 1], this.decB, false);
      this.logitsFresh = true;
      this.logitsVersion = this.w.version;
    }
    return this.logitBuf;
  }

  /** The next-character distribution softmax(logits / temperature); temperature ≤ 0 gives one-hot argmax. */
  probs(temperature = 1, out?: Float32Array): Float32Array {
    const z = this.logits(), V = this.V;
    const p = out ?? new Float32Array(V);
    let max = -Infinity, arg = 0;
    for (let v = 0; v < V; v++) if (z[v] > max) { max = z[v]; arg = v; }
    if (!(temperature > 0)) {
      p.fill(0, 0, V); p[arg] = 1;
      return p;
    }
    let sum = 0;
    for (let v = 0; v < V; v++) { const e = Math.exp((z[v] - max) / temperature); p[v] = e; sum += e; }
    for (let v = 0; v < V; v++) p[v] /= sum;
    return p;
  }

  /** Snapshot of h then c of all layers (L·H·2 floats). */
  saveState(out?: Float32Array): Float32Array {
    const n = this.L * this.H;
    const s = out ?? new Float32Array(2 * n);
    s.set(this.h, 0); s.set(this.c, n);
    return s;
  }

  loadState(s: Float32Array): void {
    const n = this.L * this.H;
    if (s.length < 2 * n) throw new Error(`A saved state of this model holds ${2 * n} numbers, not ${s.length}.`);
    this.h.set(s.subarray(0, n)); this.c.set(s.subarray(n, 2 * n));
    this.logitsFresh = false;
  }

  /** What the visualizer paints: c_t (H) for LSTM, h_t for GRU/RNN (a live view). */
  cell(layer: number): Float32Array {
    return this.model.config.cell === 'lstm' ? this.cViews[layer] : this.hViews[layer];
  }

  /** h_t (H) of a layer (a live view). */
  hidden(layer: number): Float32Array {
    return this.hViews[layer];
  }

  /** The activated gates (G·H) of the last step of a layer, PyTorch order (a live view). */
  gates(layer: number): Float32Array {
    return this.actViews[layer];
  }

  /** Feed many characters, layer by layer in blocks of PRIME_BLOCK steps: all steps of the block
   *  in layer 0, then in layer 1, ..., so that one layer's weights stay in cache through the
   *  block. Exactly the operations of feeding them one by one, in another order: the same final
   *  state, gates and logits. */
  primeLayerwise(ids: Int32Array): void {
    if (this.clamp) throw new Error('A held cell needs feed(), one character at a time, not primeLayerwise.');
    for (let i = 0; i < ids.length; i++) this.checkId(ids[i]);
    if (ids.length === 0) return;
    this.w.ensureFresh();
    const ys = this.w.ys, blockIds = this.blockIds;
    for (let start = 0; start < ids.length; start += PRIME_BLOCK) {
      const n = Math.min(PRIME_BLOCK, ids.length - start);
      blockIds.set(ids.subarray(start, start + n));
      // ys (n, H): layer k-1's outputs on the way in, layer k's on the way out (step i's input
      // is read before its output is written)
      for (let k = 0; k < this.L; k++) this.layerSteps(k, n, k === 0 ? this.w.emb : ys, blockIds, k < this.L - 1 ? ys : null);
    }
    this.logitsFresh = false;
  }

  private checkId(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.V)) {
      throw new Error(`Character index ${id} is outside the vocabulary of ${this.V}.`);
    }
  }
}
