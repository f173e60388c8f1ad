// The one-hot input product and its backward:
//   gatherColumns:          out (M,N) = w (N,V)[:, idx[m]] + bias (N)
//   gatherColumnsBackward:  dw (N,V)[:, idx[m]] += dout[m,:];  dbias (N) += Σ_m dout[m,:]
//
// A column of w is strided (V floats between elements). For many rows (M·3 > V) it pays to
// transpose a block of nb rows of w into scratch first (wT (V, nb): each column a contiguous
// row), after which every output row is a vector copy; the backward accumulates into a zeroed
// dwT block and adds it back transposed. For few rows (sampling: M = 1) the direct strided
// gather is cheaper. idx must be in [0, V) (checked by the host).
import { columnSums } from './matmul';

/** Columns of a transposed block that fit in scratch (0: too few, use the direct path). */
function blockColumns(V: i32, scratchBytes: usize): i32 {
  return <i32>(scratchBytes / (<usize>V << 2)) & ~3;
}

export function gatherColumnsAny(out: usize, w: usize, bias: usize, idx: usize, M: i32, N: i32, V: i32,
  scratch: usize, scratchBytes: usize): void {
  const ldn = <usize>N << 2, ldv = <usize>V << 2;
  const nbMax = min(blockColumns(V, scratchBytes), (N + 3) & ~3);
  if (!ASC_FEATURE_SIMD || M * 3 <= V || nbMax < 4) {
    for (let m = 0; m < M; m++) {
      const col = w + (<usize>load<i32>(idx + (<usize>m << 2)) << 2), o = out + <usize>m * ldn;
      for (let n = 0; n < N; n++) {
        const b: f32 = bias ? load<f32>(bias + (<usize>n << 2)) : 0;
        store<f32>(o + (<usize>n << 2), load<f32>(col + <usize>n * ldv) + b);
      }
    }
    return;
  }
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = min(nbMax, N - n0), ldt = <usize>((nb + 3) & ~3) << 2;
    transposeRows(scratch, ldt, w + <usize>n0 * ldv, ldv, nb, V);
    const bn = bias + (<usize>n0 << 2);
    for (let m = 0; m < M; m++) {
      const src = scratch + <usize>load<i32>(idx + (<usize>m << 2)) * ldt;
      const dst = out + <usize>m * ldn + (<usize>n0 << 2);
      let j = 0;
      for (; j + 4 <= nb; j += 4) {
        const o = <usize>j << 2;
        let v = v128.load(src + o);
        if (bias) v = f32x4.add(v, v128.load(bn + o));
        v128.store(dst + o, v);
      }
      for (; j < nb; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, load<f32>(src + o) + (bias ? load<f32>(bn + o) : 0));
      }
    }
  }
}

export function gatherColumnsBackwardAny(dw: usize, dbias: usize, dout: usize, idx: usize, M: i32, N: i32, V: i32,
  scratch: usize, scratchBytes: usize): void {
  const ldn = <usize>N << 2, ldv = <usize>V << 2;
  if (dbias) columnSums(dbias, dout, M, N);
  const nbMax = min(blockColumns(V, scratchBytes), (N + 3) & ~3);
  if (!ASC_FEATURE_SIMD || M * 3 <= V || nbMax < 4) {
    for (let m = 0; m < M; m++) {
      const col = dw + (<usize>load<i32>(idx + (<usize>m << 2)) << 2), d = dout + <usize>m * ldn;
      for (let n = 0; n < N; n++) {
        const p = col + <usize>n * ldv;
        store<f32>(p, load<f32>(p) + load<f32>(d + (<usize>n << 2)));
      }
    }
    return;
  }
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = min(nbMax, N - n0), ldt = <usize>((nb + 3) & ~3) << 2;
    memory.fill(scratch, 0, <usize>V * ldt);
    for (let m = 0; m < M; m++) {
      const dst = scratch + <usize>load<i32>(idx + (<usize>m << 2)) * ldt;
      const src = dout + <usize>m * ldn + (<usize>n0 << 2);
      let j = 0;
      for (; j + 4 <= nb; j += 4) {
        const o = <usize>j << 2;
        v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
      }
      for (; j < nb; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
      }
    }
    addTransposed(dw + <usize>n0 * ldv, ldv, scratch, ldt, nb, V);
  }
}

/** t (V, nb) [rows ldt bytes apart] = a (nb, V)ᵀ [rows lda bytes apart], by 4×4 blocks. */
function transposeRows(t: usize, ldt: usize, a: usize, lda: usize, nb: i32, V: i32): void {
  let j = 0;
  for (; j + 4 <= nb; j += 4) {
    const s0 = a + <usize>j * lda, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
    const tj = t + (<usize>j << 2);
    let v = 0;
    for (; v + 4 <= V; v += 4) {
      const o = <usize>v << 2;
      const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const q = tj + <usize>v * ldt;
      v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(q + ldt, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(q + 2 * ldt, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(q + 3 * ldt, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (; v < V; v++) {
      const o = <usize>v << 2, q = tj + <usize>v * ldt;
      store<f32>(q, load<f32>(s0 + o)); store<f32>(q, load<f32>(s1 + o), 4);
      store<f32>(q, load<f32>(s2 + o), 8); store<f32>(q, load<f32>(s3 + o), 12);
    }
  }
  for (; j < nb; j++) {
    const s = a + <usize>j * lda, tj = t + (<usize>j << 2);
    for (let v = 0; v < V; v++) store<f32>(tj + <usize>v * ldt, load<f32>(s + (<usize>v << 2)));
  }
}

/** a (nb, V) [rows lda bytes apart] += t (V, nb)ᵀ [rows ldt bytes apart], by 4×4 blocks. */
function addTransposed(a: usize, lda: usize, t: usize, ldt: usize, nb: i32, V: i32): void {
  let v = 0;
  for (; v + 4 <= V; v += 4) {
    const s0 = t + <usize>v * ldt, s1 = s0 + ldt, s2 = s1 + ldt, s3 = s2 + ldt;
    const av = a + (<usize>v << 2);
    let j = 0;
    for (; j + 4 <= nb; j += 4) {
      const o = <usize>j << 2;
      const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const q = av + <usize>j * lda;
      v128.store(q, f32x4.add(v128.load(q), v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)));
      v128.store(q + lda, f32x4.add(v128.load(q + lda), v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)));
      v128.store(q + 2 * lda, f32x4.add(v128.load(q + 2 * lda), v128.shuffle<f32>(t1, t3, 0, 1, 4, 5)));
      v128.store(q + 3 * lda, f32x4.add(v128.load(q + 3 * lda), v128.shuffle<f32>(t1, t3, 2, 3, 6, 7)));
    }
    for (; j < nb; j++) {
      const q = av + <usize>j * lda, o = <usize>j << 2;
      store<f32>(q, load<f32>(q) + load<f32>(s0 + o));
      store<f32>(q, load<f32>(q, 4) + load<f32>(s1 + o), 4);
      store<f32>(q, load<f32>(q, 8) + load<f32>(s2 + o), 8);
      store<f32>(q, load<f32>(q, 12) + load<f32>(s3 + o), 12);
    }
  }
  for (; v < V; v++) {
    const s = t + <usize>v * ldt, av = a + (<usize>v << 2);
    for (let j = 0; j < nb; j++) {
      const q = av + <usize>j * lda;
      store<f32>(q, load<f32>(q) + load<f32>(s + (<usize>j << 2)));
    }
  }
}
