// Batch-1 inference products on 16-bit integers: out (N) = W (N,K) · x (K) + bias.
//
// Why: sampling feeds one character at a time, and then every weight is read once per
// character: 3.1 MB of float32 for a 2×256 LSTM, more than L2 (2 MB), so the product waits on
// L3 at ~15 GB/s. Stored as int16 the weights take half that and stay in L2; and
// i32x4.dot_i16x8_s (pmaddwd) does 8 multiply-adds per instruction where f32x4 FMA does 4.
//
// Format ("quantized matrix", built by quantizeRows): q[n,k] = round(W[n,k] / s_n), int16, with
// s_n = max_k |W[n,k]| / QMAX (scales: N f32). The rows are interleaved in groups of four, in
// blocks of 16 columns: group g, block kb holds rows 4g..4g+3, columns 16kb..16kb+15, 128 bytes,
// so that the kernel reads one sequential stream with constant offsets. K is padded to Kp (a
// multiple of 16) and N to a multiple of 4, with zeros.
// The vector x is quantized per call the same way with its own scale over ±XMAX.
// Error: |W − q·s| ≤ max|W_n| / (2·QMAX) per weight, |x − xq·sx| ≤ max|x| / (2·XMAX).
//
// Overflow: one dot_i16x8_s lane is q·x + q'·x' ≤ 2·QMAX·XMAX = 2·16383·32767 < 2^30, and two of
// them are added in i32 (< 2^31) before the sum is converted to f32 and accumulated there.
// (With QMAX = 32767 a single lane could reach 2^31 and wrap.)
//
// The scalar build (no SIMD, no dot_i16x8) keeps float32 instead: the same functions copy and
// multiply plain rows, exactly and as fast as the scalar matmul.
//
// Layout of one matrix in memory: [scales: Np f32, padded to 64 bytes][q: Np·Kp int16], Np = N
// rounded up to 4.

import { matmulScalar } from './matmul-scalar';

const QMAX: f32 = 16383;
const XMAX: f32 = 32767;

export function quantPaddedCols(K: i32): i32 {
  return (K + 15) & ~15;
}

@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

@inline function paddedRows(N: i32): i32 {
  return (N + 3) & ~3;
}

/** Bytes of a quantized N × K matrix. */
export function quantBytes(N: i32, K: i32): usize {
  if (!ASC_FEATURE_SIMD) return <usize>N * <usize>K << 2;
  return align64(<usize>paddedRows(N) << 2) + (<usize>paddedRows(N) * <usize>quantPaddedCols(K) << 1);
}

/** Byte offset of element (n, k) in the interleaved q. */
@inline function qOffset(n: i32, k: i32, Kp: i32): usize {
  return (<usize>(n >> 2) * <usize>Kp << 3) + (<usize>(k >> 4) << 7) + (<usize>(n & 3) << 5) + (<usize>(k & 15) << 1);
}

/** Quantizes w (N, K) row-major f32 into dst (quantBytes(N, K) bytes). */
export function quantizeRows(dst: usize, w: usize, N: i32, K: i32): void {
  if (!ASC_FEATURE_SIMD) { memory.copy(dst, w, <usize>N * <usize>K << 2); return; }
  const Kp = quantPaddedCols(K), Np = paddedRows(N), scales = dst, q = dst + align64(<usize>Np << 2);
  for (let n = 0; n < Np; n++) {
    const row = w + (<usize>n * <usize>K << 2);
    let mx: f32 = 0;
    if (n < N) for (let k = 0; k < K; k++) mx = max(mx, abs(load<f32>(row + (<usize>k << 2))));
    const inv: f32 = mx > 0 ? QMAX / mx : 0;
    store<f32>(scales + (<usize>n << 2), mx / QMAX);
    for (let k = 0; k < Kp; k++) {
      let v: i32 = 0;
      if (n < N && k < K) v = <i32>max<f32>(-QMAX, min<f32>(QMAX, nearest<f32>(load<f32>(row + (<usize>k << 2)) * inv)));
      store<i16>(q + qOffset(n, k, Kp), <i16>v);
    }
  }
}

