// The reference kernels: every op of kernels.ts in plain TypeScript loops. This is the oracle
// the fast paths (WebAssembly) are tested against, so it favours clarity over speed; sums are
// accumulated in JS numbers (float64) and rounded once when stored.
//
// Shapes follow kernels.ts: row-major, weights (out_features, in_features); per-step cell
// arrays are (B, G·H) with the G gate blocks of H units side by side in each row, in PyTorch's
// order (LSTM i,f,g,o; GRU r,z,n).
import type { CellType } from './config';
import type { AdamHyper, InferenceMatrix, Kernels } from './kernels';

/** σ(x) without overflow: exp is only ever taken of a non-positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function createRefKernels(): Kernels {
  return {
    name: 'ref',
    alloc: (n) => new Float32Array(n),
    allocInt: (n) => new Int32Array(n),
    matmul,
    matmulBackward,
    gatherColumns,
    gatherColumnsBackward,
    cellForward,
    cellBackward,
    recurrentForward,
    recurrentBackward,
    packInference,
    gemvPacked,
    inferenceSteps,
    softmaxCrossEntropy,
    adamStep,
    sumSquares,
    scale,
  };
}

// ---------------------------------------------------------------------------------------------
// matmul: out (M,N) = x (M,K) · w (N,K)ᵀ + bias (N)

function matmul(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null,
  M: number, K: number, N: number, accumulate: boolean): void {
  for (let m = 0; m < M; m++) {
    const xm = m * K;                 // row m of x
    for (let n = 0; n < N; n++) {
      const wn = n * K;               // row n of w
      let s = bias !== null ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += x[xm + k] * w[wn + k];
      out[m * N + n] = accumulate ? out[m * N + n] + s : s;
    }
  }
}

// dx (M,K) += dout (M,N) · w (N,K);  dw (N,K) += doutᵀ · x (M,K);  dbias (N) += Σ_m dout[m,:]
function matmulBackward(dx: Float32Array | null, dw: Float32Array, dbias: Float32Array | null,
  dout: Float32Array, x: Float32Array, w: Float32Array, M: number, K: number, N: number): void {
  if (dx) {
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += dout[m * N + n] * w[n * K + k];
        dx[m * K + k] += s;
      }
    }
  }
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += dout[m * N + n] * x[m * K + k];
      dw[n * K + k] += s;
    }
  }
  if (dbias) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += dout[m * N + n];
      dbias[n] += s;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gatherColumns: out (M,N) = w (N,V)[:, idx[m]] + bias (N); the one-hot product. idx in [0, V).

function gatherColumns(out: Float32Array, w: Float32Array, bias: Float32Array | null, idx: Int32Array,
  M: number, N: number, V: number): void {
  for (let m = 0; m < M; m++) {
    const col = idx[m];
    for (let n = 0; n < N; n++) out[m * N + n] = w[n * V + col] + (bias ? bias[n] : 0);
  }
}

// dw (N,V)[:, idx[m]] += dout[m,:];  dbias (N) += Σ_m dout[m,:]
function gatherColumnsBackward(dw: Float32Array, dbias: Float32Array | null, dout: Float32Array,
  idx: Int32Array, M: number, N: number, V: number): void {
  for (let m = 0; m < M; m++) {
    const col = idx[m];
    for (let n = 0; n < N; n++) {
      dw[n * V + col] += dout[m * N + n];
      if (dbias) dbias[n] += dout[m * N + n];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One cell step, forward. xg, hg, act (B, G·H); hPrev, cPrev, h, c (B,H).
//   LSTM: act = [i f g o];  c = f⊙c_prev + i⊙g;  h = o⊙tanh(c)
//   GRU:  act = [r z n];    n = tanh(xg_n + r⊙hg_n);  h = (1−z)⊙n + z⊙h_prev   (c untouched)
//   RNN:  act = h = tanh(xg + hg)                                              (c untouched)

function cellForward(cell: CellType, B: number, H: number, xg: Float32Array, hg: Float32Array,
  hPrev: Float32Array, cPrev: Float32Array, h: Float32Array, c: Float32Array, act: Float32Array): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const u = b * H + j;           // index into (B,H)
      if (cell === 'lstm') {
        const r = b * 4 * H + j;     // index of gate i for this unit in (B,4H)
        const i = sigmoid(xg[r] + hg[r]);
        const f = sigmoid(xg[r + H] + hg[r + H]);
        const g = Math.tanh(xg[r + 2 * H] + hg[r + 2 * H]);
        const o = sigmoid(xg[r + 3 * H] + hg[r + 3 * H]);
        act[r] = i; act[r + H] = f; act[r + 2 * H] = g; act[r + 3 * H] = o;
        const ct = f * cPrev[u] + i * g;
        c[u] = ct;
        h[u] = o * Math.tanh(ct);
      } else if (cell === 'gru') {
        const r0 = b * 3 * H + j;    // index of gate r for this unit in (B,3H)
        const r = sigmoid(xg[r0] + hg[r0]);
        const z = sigmoid(xg[r0 + H] + hg[r0 + H]);
        const n = Math.tanh(xg[r0 + 2 * H] + r * hg[r0 + 2 * H]);
        act[r0] = r; act[r0 + H] = z; act[r0 + 2 * H] = n;
        h[u] = (1 - z) * n + z * hPrev[u];
      } else {
        const r0 = b * H + j;
        const ht = Math.tanh(xg[r0] + hg[r0]);
        act[r0] = ht;
        h[u] = ht;
      }
    }
  }
}

// One cell step, backward. In: dh, dc (B,H); act, hg (B,G·H); hPrev, cPrev, c (B,H).
// Out (overwritten): dxg, dhg (B,G·H); dhPrev (B,H); dcPrev (B,H) (LSTM only; untouched otherwise).
// Each output element is written after the inputs at the same index are read, so dc may be the
// same array as dcPrev and dh the same as dhPrev.
//   LSTM: dc_t = dc + dh⊙o⊙(1−tanh²c);  do = dh⊙tanh c;  di = dc_t⊙g;  df = dc_t⊙c_prev;
//         dg = dc_t⊙i;  dc_prev = dc_t⊙f;  through σ' = s(1−s), tanh' = 1−t².  dhPrev = 0.
//   GRU:  dn = dh⊙(1−z);  dz = dh⊙(h_prev − n);  dhPrev = dh⊙z;  da_n = dn⊙(1−n²);
//         dxg_n = da_n;  dhg_n = da_n⊙r;  dr = da_n⊙hg_n;  r and z rows equal in dxg and dhg.
//   RNN:  dxg = dhg = dh⊙(1−h²);  dhPrev = 0.

function cellBackward(cell: CellType, B: number, H: number, dh: Float32Array, dc: Float32Array,
  act: Float32Array, hg: Float32Array, hPrev: Float32Array, cPrev: Float32Array, c: Float32Array,
  dxg: Float32Array, dhg: Float32Array, dhPrev: Float32Array, dcPrev: Float32Array): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const u = b * H + j;
      const dhu = dh[u];
      if (cell === 'lstm') {
        const r = b * 4 * H + j;
        const i = act[r], f = act[r + H], g = act[r + 2 * H], o = act[r + 3 * H];
        const tc = Math.tanh(c[u]);
        const dct = dc[u] + dhu * o * (1 - tc * tc);
        const dai = dct * g * i * (1 - i);
        const daf = dct * cPrev[u] * f * (1 - f);
        const dag = dct * i * (1 - g * g);
        const dao = dhu * tc * o * (1 - o);
        dxg[r] = dhg[r] = dai;
        dxg[r + H] = dhg[r + H] = daf;
        dxg[r + 2 * H] = dhg[r + 2 * H] = dag;
        dxg[r + 3 * H] = dhg[r + 3 * H] = dao;
        dcPrev[u] = dct * f;
        dhPrev[u] = 0;
      } else if (cell === 'gru') {
        const r0 = b * 3 * H + j;
        const r = act[r0], z = act[r0 + H], n = act[r0 + 2 * H];
        const dan = dhu * (1 - z) * (1 - n * n);
        const daz = dhu * (hPrev[u] - n) * z * (1 - z);
        const dar = dan * hg[r0 + 2 * H] * r * (1 - r);
        dxg[r0] = dhg[r0] = dar;
        dxg[r0 + H] = dhg[r0 + H] = daz;
        dxg[r0 + 2 * H] = dan;
        dhg[r0 + 2 * H] = dan * r;
        dhPrev[u] = dhu * z;
      } else {
        const r0 = b * H + j;
        const ht = act[r0];
        dxg[r0] = dhg[r0] = dhu * (1 - ht * ht);
        dhPrev[u] = 0;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The recurrence of one layer over T steps, written as the per-step ops above (the oracle for a
// backend's fused version). hs, cs ((T+1)·B, H): block t is the state before step t.

function gatesOf(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** A zeroed temporary of the same element type as `like` (the gradient check runs these loops
 *  on Float64Arrays). */
