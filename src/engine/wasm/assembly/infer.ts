// Batch-1 inference: n steps of one layer in one call (sampling feeds n = 1 per layer, priming
// a block of characters layer by layer), on weights quantized by quant.ts. See kernels.ts
// inferenceSteps for the contract:
//
//   for i < n:  xg = ids ? xs[ids[i]] : wih ? W_ih·xs[i] + b_ih : xs[i]
//               hg = W_hh·h + b_hh;  cell step -> h, c, act;  ys[i] = h
//
// One call instead of a few per step: the host's per-call checks and the JS around them cost
// as much as a small layer's step.
import { cellForwardAny, LSTM, GRU } from './cell';
import { gemvQuant, gemvQuantScratch } from './quant';

@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

/** Scratch bytes of inferenceSteps: xg, hg (G·H), h', c' (H), the quantized input vector. */
export function inferenceScratchBytes(H: i32, G: i32, K: i32): usize {
  const GH = <usize>(G * H);
  return 2 * align64(GH << 2) + 2 * align64(<usize>H << 2) + gemvQuantScratch(max(K, H));
}

export function inferenceStepsAny(cell: i32, n: i32, H: i32, xs: usize, ids: usize, wih: usize, K: i32, bih: usize,
  whh: usize, bhh: usize, h: usize, c: usize, act: usize, ys: usize, scratch: usize): void {
  const G = cell == LSTM ? 4 : cell == GRU ? 3 : 1, GH = G * H;
  const hb = <usize>H << 2, gb = <usize>GH << 2;
  const xgBuf = scratch, hg = xgBuf + align64(gb), hNew = hg + align64(gb), cNew = hNew + align64(hb);
  const qs = cNew + align64(hb);
  for (let i = 0; i < n; i++) {
    let xg: usize;
    if (ids) xg = xs + <usize>load<i32>(ids + (<usize>i << 2)) * gb;
    else if (wih) { gemvQuant(xgBuf, wih, xs + <usize>i * (<usize>K << 2), bih, GH, K, false, qs); xg = xgBuf; }
    else xg = xs + <usize>i * gb;
    gemvQuant(hg, whh, h, bhh, GH, H, false, qs);
    cellForwardAny(cell, 1, H, xg, hg, h, c, hNew, cNew, act);
    memory.copy(h, hNew, hb);
    if (cell == LSTM) memory.copy(c, cNew, hb);
    if (ys) memory.copy(ys + <usize>i * hb, h, hb);
  }
}