/** Quantizes x (K) into xq (Kp int16, zero padded); returns its scale sx (x ≈ xq·sx). */
function quantizeVector(xq: usize, x: usize, K: i32): f32 {
  const Kp = quantPaddedCols(K);
  let mx: f32 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    let m4 = f32x4.splat(0);
    for (; k + 4 <= K; k += 4) m4 = f32x4.pmax(m4, f32x4.abs(v128.load(x + (<usize>k << 2))));
    mx = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
  }
  for (; k < K; k++) mx = max(mx, abs(load<f32>(x + (<usize>k << 2))));
  const inv: f32 = mx > 0 ? XMAX / mx : 0;
  k = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(inv);
    for (; k + 8 <= K; k += 8) {
      const o = <usize>k << 2;
      const lo = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + o), vinv)));
      const hi = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + o, 16), vinv)));
      v128.store(xq + (<usize>k << 1), i16x8.narrow_i32x4_s(lo, hi));
    }
  }
  for (; k < K; k++) {
    const v = nearest<f32>(load<f32>(x + (<usize>k << 2)) * inv);
    store<i16>(xq + (<usize>k << 1), <i16>(<i32>max<f32>(-XMAX, min<f32>(XMAX, v))));
  }
  for (; k < Kp; k++) store<i16>(xq + (<usize>k << 1), 0);
  return mx / XMAX;
}

/** Bytes of scratch gemvQuant needs (the quantized x). */
export function gemvQuantScratch(K: i32): usize {
  return align64(<usize>quantPaddedCols(K) << 1);
}

/** out (N) (+)= W·x + bias for a quantized W (at qm, N × K). scratch: gemvQuantScratch(K). */
export function gemvQuant(out: usize, qm: usize, x: usize, bias: usize, N: i32, K: i32, accumulate: bool,
  scratch: usize): void {
  if (!ASC_FEATURE_SIMD) { matmulScalar(out, x, qm, bias, 1, K, N, accumulate); return; }
  const Kp = quantPaddedCols(K), groupBytes = <usize>Kp << 3;
  const scales = qm, q = qm + align64(<usize>paddedRows(N) << 2), xq = scratch;
  const sx = quantizeVector(xq, x, K);
  let n = 0;
  if (ASC_FEATURE_SIMD) {
    const vsx = f32x4.splat(sx), xEnd = xq + (<usize>Kp << 1);
    for (; n + 4 <= N; n += 4) {
      // four rows: per block of 16 columns, two dot_i16x8 per row summed in i32 (< 2^31), then
      // converted and accumulated in f32
      let p = q + <usize>(n >> 2) * groupBytes;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (let xp = xq; xp < xEnd; xp += 32) {
        const x0 = v128.load(xp), x1 = v128.load(xp, 16);
        a0 = f32x4.add(a0, f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(v128.load(p), x0), i32x4.dot_i16x8_s(v128.load(p, 16), x1))));
        a1 = f32x4.add(a1, f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(v128.load(p, 32), x0), i32x4.dot_i16x8_s(v128.load(p, 48), x1))));
        a2 = f32x4.add(a2, f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(v128.load(p, 64), x0), i32x4.dot_i16x8_s(v128.load(p, 80), x1))));
        a3 = f32x4.add(a3, f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(v128.load(p, 96), x0), i32x4.dot_i16x8_s(v128.load(p, 112), x1))));
        p += 128;
      }
      // lane sums of the four rows, times s_n·sx, plus bias
      const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
      const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
      const sum = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
      const on = out + (<usize>n << 2);
      let r = f32x4.mul(sum, f32x4.mul(v128.load(scales + (<usize>n << 2)), vsx));
      if (bias) r = f32x4.add(r, v128.load(bias + (<usize>n << 2)));
      if (accumulate) r = f32x4.add(r, v128.load(on));
      v128.store(on, r);
    }
  }
  // rows left (N % 4): sums in f64, exact for these integers
  for (; n < N; n++) {
    const base = q + <usize>(n >> 2) * groupBytes + (<usize>(n & 3) << 5);
    // four partial sums, so that the additions overlap
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let kb = 0; kb < Kp; kb += 16) {
      const p = base + (<usize>kb << 3), xb = xq + (<usize>kb << 1);
      for (let j: usize = 0; j < 32; j += 8) {
        a0 += <f64>load<i16>(p + j) * <f64>load<i16>(xb + j);
        a1 += <f64>load<i16>(p + j, 2) * <f64>load<i16>(xb + j, 2);
        a2 += <f64>load<i16>(p + j, 4) * <f64>load<i16>(xb + j, 4);
        a3 += <f64>load<i16>(p + j, 6) * <f64>load<i16>(xb + j, 6);
      }
    }
    let r: f32 = <f32>(((a0 + a1) + (a2 + a3)) * <f64>load<f32>(scales + (<usize>n << 2)) * <f64>sx);
    if (bias) r += load<f32>(bias + (<usize>n << 2));
    const on = out + (<usize>n << 2);
    if (accumulate) r += load<f32>(on);
    store<f32>(on, r);
  }
}