function temp(like: Float32Array, n: number): Float32Array {
  return new (like.constructor as Float32ArrayConstructor)(n);
}

function recurrentForward(cell: CellType, T: number, B: number, H: number, xg: Float32Array, whh: Float32Array,
  bhh: Float32Array | null, hs: Float32Array, cs: Float32Array, act: Float32Array, hg: Float32Array | null): void {
  const GH = gatesOf(cell) * H, n = B * H, ng = B * GH;
  if (!hg && cell === 'gru') throw new Error('The GRU recurrence must keep every step\'s hg for its backward.');
  const hgStep = hg ? null : temp(xg, ng);
  for (let t = 0; t < T; t++) {
    const hgT = hg ? hg.subarray(t * ng, (t + 1) * ng) : hgStep!;
    const hPrev = hs.subarray(t * n, (t + 1) * n), cPrev = cs.subarray(t * n, (t + 1) * n);
    matmul(hgT, hPrev, whh, bhh, B, H, GH, false);
    cellForward(cell, B, H, xg.subarray(t * ng, (t + 1) * ng), hgT, hPrev, cPrev,
      hs.subarray((t + 1) * n, (t + 2) * n), cs.subarray((t + 1) * n, (t + 2) * n), act.subarray(t * ng, (t + 1) * ng));
  }
}

