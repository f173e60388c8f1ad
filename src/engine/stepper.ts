// Batch-1 incremental inference: feed one character, read the next-character distribution and
// every layer's state. Used by sampling, completions and cell traces. All buffers are
// allocated once here, so feeding allocates nothing; parameters are read live from the model.
//
// Shapes: state h, c (L, H); per step xg, hg (G·H); act (L, G·H) the last step's activated
// gates; logits (V). primeLayerwise works in blocks of PRIME_BLOCK steps: xs (n, G·H), ys (n, H).
import { gatesPerUnit } from './config';
import type { Kernels } from './kernels';
import type { CharRNN } from './model';
import { view } from './params';

const PRIME_BLOCK = 256;

export class Stepper {
  private readonly K: Kernels;
  private readonly L: number; private readonly H: number; private readonly V: number; private readonly GH: number;
  private readonly wih: Float32Array[]; private readonly whh: Float32Array[];
  private readonly bih: Float32Array[]; private readonly bhh: Float32Array[];
  private readonly decW: Float32Array; private readonly decB: Float32Array;

  private readonly h: Float32Array;         // (L, H)
  private readonly c: Float32Array;         // (L, H)
  private readonly hViews: Float32Array[];  // per-layer views of h
  private readonly cViews: Float32Array[];  // per-layer views of c (LSTM), of h otherwise
  private readonly actViews: Float32Array[];
  private readonly hNew: Float32Array;      // (H) the cell writes here, then it is copied into h
  private readonly cNew: Float32Array;      // (H)
  private readonly xg: Float32Array;        // (G·H)
  private readonly hg: Float32Array;        // (G·H)
  private readonly logitBuf: Float32Array;  // (V)
  private readonly id: Int32Array;          // (1)
  private readonly blockIds: Int32Array;    // (PRIME_BLOCK)
  private readonly xs: Float32Array;        // (PRIME_BLOCK, G·H)
  private readonly ys: Float32Array;        // (PRIME_BLOCK, H)
  private logitsFresh = false;

  constructor(private readonly model: CharRNN) {
    const K = this.K = model.kernels, cfg = model.config;
    const L = this.L = cfg.layers, H = this.H = cfg.hidden, V = this.V = cfg.vocabSize;
    const GH = this.GH = gatesPerUnit(cfg.cell) * H;
    const lay = model.layout;
    this.wih = lay.layers.map((s) => view(model.params, s.wih));
    this.whh = lay.layers.map((s) => view(model.params, s.whh));
    this.bih = lay.layers.map((s) => view(model.params, s.bih));
    this.bhh = lay.layers.map((s) => view(model.params, s.bhh));
    this.decW = view(model.params, lay.decoderWeight);
    this.decB = view(model.params, lay.decoderBias);

    this.h = K.alloc(L * H);
    this.c = K.alloc(L * H);
    const act = K.alloc(L * GH);
    this.hViews = []; this.cViews = []; this.actViews = [];
    for (let k = 0; k < L; k++) {
      this.hViews.push(this.h.subarray(k * H, (k + 1) * H));
      this.cViews.push(this.c.subarray(k * H, (k + 1) * H));
      this.actViews.push(act.subarray(k * GH, (k + 1) * GH));
    }
    this.hNew = K.alloc(H); this.cNew = K.alloc(H);
    this.xg = K.alloc(GH); this.hg = K.alloc(GH);
    this.logitBuf = K.alloc(V);
    this.id = K.allocInt(1);
    this.blockIds = K.allocInt(PRIME_BLOCK);
    this.xs = K.alloc(PRIME_BLOCK * GH);
    this.ys = K.alloc(PRIME_BLOCK * H);
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
    this.id[0] = id;
    this.K.gatherColumns(this.xg, this.wih[0], this.bih[0], this.id, 1, this.GH, this.V);
    this.step(0, this.xg);
    for (let k = 1; k < this.L; k++) {
      this.K.matmul(this.xg, this.hViews[k - 1], this.wih[k], this.bih[k], 1, this.H, this.GH, false);
      this.step(k, this.xg);
    }
    this.logitsFresh = false;
  }

  /** One recurrent step of layer k from its input projection xg (G·H). */
  private step(k: number, xg: Float32Array): void {
    const K = this.K, H = this.H, GH = this.GH, cell = this.model.config.cell;
    K.matmul(this.hg, this.hViews[k], this.whh[k], this.bhh[k], 1, H, GH, false);
    K.cellForward(cell, 1, H, xg, this.hg, this.hViews[k], this.cViews[k], this.hNew, this.cNew, this.actViews[k]);
    this.hViews[k].set(this.hNew);
    if (cell === 'lstm') this.cViews[k].set(this.cNew);
  }

  /** (V) logits of the next character after the last one fed (a view; valid until the next feed). */
  logits(): Float32Array {
    if (!this.logitsFresh) {
      this.K.matmul(this.logitBuf, this.hViews[this.L - 1], this.decW, this.decB, 1, this.H, this.V, false);
      this.logitsFresh = true;
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

  /** Feed many characters, layer by layer: each layer's input projection is one gather/matmul
   *  over a block of steps. Same final state (and gates, logits) as feeding them one by one. */
  primeLayerwise(ids: Int32Array): void {
    const K = this.K, H = this.H, GH = this.GH, V = this.V;
    for (let start = 0; start < ids.length; start += PRIME_BLOCK) {
      const n = Math.min(PRIME_BLOCK, ids.length - start);
      for (let i = 0; i < n; i++) { this.checkId(ids[start + i]); this.blockIds[i] = ids[start + i]; }
      const xs = this.xs.subarray(0, n * GH), ys = this.ys.subarray(0, n * H);
      for (let k = 0; k < this.L; k++) {
        // xs (n, G·H): the input projection of the whole block
        if (k === 0) K.gatherColumns(xs, this.wih[0], this.bih[0], this.blockIds, n, GH, V);
        else K.matmul(xs, ys, this.wih[k], this.bih[k], n, H, GH, false);
        // the recurrence; ys (n, H) collects this layer's outputs for the layer above
        for (let i = 0; i < n; i++) {
          this.step(k, xs.subarray(i * GH, (i + 1) * GH));
          ys.set(this.hViews[k], i * H);
        }
      }
    }
    if (ids.length > 0) this.logitsFresh = false;
  }

  private checkId(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.V)) {
      throw new Error(`Character index ${id} is outside the vocabulary of ${this.V}.`);
    }
  }
}
