// Products against a matrix packed once and used many times: the recurrent weights W_hh
// (G·H, H) are packed at the start of a chunk and read at every one of its T steps.
//
// Panel layout: a matrix B (R × J) is cut into ⌈J/8⌉ panels of 8 columns; panel p holds
// B(r, 8p..8p+7) for r = 0..R−1, 8 floats (32 bytes) per r, contiguous, columns past J zero.
// The 4×8 micro-kernel of gemm.ts then reads B as one sequential stream (no strided rows, no
// partial cache lines) that the hardware prefetcher follows.
//
//   packPanelsT  B = wᵀ for w (J, R) row-major: the forward product  hg = h·W_hhᵀ
//   packPanels   B = w  for w (R, J) row-major: the backward product dh = dhg·W_hh
//   gemmPanels   C (M × J) += A (M × R, row-major) · B (packed)
//
// gemmPanels packs A into 4-row tiles (gemm.ts packA) in blocks of rc reduction steps small
// enough (≤ 32 KB) to stay in L1 while the panels stream past: panels outer, tiles inner, so
// each panel segment comes from L2 once and is reused by all M/4 tiles from L1.
// SIMD builds only. All pointers and strides in bytes.
import { kernel4x8, packA } from './gemm';

/** Bytes of B (R × J) in panels. */
export function panelBytes(R: i32, J: i32): usize {
  return <usize>((J + 7) >> 3) * <usize>R * 32;
}

/** Steps of A packed per block: M (padded to 4) × rc floats ≤ 32 KB, rc a multiple of 4, ≥ 16. */
function blockDepth(M: i32, R: i32): i32 {
  const Mp = (M + 3) & ~3;
  return min(R, max(16, (8192 / Mp) & ~3));
}

/** Scratch bytes gemmPanels needs for M rows: the packed A block and a 4×8 edge tile. */
export function gemmPanelsScratch(M: i32): usize {
  const Mp = (M + 3) & ~3;
  return <usize>Mp * <usize>max(16, (8192 / Mp) & ~3) * 4 + 128;
}