function recurrentBackward(cell: CellType, T: number, B: number, H: number, dY: Float32Array, hs: Float32Array,
  cs: Float32Array, act: Float32Array, hg: Float32Array | null, whh: Float32Array,
  dxg: Float32Array, dhg: Float32Array, dwhh: Float32Array, dbhh: Float32Array | null): void {
  const GH = gatesOf(cell) * H, n = B * H, ng = B * GH;
  if (cell === 'gru' && (!hg || dhg === dxg)) throw new Error('The GRU backward needs hg and separate dxg and dhg arrays.');
  const dh = temp(dY, n), dc = temp(dY, n);   // ∂/∂h_t, ∂/∂c_t flowing back
  for (let t = T - 1; t >= 0; t--) {
    for (let i = 0; i < n; i++) dh[i] += dY[t * n + i];
    const hPrev = hs.subarray(t * n, (t + 1) * n), cPrev = cs.subarray(t * n, (t + 1) * n);
    const dhgT = dhg.subarray(t * ng, (t + 1) * ng);
    cellBackward(cell, B, H, dh, dc, act.subarray(t * ng, (t + 1) * ng), hg ? hg.subarray(t * ng, (t + 1) * ng) : act.subarray(t * ng, (t + 1) * ng),
      hPrev, cPrev, cs.subarray((t + 1) * n, (t + 2) * n), dxg.subarray(t * ng, (t + 1) * ng), dhgT, dh, dc);
    // dh += dhg_t · W_hh (not needed below t = 0);  dW_hh += dhg_tᵀ · h_{t-1};  db_hh += Σ dhg_t
    matmulBackward(t > 0 ? dh : null, dwhh, dbhh, dhgT, hPrev, whh, B, H, GH);
  }
}

// ---------------------------------------------------------------------------------------------
// Batch-1 products on a packed copy: here the copy is plain float32, so gemvPacked = matmul, M = 1.

interface RefMatrix extends InferenceMatrix { readonly data: Float32Array }

function packInference(w: Float32Array, N: number, K: number, into?: InferenceMatrix): InferenceMatrix {
  if (w.length < N * K) throw new Error(`w holds ${w.length} elements but an ${N} × ${K} matrix needs ${N * K}.`);
  const m = into as RefMatrix | undefined;
  if (m && !(m.rows === N && m.cols === K && m.data instanceof Float32Array)) {
    throw new Error(`Cannot re-pack a ${N} × ${K} matrix into a packed ${m.rows} × ${m.cols} one.`);
  }
  const data = m ? m.data : new Float32Array(N * K);
  data.set(w.subarray(0, N * K));
  return m ?? { rows: N, cols: K, data } as RefMatrix;
}

