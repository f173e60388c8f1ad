// Softmax cross-entropy over M rows of V logits, forward and backward together.
//   e = exp(l − max);  loss_m = ln Σe − (l_t − max);  dlogits = (e / Σe − onehot(t)) · gradScale
// Rows whose target is negative are masked: no loss, zero gradient. dlogits may alias logits:
// each row reads l_t and the max before the pass that overwrites it with e.
// The loss is summed in float64 and the logarithm taken in float64 (once per row).
import { vexp, sexp } from './vec';

export function softmaxCrossEntropyAny(dlogits: usize, logits: usize, targets: usize, M: i32, V: i32,
  gradScale: f32): f64 {
  const ldv = <usize>V << 2, V4 = V & ~3;
  let total: f64 = 0;
  for (let m = 0; m < M; m++) {
    const l = logits + <usize>m * ldv, d = dlogits + <usize>m * ldv;
    const t = load<i32>(targets + (<usize>m << 2));
    if (t < 0) { memory.fill(d, 0, ldv); continue; }
    // max
    let mx: f32 = -Infinity;
    let v = 0;
    if (ASC_FEATURE_SIMD) {
      if (V4 > 0) {
        let vm = v128.load(l);
        for (v = 4; v < V4; v += 4) vm = f32x4.pmax(vm, v128.load(l + (<usize>v << 2)));
        mx = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)),
          max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
      }
    }
    for (; v < V; v++) mx = max(mx, load<f32>(l + (<usize>v << 2)));
    const lt = load<f32>(l + (<usize>t << 2));
    // e = exp(l − max) into d, and its sum
    let sum: f32 = 0;
    v = 0;
    if (ASC_FEATURE_SIMD) {
      const vmx = f32x4.splat(mx);
      let vs = f32x4.splat(0);
      for (; v < V4; v += 4) {
        const o = <usize>v << 2;
        const e = vexp(f32x4.sub(v128.load(l + o), vmx));
        v128.store(d + o, e);
        vs = f32x4.add(vs, e);
      }
      sum = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1)) + (f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3));
    }
    for (; v < V; v++) {
      const o = <usize>v << 2;
      const e = sexp(load<f32>(l + o) - mx);
      store<f32>(d + o, e);
      sum += e;
    }
    total += Math.log(<f64>sum) - <f64>(lt - mx);
    // dlogits = e · (gradScale / Σe), minus gradScale at the target
    const k: f32 = gradScale / sum;
    v = 0;
    if (ASC_FEATURE_SIMD) {
      const vk = f32x4.splat(k);
      for (; v < V4; v += 4) {
        const o = <usize>v << 2;
        v128.store(d + o, f32x4.mul(v128.load(d + o), vk));
      }
    }
    for (; v < V; v++) {
      const o = <usize>v << 2;
      store<f32>(d + o, load<f32>(d + o) * k);
    }
    const dt = d + (<usize>t << 2);
    store<f32>(dt, load<f32>(dt) - gradScale);
  }
  return total;
}
