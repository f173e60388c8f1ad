// The WebAssembly kernels: the exports the host (src/engine/kernels-wasm.ts) binds to the Kernels
// interface of src/engine/kernels.ts. Arrays are passed as byte offsets into the imported (shared)
// memory; the host allocates them and the scratch area (setScratch) — the module allocates nothing.
//
// Built three times from this source by build-wasm.mjs: relaxed SIMD (f32x4.relaxed_madd),
// SIMD128, and scalar (no SIMD at all); the ASC_FEATURE_* constants choose the code at compile time.
import { matmulSimd, matmulBackwardSimd } from './matmul';
import { matmulScalar, matmulBackwardScalar } from './matmul-scalar';
import { GEMM_SCRATCH } from './gemm';
import { cellForwardAny, cellBackwardAny } from './cell';
import { gatherColumnsAny, gatherColumnsBackwardAny } from './gather';
import { softmaxCrossEntropyAny } from './softmax';
import { recurrentForwardAny, recurrentBackwardAny, recurrentScratchBytes as recurrentScratchBytesAny } from './recurrent';

let scratch: usize = 0;

/** 2: relaxed SIMD, 1: SIMD128, 0: scalar. */
export function simdLevel(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : ASC_FEATURE_SIMD ? 1 : 0;
}

/** First byte the host may allocate from (the module's own static data lies below). */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch the kernels need; the host allocates it and hands it over with setScratch. */
export function scratchBytes(): usize {
  return GEMM_SCRATCH;
}

export function setScratch(p: usize): void {
  scratch = p;
}

export function matmul(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: i32): void {
  if (ASC_FEATURE_SIMD) matmulSimd(out, x, w, bias, M, K, N, accumulate != 0);
  else matmulScalar(out, x, w, bias, M, K, N, accumulate != 0);
}

export function matmulBackward(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize,
  M: i32, K: i32, N: i32): void {
  if (ASC_FEATURE_SIMD) matmulBackwardSimd(dx, dw, dbias, dout, x, w, M, K, N, scratch);
  else matmulBackwardScalar(dx, dw, dbias, dout, x, w, M, K, N);
}

export function gatherColumns(out: usize, w: usize, bias: usize, idx: usize, M: i32, N: i32, V: i32): void {
  gatherColumnsAny(out, w, bias, idx, M, N, V, scratch, GEMM_SCRATCH);
}

export function gatherColumnsBackward(dw: usize, dbias: usize, dout: usize, idx: usize, M: i32, N: i32, V: i32): void {
  gatherColumnsBackwardAny(dw, dbias, dout, idx, M, N, V, scratch, GEMM_SCRATCH);
}

/** cell: 0 LSTM, 1 GRU, 2 RNN. */
export function cellForward(cell: i32, B: i32, H: i32, xg: usize, hg: usize, hPrev: usize, cPrev: usize,
  h: usize, c: usize, act: usize): void {
  cellForwardAny(cell, B, H, xg, hg, hPrev, cPrev, h, c, act);
}

export function cellBackward(cell: i32, B: i32, H: i32, dh: usize, dc: usize, act: usize, hg: usize,
  hPrev: usize, cPrev: usize, c: usize, dxg: usize, dhg: usize, dhPrev: usize, dcPrev: usize): void {
  cellBackwardAny(cell, B, H, dh, dc, act, hg, hPrev, cPrev, c, dxg, dhg, dhPrev, dcPrev);
}

export function softmaxCrossEntropy(dlogits: usize, logits: usize, targets: usize, M: i32, V: i32, gradScale: f32): f64 {
  return softmaxCrossEntropyAny(dlogits, logits, targets, M, V, gradScale);
}

/** Bytes of the scratch area recurrentForward/recurrentBackward need for B rows of H units, G gates. */
export function recurrentScratchBytes(B: i32, H: i32, G: i32): usize {
  return recurrentScratchBytesAny(B, H, G);
}

/** The recurrence of one layer over T steps (recurrent.ts); rs: recurrentScratchBytes of scratch. */
export function recurrentForward(cell: i32, T: i32, B: i32, H: i32, xg: usize, whh: usize, bhh: usize,
  hs: usize, cs: usize, act: usize, hg: usize, rs: usize): void {
  recurrentForwardAny(cell, T, B, H, xg, whh, bhh, hs, cs, act, hg, rs);
}

export function recurrentBackward(cell: i32, T: i32, B: i32, H: i32, dY: usize, hs: usize, cs: usize, act: usize,
  hg: usize, whh: usize, dxg: usize, dhg: usize, dwhh: usize, dbhh: usize, rs: usize): void {
  recurrentBackwardAny(cell, T, B, H, dY, hs, cs, act, hg, whh, dxg, dhg, dwhh, dbhh, rs, scratch);
}

// TEMP experiments
import { gemmPanels as _gp, packPanelsT as _ppt } from './packed';
export function xGemmPanels(c: usize, ldc: usize, a: usize, lda: usize, M: i32, R: i32, J: i32, bp: usize, s: usize, reps: i32): void {
  for (let i = 0; i < reps; i++) _gp(c, ldc, a, lda, M, R, J, bp, s);
}
export function xPackPanelsT(dst: usize, w: usize, J: i32, R: i32): void { _ppt(dst, w, J, R); }
import { fma as _fma } from './vec';
export function xPeak(n: i32): f32 {
  let a0 = f32x4.splat(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
  const m = f32x4.splat(0.999), c = f32x4.splat(0.001);
  for (let i = 0; i < n; i++) {
    a0 = _fma(a0, m, c); a1 = _fma(a1, m, c); a2 = _fma(a2, m, c); a3 = _fma(a3, m, c); a4 = _fma(a4, m, c);
    a5 = _fma(a5, m, c); a6 = _fma(a6, m, c); a7 = _fma(a7, m, c); a8 = _fma(a8, m, c); a9 = _fma(a9, m, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(a8, a9)), 0);
}
