// The SIMD GEMM core for the backward products: C (I × J) += A (I × R) · B (R × J).
//
//   matmulBackward  dx (M,K) += dout (M,N) · w (N,K)    A = dout,  B = w  (rows of w in place)
//                   dw (N,K) += doutᵀ (N,M) · x (M,K)   A = doutᵀ, B = x  (rows of x in place)
//
// A is given by element strides (A(i,r) at a + i·ai + r·ar), so dout and doutᵀ are read in place
// by the packing below; B is row-major with a row stride. (The forward matmul, whose B would be
// wᵀ, runs as dot products instead, see matmul.ts.)
//
// Blocking (BLIS-like): the reduction is cut into blocks of RC, A into blocks of IC rows packed
// as 4-row tiles [r][4] (one 16-byte line gives the four broadcasts of a step), and C is covered
// by a 4×8 register tile: 8 f32x4 accumulators, per step of r two loads of B and four broadcast
// loads of A for eight FMAs. V8 gives wasm about 14 usable xmm registers, so the 4×8 tile is the
// largest that does not spill (6×8 and 4×12 need 15–16); unrolling the r loop made V8 hoist the
// loads and spill, so it is not unrolled. B's 8-column panel (RC rows) stays in L1 while the
// tiles of the packed A block (128 KB, L2) pass over it.
//
// All pointers and strides are in bytes.
import { fma } from './vec';

const RC: i32 = 256;   // reduction block (128–512 measured within noise)
const IC: i32 = 128;   // rows of A packed at once

/** Bytes of scratch the GEMM needs: one packed A block, IC·RC floats (128 KB). */
export const GEMM_SCRATCH: usize = <usize>(IC * RC * 4);

// ---------------------------------------------------------------------------------------------
// Micro-kernels. a: packed A tile ([r][4], 16 bytes per step); b: B's first row of the panel,
// rows ldb bytes apart; c: C's top-left element, rows ldc bytes apart; rows (1..4) of C exist
// (A's missing rows are packed as zeros).

/** C[4×8] += A[4×R]·B[R×8] */
export function kernel4x8(c: usize, ldc: usize, a: usize, b: usize, ldb: usize, R: i32, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const aEnd = a + (<usize>R << 4);
  for (; a < aEnd; a += 16) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a); c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(a, 4); c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(a, 8); c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(a, 12); c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
    b += ldb;
  }
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  if (rows < 2) return;
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
  if (rows < 3) return;
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
  if (rows < 4) return;
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
}

/** C[4×4] += A[4×R]·B[R×4] (the column remainder 4..7). */
function kernel4x4(c: usize, ldc: usize, a: usize, b: usize, ldb: usize, R: i32, rows: i32): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (let r = 0; r < R; r++) {
    const b0 = v128.load(b);
    c0 = fma(v128.load32_splat(a), b0, c0);
    c1 = fma(v128.load32_splat(a, 4), b0, c1);
    c2 = fma(v128.load32_splat(a, 8), b0, c2);
    c3 = fma(v128.load32_splat(a, 12), b0, c3);
    b += ldb; a += 16;
  }
  v128.store(c, f32x4.add(v128.load(c), c0));
  if (rows < 2) return;
  c += ldc; v128.store(c, f32x4.add(v128.load(c), c1));
  if (rows < 3) return;
  c += ldc; v128.store(c, f32x4.add(v128.load(c), c2));
  if (rows < 4) return;
  c += ldc; v128.store(c, f32x4.add(v128.load(c), c3));
}

/** C[4×1] += A[4×R]·B[R×1] (single columns, < 4 left): vectorized over the four rows. */
function kernel4x1(c: usize, ldc: usize, a: usize, b: usize, ldb: usize, R: i32, rows: i32): void {
  let acc = f32x4.splat(0);
  for (let r = 0; r < R; r++) {
    acc = fma(v128.load(a), v128.load32_splat(b), acc);
    b += ldb; a += 16;
  }
  store<f32>(c, load<f32>(c) + f32x4.extract_lane(acc, 0));
  if (rows < 2) return;
  c += ldc; store<f32>(c, load<f32>(c) + f32x4.extract_lane(acc, 1));
  if (rows < 3) return;
  c += ldc; store<f32>(c, load<f32>(c) + f32x4.extract_lane(acc, 2));
  if (rows < 4) return;
  c += ldc; store<f32>(c, load<f32>(c) + f32x4.extract_lane(acc, 3));
}

// ---------------------------------------------------------------------------------------------
// Packing

/** Packs A(i0+i, r0+r), i < ic, r < rc into 4-row tiles: tile t at dst + t·rc·16, element (r, i)
 *  at + r·16 + (i%4)·4; the missing rows of the last tile are zeros. */