function gemvPacked(out: Float32Array, w: InferenceMatrix, x: Float32Array, bias: Float32Array | null, accumulate: boolean): void {
  const m = w as RefMatrix;
  if (!(m.data instanceof Float32Array)) throw new Error('This matrix was not packed by the reference kernels.');
  matmul(out, x, m.data, bias, 1, m.cols, m.rows, accumulate);
}

// inferenceSteps' temporaries, kept between calls: sampling feeds one step per call and must
// not allocate per step
let inferenceScratch: Float32Array[] = [];
function inferenceTemps(like: Float32Array, GH: number, H: number): Float32Array[] {
  const s = inferenceScratch;
  if (s.length === 0 || s[0].constructor !== like.constructor || s[0].length !== GH || s[2].length !== H) {
    inferenceScratch = [temp(like, GH), temp(like, GH), temp(like, H), temp(like, H)];
  }
  return inferenceScratch;
}

function inferenceSteps(cell: CellType, n: number, H: number, xs: Float32Array, ids: Int32Array | null,
  wih: InferenceMatrix | null, bih: Float32Array | null, whh: InferenceMatrix, bhh: Float32Array | null,
  h: Float32Array, c: Float32Array, act: Float32Array, ys: Float32Array | null): void {
  const GH = gatesOf(cell) * H, K = wih ? wih.cols : 0;
  const t = inferenceTemps(h, GH, H), xgBuf = t[0], hg = t[1], hNew = t[2], cNew = t[3];
  // offsets rather than subarrays: a view per step would allocate
  const wx = wih ? (wih as RefMatrix).data : null;
  for (let i = 0; i < n; i++) {
    if (wx) {
      for (let r = 0; r < GH; r++) {
        let sum = bih ? bih[r] : 0;
        for (let k = 0; k < K; k++) sum += wx[r * K + k] * xs[i * K + k];
        xgBuf[r] = sum;
      }
    } else {
      const row = (ids ? ids[i] : i) * GH;
      for (let r = 0; r < GH; r++) xgBuf[r] = xs[row + r];
    }
    gemvPacked(hg, whh, h, bhh, false);
    cellForward(cell, 1, H, xgBuf, hg, h, c, hNew, cNew, act);
    h.set(hNew);
    if (cell === 'lstm') c.set(cNew);
    if (ys) for (let j = 0; j < H; j++) ys[i * H + j] = h[j];
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax cross-entropy, logits (M,V), targets (M) -> Σ nats; dlogits (M,V) (may alias logits).
//   p = softmax(logits − max);  loss = log Σ exp(l − max) − (l_t − max);
//   dlogits = (p − onehot(t)) · gradScale;  rows with t < 0 score nothing and get zero gradient.

function softmaxCrossEntropy(dlogits: Float32Array, logits: Float32Array, targets: Int32Array,
  M: number, V: number, gradScale: number): number {
  let total = 0;
  for (let m = 0; m < M; m++) {
    const row = m * V, t = targets[m];
    if (t < 0) {
      for (let v = 0; v < V; v++) dlogits[row + v] = 0;
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[row + v] > max) max = logits[row + v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
    const logSum = Math.log(sum);
    total += logSum - (logits[row + t] - max);
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[row + v] - max - logSum);
      dlogits[row + v] = (p - (v === t ? 1 : 0)) * gradScale;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The optimizer step and gradient clipping over flat arrays, per element in float64 (these are
// the loops optim.ts and clip.ts ran before they called kernels; their results are unchanged).

// Adam: g = grad + wd·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= stepSize·m / (√v / bc2Sqrt + eps)
function adamStep(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void {
  const b1 = h.beta1, b2 = h.beta2, eps = h.eps, wd = h.weightDecay, stepSize = h.stepSize, bc2Sqrt = h.bc2Sqrt;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + wd * params[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    params[i] = params[i] - stepSize * m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
}

function sumSquares(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return sum;
}

function scale(x: Float32Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i] * a;
}
