// matmul and matmulBackward for the portable build (no SIMD): plain loops in float32, ordered so
// that the innermost loop walks memory contiguously, with four independent partial sums in the
// dot products so that additions overlap.
//
//   matmul:          out (M,N) (+)= x (M,K) · w (N,K)ᵀ + bias (N)
//   matmulBackward:  dx (M,K) += dout · w;  dw (N,K) += doutᵀ · x;  dbias (N) += Σ_m dout[m,:]
import { columnSums } from './matmul';

export function matmulScalar(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: bool): void {
  const ldk = <usize>K << 2, K4 = K & ~3;
  for (let m = 0; m < M; m++) {
    const xm = x + <usize>m * ldk, om = out + (<usize>m * N << 2);
    for (let n = 0; n < N; n++) {
      const wn = w + <usize>n * ldk;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let k = 0;
      for (; k < K4; k += 4) {
        const o = <usize>k << 2;
        s0 += load<f32>(xm + o) * load<f32>(wn + o);
        s1 += load<f32>(xm + o, 4) * load<f32>(wn + o, 4);
        s2 += load<f32>(xm + o, 8) * load<f32>(wn + o, 8);
        s3 += load<f32>(xm + o, 12) * load<f32>(wn + o, 12);
      }
      for (; k < K; k++) s0 += load<f32>(xm + (<usize>k << 2)) * load<f32>(wn + (<usize>k << 2));
      let s = (s0 + s1) + (s2 + s3);
      if (bias) s += load<f32>(bias + (<usize>n << 2));
      const on = om + (<usize>n << 2);
      if (accumulate) s += load<f32>(on);
      store<f32>(on, s);
    }
  }
}

/** y (n) += a · x (n) */
@inline function axpy(y: usize, a: f32, x: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

export function matmulBackwardScalar(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize,
  M: i32, K: i32, N: i32): void {
  const ldk = <usize>K << 2;
  for (let m = 0; m < M; m++) {
    const dm = dout + (<usize>m * N << 2), xm = x + <usize>m * ldk, dxm = dx + <usize>m * ldk;
    for (let n = 0; n < N; n++) {
      const g = load<f32>(dm + (<usize>n << 2));
      if (g == 0) continue;
      if (dx) axpy(dxm, g, w + <usize>n * ldk, K);   // dx[m,:] += dout[m,n] · w[n,:]
      axpy(dw + <usize>n * ldk, g, xm, K);            // dw[n,:] += dout[m,n] · x[m,:]
    }
  }
  if (dbias) columnSums(dbias, dout, M, N);
}
