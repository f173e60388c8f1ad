// One time step of a recurrent cell, forward and backward, each a single pass over the units:
// the gate nonlinearities are fused with the cell update (see kernels.ts for the equations).
//
//   xg, hg, act, dxg, dhg (B, G·H): the G gate blocks of H units side by side in each row
//   hPrev, cPrev, h, c, dh, dc, dhPrev, dcPrev (B, H)
//
// Vector loop over 4 units at a time (SIMD builds), then a scalar loop for the rest (H % 4, or
// all of them in the scalar build) with the same formulas. Every output element is written after
// all inputs at its index are read, so dc may alias dcPrev and dh may alias dhPrev.
import { vsigmoid, vtanh, ssigmoid, stanh } from './vec';

export const LSTM = 0;
export const GRU = 1;
export const RNN = 2;

// ---------------------------------------------------------------------------------------------
// LSTM (G=4, gates i,f,g,o):  c = f⊙c_prev + i⊙g;  h = o⊙tanh(c)

function lstmForward(B: i32, H: i32, xg: usize, hg: usize, cPrev: usize, h: usize, c: usize, act: usize): void {
  const hb = <usize>H << 2;           // bytes per gate block
  for (let b = 0; b < B; b++) {
    const g0 = <usize>b * (hb << 2), u0 = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const r = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
        const i = vsigmoid(f32x4.add(v128.load(xg + r), v128.load(hg + r)));
        const f = vsigmoid(f32x4.add(v128.load(xg + r + hb), v128.load(hg + r + hb)));
        const g = vtanh(f32x4.add(v128.load(xg + r + 2 * hb), v128.load(hg + r + 2 * hb)));
        const o = vsigmoid(f32x4.add(v128.load(xg + r + 3 * hb), v128.load(hg + r + 3 * hb)));
        v128.store(act + r, i); v128.store(act + r + hb, f);
        v128.store(act + r + 2 * hb, g); v128.store(act + r + 3 * hb, o);
        const ct = f32x4.add(f32x4.mul(f, v128.load(cPrev + u)), f32x4.mul(i, g));
        v128.store(c + u, ct);
        v128.store(h + u, f32x4.mul(o, vtanh(ct)));
      }
    }
    for (; j < H; j++) {
      const r = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
      const i = ssigmoid(load<f32>(xg + r) + load<f32>(hg + r));
      const f = ssigmoid(load<f32>(xg + r + hb) + load<f32>(hg + r + hb));
      const g = stanh(load<f32>(xg + r + 2 * hb) + load<f32>(hg + r + 2 * hb));
      const o = ssigmoid(load<f32>(xg + r + 3 * hb) + load<f32>(hg + r + 3 * hb));
      store<f32>(act + r, i); store<f32>(act + r + hb, f);
      store<f32>(act + r + 2 * hb, g); store<f32>(act + r + 3 * hb, o);
      const ct = f * load<f32>(cPrev + u) + i * g;
      store<f32>(c + u, ct);
      store<f32>(h + u, o * stanh(ct));
    }
  }
}

