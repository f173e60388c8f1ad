// The reference kernels against naive, independently written float64 computations.
import { strict as assert } from 'node:assert';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { Rng } from '../../src/engine/rng';
import type { CellType } from '../../src/engine/config';

const K = createRefKernels();

function rand(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe('reference kernels', () => {
  it('matmul equals a naive triple loop, with bias and accumulation', () => {
    const rng = new Rng(1);
    const M = 5, Kd = 7, N = 4;
    const x = rand(rng, M * Kd), w = rand(rng, N * Kd), bias = rand(rng, N);
    const expected = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < Kd; k++) s += x[i * Kd + k] * w[j * Kd + k];
      expected[i * N + j] = s + bias[j];
    }
    const out = rand(rng, M * N, 100);  // garbage: must be overwritten
    K.matmul(out, x, w, bias, M, Kd, N, false);
    assertClose(out, expected, 1e-6, 'out');

    const prior = rand(rng, M * N);
    const acc = prior.slice();
    K.matmul(acc, x, w, null, M, Kd, N, true);
    assertClose(acc, expected.map((e, i) => e - bias[i % N] + prior[i]), 1e-6, 'accumulated');
  });

  it('matmulBackward equals the derivative of Σ out⊙dout, and accumulates', () => {
    const rng = new Rng(2);
    const M = 3, Kd = 6, N = 5;
    const x = rand(rng, M * Kd), w = rand(rng, N * Kd), dout = rand(rng, M * N);
    // L = Σ_mn dout[m,n] (Σ_k x[m,k] w[n,k] + b[n])  =>  ∂L/∂x[m,k] = Σ_n dout[m,n] w[n,k] etc.
    const edx = new Float64Array(M * Kd), edw = new Float64Array(N * Kd), edb = new Float64Array(N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      edb[n] += dout[m * N + n];
      for (let k = 0; k < Kd; k++) {
        edx[m * Kd + k] += dout[m * N + n] * w[n * Kd + k];
        edw[n * Kd + k] += dout[m * N + n] * x[m * Kd + k];
      }
    }
    const dx = new Float32Array(M * Kd).fill(1), dw = new Float32Array(N * Kd).fill(2), db = new Float32Array(N).fill(3);
    K.matmulBackward(dx, dw, db, dout, x, w, M, Kd, N);
    assertClose(dx, edx.map((v) => v + 1), 1e-6, 'dx');
    assertClose(dw, edw.map((v) => v + 2), 1e-6, 'dw');
    assertClose(db, edb.map((v) => v + 3), 1e-6, 'dbias');

    const dw2 = new Float32Array(N * Kd);
    K.matmulBackward(null, dw2, null, dout, x, w, M, Kd, N);
    assertClose(dw2, edw, 1e-6, 'dw without dx/dbias');
  });

  it('gatherColumns equals a matmul with one-hot rows; backward scatters', () => {
    const rng = new Rng(3);
    const M = 6, N = 4, V = 5;
    const w = rand(rng, N * V), bias = rand(rng, N);
    const idx = Int32Array.from([0, 4, 2, 2, 1, 4]);
    const onehot = new Float32Array(M * V);
    for (let m = 0; m < M; m++) onehot[m * V + idx[m]] = 1;
    const expected = new Float32Array(M * N);
    K.matmul(expected, onehot, w, bias, M, V, N, false);
    const out = new Float32Array(M * N);
    K.gatherColumns(out, w, bias, idx, M, N, V);
    assertClose(out, expected, 1e-7, 'gather');

    const dout = rand(rng, M * N);
    const edw = new Float32Array(N * V), edb = new Float32Array(N);
    K.matmulBackward(null, edw, edb, dout, onehot, w, M, V, N);
    const dw = new Float32Array(N * V), db = new Float32Array(N);
    K.gatherColumnsBackward(dw, db, dout, idx, M, N, V);
    assertClose(dw, edw, 1e-6, 'dw');
    assertClose(db, edb, 1e-6, 'dbias');
  });

  it('softmaxCrossEntropy: loss, gradient, masking, huge logits, in place', () => {
    const M = 4, V = 3;
    const logits = Float32Array.from([1, 2, 3, 0, 0, 0, 5, -1, 2, 1000, -1000, 999]);
    const targets = Int32Array.from([2, -1, 0, 2]);
    const scale = 0.25;
    let eLoss = 0;
    const eGrad = new Float64Array(M * V);
    for (let m = 0; m < M; m++) {
      if (targets[m] < 0) continue;
      const row = Array.from(logits.subarray(m * V, m * V + V));
      const mx = Math.max(...row);
      const z = row.reduce((s, l) => s + Math.exp(l - mx), 0);
      const p = row.map((l) => Math.exp(l - mx) / z);
      eLoss += -Math.log(p[targets[m]]);
      for (let v = 0; v < V; v++) eGrad[m * V + v] = (p[v] - (v === targets[m] ? 1 : 0)) * scale;
    }
    const d = new Float32Array(M * V).fill(7);
    const loss = K.softmaxCrossEntropy(d, logits, targets, M, V, scale);
    assert.ok(Math.abs(loss - eLoss) < 1e-5, `loss ${loss} vs ${eLoss}`);
    assertClose(d, eGrad, 1e-6, 'dlogits');
    assert.ok(d.subarray(V, 2 * V).every((v) => v === 0), 'masked row has zero gradient');
    assert.ok(Number.isFinite(loss));

    const inPlace = logits.slice();
    const loss2 = K.softmaxCrossEntropy(inPlace, inPlace, targets, M, V, scale);
    assert.equal(loss2, loss);
    assertClose(inPlace, eGrad, 1e-6, 'in place');
  });

  // Naive float64 cell forward, written from PyTorch's documented equations.
  function naiveCell(cell: CellType, x: number[], hh: number[], hPrev: number, cPrev: number):
    { h: number; c: number; act: number[] } {
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    if (cell === 'lstm') {
      const [i, f, o] = [sig(x[0] + hh[0]), sig(x[1] + hh[1]), sig(x[3] + hh[3])];
      const g = Math.tanh(x[2] + hh[2]);
      const c = f * cPrev + i * g;
      return { h: o * Math.tanh(c), c, act: [i, f, g, o] };
    }
    if (cell === 'gru') {
      const r = sig(x[0] + hh[0]), z = sig(x[1] + hh[1]);
      const n = Math.tanh(x[2] + r * hh[2]);
      return { h: (1 - z) * n + z * hPrev, c: NaN, act: [r, z, n] };
    }
    const h = Math.tanh(x[0] + hh[0]);
    return { h, c: NaN, act: [h] };
  }

  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const B = 2, H = 3;
    const setup = (seed: number) => {
      const rng = new Rng(seed);
      return { xg: rand(rng, B * G * H, 2), hg: rand(rng, B * G * H, 2), hPrev: rand(rng, B * H), cPrev: rand(rng, B * H, 2) };
    };
    // gather the G gate pre-activations of unit (b,j)
    const unit = (a: ArrayLike<number>, b: number, j: number) => Array.from({ length: G }, (_, g) => a[b * G * H + g * H + j]);

    it(`${cell} cellForward equals the naive equations`, () => {
      const { xg, hg, hPrev, cPrev } = setup(10);
      const h = new Float32Array(B * H), c = new Float32Array(B * H), act = new Float32Array(B * G * H);
      K.cellForward(cell, B, H, xg, hg, hPrev, cPrev, h, c, act);
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
        const e = naiveCell(cell, unit(xg, b, j), unit(hg, b, j), hPrev[b * H + j], cPrev[b * H + j]);
        assertClose([h[b * H + j]], [e.h], 1e-6, `h(${b},${j})`);
        if (cell === 'lstm') assertClose([c[b * H + j]], [e.c], 1e-6, `c(${b},${j})`);
        assertClose(unit(act, b, j), e.act, 1e-6, `act(${b},${j})`);
      }
      // stable at extreme pre-activations
      const big = xg.map((v) => v * 1e4);
      K.cellForward(cell, B, H, big, hg, hPrev, cPrev, h, c, act);
      assert.ok(h.every(Number.isFinite) && act.every(Number.isFinite), 'finite at |x| ~ 1e4');
    });

    it(`${cell} cellBackward equals central differences of the naive forward`, () => {
      const { xg, hg, hPrev, cPrev } = setup(20);
      const rng = new Rng(21);
      const dh = rand(rng, B * H), dc = rand(rng, B * H);
      // scalar objective: L = Σ dh⊙h + Σ dc⊙c (c only for LSTM)
      const objective = (b: number, j: number, x: number[], hh: number[], hp: number, cp: number) => {
        const e = naiveCell(cell, x, hh, hp, cp);
        return dh[b * H + j] * e.h + (cell === 'lstm' ? dc[b * H + j] * e.c : 0);
      };
      const h = new Float32Array(B * H), c = new Float32Array(B * H), act = new Float32Array(B * G * H);
      K.cellForward(cell, B, H, xg, hg, hPrev, cPrev, h, c, act);
      const dxg = new Float32Array(B * G * H), dhg = new Float32Array(B * G * H);
      const dhPrev = new Float32Array(B * H).fill(9), dcPrev = new Float32Array(B * H);
      K.cellBackward(cell, B, H, dh, dc, act, hg, hPrev, cPrev, c, dxg, dhg, dhPrev, dcPrev);
      const eps = 1e-6;
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
        const x = unit(xg, b, j), hh = unit(hg, b, j), hp = hPrev[b * H + j], cp = cPrev[b * H + j];
        const f = (x2: number[], hh2: number[], hp2: number, cp2: number) => objective(b, j, x2, hh2, hp2, cp2);
        for (let g = 0; g < G; g++) {
          const bump = (a: number[], s: number) => a.map((v, k) => (k === g ? v + s : v));
          const ex = (f(bump(x, eps), hh, hp, cp) - f(bump(x, -eps), hh, hp, cp)) / (2 * eps);
          const eh = (f(x, bump(hh, eps), hp, cp) - f(x, bump(hh, -eps), hp, cp)) / (2 * eps);
          assertClose([dxg[b * G * H + g * H + j]], [ex], 1e-5, `dxg gate ${g} (${b},${j})`);
          assertClose([dhg[b * G * H + g * H + j]], [eh], 1e-5, `dhg gate ${g} (${b},${j})`);
        }
        // dhPrev is only the direct path (not through W_hh, which is in hg)
        const edh = (f(x, hh, hp + eps, cp) - f(x, hh, hp - eps, cp)) / (2 * eps);
        assertClose([dhPrev[b * H + j]], [edh], 1e-5, `dhPrev (${b},${j})`);
        if (cell === 'lstm') {
          const edc = (f(x, hh, hp, cp + eps) - f(x, hh, hp, cp - eps)) / (2 * eps);
          assertClose([dcPrev[b * H + j]], [edc], 1e-5, `dcPrev (${b},${j})`);
        }
      }
    });
  }
});
