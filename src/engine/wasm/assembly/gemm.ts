// The SIMD GEMM core: C (I × J) += A (I × R) · B (R × J), every product of the engine reduced to it.
//
//   matmul          out (M,N)  = x (M,K) · w (N,K)ᵀ   A = x,     B = wᵀ (packed on the fly)
//   matmulBackward  dx (M,K)  += dout (M,N) · w       A = dout,  B = w   (rows of w used in place)
//                   dw (N,K)  += doutᵀ · x (M,K)      A = doutᵀ, B = x   (rows of x used in place)
//
// A is given by element strides (A(i,r) at a + i·ai + r·ar), so dout and doutᵀ need no copy
// beyond the packing below; B is row-major with a row stride, or "transposed" (B(r,j) at
// b + j·ldb + r) in which case a block of it is packed into row-major order first.
//
// Blocking (BLIS-like): the reduction is cut into blocks of RC, A into blocks of IC rows packed
// as 4-row tiles [r][4] (one 16-byte load gives the four broadcasts of a step), and C is covered
// by a 4×8 register tile: 8 f32x4 accumulators, per step of r two loads of B and four broadcast
// loads of A for eight FMAs. V8 gives wasm about 14 usable xmm registers, so the 4×8 tile is the
// largest that does not spill (6×8 and 4×12 need 15–16). B's 8-column panel (RC rows) stays in L1
// while the tiles of an A block pass over it.
//
// All pointers and strides are in bytes.
import { fma } from './vec';

const RC: i32 = 256;   // reduction block
const IC: i32 = 128;   // rows of A packed at once:  IC·RC·4 = 128 KB
const JC: i32 = 256;   // columns of a packed (transposed) B block:  RC·JC·4 = 256 KB

/** Bytes of scratch the GEMM needs (packed A block + packed B block). */
export const GEMM_SCRATCH: usize = <usize>(IC * RC * 4 + RC * JC * 4);

// ---------------------------------------------------------------------------------------------
// Micro-kernels. a: packed A tile ([r][4], 16 bytes per step); b: B's first row of the panel,
// rows ldb bytes apart; c: C's top-left element, rows ldc bytes apart; rows (1..4) of C exist
// (A's missing rows are packed as zeros).

/** C[4×8] += A[4×R]·B[R×8] */
function kernel4x8(c: usize, ldc: usize, a: usize, b: usize, ldb: usize, R: i32, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let r = 0;
  for (; r + 2 <= R; r += 2) {
    let b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a); c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(a, 4); c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(a, 8); c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(a, 12); c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
    b += ldb;
    b0 = v128.load(b); b1 = v128.load(b, 16);
    s = v128.load32_splat(a, 16); c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(a, 20); c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(a, 24); c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(a, 28); c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
    b += ldb; a += 32;
  }
  if (r < R) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a); c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(a, 4); c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(a, 8); c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(a, 12); c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
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
function packA(dst: usize, a: usize, ai: usize, ar: usize, i0: i32, ic: i32, r0: i32, rc: i32): void {
  const tileBytes = <usize>rc << 4;
  for (let t = 0; t < ic; t += 4) {
    const rows = min(4, ic - t);
    const d = dst + <usize>(t >> 2) * tileBytes;
    const src = a + <usize>(i0 + t) * ai + <usize>r0 * ar;
    if (ai == 4 && rows == 4) {
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

/** Packs B(r0+r, j0+j) = b[(j0+j)·ldb + (r0+r)·4], r < rc, j < jc (B given transposed, as w for
 *  matmul) into row-major dst with rows of ldd bytes. */
function packBT(dst: usize, ldd: usize, b: usize, ldb: usize, r0: i32, rc: i32, j0: i32, jc: i32): void {
  const base = b + <usize>j0 * ldb + (<usize>r0 << 2);
  let j = 0;
  for (; j + 4 <= jc; j += 4) {
    const s0 = base + <usize>j * ldb, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
    const dj = dst + (<usize>j << 2);
    let r = 0;
    for (; r + 4 <= rc; r += 4) {
      const o = <usize>r << 2;
      const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const q = dj + <usize>r * ldd;
      v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(q + ldd, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(q + 2 * ldd, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(q + 3 * ldd, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (; r < rc; r++) {
      const o = <usize>r << 2, q = dj + <usize>r * ldd;
      store<f32>(q, load<f32>(s0 + o)); store<f32>(q, load<f32>(s1 + o), 4);
      store<f32>(q, load<f32>(s2 + o), 8); store<f32>(q, load<f32>(s3 + o), 12);
    }
  }
  for (; j < jc; j++) {
    const s = base + <usize>j * ldb, dj = dst + (<usize>j << 2);
    for (let r = 0; r < rc; r++) store<f32>(dj + <usize>r * ldd, load<f32>(s + (<usize>r << 2)));
  }
}

// ---------------------------------------------------------------------------------------------
// Driver

/** C (I×J, rows ldc bytes apart) += A·B over R.  A(i,r) at a + i·ai + r·ar.
 *  bT false: B(r,j) at b + r·ldb + j·4;  bT true: B(r,j) at b + j·ldb + r·4 (packed per block).
 *  scratch: GEMM_SCRATCH bytes. */
export function gemmAcc(c: usize, ldc: usize, a: usize, ai: usize, ar: usize, b: usize, ldb: usize, bT: bool,
  I: i32, R: i32, J: i32, scratch: usize): void {
  const packedA = scratch, packedB = scratch + <usize>(IC * RC * 4);
  for (let r0 = 0; r0 < R; r0 += RC) {
    const rc = min(RC, R - r0);
    const tileBytes = <usize>rc << 4;
    const jcMax = bT ? JC : J;
    for (let j0 = 0; j0 < J; j0 += jcMax) {
      const jc = min(jcMax, J - j0);
      let bp: usize, ldbp: usize;
      if (bT) {
        ldbp = <usize>((jc + 7) & ~7) << 2;
        packBT(packedB, ldbp, b, ldb, r0, rc, j0, jc);
        bp = packedB;
      } else {
        ldbp = ldb;
        bp = b + <usize>r0 * ldb + (<usize>j0 << 2);
      }
      for (let i0 = 0; i0 < I; i0 += IC) {
        const ic = min(IC, I - i0);
        packA(packedA, a, ai, ar, i0, ic, r0, rc);
        const c0 = c + <usize>i0 * ldc + (<usize>j0 << 2);
        let j = 0;
        for (; j + 8 <= jc; j += 8) {
          const cj = c0 + (<usize>j << 2), bj = bp + (<usize>j << 2);
          for (let t = 0; t < ic; t += 4) {
            kernel4x8(cj + <usize>t * ldc, ldc, packedA + <usize>(t >> 2) * tileBytes, bj, ldbp, rc, ic - t);
          }
        }
        if (j + 4 <= jc) {
          const cj = c0 + (<usize>j << 2), bj = bp + (<usize>j << 2);
          for (let t = 0; t < ic; t += 4) {
            kernel4x4(cj + <usize>t * ldc, ldc, packedA + <usize>(t >> 2) * tileBytes, bj, ldbp, rc, ic - t);
          }
          j += 4;
        }
        for (; j < jc; j++) {
          const cj = c0 + (<usize>j << 2), bj = bp + (<usize>j << 2);
          for (let t = 0; t < ic; t += 4) {
            kernel4x1(cj + <usize>t * ldc, ldc, packedA + <usize>(t >> 2) * tileBytes, bj, ldbp, rc, ic - t);
          }
        }
      }
    }
  }
}