export function packA(dst: usize, a: usize, ai: usize, ar: usize, i0: i32, ic: i32, r0: i32, rc: i32): void {
  const tileBytes = <usize>rc << 4;
  for (let t = 0; t < ic; t += 4) {
    const rows = min(4, ic - t);
    const d = dst + <usize>(t >> 2) * tileBytes;
    const src = a + <usize>(i0 + t) * ai + <usize>r0 * ar;
    if (ai == 4 && t + 16 <= ic) {
      // A = doutᵀ, sixteen rows (four tiles) at once: each step's 64 bytes are one cache line of
      // dout. (Tile by tile, the steps' lines, a row of dout apart — often 4 KB, one L1 set —
      // evict each other before the next tile comes back for its 16 bytes.)
      for (let r = 0; r < rc; r++) {
        const sr = src + <usize>r * ar, q = d + (<usize>r << 4);
        v128.store(q, v128.load(sr)); v128.store(q + tileBytes, v128.load(sr, 16));
        v128.store(q + 2 * tileBytes, v128.load(sr, 32)); v128.store(q + 3 * tileBytes, v128.load(sr, 48));
      }
      t += 12;
    } else if (ai == 4 && rows == 4) {
      // the four rows' elements are adjacent (A = doutᵀ): one 16-byte copy per step
      for (let r = 0; r < rc; r++) v128.store(d + (<usize>r << 4), v128.load(src + <usize>r * ar));
    } else if (ar == 4 && rows == 4) {
      // each row is contiguous along r (A = x or dout): transpose 4×4 blocks
      const s0 = src, s1 = s0 + ai, s2 = s1 + ai, s3 = s2 + ai;
      let r = 0;
      for (; r + 4 <= rc; r += 4) {
        const o = <usize>r << 2;
        const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const q = d + (<usize>r << 4);
        v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(q, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(q, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(q, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      }
      for (; r < rc; r++) {
        const o = <usize>r << 2, q = d + (<usize>r << 4);
        store<f32>(q, load<f32>(s0 + o)); store<f32>(q, load<f32>(s1 + o), 4);
        store<f32>(q, load<f32>(s2 + o), 8); store<f32>(q, load<f32>(s3 + o), 12);
      }
    } else {
      for (let r = 0; r < rc; r++) {
        const q = d + (<usize>r << 4), sr = src + <usize>r * ar;
        for (let i = 0; i < 4; i++) store<f32>(q + (<usize>i << 2), i < rows ? load<f32>(sr + <usize>i * ai) : 0);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Driver

/** C (I×J, rows ldc bytes apart) += A·B over R, where A(i,r) is at a + i·ai + r·ar and B(r,j) at
 *  b + r·ldb + j·4.  scratch: GEMM_SCRATCH bytes for the packed A block. */
export function gemmAcc(c: usize, ldc: usize, a: usize, ai: usize, ar: usize, b: usize, ldb: usize,
  I: i32, R: i32, J: i32, scratch: usize): void {
  for (let r0 = 0; r0 < R; r0 += RC) {
    const rc = min(RC, R - r0);
    const tileBytes = <usize>rc << 4;
    const br = b + <usize>r0 * ldb;
    for (let i0 = 0; i0 < I; i0 += IC) {
      const ic = min(IC, I - i0);
      packA(scratch, a, ai, ar, i0, ic, r0, rc);
      const ci = c + <usize>i0 * ldc;
      // 8 columns at a time, then one group of 4, then single columns
      let j = 0;
      for (; j + 8 <= J; j += 8) {
        const cj = ci + (<usize>j << 2), bj = br + (<usize>j << 2);
        for (let t = 0; t < ic; t += 4) {
          kernel4x8(cj + <usize>t * ldc, ldc, scratch + <usize>(t >> 2) * tileBytes, bj, ldb, rc, ic - t);
        }
      }
      if (j + 4 <= J) {
        const cj = ci + (<usize>j << 2), bj = br + (<usize>j << 2);
        for (let t = 0; t < ic; t += 4) {
          kernel4x4(cj + <usize>t * ldc, ldc, scratch + <usize>(t >> 2) * tileBytes, bj, ldb, rc, ic - t);
        }
        j += 4;
      }
      for (; j < J; j++) {
        const cj = ci + (<usize>j << 2), bj = br + (<usize>j << 2);
        for (let t = 0; t < ic; t += 4) {
          kernel4x1(cj + <usize>t * ldc, ldc, scratch + <usize>(t >> 2) * tileBytes, bj, ldb, rc, ic - t);
        }
      }
    }
  }
}
