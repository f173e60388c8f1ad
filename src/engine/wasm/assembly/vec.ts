// Vector and scalar building blocks shared by every kernel: fused multiply-add, horizontal sums,
// and fast exp / sigmoid / tanh.
//
// One source, three builds (see build-wasm.mjs): ASC_FEATURE_RELAXED_SIMD and ASC_FEATURE_SIMD
// are compile-time constants, so the branches not taken are never compiled and the scalar build
// contains no v128 instruction at all.
//
// Accuracy of the activations (measured against Math.exp/Math.tanh in float64 over [-20, 20]
// and at the clamping ends, see test/unit/kernels-wasm.test.ts): max abs error of exp's relative
// error ≈ 1.5e-7, sigmoid ≤ 2e-7 abs, tanh ≤ 2e-7 abs — all within float32 rounding of the
// result, and the same formulas are used in the vector and the scalar code, so every variant
// agrees with the others to a few ulps.

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

// ---------------------------------------------------------------------------------------------
// exp, after Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n
// built in the exponent bits. x is clamped to [-87, 88] so that 2^n stays a normal float:
// e^-87 ≈ 1.6e-38 and e^88 ≈ 1.7e38, far past where sigmoid and tanh saturate in float32.

const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.0;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;        // ln 2 split in two so that n·LN2_HI is exact
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

@inline export function vexp(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = fma(f32x4.splat(P0), r, f32x4.splat(P1));
  p = fma(p, r, f32x4.splat(P2));
  p = fma(p, r, f32x4.splat(P3));
  p = fma(p, r, f32x4.splat(P4));
  p = fma(p, r, f32x4.splat(P5));
  const rr = f32x4.mul(r, r);
  const y = f32x4.add(fma(p, rr, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
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
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

@inline export function ssigmoid(x: f32): f32 {
  return 1 / (1 + sexp(-x));
}

// tanh: for |x| < 0.625 Cephes' odd polynomial x + x³·P(x²) (keeps the relative accuracy near
// 0 that 1 − 2/(e^2x + 1) would lose to cancellation); elsewhere 1 − 2/(e^2x + 1).
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const TANH_SMALL: f32 = 0.625;

@inline export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(x, x)), one)));
  const z = f32x4.mul(x, x);
  let p = fma(f32x4.splat(T0), z, f32x4.splat(T1));
  p = fma(p, z, f32x4.splat(T2));
  p = fma(p, z, f32x4.splat(T3));
  p = fma(p, z, f32x4.splat(T4));
  const small = fma(f32x4.mul(p, z), x, x);
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(TANH_SMALL)));
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
