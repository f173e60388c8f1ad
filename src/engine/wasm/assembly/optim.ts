// The optimizer step and gradient clipping over the flat parameter and gradient arrays (n floats):
//
//   adamStep    g = grad + wd·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
//               p −= stepSize · m / (√v / bc2Sqrt + eps)
//   sumSquares  Σ x², accumulated in float64
//   scale       x *= a
//
// Adam computes in float32, as PyTorch's Adam does on float32 tensors (the reference kernels use
// float64 per element): every operation rounds once, with separate multiplies and adds (no FMA)
// so the three builds agree. The sum of squares promotes each float to float64 before squaring
// (the square of a float32 is exact in float64), so only the order of the float64 additions
// differs from the reference's sequential sum, and a huge gradient does not overflow.
// Vector loops take 4 (adamStep, scale) or 8 (sumSquares) elements at a time, then a scalar loop
// the rest (or everything, in the scalar build).

export function adamStepAny(p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f64, beta2: f64, eps: f64, weightDecay: f64, stepSize: f64, bc2Sqrt: f64): void {
  // the coefficients as float32, each rounded once from its float64 value (PyTorch passes
  // Python floats into float kernels the same way)
  const b1 = <f32>beta1, c1 = <f32>(1 - beta1), b2 = <f32>beta2, c2 = <f32>(1 - beta2);
  const e = <f32>eps, wd = <f32>weightDecay, s = <f32>stepSize, bc = <f32>bc2Sqrt;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
    const ve = f32x4.splat(e), vwd = f32x4.splat(wd), vs = f32x4.splat(s), vbc = f32x4.splat(bc);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      const gi = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(vc2, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vbc), ve);
      v128.store(p + o, f32x4.sub(pi, f32x4.div(f32x4.mul(vs, mi), denom)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    const gi = load<f32>(g + o) + wd * pi;
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi - s * mi / (sqrt<f32>(vi) / bc + e));
  }
}

export function sumSquaresAny(x: usize, n: i32): f64 {
  let sum: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // four float64x2 accumulators: 8 floats per iteration, and four independent add chains
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const x0 = v128.load(x + o), x1 = v128.load(x + o + 16);
      const l0 = f64x2.promote_low_f32x4(x0), h0 = f64x2.promote_low_f32x4(v128.shuffle<f32>(x0, x0, 2, 3, 2, 3));
      const l1 = f64x2.promote_low_f32x4(x1), h1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(x1, x1, 2, 3, 2, 3));
      a0 = f64x2.add(a0, f64x2.mul(l0, l0));
      a1 = f64x2.add(a1, f64x2.mul(h0, h0));
      a2 = f64x2.add(a2, f64x2.mul(l1, l1));
      a3 = f64x2.add(a3, f64x2.mul(h1, h1));
    }
    const a = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
    sum = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  }
  for (; i < n; i++) {
    const xi = <f64>load<f32>(x + (<usize>i << 2));
    sum += xi * xi;
  }
  return sum;
}

export function scaleAny(x: usize, n: i32, a: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), va));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * a);
  }
}
