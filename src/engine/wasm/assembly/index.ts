// The WebAssembly kernels: the exports the host (src/engine/kernels-wasm.ts) binds to the Kernels
// interface of src/engine/kernels.ts. Arrays are passed as byte offsets into the imported (shared)
// memory; the host allocates them and the scratch area (setScratch) — the module allocates nothing.
//
// Built three times from this source by build-wasm.mjs: relaxed SIMD (f32x4.relaxed_madd),
// SIMD128, and scalar (no SIMD at all); the ASC_FEATURE_* constants choose the code at compile time.
import { matmulSimd, matmulBackwardSimd, matmulWorkspaceBytes as matmulWorkspaceBytesAny } from './matmul';
import { matmulScalar, matmulBackwardScalar } from './matmul-scalar';
import { GEMM_SCRATCH } from './gemm';
import { cellForwardAny, cellBackwardAny } from './cell';
import { gatherColumnsAny, gatherColumnsBackwardAny } from './gather';
import { softmaxCrossEntropyAny } from './softmax';
import { quantBytes as quantBytesAny, quantizeRows, gemvQuant as gemvQuantAny, gemvQuantScratch as gemvQuantScratchAny } from './quant';
import { inferenceStepsAny, inferenceScratchBytes as inferenceScratchBytesAny } from './infer';
import { recurrentForwardAny, recurrentBackwardAny, recurrentScratchBytes as recurrentScratchBytesAny } from './recurrent';
import { adamStepAny, sumSquaresAny, scaleAny } from './optim';

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

/** Bytes of workspace (ws) matmul and matmulBackward need for these sizes. */
export function matmulWorkspaceBytes(M: i32, K: i32, N: i32): usize {
  return ASC_FEATURE_SIMD ? matmulWorkspaceBytesAny(M, K, N) : 0;
}

export function matmul(out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: i32, ws: usize): void {
  if (ASC_FEATURE_SIMD) matmulSimd(out, x, w, bias, M, K, N, accumulate != 0, ws);
  else matmulScalar(out, x, w, bias, M, K, N, accumulate != 0);
}

export function matmulBackward(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize,
  M: i32, K: i32, N: i32, ws: usize): void {
  if (ASC_FEATURE_SIMD) matmulBackwardSimd(dx, dw, dbias, dout, x, w, M, K, N, scratch, ws);
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

/** Bytes of the scratch area recurrentForward/recurrentBackward need for T steps of B rows of H units, G gates. */
export function recurrentScratchBytes(T: i32, B: i32, H: i32, G: i32): usize {
  return recurrentScratchBytesAny(T, B, H, G);
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


/** Bytes of an N × K matrix quantized for gemvQuant (quant.ts). */
export function quantBytes(N: i32, K: i32): usize {
  return quantBytesAny(N, K);
}

export function quantize(dst: usize, w: usize, N: i32, K: i32): void {
  quantizeRows(dst, w, N, K);
}

export function gemvQuantScratch(K: i32): usize {
  return gemvQuantScratchAny(K);
}

/** out (N) (+)= W·x + bias, W quantized at qm; ws: gemvQuantScratch(K) bytes. */
export function gemvQuant(out: usize, qm: usize, x: usize, bias: usize, N: i32, K: i32, accumulate: i32, ws: usize): void {
  gemvQuantAny(out, qm, x, bias, N, K, accumulate != 0, ws);
}

export function inferenceScratchBytes(H: i32, G: i32, K: i32): usize {
  return inferenceScratchBytesAny(H, G, K);
}

/** n batch-1 steps of one layer (infer.ts); wih and whh quantized (quantize), K = W_ih's columns. */
export function inferenceSteps(cell: i32, n: i32, H: i32, xs: usize, ids: usize, wih: usize, K: i32, bih: usize,
  whh: usize, bhh: usize, h: usize, c: usize, act: usize, ys: usize, ws: usize): void {
  inferenceStepsAny(cell, n, H, xs, ids, wih, K, bih, whh, bhh, h, c, act, ys, ws);
}

/** One Adam update of n parameters in place (optim.ts); grads g are read, never written. */
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f64, beta2: f64, eps: f64, weightDecay: f64, stepSize: f64, bc2Sqrt: f64): void {
  adamStepAny(p, g, m, v, n, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt);
}

/** Σ x² over n floats, in float64. */
export function sumSquares(x: usize, n: i32): f64 {
  return sumSquaresAny(x, n);
}

/** x (n) *= a. */
export function scale(x: usize, n: i32, a: f32): void {
  scaleAny(x, n, a);
}
