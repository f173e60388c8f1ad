// The decoder that 'output' dynamic evaluation adapts, kept apart from the model's parameters
// (so that the stepper's packed copy of the recurrent weights never needs rebuilding), and its
// gradient for one character (cmix's LSTM output layer, Krause's rule on top):
//
//   theta (V·H + V)   decoder.weight W (V, H) row-major, then decoder.bias b (V): the model's
//                     own layout of its last two tensors, so offsets line up with the stats
//   h (H)             the top layer's output before the character was read
//   logits (V) = W·h + b;  p = softmax(logits)
//   loss = −ln p[t];  ∂/∂logits = p − onehot(t);  ∂/∂W[v,k] = (p[v] − [v=t])·h[k];  ∂/∂b = p − onehot(t)
import type { Kernels } from '../../engine/kernels';

export class OutputLayer {
  readonly theta: Float32Array;   // (V·H + V)
  readonly grad: Float32Array;    // (V·H + V)
  private readonly W: Float32Array; private readonly b: Float32Array;
  private readonly dW: Float32Array; private readonly db: Float32Array;
  private readonly logits: Float32Array;   // (V)

  constructor(private readonly K: Kernels, readonly V: number, readonly H: number) {
    this.theta = K.alloc(V * H + V);
    this.grad = K.alloc(V * H + V);
    this.W = this.theta.subarray(0, V * H); this.b = this.theta.subarray(V * H);
    this.dW = this.grad.subarray(0, V * H); this.db = this.grad.subarray(V * H);
    this.logits = K.alloc(V);
  }

  /** p (V) = softmax(W·h + b). h must be an array of the kernels' memory (a stepper's view is). */
  probs(h: Float32Array, p: Float32Array): Float32Array {
    const V = this.V, z = this.logits;
    this.K.matmul(z, h, this.W, this.b, 1, this.H, V, false);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (z[v] > max) max = z[v];
    let sum = 0;
    for (let v = 0; v < V; v++) { const e = Math.exp(z[v] - max); p[v] = e; sum += e; }
    for (let v = 0; v < V; v++) p[v] /= sum;
    return p;
  }

  /** grad = ∂(−ln p[t])/∂theta given p = probs(h) at the current theta; returns −ln p[t]. */
  gradient(h: Float32Array, p: Float32Array, t: number): number {
    const V = this.V, H = this.H, dW = this.dW, db = this.db;
    for (let v = 0; v < V; v++) {
      const d = p[v] - (v === t ? 1 : 0), row = v * H;
      db[v] = d;
      for (let k = 0; k < H; k++) dW[row + k] = d * h[k];
    }
    return -Math.log(p[t]);
  }

  /** gradient() then rmsStep() in one pass over W (the gradient is the rank-one d·hᵀ, so it is
   *  never written out): theta −= lr·g·inv − pull·(theta0 − theta), with inv and pull the
   *  per-parameter coefficients of rms-step.ts. Returns −ln p[t]. */
  gradientStep(h: Float32Array, p: Float32Array, t: number, theta0: Float32Array, inv: Float32Array, pull: Float32Array, lr: number): number {
    const V = this.V, H = this.H, th = this.theta, VH = V * H;
    for (let v = 0; v < V; v++) {
      const d = p[v] - (v === t ? 1 : 0), row = v * H, lrd = lr * d;
      for (let k = 0; k < H; k++) {
        const i = row + k, x = th[i];
        th[i] = x - lrd * h[k] * inv[i] + pull[i] * (theta0[i] - x);
      }
      const i = VH + v, x = th[i];
      th[i] = x - lrd * inv[i] + pull[i] * (theta0[i] - x);
    }
    return -Math.log(p[t]);
  }
}
