// The char-RNN: a stack of L recurrent layers over one-hot characters, then a linear decoder,
// trained with truncated BPTT. This file is orchestration only: every arithmetic-heavy loop
// lives in the Kernels object, so the same code runs on the reference and the WASM backends.
//
// Shapes (time-major, row index t*B + b):
//   inputs, targets (T,B) int;  state h, c (L,B,H)
//   layer k:  xg (T·B, G·H) = W_ih·x + b_ih  (k = 0: a column gather of W_ih; else one matmul)
//             hg_t (B, G·H) = W_hh·h_{t-1} + b_hh, then the cell's pointwise step
//             hs, cs ((T+1)·B, H): row block 0 is the carried-in state, block t+1 is step t
//             act (T·B, G·H) activated gates, kept for backward
//   y_k (T·B, H) = layer k's output (hs blocks 1..T, times the dropout mask for k < L-1)
//   logits (T·B, V) = decoder(y_{L-1});  loss = softmax cross-entropy
// A layer's whole recurrence is one kernel call each way (Kernels.recurrentForward and
// recurrentBackward): a fast backend packs W_hh once per chunk for the T per-step products, and
// computes dW_hh as one product over all T·B rows after the time loop.
import { ModelConfig, gatesPerUnit, validateModelConfig } from './config';
import type { Kernels } from './kernels';
import { ParamLayout, paramLayout, view } from './params';
import type { Rng } from './rng';

/** Departures from PyTorch's default initialisation. */
export interface ParamInit {
  /** LSTM only: the forget gates' bias (b_ih + b_hh), so that a new cell keeps its state at first. */
  forgetBias?: number;
  /** (V) the decoder's bias, e.g. unigramLogits(text): a new model then predicts the characters'
   *  frequencies from the start instead of spending its first thousand steps learning them. */
  outputBias?: Float32Array;
}

/** (V) log-frequencies of the ids in the text (add-½ smoothed, so an unseen id, such as UNK,
 *  gets a finite logit), shifted to mean 0: the decoder bias of a model that knows only counts. */
export function unigramLogits(ids: Int32Array, V: number): Float32Array {
  const counts = new Float64Array(V).fill(0.5);
  for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
  const total = counts.reduce((a, b) => a + b, 0);
  const logits = new Float32Array(V);
  let mean = 0;
  for (let v = 0; v < V; v++) mean += (logits[v] = Math.log(counts[v] / total)) / V;
  for (let v = 0; v < V; v++) logits[v] -= mean;
  return logits;
}

export interface RecurrentState { h: Float32Array; c: Float32Array }   // each (L, B, H), from kernels.alloc

interface LayerParams { wih: Float32Array; whh: Float32Array; bih: Float32Array; bhh: Float32Array }

/** What one layer keeps from forward for backward. */
interface LayerActs {
  hs: Float32Array;           // ((T+1)·B, H)
  cs: Float32Array;           // ((T+1)·B, H) (LSTM; unused otherwise but kept for uniform calls)
  act: Float32Array;          // (T·B, G·H)
  hg: Float32Array | null;    // GRU: (T·B, G·H), read by backward; LSTM/RNN: null (kernel scratch)
  mask: Float32Array | null;  // (T·B, H) inverted-dropout mask, layers 0..L-2 when dropout > 0
  y: Float32Array | null;     // (T·B, H) masked output, same layers
}

export class CharRNN {
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly maxB: number;
  readonly maxT: number;

  private readonly L: number;
  private readonly H: number;
  private readonly V: number;
  private readonly GH: number;
  private readonly p: LayerParams[];
  private readonly g: LayerParams[];
  private readonly decW: Float32Array; private readonly decB: Float32Array;    // (V,H), (V)
  private readonly dDecW: Float32Array; private readonly dDecB: Float32Array;

  // activations and scratch, all sized for (maxT, maxB)
  private readonly acts: LayerActs[];
  private readonly ids: Int32Array;        // (T·B) inputs, backend-owned
  private readonly tgt: Int32Array;        // (T·B) targets, backend-owned
  private readonly xg: Float32Array;       // (T·B, G·H) input projection; reused as dxg in backward
  private readonly logits: Float32Array;   // (T·B, V); overwritten in place by dlogits
  private readonly dY: Float32Array;       // (T·B, H) gradient on the current layer's output
  private readonly dX: Float32Array;       // (T·B, H) gradient on its input (the layer below's output)
  private readonly dhg: Float32Array | null;   // GRU: (T·B, G·H) gradient on hg; LSTM/RNN: it equals dxg
  private dropped = false;                 // whether the last forward applied dropout (backward must match)

