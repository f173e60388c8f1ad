// matmul and matmulBackward on top of the GEMM core (gemm.ts), SIMD builds only.
//
//   matmul:          out (M,N) = x (M,K) · w (N,K)ᵀ + bias (N)      [or out += without bias init]
//   matmulBackward:  dx (M,K) += dout (M,N) · w (N,K)
//                    dw (N,K) += doutᵀ (N,M) · x (M,K)
//                    dbias (N) += Σ_m dout[m,:]
//
// Small M (the batch-1 path of sampling and priming) is matrix × vector: there no packing pays
// off, so matmul uses dot products along K against the rows of w directly (gemvRows).
import { fma, hsum4, hsum } from './vec';
import { gemmAcc } from './gemm';

/** Rows of x below which matmul runs as dot products instead of the packed GEMM. */
const DOT_ROWS: i32 = 4;

export function matmulSimd(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32,
  accumulate: bool, scratch: usize): void {
  const ldo = <usize>N << 2, ldk = <usize>K << 2;
  if (M < DOT_ROWS) {
    for (let m = 0; m < M; m++) gemvRows(out + <usize>m * ldo, x + <usize>m * ldk, w, bias, K, N, accumulate);
    return;
  }
  if (!accumulate) initRows(out, bias, M, N);
  else if (bias) addRows(out, bias, M, N);
  gemmAcc(out, ldo, x, ldk, 4, w, ldk, true, M, K, N, scratch);
}

/** out (N) (+)= w (N,K) · x (K) + bias: 4 rows of w at a time, two f32x4 per step of K. */
function gemvRows(out: usize, x: usize, w: usize, bias: usize, K: i32, N: i32, accumulate: bool): void {
  const ldk = <usize>K << 2, K8 = K & ~7, K4 = K & ~3;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const w0 = w + <usize>n * ldk, w1 = w0 + ldk, w2 = w1 + ldk, w3 = w2 + ldk;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    let k = 0;
    for (; k < K8; k += 8) {
      const o = <usize>k << 2;
      const x0 = v128.load(x + o), x1 = v128.load(x + o, 16);
      a0 = fma(x0, v128.load(w0 + o), a0); b0 = fma(x1, v128.load(w0 + o, 16), b0);
      a1 = fma(x0, v128.load(w1 + o), a1); b1 = fma(x1, v128.load(w1 + o, 16), b1);
      a2 = fma(x0, v128.load(w2 + o), a2); b2 = fma(x1, v128.load(w2 + o, 16), b2);
      a3 = fma(x0, v128.load(w3 + o), a3); b3 = fma(x1, v128.load(w3 + o, 16), b3);
    }
    if (k < K4) {
      const o = <usize>k << 2;
      const x0 = v128.load(x + o);
      a0 = fma(x0, v128.load(w0 + o), a0); a1 = fma(x0, v128.load(w1 + o), a1);
      a2 = fma(x0, v128.load(w2 + o), a2); a3 = fma(x0, v128.load(w3 + o), a3);
      k += 4;
    }
    let s = hsum4(f32x4.add(a0, b0), f32x4.add(a1, b1), f32x4.add(a2, b2), f32x4.add(a3, b3));
    for (; k < K; k++) {
      const o = <usize>k << 2, xk = load<f32>(x + o);
      s = f32x4.add(s, f32x4.mul(f32x4.splat(xk), f32x4(load<f32>(w0 + o), load<f32>(w1 + o), load<f32>(w2 + o), load<f32>(w3 + o))));
    }
    const on = out + (<usize>n << 2);
    if (bias) s = f32x4.add(s, v128.load(bias + (<usize>n << 2)));
    if (accumulate) s = f32x4.add(s, v128.load(on));
    v128.store(on, s);
  }
  for (; n < N; n++) {
    const wn = w + <usize>n * ldk;
    let a = f32x4.splat(0);
    let k = 0;
    for (; k < K4; k += 4) a = fma(v128.load(x + (<usize>k << 2)), v128.load(wn + (<usize>k << 2)), a);
    let s = hsum(a);
    for (; k < K; k++) s += load<f32>(x + (<usize>k << 2)) * load<f32>(wn + (<usize>k << 2));
    const on = out + (<usize>n << 2);
    if (bias) s += load<f32>(bias + (<usize>n << 2));
    if (accumulate) s += load<f32>(on);
    store<f32>(on, s);
  }
}

/** out (M,N) = bias broadcast over rows, or zeros. */
function initRows(out: usize, bias: usize, M: i32, N: i32): void {
  const bytes = <usize>N << 2;
  if (!bias) { memory.fill(out, 0, <usize>M * bytes); return; }
  for (let m = 0; m < M; m++) memory.copy(out + <usize>m * bytes, bias, bytes);
}

/** out (M,N) += bias broadcast over rows. */
function addRows(out: usize, bias: usize, M: i32, N: i32): void {
  const N4 = N & ~3;
  for (let m = 0; m < M; m++) {
    const o = out + (<usize>m * N << 2);
    let n = 0;
    for (; n < N4; n += 4) {
      const on = <usize>n << 2;
      v128.store(o + on, f32x4.add(v128.load(o + on), v128.load(bias + on)));
    }
    for (; n < N; n++) {
      const on = <usize>n << 2;
      store<f32>(o + on, load<f32>(o + on) + load<f32>(bias + on));
    }
  }
}

export function matmulBackwardSimd(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize,
  M: i32, K: i32, N: i32, scratch: usize): void {
  const ldk = <usize>K << 2, ldn = <usize>N << 2;
  // dx (M,K) += dout (M,N) · w (N,K):  A(m,n) = dout[m·N + n], B = w
  if (dx) gemmAcc(dx, ldk, dout, ldn, 4, w, ldk, false, M, N, K, scratch);
  // dw (N,K) += doutᵀ · x:  A(n,m) = dout[m·N + n], B = x
  gemmAcc(dw, ldk, dout, 4, ldn, x, ldk, false, N, M, K, scratch);
  if (dbias) columnSums(dbias, dout, M, N);
}

/** s (N) += Σ_m a[m,:]: rows outer so that a is read once, in order; s stays in L1. */
export function columnSums(s: usize, a: usize, M: i32, N: i32): void {
  const N4 = N & ~3, ldn = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const row = a + <usize>m * ldn;
    let n = 0;
    if (ASC_FEATURE_SIMD) {
      for (; n < N4; n += 4) {
        const on = <usize>n << 2;
        v128.store(s + on, f32x4.add(v128.load(s + on), v128.load(row + on)));
      }
    }
    for (; n < N; n++) {
      const on = <usize>n << 2;
      store<f32>(s + on, load<f32>(s + on) + load<f32>(row + on));
    }
  }
}
