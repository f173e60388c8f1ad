// Vector and scalar building blocks shared by every kernel: fused multiply-add, horizontal sums,
// and fast exp / sigmoid / tanh.
//
// One source, three builds (see build-wasm.mjs): ASC_FEATURE_RELAXED_SIMD and ASC_FEATURE_SIMD
// are compile-time constants, so the branches not taken are never compiled and the scalar build
// contains no v128 instruction at all.
//
// Accuracy of the activations against Math in float64, measured on 2·10^6 points over
// [-30, 30] (and at ±200). Scalar (exp-based): sigmoid max abs error 9e-8 (relative 1.5e-7),
// tanh 1.8e-7 (relative 2.7e-7). Vector (a rational function, fewer operations and constants,
// see vtanh): tanh max abs error 3.9e-7 (relative 3.9e-7), sigmoid = (1 + tanh(x/2))/2 max abs
// error 2.3e-7 — absolute, so σ of very negative x has few correct digits (σ(-10) ≈ 4.5e-5
// ± 2e-7), which no gate or gradient notices. The relaxed FMA may round once instead of twice
// inside the polynomials, well below that.

// ---------------------------------------------------------------------------------------------
// f32x4 helpers

/** a·b + c: one relaxed FMA instruction where the runtime has relaxed SIMD, else mul then add. */
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** [Σa0, Σa1, Σa2, Σa3]: the lane sums of four vectors, as one vector. */
@inline export function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