// dc_t = dc + dh⊙o⊙(1−tanh²c);  di = dc_t⊙g;  df = dc_t⊙c_prev;  dg = dc_t⊙i;  do = dh⊙tanh c;
// through σ' = s(1−s), tanh' = 1−t²;  dc_prev = dc_t⊙f;  dhPrev = 0.
function lstmBackward(B: i32, H: i32, dh: usize, dc: usize, act: usize, cPrev: usize, c: usize,
  dxg: usize, dhg: usize, dhPrev: usize, dcPrev: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g0 = <usize>b * (hb << 2), u0 = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const r = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
        const i = v128.load(act + r), f = v128.load(act + r + hb);
        const g = v128.load(act + r + 2 * hb), o = v128.load(act + r + 3 * hb);
        const dhu = v128.load(dh + u);
        const tc = vtanh(v128.load(c + u));
        const dct = f32x4.add(v128.load(dc + u), f32x4.mul(f32x4.mul(dhu, o), f32x4.sub(one, f32x4.mul(tc, tc))));
        const dai = f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one, i)));
        const daf = f32x4.mul(f32x4.mul(dct, v128.load(cPrev + u)), f32x4.mul(f, f32x4.sub(one, f)));
        const dag = f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g)));
        const dao = f32x4.mul(f32x4.mul(dhu, tc), f32x4.mul(o, f32x4.sub(one, o)));
        v128.store(dxg + r, dai); v128.store(dhg + r, dai);
        v128.store(dxg + r + hb, daf); v128.store(dhg + r + hb, daf);
        v128.store(dxg + r + 2 * hb, dag); v128.store(dhg + r + 2 * hb, dag);
        v128.store(dxg + r + 3 * hb, dao); v128.store(dhg + r + 3 * hb, dao);
        v128.store(dcPrev + u, f32x4.mul(dct, f));
        v128.store(dhPrev + u, f32x4.splat(0));
      }
    }
    for (; j < H; j++) {
      const r = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
      const i = load<f32>(act + r), f = load<f32>(act + r + hb);
      const g = load<f32>(act + r + 2 * hb), o = load<f32>(act + r + 3 * hb);
      const dhu = load<f32>(dh + u);
      const tc = stanh(load<f32>(c + u));
      const dct = load<f32>(dc + u) + dhu * o * (1 - tc * tc);
      const dai = dct * g * (i * (1 - i));
      const daf = dct * load<f32>(cPrev + u) * (f * (1 - f));
      const dag = dct * i * (1 - g * g);
      const dao = dhu * tc * (o * (1 - o));
      store<f32>(dxg + r, dai); store<f32>(dhg + r, dai);
      store<f32>(dxg + r + hb, daf); store<f32>(dhg + r + hb, daf);
      store<f32>(dxg + r + 2 * hb, dag); store<f32>(dhg + r + 2 * hb, dag);
      store<f32>(dxg + r + 3 * hb, dao); store<f32>(dhg + r + 3 * hb, dao);
      store<f32>(dcPrev + u, dct * f);
      store<f32>(dhPrev + u, 0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GRU (G=3, gates r,z,n):  n = tanh(xg_n + r⊙hg_n);  h = (1−z)⊙n + z⊙h_prev

function gruForward(B: i32, H: i32, xg: usize, hg: usize, hPrev: usize, h: usize, act: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g0 = <usize>b * hb * 3, u0 = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const q = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
        const r = vsigmoid(f32x4.add(v128.load(xg + q), v128.load(hg + q)));
        const z = vsigmoid(f32x4.add(v128.load(xg + q + hb), v128.load(hg + q + hb)));
        const n = vtanh(f32x4.add(v128.load(xg + q + 2 * hb), f32x4.mul(r, v128.load(hg + q + 2 * hb))));
        v128.store(act + q, r); v128.store(act + q + hb, z); v128.store(act + q + 2 * hb, n);
        v128.store(h + u, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, v128.load(hPrev + u))));
      }
    }
    for (; j < H; j++) {
      const q = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
      const r = ssigmoid(load<f32>(xg + q) + load<f32>(hg + q));
      const z = ssigmoid(load<f32>(xg + q + hb) + load<f32>(hg + q + hb));
      const n = stanh(load<f32>(xg + q + 2 * hb) + r * load<f32>(hg + q + 2 * hb));
      store<f32>(act + q, r); store<f32>(act + q + hb, z); store<f32>(act + q + 2 * hb, n);
      store<f32>(h + u, (1 - z) * n + z * load<f32>(hPrev + u));
    }
  }
}