/** Panels of wᵀ: B(r, j) = w[j·R + r], w (J, R) row-major. */
export function packPanelsT(dst: usize, w: usize, J: i32, R: i32): void {
  const ldw = <usize>R << 2, panelStride = <usize>R << 5;
  const panels = (J + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const d = dst + <usize>p * panelStride, j0 = p << 3;
    if (j0 + 8 <= J) {
      // two groups of four rows of w, each transposed by 4×4 blocks into columns 0..3, 4..7
      for (let g = 0; g < 2; g++) {
        const s0 = w + <usize>(j0 + (g << 2)) * ldw, s1 = s0 + ldw, s2 = s1 + ldw, s3 = s2 + ldw;
        const dg = d + (<usize>g << 4);
        let r = 0;
        for (; r + 4 <= R; r += 4) {
          const o = <usize>r << 2;
          const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          const q = dg + (<usize>r << 5);
          v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(q, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
          v128.store(q, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
          v128.store(q, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
        }
        for (; r < R; r++) {
          const o = <usize>r << 2, q = dg + (<usize>r << 5);
          store<f32>(q, load<f32>(s0 + o)); store<f32>(q, load<f32>(s1 + o), 4);
          store<f32>(q, load<f32>(s2 + o), 8); store<f32>(q, load<f32>(s3 + o), 12);
        }
      }
    } else {
      for (let r = 0; r < R; r++) {
        const q = d + (<usize>r << 5);
        for (let k = 0; k < 8; k++) {
          const j = j0 + k;
          store<f32>(q + (<usize>k << 2), j < J ? load<f32>(w + <usize>j * ldw + (<usize>r << 2)) : 0);
        }
      }
    }
  }
}

/** Panels of w itself: B(r, j) = w[r·J + j], w (R, J) row-major. */
export function packPanels(dst: usize, w: usize, R: i32, J: i32): void {
  const ldw = <usize>J << 2, panelStride = <usize>R << 5;
  const panels = (J + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const d = dst + <usize>p * panelStride, j0 = p << 3;
    const src = w + (<usize>j0 << 2);
    if (j0 + 8 <= J) {
      for (let r = 0; r < R; r++) {
        const s = src + <usize>r * ldw, q = d + (<usize>r << 5);
        v128.store(q, v128.load(s)); v128.store(q, v128.load(s, 16), 16);
      }
    } else {
      for (let r = 0; r < R; r++) {
        const s = src + <usize>r * ldw, q = d + (<usize>r << 5);
        for (let k = 0; k < 8; k++) store<f32>(q + (<usize>k << 2), j0 + k < J ? load<f32>(s + (<usize>k << 2)) : 0);
      }
    }
  }
}

/** C (M × J, rows ldc bytes apart) += A (M × R) · B (panels at bp), A(i, r) at a + i·ai + r·ar
 *  (row-major A: ai = row bytes, ar = 4; a transposed one: ai = 4). M small (a batch of rows:
 *  the block of A must fit L1, see blockDepth); gemmPacked covers any M.
 *  scratch: gemmPanelsScratch(M) bytes. */
export function gemmPanels(c: usize, ldc: usize, a: usize, ai: usize, ar: usize, M: i32, R: i32, J: i32,
  bp: usize, scratch: usize): void {
  if (M <= 0 || J <= 0 || R <= 0) return;
  const rcMax = blockDepth(M, R), panels = (J + 7) >> 3, panelStride = <usize>R << 5;
  const Mp = (M + 3) & ~3;
  const edge = scratch + <usize>Mp * <usize>rcMax * 4;   // a 4×8 tile for the last, partial panel
  for (let r0 = 0; r0 < R; r0 += rcMax) {
    const rc = min(rcMax, R - r0), tileBytes = <usize>rc << 4;
    packA(scratch, a, ai, ar, 0, M, r0, rc);
    const b0 = bp + (<usize>r0 << 5);
    for (let p = 0; p < panels; p++) {
      const bpp = b0 + <usize>p * panelStride, j0 = p << 3;
      if (j0 + 8 <= J) {
        const cj = c + (<usize>j0 << 2);
        for (let t = 0; t < M; t += 4) {
          kernel4x8(cj + <usize>t * ldc, ldc, scratch + <usize>(t >> 2) * tileBytes, bpp, 32, rc, M - t);
        }
      } else {
        const cols = J - j0;
        for (let t = 0; t < M; t += 4) {
          memory.fill(edge, 0, 128);
          kernel4x8(edge, 32, scratch + <usize>(t >> 2) * tileBytes, bpp, 32, rc, 4);
          const rows = min(4, M - t);
          for (let i = 0; i < rows; i++) {
            const ci = c + <usize>(t + i) * ldc + (<usize>j0 << 2), ei = edge + (<usize>i << 5);
            for (let k = 0; k < cols; k++) {
              const o = <usize>k << 2;
              store<f32>(ci + o, load<f32>(ci + o) + load<f32>(ei + o));
            }
          }
        }
      }
    }
  }
}

/** Rows of A per gemmPanels call in gemmPacked. */
const MB: i32 = 64;

/** gemmPanels for any M: blocks of up to MB rows, each streaming all of B's panels (from L2).
 *  scratch: gemmPanelsScratch(min(M, 64)) bytes. */
export function gemmPacked(c: usize, ldc: usize, a: usize, ai: usize, ar: usize, M: i32, R: i32, J: i32,
  bp: usize, scratch: usize): void {
  for (let m0 = 0; m0 < M; m0 += MB) {
    gemmPanels(c + <usize>m0 * ldc, ldc, a + <usize>m0 * ai, ai, ar, min(MB, M - m0), R, J, bp, scratch);
  }
}