/** Σ of the four lanes of a. */
@inline export function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** y (n) += x (n) */
export function addInto(y: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

// ---------------------------------------------------------------------------------------------
// exp, after Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n
// built in the exponent bits. x is clamped to [-87, 88] so that 2^n stays a normal float:
// e^-87 ≈ 1.6e-38 and e^88 ≈ 1.7e38, far past where sigmoid and tanh saturate in float32.

const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.0;
const LOG2E: f32 = 1.44269504088896341;
const ROUNDER: f32 = 12582912.0;         // 1.5·2^23: x + ROUNDER rounds x to an integer
const ROUNDER_BITS: i32 = 0x4b400000;    // its bit pattern
const LN2_HI: f32 = 0.693359375;        // ln 2 split in two so that n·LN2_HI is exact
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const TANH_SMALL: f32 = 0.625;

// Vector constants are loaded from a table in memory rather than written inline: V8 builds an
// inline f32x4 constant with three instructions (and, having no registers left for the dozen of
// them, rebuilds it at every use), while a load from L1 is one. Each entry is one constant ×4.
const F = memory.data<f32>([
  EXP_HI, EXP_HI, EXP_HI, EXP_HI, EXP_LO, EXP_LO, EXP_LO, EXP_LO,
  LOG2E, LOG2E, LOG2E, LOG2E, ROUNDER, ROUNDER, ROUNDER, ROUNDER,
  LN2_HI, LN2_HI, LN2_HI, LN2_HI, LN2_LO, LN2_LO, LN2_LO, LN2_LO,
  P0, P0, P0, P0, P1, P1, P1, P1, P2, P2, P2, P2, P3, P3, P3, P3, P4, P4, P4, P4, P5, P5, P5, P5,
  1, 1, 1, 1, 2, 2, 2, 2,
  T0, T0, T0, T0, T1, T1, T1, T1, T2, T2, T2, T2, T3, T3, T3, T3, T4, T4, T4, T4,
  TANH_SMALL, TANH_SMALL, TANH_SMALL, TANH_SMALL,
], 16);
const EXP_BIAS: i32 = 127 - ROUNDER_BITS;
const I = memory.data<i32>([EXP_BIAS, EXP_BIAS, EXP_BIAS, EXP_BIAS], 16);
@inline function c(i: i32): v128 { return v128.load(F + (<usize>i << 4)); }
const C_HI = 0, C_LO = 1, C_LOG2E = 2, C_ROUNDER = 3, C_LN2_HI = 4, C_LN2_LO = 5, C_P0 = 6;
const C_ONE = 12, C_TWO = 13, C_T0 = 14, C_TANH_SMALL = 19;

@inline export function vexp(x: v128): v128 {
  // pmin/pmax are single instructions (min/max are not: they order NaNs); n = round(x·log2 e)
  // comes from adding 1.5·2^23, which leaves the integer in the low mantissa bits
  x = f32x4.pmax(f32x4.pmin(x, c(C_HI)), c(C_LO));
  const t = f32x4.add(f32x4.mul(x, c(C_LOG2E)), c(C_ROUNDER));
  const n = f32x4.sub(t, c(C_ROUNDER));
  let r = f32x4.sub(x, f32x4.mul(n, c(C_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, c(C_LN2_LO)));
  let p = fma(c(C_P0), r, c(C_P0 + 1));
  p = fma(p, r, c(C_P0 + 2));
  p = fma(p, r, c(C_P0 + 3));
  p = fma(p, r, c(C_P0 + 4));
  p = fma(p, r, c(C_P0 + 5));
  const rr = f32x4.mul(r, r);
  const y = f32x4.add(fma(p, rr, r), c(C_ONE));
  // 2^n: n + 127 in the exponent field; t's bits are ROUNDER's bits + n
  const scale = i32x4.shl(i32x4.add(t, v128.load(I)), 23);
  return f32x4.mul(y, scale);
}

@inline export function sexp(x: f32): f32 {
  x = max(min(x, EXP_HI), EXP_LO);
  const n = nearest<f32>(x * LOG2E);
  let r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  const y = p * (r * r) + r + 1;
  return y * reinterpret<f32>((<i32>n + 127) << 23);
}

/** σ(x) = 1 / (1 + e^-x); the clamp inside exp keeps both ends finite (σ(-88) ≈ 6e-39). */
@inline export function vsigmoid(x: v128): v128 {
  const h = v128.load(R, 12 << 4);
  return fma(h, vtanh(f32x4.mul(x, h)), h);
}

@inline export function ssigmoid(x: f32): f32 {
  return 1 / (1 + sexp(-x));
}

// tanh: for |x| < 0.625 Cephes' odd polynomial x + x³·P(x²) (keeps the relative accuracy near
// 0 that 1 − 2/(e^2x + 1) would lose to cancellation); elsewhere 1 − 2/(e^2x + 1). Constants above.

// tanh(x) ≈ x·P(x²)/Q(x²) on x clamped to ±7.90531 (past which float32 tanh rounds to ±1), the
// rational minimax approximation of Eigen (generic_fast_tanh_float): 10 multiply-adds and one
// division, where the exp-based form below takes about twice that plus a select. 13 constants:
// loaded from the table R at each use (V8 hoists inline constants and then spills them).
const R = memory.data<f32>([
  7.90531110763549805, 7.90531110763549805, 7.90531110763549805, 7.90531110763549805,
  -7.90531110763549805, -7.90531110763549805, -7.90531110763549805, -7.90531110763549805,
  -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16,   // α13
  2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13,       // α11
  -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11,   // α9
  5.12229709037114e-08, 5.12229709037114e-08, 5.12229709037114e-08, 5.12229709037114e-08,       // α7
  1.48572235717979e-05, 1.48572235717979e-05, 1.48572235717979e-05, 1.48572235717979e-05,       // α5
  6.37261928875436e-04, 6.37261928875436e-04, 6.37261928875436e-04, 6.37261928875436e-04,       // α3
  4.89352455891786e-03, 4.89352455891786e-03, 4.89352455891786e-03, 4.89352455891786e-03,       // α1
  1.19825839466702e-06, 1.19825839466702e-06, 1.19825839466702e-06, 1.19825839466702e-06,       // β6
  1.18534705686654e-04, 1.18534705686654e-04, 1.18534705686654e-04, 1.18534705686654e-04,       // β4
  2.26843463243900e-03, 2.26843463243900e-03, 2.26843463243900e-03, 2.26843463243900e-03,       // β2
  0.5, 0.5, 0.5, 0.5,
  4.89352518554385e-03, 4.89352518554385e-03, 4.89352518554385e-03, 4.89352518554385e-03,       // β0
], 16);

@inline export function vtanh(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, v128.load(R)), v128.load(R, 16));
  const x2 = f32x4.mul(x, x);
  let p = fma(x2, v128.load(R, 32), v128.load(R, 48));
  p = fma(x2, p, v128.load(R, 64));
  p = fma(x2, p, v128.load(R, 80));
  p = fma(x2, p, v128.load(R, 96));
  p = fma(x2, p, v128.load(R, 112));
  p = fma(x2, p, v128.load(R, 128));
  let q = fma(x2, v128.load(R, 144), v128.load(R, 160));
  q = fma(x2, q, v128.load(R, 176));
  q = fma(x2, q, v128.load(R, 208));
  return f32x4.div(f32x4.mul(x, p), q);
}

@inline export function stanh(x: f32): f32 {
  if (abs(x) < TANH_SMALL) {
    const z = x * x;
    let p = T0 * z + T1;
    p = p * z + T2;
    p = p * z + T3;
    p = p * z + T4;
    return p * z * x + x;
  }
  return 1 - 2 / (sexp(x + x) + 1);
}