  constructor(readonly config: ModelConfig, readonly kernels: Kernels, maxB: number, maxT: number) {
    validateModelConfig(config);
    if (!(Number.isInteger(maxB) && maxB >= 1 && Number.isInteger(maxT) && maxT >= 1)) {
      throw new Error(`Batch and sequence sizes must be positive integers, not ${maxB} and ${maxT}.`);
    }
    this.maxB = maxB; this.maxT = maxT;
    const L = this.L = config.layers, H = this.H = config.hidden, V = this.V = config.vocabSize;
    const GH = this.GH = gatesPerUnit(config.cell) * H;
    const K = kernels, TB = maxT * maxB;

    this.layout = paramLayout(config);
    this.params = K.alloc(this.layout.total);
    this.grads = K.alloc(this.layout.total);
    const slots = (flat: Float32Array): LayerParams[] => this.layout.layers.map((s) => ({
      wih: view(flat, s.wih), whh: view(flat, s.whh), bih: view(flat, s.bih), bhh: view(flat, s.bhh),
    }));
    this.p = slots(this.params);
    this.g = slots(this.grads);
    this.decW = view(this.params, this.layout.decoderWeight); this.decB = view(this.params, this.layout.decoderBias);
    this.dDecW = view(this.grads, this.layout.decoderWeight); this.dDecB = view(this.grads, this.layout.decoderBias);

    const hasDropout = config.dropout > 0;
    this.acts = [];
    for (let k = 0; k < L; k++) {
      const dropHere = hasDropout && k < L - 1;
      this.acts.push({
        hs: K.alloc((maxT + 1) * maxB * H),
        cs: K.alloc((maxT + 1) * maxB * H),
        act: K.alloc(TB * GH),
        hg: config.cell === 'gru' ? K.alloc(TB * GH) : null,
        mask: dropHere ? K.alloc(TB * H) : null,
        y: dropHere ? K.alloc(TB * H) : null,
      });
    }
    this.ids = K.allocInt(TB);
    this.tgt = K.allocInt(TB);
    this.xg = K.alloc(TB * GH);
    this.logits = K.alloc(TB * V);
    this.dY = K.alloc(TB * H);
    this.dX = K.alloc(TB * H);
    this.dhg = config.cell === 'gru' ? K.alloc(TB * GH) : null;
  }

  /** PyTorch's default: every tensor U(-1/sqrt(H), 1/sqrt(H)) (nn.Linear's bound is 1/sqrt(in) = the same);
   *  `init` departs from it where asked (the forget-gate bias).  */
  initParams(rng: Rng, init: ParamInit = {}): void {
    const k = 1 / Math.sqrt(this.H);
    for (let i = 0; i < this.params.length; i++) this.params[i] = rng.uniform(-k, k);
    if (init.forgetBias !== undefined && this.config.cell === 'lstm') this.setForgetBias(init.forgetBias);
    if (init.outputBias) {
      if (init.outputBias.length !== this.V) throw new Error(`The output bias has ${init.outputBias.length} values for a vocabulary of ${this.V}.`);
      this.decB.set(init.outputBias);
    }
  }

  /** LSTM gates stack as i,f,g,o (PyTorch), so the forget gate is rows [H, 2H) of each bias:
   *  b_ih's rows hold the value and b_hh's rows 0, so that their sum, the bias the gate sees,
   *  is exactly `value` (still a plain torch.nn.LSTM: only the numbers differ). */
  private setForgetBias(value: number): void {
    const H = this.H;
    for (const layer of this.p) {
      layer.bih.fill(value, H, 2 * H);   // (4H): i [0,H) f [H,2H) g [2H,3H) o [3H,4H)
      layer.bhh.fill(0, H, 2 * H);
    }
  }

  newState(B: number): RecurrentState {
    const n = this.L * B * this.H;
    return { h: this.kernels.alloc(n), c: this.kernels.alloc(n) };
  }

  trainChunk(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState,
    dropoutRng: Rng | null, gradScale: number): number {
    this.checkShapes(inputs, targets, T, B, state);
    const drop = this.config.dropout > 0 ? dropoutRng : null;
    if (this.config.dropout > 0 && !drop) throw new Error('Training with dropout needs a random generator.');
    this.forward(inputs, T, B, state, drop);
    const loss = this.decode(targets, T, B, gradScale);
    this.backward(T, B);
    return loss;
  }

  lossChunk(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState): number {
    this.checkShapes(inputs, targets, T, B, state);
    this.forward(inputs, T, B, state, null);
    return this.decode(targets, T, B, 0);
  }

  private checkShapes(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState): void {
    if (T < 1 || B < 1 || T > this.maxT || B > this.maxB) {
      throw new Error(`A chunk of ${T}×${B} does not fit this model's buffers (${this.maxT}×${this.maxB}).`);
    }
    if (inputs.length < T * B || targets.length < T * B) throw new Error('Inputs and targets must hold T·B characters.');
    const n = this.L * B * this.H;
    if (state.h.length !== n || state.c.length !== n) throw new Error(`The recurrent state is not sized for a batch of ${B}.`);
  }

