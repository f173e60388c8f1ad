// matmul and matmulBackward, SIMD builds.
//
//   matmul:          out (M,N) (+)= x (M,K) · w (N,K)ᵀ + bias (N)
//   matmulBackward:  dx (M,K) += dout (M,N) · w (N,K)
//                    dw (N,K) += doutᵀ (N,M) · x (M,K)
//                    dbias (N) += Σ_m dout[m,:]
//
// From M = PACK_MIN_M rows on, every product packs its "B" operand into panels (packed.ts) in
// the host-provided workspace and runs the 4×8 micro-kernel over blocks of rows: wᵀ for the
// forward product, w for dx, and x (in blocks of XC rows) for dw; measured 25–28 → 33–35
// GFLOP/s at the engine's shapes (one pass of packing is cheap next to M ≥ 16 reuses).
// Fewer rows: the forward product runs as dot products of rows of x with rows of w (no
// packing), the backward through gemm.ts's gemmAcc; M = 1 (sampling, priming) is a matrix ×
// vector product with its own wider kernel (gemvRows).
import { addInto, fma, hsum4, hsum } from './vec';
import { gemmAcc } from './gemm';
import { gemmPacked, gemmPanelsScratch, packPanels, packPanelsT, panelBytes } from './packed';

const PACK_MIN_M: i32 = 16;
/** Rows of x packed at once for dw: at most 1 MB of panels. */
function xcRows(K: i32): i32 {
  return max(64, <i32>((1 << 20) / max<usize>(1, panelBytes(1, K))) & ~63);
}

@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

/** Workspace bytes matmulSimd and matmulBackwardSimd need for these sizes (0 below PACK_MIN_M). */
export function matmulWorkspaceBytes(M: i32, K: i32, N: i32): usize {
  if (M < PACK_MIN_M) return 0;
  const panels = max(max(panelBytes(K, N), panelBytes(N, K)), panelBytes(min(M, xcRows(K)), K));
  return align64(panels) + align64(gemmPanelsScratch(64));
}

/** Bytes of x per block of rows (L1 is 48 KB on the machines measured). */
const DOT_BLOCK_BYTES: i32 = 32768;

export function matmulSimd(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32,
  accumulate: bool, ws: usize): void {
  if (M == 1) { gemvRows(out, x, w, bias, K, N, accumulate); return; }
  if (M >= PACK_MIN_M) { matmulPacked(out, x, w, bias, M, K, N, accumulate, ws); return; }
  const MB = max(2, (DOT_BLOCK_BYTES / max(1, K << 2)) & ~1);
  const ldo = <usize>N << 2, ldk = <usize>K << 2;
  for (let m0 = 0; m0 < M; m0 += MB) {
    gemmDot(out + <usize>m0 * ldo, x + <usize>m0 * ldk, w, bias, min(MB, M - m0), K, N, accumulate);
  }
}

/** out (M,N) (+)= x (M,K) · w (N,K)ᵀ + bias: wᵀ packed into panels at ws, then gemmPacked. */
function matmulPacked(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32,
  accumulate: bool, ws: usize): void {
  const ldo = <usize>N << 2;
  packPanelsT(ws, w, N, K);
  if (!accumulate || bias) {
    for (let m = 0; m < M; m++) {
      const row = out + <usize>m * ldo;
      if (!accumulate) {
        if (bias) memory.copy(row, bias, ldo);
        else memory.fill(row, 0, ldo);
      } else {
        addInto(row, bias, N);
      }
    }
  }
  gemmPacked(out, ldo, x, <usize>K << 2, 4, M, K, N, ws, ws + align64(panelBytes(K, N)));
}

/** out (M,N) (+)= x (M,K) · w (N,K)ᵀ + bias as dot products along K: 2 rows of x against 4 rows
 *  of w (8 accumulators, lane sums at the end). n outer: the 4 rows of w stay in L1 while the
 *  block of x passes. */
