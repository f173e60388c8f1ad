// The numeric kernels the engine is built from. One reference implementation in plain
// TypeScript (kernels-ref.ts) is the oracle; fast paths (WebAssembly SIMD) implement the same
// interface and are tested against it.
//
// Conventions
// - Matrices are row-major Float32Arrays; weights are in PyTorch's layout (out_features, in_features).
// - Every array handed to a kernel comes from the same backend's alloc()/allocInt() (possibly a
//   subarray of one): a WebAssembly backend allocates inside its linear memory and turns a view
//   into a pointer through byteOffset, so no copies cross the boundary.
// - "+=" below means the kernel accumulates into its output; "=" means it overwrites it.
// - Gate activations follow PyTorch:
//     LSTM  (G=4, rows i,f,g,o):  i=σ(·) f=σ(·) g=tanh(·) o=σ(·) on xg+hg;
//                                 c = f⊙c_prev + i⊙g;  h = o⊙tanh(c)
//     GRU   (G=3, rows r,z,n):    r=σ(xg_r+hg_r) z=σ(xg_z+hg_z) n=tanh(xg_n + r⊙hg_n);
//                                 h = (1−z)⊙n + z⊙h_prev
//           (PyTorch applies r to W_hn·h + b_hn; the lecture's GRU applies it to h before W_hn.)
//     RNN   (G=1):                h = tanh(xg + hg)
//   where xg = W_ih·x + b_ih and hg = W_hh·h_prev + b_hh, both (B, G·H).
import type { CellType } from './config';

/** A weight matrix (N rows, K columns) prepared by a backend for batch-1 products (gemvPacked),
 *  in the backend's own layout and precision. Opaque: only the backend that made it reads it. */
export interface InferenceMatrix {
  readonly rows: number;
  readonly cols: number;
}

/** The scalars of one Adam step (adamStep) at step t (counted from 1), as optim.ts computes them. */
export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 weight decay added to the gradient (PyTorch's weight_decay); 0 for none. */
  readonly weightDecay: number;
  /** lr / (1 − β1^t) */
  readonly stepSize: number;
  /** √(1 − β2^t) */
  readonly bc2Sqrt: number;
}

export interface Kernels {
  readonly name: string;

  /** A zeroed Float32Array of n floats that this backend's kernels can read and write. */
  alloc(n: number): Float32Array;
  /** A zeroed Int32Array of n ints (character indices). */
  allocInt(n: number): Int32Array;

  /** out (M,N) = x (M,K) · w (N,K)ᵀ + bias (N); with accumulate, out += instead. bias may be null. */
  matmul(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null,
    M: number, K: number, N: number, accumulate: boolean): void;

  /** Backward of matmul, all accumulating:
   *  dx (M,K) += dout (M,N) · w (N,K)   (skipped when dx is null)
   *  dw (N,K) += doutᵀ (N,M) · x (M,K)
   *  dbias (N) += Σ_m dout[m,:]          (skipped when dbias is null) */
  matmulBackward(dx: Float32Array | null, dw: Float32Array, dbias: Float32Array | null,
    dout: Float32Array, x: Float32Array, w: Float32Array, M: number, K: number, N: number): void;

  /** out (M,N) = w[:, idx[m]] + bias: the product of one-hot rows with w (N,V), a column gather. */
  gatherColumns(out: Float32Array, w: Float32Array, bias: Float32Array | null, idx: Int32Array,
    M: number, N: number, V: number): void;
  /** Backward of gatherColumns: dw[:, idx[m]] += dout[m,:]; dbias += Σ_m dout[m,:]. */
  gatherColumnsBackward(dw: Float32Array, dbias: Float32Array | null, dout: Float32Array,
    idx: Int32Array, M: number, N: number, V: number): void;

  /** One time step of a cell, pointwise, for B rows of H units (G gates per unit):
   *  xg, hg (B, G·H) pre-activations from input and hidden (biases included);
   *  hPrev, cPrev (B,H) -> h, c (B,H) (c only for LSTM; pass any (B,H) array otherwise);
   *  act (B, G·H) = the activated gates, kept for backward. */
  cellForward(cell: CellType, B: number, H: number, xg: Float32Array, hg: Float32Array,
    hPrev: Float32Array, cPrev: Float32Array, h: Float32Array, c: Float32Array, act: Float32Array): void;

  /** Backward of cellForward for one step.
   *  In:  dh (B,H) total gradient on h_t; dc (B,H) gradient on c_t from step t+1 (LSTM; else ignored);
   *       act, hg, hPrev, cPrev, c as in/after the forward step.
   *  Out (overwritten): dxg, dhg (B, G·H) gradients on the two pre-activations (equal for LSTM
   *       and RNN; differ in the n rows for GRU); dhPrev (B,H) the part of ∂/∂h_{t-1} that does
   *       not flow through W_hh (GRU: z⊙dh; LSTM/RNN: 0); dcPrev (B,H) ∂/∂c_{t-1} (LSTM). */
  cellBackward(cell: CellType, B: number, H: number, dh: Float32Array, dc: Float32Array,
    act: Float32Array, hg: Float32Array, hPrev: Float32Array, cPrev: Float32Array, c: Float32Array,
    dxg: Float32Array, dhg: Float32Array, dhPrev: Float32Array, dcPrev: Float32Array): void;

