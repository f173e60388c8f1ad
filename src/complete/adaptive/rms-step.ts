// Krause et al.'s update ("Dynamic Evaluation of Neural Sequence Models", 2017, the RMS variant
// with a global prior), on a range of n parameters:
//
//   θ_i ← θ_i − η · g_i / (r_i + ε·r̄)  +  min(1, λ · r_i / r̄) · (θ0_i − θ_i)
//
//   g (n)    this step's gradient (of the mean loss over the segment, nats/char)
//   r (n)    the RMS of such gradients, √MS: from statistics text (GradientStats.add over it
//            before reading) or, without it, from the first `warmup` steps read (running mean)
//   r̄        the mean over tensors of each tensor's mean r (Krause's gsum/count)
//   θ0 (n)   the trained weights: the decay pulls harder on parameters whose gradients are
//            large (they are the ones adaptation moves), never past θ0 (the min with 1)
//
// Krause's code writes `lr·g/(MS+ε)` with MS already square-rooted, and ε absolute (2e-5 for
// its statistics over batches of 100); ours is relative to r̄, so one default holds whatever
// the scale of the gradients (a parameter never seen in the statistics, r_i = 0, then moves
// at most η·|g_i|/(ε·r̄), not without bound).
import type { TensorSpec } from '../../engine/params';

export interface RmsStepHyper { lr: number; decay: number; eps: number }

/** The running mean of g² per parameter over the gradients added, and the per-parameter
 *  coefficients of the step that follow from it (recomputed only after the statistics change). */
export class GradientStats {
  readonly ms: Float64Array;
  count = 0;
  private readonly inv: Float32Array;    // (n) 1 / (r_i + ε·r̄)
  private readonly pull: Float32Array;   // (n) min(1, λ·r_i / r̄)
  private madeFor = { count: -1, decay: NaN, eps: NaN };

  constructor(readonly n: number, private readonly tensors: readonly { offset: number; size: number }[]) {
    this.ms = new Float64Array(n);
    this.inv = new Float32Array(n);
    this.pull = new Float32Array(n);
  }

  add(g: Float32Array): void {
    const ms = this.ms, w = 1 / ++this.count;
    for (let i = 0; i < this.n; i++) ms[i] += (g[i] * g[i] - ms[i]) * w;
  }

  /** r̄: the mean over tensors of each tensor's mean √MS. */
  meanRms(): number {
    let sum = 0;
    for (const t of this.tensors) {
      let s = 0;
      for (let i = t.offset; i < t.offset + t.size; i++) s += Math.sqrt(this.ms[i]);
      sum += s / t.size;
    }
    return sum / this.tensors.length;
  }

  /** inv and pull for these hyperparameters; null while there are no statistics (r̄ = 0). */
  coefficients(h: RmsStepHyper): { inv: Float32Array; pull: Float32Array } | null {
    const m = this.madeFor;
    if (m.count !== this.count || m.decay !== h.decay || m.eps !== h.eps) {
      const rbar = this.meanRms();
      if (!(rbar > 0)) return null;
      const floor = h.eps * rbar, pullPerRms = h.decay / rbar;
      for (let i = 0; i < this.n; i++) {
        const r = Math.sqrt(this.ms[i]);
        this.inv[i] = 1 / (r + floor);
        this.pull[i] = Math.min(1, pullPerRms * r);
      }
      this.madeFor = { count: this.count, decay: h.decay, eps: h.eps };
    }
    return { inv: this.inv, pull: this.pull };
  }
}

/** Tensors of a layout as ranges relative to the first one's offset (the adapted range). */
export function rangesFrom(tensors: readonly TensorSpec[]): { offset: number; size: number }[] {
  const base = tensors[0].offset;
  return tensors.map((t) => ({ offset: t.offset - base, size: t.size }));
}

/** One update of theta (n) in place (one pass: on a 2×256 LSTM this loop is a fifth of a
 *  'full' step). The caller skips steps whose loss is not finite. */
export function rmsStep(theta: Float32Array, g: Float32Array, theta0: Float32Array, stats: GradientStats, h: RmsStepHyper): void {
  const c = stats.coefficients(h);
  if (!c) return;                        // no statistics yet (all-zero gradients): nothing to scale by
  const { inv, pull } = c, lr = h.lr, n = stats.n;
  for (let i = 0; i < n; i++) {
    const t = theta[i];
    theta[i] = t - lr * g[i] * inv[i] + pull[i] * (theta0[i] - t);
  }
}
