// The recurrence of one layer over a whole chunk of T steps, forward and backward, in one call
// each (see kernels.ts recurrentForward/recurrentBackward for the contract):
//
//   forward   for t: hg_t = h_{t-1}·W_hhᵀ + b_hh;  cell step (xg_t, hg_t) -> h_t, c_t, act_t
//   backward  for t = T−1..0: dh += dY_t; cell backward -> dxg_t, dhg_t; dh, dc <- ∂/∂h_{t-1}, ∂/∂c_{t-1}
//                             dh += dhg_t·W_hh   (not at t = 0: the carried-in state is detached)
//             then, once over all T·B rows:  dW_hh += dhgᵀ·h_prev;  db_hh += Σ dhg
//
// Shapes: xg, act, hg, dxg, dhg (T·B, G·H); hs, cs ((T+1)·B, H), row block t = the state before
// step t; dY (T·B, H); W_hh (G·H, H).
//
// Why one call: W_hh is packed once per chunk into panels (packed.ts) that the per-step product
// streams from L2, and dW_hh becomes one GEMM with a reduction of T·B instead of T products with
// a reduction of B that each read and write all of dW_hh. The scalar build runs the same loop on
// plain products.
import { cellForwardAny, cellBackwardAny, LSTM, GRU } from './cell';
import { gemmPacked, gemmPanelsScratch, packPanels, packPanelsT, panelBytes } from './packed';
import { matmulScalar, matmulBackwardScalar } from './matmul-scalar';
import { matmulBackwardSimd, matmulWorkspaceBytes } from './matmul';
import { addInto } from './vec';

@inline function gatesOf(cell: i32): i32 {
  return cell == LSTM ? 4 : cell == GRU ? 3 : 1;
}

@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

// Scratch layout (host-allocated, recurrentScratchBytes): packed W_hh | hg or dh,dc | gemm block
function panelsSize(H: i32, GH: i32): usize {
  return align64(max(panelBytes(H, GH), panelBytes(GH, H)));
}
function stepSize(B: i32, H: i32, GH: i32): usize {
  return align64(max(<usize>B * <usize>GH * 4, <usize>B * <usize>H * 8));
}

/** The loop's scratch; after the loop, backward reuses all of it as the dW product's workspace. */
export function recurrentScratchBytes(T: i32, B: i32, H: i32, G: i32): usize {
  const GH = G * H;
  const loop = panelsSize(H, GH) + stepSize(B, H, GH) + align64(gemmPanelsScratch(min(B, 64)));
  return max(loop, ASC_FEATURE_SIMD ? matmulWorkspaceBytes(T * B, H, GH) : 0);
}

export function recurrentForwardAny(cell: i32, T: i32, B: i32, H: i32, xg: usize, whh: usize, bhh: usize,
  hs: usize, cs: usize, act: usize, hgAll: usize, rs: usize): void {
  const GH = gatesOf(cell) * H;
  const n = <usize>B * <usize>H * 4, ng = <usize>B * <usize>GH * 4, ldg = <usize>GH << 2;
  const wp = rs, hgStep = wp + panelsSize(H, GH), gs = hgStep + stepSize(B, H, GH);
  if (ASC_FEATURE_SIMD) packPanelsT(wp, whh, GH, H);
  for (let t = 0; t < T; t++) {
    const hPrev = hs + <usize>t * n, cPrev = cs + <usize>t * n;
    const hg = hgAll ? hgAll + <usize>t * ng : hgStep;
    if (ASC_FEATURE_SIMD) {
      // hg = b_hh in every row, then += h_{t-1}·W_hhᵀ
      for (let b = 0; b < B; b++) {
        const row = hg + <usize>b * ldg;
        if (bhh) memory.copy(row, bhh, ldg);
        else memory.fill(row, 0, ldg);
      }
      gemmPacked(hg, ldg, hPrev, <usize>H << 2, 4, B, H, GH, wp, gs);
    } else {
      matmulScalar(hg, hPrev, whh, bhh, B, H, GH, false);
    }
    cellForwardAny(cell, B, H, xg + <usize>t * ng, hg, hPrev, cPrev, hPrev + n, cPrev + n, act + <usize>t * ng);
  }
}

export function recurrentBackwardAny(cell: i32, T: i32, B: i32, H: i32, dY: usize, hs: usize, cs: usize,
  act: usize, hgAll: usize, whh: usize, dxg: usize, dhg: usize, dwhh: usize, dbhh: usize, rs: usize,
  gemmScratch: usize): void {
  const GH = gatesOf(cell) * H;
  const n = <usize>B * <usize>H * 4, ng = <usize>B * <usize>GH * 4, ldh = <usize>H << 2;
  const wp = rs, dh = wp + panelsSize(H, GH), dc = dh + n, gs = dh + stepSize(B, H, GH);
  if (ASC_FEATURE_SIMD) packPanels(wp, whh, GH, H);
  memory.fill(dh, 0, n);
  memory.fill(dc, 0, n);
  const BH = B * H;
  for (let t = T - 1; t >= 0; t--) {
    // dh = dY_t + what flowed back from step t+1
    addInto(dh, dY + <usize>t * n, BH);
    const hPrev = hs + <usize>t * n, cPrev = cs + <usize>t * n;
    const dhgT = dhg + <usize>t * ng;
    cellBackwardAny(cell, B, H, dh, dc, act + <usize>t * ng, hgAll ? hgAll + <usize>t * ng : 0, hPrev, cPrev,
      cPrev + n, dxg + <usize>t * ng, dhgT, dh, dc);
    if (t == 0) break;
    // through W_hh: dh += dhg_t · W_hh  (B, G·H)·(G·H, H)
    if (ASC_FEATURE_SIMD) gemmPacked(dh, ldh, dhgT, <usize>GH << 2, 4, B, GH, H, wp, gs);
    else productScalar(dh, dhgT, whh, B, GH, H);
  }
  // dW_hh += dhgᵀ · h_prev and db_hh += Σ dhg, over all T·B rows at once (hs blocks 0..T-1)
  if (ASC_FEATURE_SIMD) matmulBackwardSimd(0, dwhh, dbhh, dhg, hs, whh, T * B, H, GH, gemmScratch, rs);
  else matmulBackwardScalar(0, dwhh, dbhh, dhg, hs, whh, T * B, H, GH);
}


/** c (M, J) += a (M, R) · w (R, J), plain loops (the scalar build). */
function productScalar(c: usize, a: usize, w: usize, M: i32, R: i32, J: i32): void {
  const ldj = <usize>J << 2;
  for (let m = 0; m < M; m++) {
    const cm = c + <usize>m * ldj, am = a + (<usize>m * <usize>R << 2);
    for (let r = 0; r < R; r++) {
      const g = load<f32>(am + (<usize>r << 2));
      if (g == 0) continue;
      const wr = w + <usize>r * ldj;
      for (let j = 0; j < J; j++) {
        const o = <usize>j << 2;
        store<f32>(cm + o, load<f32>(cm + o) + g * load<f32>(wr + o));
      }
    }
  }
}