  /** The recurrence of one layer over a chunk of T steps: for t = 0..T−1
   *    hg_t = h_{t-1}·W_hhᵀ + b_hh;  cellForward(xg_t, hg_t, h_{t-1}, c_{t-1}) -> h_t, c_t, act_t.
   *  xg (T·B, G·H) input projections (b_ih included); whh (G·H, H); bhh (G·H) or null;
   *  hs, cs ((T+1)·B, H): row block 0 holds the carried-in h, c (read), block t+1 gets h_t, c_t
   *  (cs: LSTM only, but sized alike for every cell); act (T·B, G·H) out;
   *  hg (T·B, G·H) out, every step's hg, or null to keep it in scratch (LSTM/RNN only: GRU's
   *  backward reads it). Equal to T matmul + cellForward calls. */
  recurrentForward(cell: CellType, T: number, B: number, H: number, xg: Float32Array, whh: Float32Array,
    bhh: Float32Array | null, hs: Float32Array, cs: Float32Array, act: Float32Array, hg: Float32Array | null): void;

  /** Backpropagation through the T steps of recurrentForward (truncated: no gradient flows into
   *  the carried-in state). dY (T·B, H) the gradient on h_t from outside the recurrence (the layer
   *  above or the decoder); hs, cs, act, hg as recurrentForward left them (hg only for GRU).
   *  Out (overwritten): dxg, dhg (T·B, G·H) the gradients on every step's xg and hg (dhg may be
   *  the same array as dxg for LSTM and RNN, where they are equal; not for GRU).
   *  Accumulated: dwhh (G·H, H) += Σ_t dhg_tᵀ·h_{t-1};  dbhh (G·H) += Σ_t,b dhg_t (when not null). */
  recurrentBackward(cell: CellType, T: number, B: number, H: number, dY: Float32Array, hs: Float32Array,
    cs: Float32Array, act: Float32Array, hg: Float32Array | null, whh: Float32Array,
    dxg: Float32Array, dhg: Float32Array, dwhh: Float32Array, dbhh: Float32Array | null): void;

  /** A copy of w (N, K) for gemvPacked; with `into` (an earlier result of the same N, K) its
   *  storage is reused, so re-packing after the weights changed allocates nothing.
   *  Precision is the backend's choice: the reference keeps float32 (gemvPacked = matmul with
   *  M = 1); the WebAssembly SIMD builds store 16-bit integers with one float scale per row
   *  (|error| ≤ max|w_row| / 32766 per weight) and quantize x per call (|error| ≤
   *  max|x| / 65534 per element), which halves the bytes read per step and doubles the
   *  multiply-adds per instruction (see wasm/assembly/quant.ts): a 2×256 LSTM's logits stay
   *  within ~6e-4 of float32 (measured on a trained model over 3,000 characters); the scalar
   *  build keeps float32. */
  packInference(w: Float32Array, N: number, K: number, into?: InferenceMatrix): InferenceMatrix;

  /** out (N) = W·x + bias (bias may be null) for a packInference matrix W (N, K) and x (K);
   *  with accumulate, out += instead. */
  gemvPacked(out: Float32Array, w: InferenceMatrix, x: Float32Array, bias: Float32Array | null, accumulate: boolean): void;

  /** n steps of one layer at batch 1 on packInference weights (sampling: n = 1; priming: a
   *  block of characters, layer by layer). For i < n:
   *    xg = ids ? xs[ids[i], :] : wih ? W_ih·xs[i, :] + b_ih : xs[i, :]
   *    hg = W_hh·h + b_hh;  cellForward(xg, hg, h, c) -> h, c, act;  ys[i, :] = h (when ys).
   *  xs: with ids, a table (rows of G·H: input projections, b_ih included) indexed by ids (n);
   *  else with wih, (n, K) layer inputs, K = wih.cols (ys may be the same array when K = H: row
   *  i is read before it is written); else (n, G·H) input projections.
   *  h, c (H) the state, updated in place (c: LSTM only, but always an (H) array);
   *  act (G·H) out: the gates of the last step. Equal to gemvPacked + cellForward per step. */
  inferenceSteps(cell: CellType, n: number, H: number, xs: Float32Array, ids: Int32Array | null,
    wih: InferenceMatrix | null, bih: Float32Array | null, whh: InferenceMatrix, bhh: Float32Array | null,
    h: Float32Array, c: Float32Array, act: Float32Array, ys: Float32Array | null): void;

  /** Softmax cross-entropy over M rows of V logits, forward and backward together.
   *  Returns Σ −ln p(target) in nats over rows whose target ≥ 0 (a negative target is masked).
   *  Writes dlogits (M,V) = (softmax(logits) − onehot(target)) · gradScale (zero rows where masked).
   *  dlogits may be the same array as logits. */
  softmaxCrossEntropy(dlogits: Float32Array, logits: Float32Array, targets: Int32Array,
    M: number, V: number, gradScale: number): number;

  /** One Adam update (PyTorch's semantics, see optim.ts) of n = params.length parameters in place:
   *    g = grads + wd·params;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
   *    params −= stepSize · m / (√v / bc2Sqrt + eps)
   *  params, grads, m, v (n); m and v (the moments) are updated in place; grads is read, never
   *  written. The reference computes each element in float64 over the float32 storage; the
   *  WebAssembly builds compute in float32, as PyTorch's Adam does on float32 tensors. */
  adamStep(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void;

  /** Σ x² over x (n), accumulated in float64 (so √ of it is the L2 norm to float64 precision up
   *  to summation order). NaN or ±Infinity when an element is not finite. */
  sumSquares(x: Float32Array): number;

  /** x (n) = x · a, in place (the WebAssembly builds multiply by a rounded to float32). */
  scale(x: Float32Array, a: number): void;
}