function gemmDot(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: bool): void {
  const ldo = <usize>N << 2, ldk = <usize>K << 2, K4 = K & ~3;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const w0 = w + <usize>n * ldk, w1 = w0 + ldk, w2 = w1 + ldk, w3 = w2 + ldk, on = <usize>n << 2;
    const bv = bias ? v128.load(bias + on) : f32x4.splat(0);
    let m = 0;
    for (; m + 2 <= M; m += 2) {
      const x0 = x + <usize>m * ldk, x1 = x0 + ldk;
      let a00 = f32x4.splat(0), a01 = a00, a02 = a00, a03 = a00;
      let a10 = a00, a11 = a00, a12 = a00, a13 = a00;
      let k = 0;
      for (; k < K4; k += 4) {
        const o = <usize>k << 2;
        const v0 = v128.load(x0 + o), v1 = v128.load(x1 + o);
        let t = v128.load(w0 + o); a00 = fma(v0, t, a00); a10 = fma(v1, t, a10);
        t = v128.load(w1 + o); a01 = fma(v0, t, a01); a11 = fma(v1, t, a11);
        t = v128.load(w2 + o); a02 = fma(v0, t, a02); a12 = fma(v1, t, a12);
        t = v128.load(w3 + o); a03 = fma(v0, t, a03); a13 = fma(v1, t, a13);
      }
      let s0 = f32x4.add(hsum4(a00, a01, a02, a03), bv), s1 = f32x4.add(hsum4(a10, a11, a12, a13), bv);
      for (; k < K; k++) {
        const o = <usize>k << 2;
        const wk = f32x4(load<f32>(w0 + o), load<f32>(w1 + o), load<f32>(w2 + o), load<f32>(w3 + o));
        s0 = fma(f32x4.splat(load<f32>(x0 + o)), wk, s0);
        s1 = fma(f32x4.splat(load<f32>(x1 + o)), wk, s1);
      }
      const o0 = out + <usize>m * ldo + on, o1 = o0 + ldo;
      if (accumulate) { s0 = f32x4.add(s0, v128.load(o0)); s1 = f32x4.add(s1, v128.load(o1)); }
      v128.store(o0, s0); v128.store(o1, s1);
    }
    if (m < M) {
      const x0 = x + <usize>m * ldk;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let k = 0;
      for (; k < K4; k += 4) {
        const o = <usize>k << 2, v0 = v128.load(x0 + o);
        a0 = fma(v0, v128.load(w0 + o), a0); a1 = fma(v0, v128.load(w1 + o), a1);
        a2 = fma(v0, v128.load(w2 + o), a2); a3 = fma(v0, v128.load(w3 + o), a3);
      }
      let s0 = f32x4.add(hsum4(a0, a1, a2, a3), bv);
      for (; k < K; k++) {
        const o = <usize>k << 2;
        const wk = f32x4(load<f32>(w0 + o), load<f32>(w1 + o), load<f32>(w2 + o), load<f32>(w3 + o));
        s0 = fma(f32x4.splat(load<f32>(x0 + o)), wk, s0);
      }
      const o0 = out + <usize>m * ldo + on;
      if (accumulate) s0 = f32x4.add(s0, v128.load(o0));
      v128.store(o0, s0);
    }
  }
  if (n < N) {
    for (let m = 0; m < M; m++) gemvTail(out + <usize>m * ldo, x + <usize>m * ldk, w, bias, K, n, N, accumulate);
  }
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
  gemvTail(out, x, w, bias, K, n, N, accumulate);
}

/** out[n0..N) (+)= w[n0..N) · x + bias, one row of w at a time (the < 4 columns left). */
function gemvTail(out: usize, x: usize, w: usize, bias: usize, K: i32, n0: i32, N: i32, accumulate: bool): void {
  const ldk = <usize>K << 2, K4 = K & ~3;
  for (let n = n0; n < N; n++) {
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

export function matmulBackwardSimd(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize,
  M: i32, K: i32, N: i32, scratch: usize, ws: usize): void {
  const ldk = <usize>K << 2, ldn = <usize>N << 2;
  if (M >= PACK_MIN_M) {
    const gs = ws + align64(max(max(panelBytes(K, N), panelBytes(N, K)), panelBytes(min(M, xcRows(K)), K)));
    // dx (M,K) += dout (M,N) · w (N,K):  B = w in panels
    if (dx) {
      packPanels(ws, w, N, K);
      gemmPacked(dx, ldk, dout, ldn, 4, M, N, K, ws, gs);
    }
    // dw (N,K) += doutᵀ (N,M) · x (M,K):  B = x in panels, XC rows at a time; A(n,m) = dout[m·N + n]
    const XC = xcRows(K);
    for (let m0 = 0; m0 < M; m0 += XC) {
      const xc = min(XC, M - m0);
      packPanels(ws, x + <usize>m0 * ldk, xc, K);
      gemmPacked(dw, ldk, dout + <usize>m0 * ldn, 4, ldn, N, xc, K, ws, gs);
    }
    if (dbias) columnSums(dbias, dout, M, N);
    return;
  }
  // dx (M,K) += dout (M,N) · w (N,K):  A(m,n) = dout[m·N + n], B = w
  if (dx) gemmAcc(dx, ldk, dout, ldn, 4, w, ldk, M, N, K, scratch);
  // dw (N,K) += doutᵀ · x:  A(n,m) = dout[m·N + n], B = x
  gemmAcc(dw, ldk, dout, 4, ldn, x, ldk, N, M, K, scratch);
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