// dn = dh⊙(1−z);  dz = dh⊙(h_prev − n);  dhPrev = dh⊙z;  da_n = dn⊙(1−n²);
// dxg_n = da_n;  dhg_n = da_n⊙r;  dr = da_n⊙hg_n;  r and z rows equal in dxg and dhg.
function gruBackward(B: i32, H: i32, dh: usize, act: usize, hg: usize, hPrev: usize,
  dxg: usize, dhg: usize, dhPrev: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g0 = <usize>b * hb * 3, u0 = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const q = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
        const r = v128.load(act + q), z = v128.load(act + q + hb), n = v128.load(act + q + 2 * hb);
        const dhu = v128.load(dh + u);
        const dan = f32x4.mul(f32x4.mul(dhu, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
        const daz = f32x4.mul(f32x4.mul(dhu, f32x4.sub(v128.load(hPrev + u), n)), f32x4.mul(z, f32x4.sub(one, z)));
        const dar = f32x4.mul(f32x4.mul(dan, v128.load(hg + q + 2 * hb)), f32x4.mul(r, f32x4.sub(one, r)));
        v128.store(dxg + q, dar); v128.store(dhg + q, dar);
        v128.store(dxg + q + hb, daz); v128.store(dhg + q + hb, daz);
        v128.store(dxg + q + 2 * hb, dan); v128.store(dhg + q + 2 * hb, f32x4.mul(dan, r));
        v128.store(dhPrev + u, f32x4.mul(dhu, z));
      }
    }
    for (; j < H; j++) {
      const q = g0 + (<usize>j << 2), u = u0 + (<usize>j << 2);
      const r = load<f32>(act + q), z = load<f32>(act + q + hb), n = load<f32>(act + q + 2 * hb);
      const dhu = load<f32>(dh + u);
      const dan = dhu * (1 - z) * (1 - n * n);
      const daz = dhu * (load<f32>(hPrev + u) - n) * (z * (1 - z));
      const dar = dan * load<f32>(hg + q + 2 * hb) * (r * (1 - r));
      store<f32>(dxg + q, dar); store<f32>(dhg + q, dar);
      store<f32>(dxg + q + hb, daz); store<f32>(dhg + q + hb, daz);
      store<f32>(dxg + q + 2 * hb, dan); store<f32>(dhg + q + 2 * hb, dan * r);
      store<f32>(dhPrev + u, dhu * z);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Vanilla RNN (G=1):  h = act = tanh(xg + hg);  backward dxg = dhg = dh⊙(1−h²), dhPrev = 0

function rnnForward(B: i32, H: i32, xg: usize, hg: usize, h: usize, act: usize): void {
  const n = B * H;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const t = vtanh(f32x4.add(v128.load(xg + o), v128.load(hg + o)));
      v128.store(act + o, t); v128.store(h + o, t);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const t = stanh(load<f32>(xg + o) + load<f32>(hg + o));
    store<f32>(act + o, t); store<f32>(h + o, t);
  }
}

function rnnBackward(B: i32, H: i32, dh: usize, act: usize, dxg: usize, dhg: usize, dhPrev: usize): void {
  const n = B * H;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const t = v128.load(act + o);
      const d = f32x4.mul(v128.load(dh + o), f32x4.sub(one, f32x4.mul(t, t)));
      v128.store(dxg + o, d); v128.store(dhg + o, d); v128.store(dhPrev + o, f32x4.splat(0));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const t = load<f32>(act + o);
    const d = load<f32>(dh + o) * (1 - t * t);
    store<f32>(dxg + o, d); store<f32>(dhg + o, d); store<f32>(dhPrev + o, 0);
  }
}

// ---------------------------------------------------------------------------------------------

export function cellForwardAny(cell: i32, B: i32, H: i32, xg: usize, hg: usize, hPrev: usize, cPrev: usize,
  h: usize, c: usize, act: usize): void {
  if (cell == LSTM) lstmForward(B, H, xg, hg, cPrev, h, c, act);
  else if (cell == GRU) gruForward(B, H, xg, hg, hPrev, h, act);
  else rnnForward(B, H, xg, hg, h, act);
}

export function cellBackwardAny(cell: i32, B: i32, H: i32, dh: usize, dc: usize, act: usize, hg: usize,
  hPrev: usize, cPrev: usize, c: usize, dxg: usize, dhg: usize, dhPrev: usize, dcPrev: usize): void {
  if (cell == LSTM) lstmBackward(B, H, dh, dc, act, cPrev, c, dxg, dhg, dhPrev, dcPrev);
  else if (cell == GRU) gruBackward(B, H, dh, act, hg, hPrev, dxg, dhg, dhPrev);
  else rnnBackward(B, H, dh, act, dxg, dhg, dhPrev);
}
