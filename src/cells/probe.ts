// Linear probes: how much of a label a linear read-out can recover, as the ceiling (over all
// cells at once) and the floor (over the last 8 characters alone, no memory) for the single
// cells that discovery finds.
//
//   binary labels   logistic regression, scored by AUC of its logit on held-out characters
//   counts          ridge regression on the standardized target, scored by |Pearson r|
//
// Both are fitted by L-BFGS on the mean loss plus λ/2·|w|² (the bias is not penalized). A design
// matrix X (n, d) is only touched through X·w and Xᵀ·r, so dense cell features and the sparse
// one-hot window share the optimizer.
import { auc, pearson } from './stats';

export type ProbeKind = 'logistic' | 'ridge';

/** X (rows, cols), seen through products only. */
export interface Design {
  readonly rows: number;
  readonly cols: number;
  /** out (rows) = X·w */
  mul(w: Float64Array, out: Float64Array): void;
  /** out (cols) = Xᵀ·r */
  mulT(r: Float64Array, out: Float64Array): void;
}

/** Dense rows, row-major (rows, cols). */
export class DenseDesign implements Design {
  constructor(readonly x: Float32Array, readonly rows: number, readonly cols: number) {}
  // Four sums (and two rows) at a time: independent additions keep the FPU busy (~20% faster).
  mul(w: Float64Array, out: Float64Array): void {
    const { x, rows, cols } = this;
    for (let i = 0; i < rows; i++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
      const o = i * cols;
      for (; j + 3 < cols; j += 4) {
        s0 += x[o + j] * w[j]; s1 += x[o + j + 1] * w[j + 1]; s2 += x[o + j + 2] * w[j + 2]; s3 += x[o + j + 3] * w[j + 3];
      }
      for (; j < cols; j++) s0 += x[o + j] * w[j];
      out[i] = (s0 + s1) + (s2 + s3);
    }
  }
  mulT(r: Float64Array, out: Float64Array): void {
    const { x, rows, cols } = this;
    out.fill(0, 0, cols);
    let i = 0;
    for (; i + 1 < rows; i += 2) {
      const a = r[i], b = r[i + 1], o = i * cols, p = o + cols;
      for (let j = 0; j < cols; j++) out[j] += x[o + j] * a + x[p + j] * b;
    }
    for (; i < rows; i++) {
      const a = r[i], o = i * cols;
      for (let j = 0; j < cols; j++) out[j] += x[o + j] * a;
    }
  }
}

/** One-hot features with exactly `k` active columns per row: idx (rows, k) their column numbers. */
export class OneHotDesign implements Design {
  constructor(readonly idx: Int32Array, readonly rows: number, readonly k: number, readonly cols: number) {}
  mul(w: Float64Array, out: Float64Array): void {
    const { idx, rows, k } = this;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w[idx[i * k + j]];
      out[i] = s;
    }
  }
  mulT(r: Float64Array, out: Float64Array): void {
    const { idx, rows, k, cols } = this;
    out.fill(0, 0, cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[idx[i * k + j]] += r[i];
  }
}

export interface LinearModel { w: Float64Array; b: number; kind: ProbeKind; yMean: number; yScale: number }

export interface FitOptions { lambda?: number; maxIter?: number }

/** Fits a probe of `kind` to targets y (0/1 for logistic, any numbers for ridge). */
export function fitProbe(X: Design, y: ArrayLike<number>, kind: ProbeKind, opts: FitOptions = {}): LinearModel {
  const n = X.rows, d = X.cols, lambda = opts.lambda ?? 1e-4;
  // Ridge fits the standardized target, so λ means the same whatever the target's units.
  let yMean = 0, yScale = 1;
  const t = new Float64Array(n);
  if (kind === 'ridge') {
    for (let i = 0; i < n; i++) yMean += y[i];
    yMean /= Math.max(1, n);
    let v = 0;
    for (let i = 0; i < n; i++) v += (y[i] - yMean) ** 2;
    yScale = Math.sqrt(v / Math.max(1, n)) || 1;
    for (let i = 0; i < n; i++) t[i] = (y[i] - yMean) / yScale;
  } else {
    for (let i = 0; i < n; i++) t[i] = y[i] ? 1 : 0;
  }
  const z = new Float64Array(n), r = new Float64Array(n), gw = new Float64Array(d);
  // params: w (d) then b
  const loss = (p: Float64Array, grad: Float64Array): number => {
    const w = p.subarray(0, d), b = p[d];
    X.mul(w, z);
    let L = 0, gb = 0;
    for (let i = 0; i < n; i++) {
      const zi = z[i] + b;
      if (kind === 'logistic') {
        // softplus(z) − t·z, computed without overflow; dL/dz = σ(z) − t
        L += (zi > 0 ? zi + Math.log1p(Math.exp(-zi)) : Math.log1p(Math.exp(zi))) - t[i] * zi;
        r[i] = (1 / (1 + Math.exp(-zi)) - t[i]) / n;
      } else {
        const e = zi - t[i];
        L += 0.5 * e * e;
        r[i] = e / n;
      }
      gb += r[i];
    }
    X.mulT(r, gw);
    let reg = 0;
    for (let j = 0; j < d; j++) { reg += w[j] * w[j]; grad[j] = gw[j] + lambda * w[j]; }
    grad[d] = gb;
    return L / n + 0.5 * lambda * reg;
  };
  const p = lbfgs(loss, new Float64Array(d + 1), opts.maxIter ?? 150);
  return { w: p.slice(0, d), b: p[d], kind, yMean, yScale };
}