  /** The output of layer k over all steps (T·B, H): the masked copy, or hs blocks 1..T. */
  private layerOutput(k: number, T: number, B: number, dropped: boolean): Float32Array {
    const a = this.acts[k];
    return dropped && a.y ? a.y.subarray(0, T * B * this.H) : a.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  // -------------------------------------------------------------------------------------------
  // forward: layers bottom-up, each over the whole chunk; leaves the final state in `state`

  private forward(inputs: Int32Array, T: number, B: number, state: RecurrentState, drop: Rng | null): void {
    const K = this.kernels, H = this.H, GH = this.GH, V = this.V, TB = T * B, cell = this.config.cell;
    const ids = this.ids;
    for (let i = 0; i < TB; i++) {
      const id = inputs[i];
      if (!(id >= 0 && id < V)) throw new Error(`Input character index ${id} is outside the vocabulary of ${V}.`);
      ids[i] = id;
    }
    this.dropped = drop !== null;
    const xg = this.xg.subarray(0, TB * GH);
    for (let k = 0; k < this.L; k++) {
      const p = this.p[k], a = this.acts[k];
      // input projection for all steps at once: xg (T·B, G·H)
      if (k === 0) K.gatherColumns(xg, p.wih, p.bih, ids, TB, GH, V);
      else K.matmul(xg, this.layerOutput(k - 1, T, B, this.dropped), p.wih, p.bih, TB, H, GH, false);
      // carried-in state -> hs, cs block 0; then the recurrence over all T steps
      a.hs.set(state.h.subarray(k * B * H, (k + 1) * B * H), 0);
      a.cs.set(state.c.subarray(k * B * H, (k + 1) * B * H), 0);
      K.recurrentForward(cell, T, B, H, xg, p.whh, p.bhh, a.hs, a.cs, a.act, a.hg);
      // carry out the final state
      state.h.set(a.hs.subarray(T * B * H, (T + 1) * B * H), k * B * H);
      if (cell === 'lstm') state.c.set(a.cs.subarray(T * B * H, (T + 1) * B * H), k * B * H);
      // inverted dropout on this layer's output (never on the last layer's, as torch.nn.LSTM)
      if (drop && a.mask && a.y) {
        const keep = 1 - this.config.dropout, scale = 1 / keep;
        const h = a.hs.subarray(B * H, (T + 1) * B * H);
        for (let i = 0; i < TB * H; i++) {
          const m = drop.next() < keep ? scale : 0;
          a.mask[i] = m;
          a.y[i] = h[i] * m;
        }
      }
    }
  }

  /** Decoder and loss; leaves dlogits (scaled by gradScale) in this.logits. Returns Σ nats. */
  private decode(targets: Int32Array, T: number, B: number, gradScale: number): number {
    const K = this.kernels, TB = T * B, V = this.V;
    const tgt = this.tgt;
    for (let i = 0; i < TB; i++) {
      const t = targets[i];
      if (t >= V) throw new Error(`Target character index ${t} is outside the vocabulary of ${V}.`);
      tgt[i] = t;
    }
    const logits = this.logits.subarray(0, TB * V);
    K.matmul(logits, this.layerOutput(this.L - 1, T, B, false), this.decW, this.decB, TB, this.H, V, false);
    return K.softmaxCrossEntropy(logits, logits, tgt, TB, V, gradScale);
  }

  // -------------------------------------------------------------------------------------------
  // backward: decoder, then layers top-down, each BPTT through the chunk then its input projection

  private backward(T: number, B: number): void {
    const K = this.kernels, H = this.H, GH = this.GH, V = this.V, TB = T * B, cell = this.config.cell;
    // decoder: dY (T·B, H) = dlogits · W_dec;  dW_dec += dlogitsᵀ · y;  db_dec += Σ dlogits
    let dY = this.dY.subarray(0, TB * H), dX = this.dX.subarray(0, TB * H);
    dY.fill(0);
    K.matmulBackward(dY, this.dDecW, this.dDecB, this.logits.subarray(0, TB * V),
      this.layerOutput(this.L - 1, T, B, false), this.decW, TB, H, V);

    const dxg = this.xg.subarray(0, TB * GH);    // the forward's xg is dead by now: reuse it
    for (let k = this.L - 1; k >= 0; k--) {
      const p = this.p[k], g = this.g[k], a = this.acts[k];
      // BPTT through the chunk: dxg, dhg (T·B, G·H); dW_hh, db_hh accumulated
      K.recurrentBackward(cell, T, B, H, dY, a.hs, a.cs, a.act, a.hg, p.whh, dxg, this.dhg ?? dxg, g.whh, g.bhh);
      // input projection over all steps at once
      if (k === 0) {
        K.gatherColumnsBackward(g.wih, g.bih, dxg, this.ids, TB, GH, V);
      } else {
        // dX (T·B, H) = dxg · W_ih: the gradient on the (masked) output of layer k-1
        dX.fill(0);
        K.matmulBackward(dX, g.wih, g.bih, dxg, this.layerOutput(k - 1, T, B, this.dropped), p.wih, TB, H, GH);
        const mask = this.acts[k - 1].mask;
        if (this.dropped && mask) for (let i = 0; i < TB * H; i++) dX[i] *= mask[i];
        const tmp = dY; dY = dX; dX = tmp;
      }
    }
  }
}