/** The probe's outputs (logits, or predictions in the target's units) for the rows of X. */
export function predict(m: LinearModel, X: Design): Float64Array {
  const out = new Float64Array(X.rows);
  X.mul(m.w, out);
  for (let i = 0; i < out.length; i++) {
    out[i] = m.kind === 'ridge' ? (out[i] + m.b) * m.yScale + m.yMean : out[i] + m.b;
  }
  return out;
}

/** AUC (logistic; the better of the two directions is not taken: a probe has a direction) or |r| (ridge). */
export function scoreProbe(m: LinearModel, X: Design, y: ArrayLike<number>): number {
  const out = predict(m, X);
  if (m.kind === 'logistic') {
    const lab = new Uint8Array(X.rows);
    for (let i = 0; i < X.rows; i++) lab[i] = y[i] ? 1 : 0;
    return auc(Float32Array.from(out), lab);
  }
  return Math.abs(pearson(out, y));
}

// ---- L-BFGS --------------------------------------------------------------------------------

/** Minimizes f (which writes its gradient into grad) from x0 with limited-memory BFGS (m = 8
 *  pairs) and a backtracking Armijo line search. Returns the best point found. */
export function lbfgs(f: (x: Float64Array, grad: Float64Array) => number, x0: Float64Array, maxIter: number, tol = 1e-6): Float64Array {
  const d = x0.length, m = 8;
  let x = x0.slice(), g = new Float64Array(d);
  let fx = f(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const q = new Float64Array(d), alpha = new Float64Array(m);
  let xNew = new Float64Array(d), gNew = new Float64Array(d);
  for (let iter = 0; iter < maxIter; iter++) {
    const gnorm = Math.sqrt(dot(g, g));
    if (!(gnorm > tol)) break;
    // two-loop recursion: q = H·g
    q.set(g);
    for (let k = S.length - 1; k >= 0; k--) { alpha[k] = rho[k] * dot(S[k], q); axpy(-alpha[k], Y[k], q); }
    if (S.length > 0) {
      const k = S.length - 1;
      scale(q, dot(S[k], Y[k]) / dot(Y[k], Y[k]));
    } else {
      scale(q, 1 / gnorm);   // first step: unit length along −g
    }
    for (let k = 0; k < S.length; k++) { const beta = rho[k] * dot(Y[k], q); axpy(alpha[k] - beta, S[k], q); }
    // direction −q; it must descend
    let slope = -dot(g, q);
    if (!(slope < 0)) { q.set(g); scale(q, 1 / gnorm); slope = -dot(g, q); S.length = 0; Y.length = 0; rho.length = 0; }
    let step = 1, fNew = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      for (let j = 0; j < d; j++) xNew[j] = x[j] - step * q[j];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;                   // no progress: converged as far as float allows
    const s = new Float64Array(d), yv = new Float64Array(d);
    for (let j = 0; j < d; j++) { s[j] = xNew[j] - x[j]; yv[j] = gNew[j] - g[j]; }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(yv); rho.push(1 / sy);
    }
    const relChange = (fx - fNew) / Math.max(1e-12, Math.abs(fx));
    [x, xNew] = [xNew, x]; [g, gNew] = [gNew, g]; fx = fNew;
    if (relChange < 1e-9) break;
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}
function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}
