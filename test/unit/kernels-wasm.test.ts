// Every WebAssembly kernel of every variant against the reference kernels (kernels-ref.ts), on
// random inputs of awkward sizes (not multiples of any tile: 1, 3, 17, 33, 255, 257), with and
// without accumulation, bias, dx; masked targets; B = 1; aliased arguments. The relaxed-SIMD
// variant runs in this process when its V8 flag can be switched on at run time (Node 20), else
// in a child node with --experimental-wasm-relaxed-simd.
//
// Tolerances. Sums (matmul, backward, bias sums): |got − ref| ≤ 1e-5 · Σ|terms| + 1e-7, where
// Σ|terms| is the same product over absolute values: float32 accumulation of K terms errs by at
// most ~K·2⁻²⁴ of that (typically √K·2⁻²⁴), while one wrong or missing term costs ~1/K of it.
// Pointwise kernels: 2e-6 absolute + 1e-5 relative (the fast exp/sigmoid/tanh err ≤ 3e-7).
// Needs dist/kernels-*.wasm (`npm run build`).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CellType, DEFAULT_TRAIN } from '../../src/engine/config';
import { CharRNN } from '../../src/engine/model';
import { Trainer } from '../../src/engine/trainer';
import { Stepper } from '../../src/engine/stepper';
import type { Kernels } from '../../src/engine/kernels';
import { createRefKernels } from '../../src/engine/kernels-ref';
import {
  loadWasmKernels, loadWasmKernelsSync, enableRelaxedSimd, findWasmDir, supportedWasmVariants, type WasmKernels,
  type WasmVariant,
} from '../../src/runtime/wasm-kernels';
import { Rng } from '../../src/engine/rng';
import { createOptimizer } from '../../src/engine/optim';
import { clipGradNorm, gradNorm } from '../../src/engine/clip';
import { decodeTrainingState, encodeTrainingState, type TrainingState } from '../../src/engine/checkpoint';

const ref = createRefKernels();
const childVariants = process.env.KERNELS_WASM_VARIANTS?.split(',') as WasmVariant[] | undefined;
// on Node 20 relaxed SIMD can be switched on at run time; where it cannot, a child node with
// the command-line flag tests it
const variants: WasmVariant[] = childVariants ?? (enableRelaxedSimd(), supportedWasmVariants());

function fill(a: Float32Array, rng: Rng, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}
const abs = (a: Float32Array) => a.map(Math.abs);

/** |got − want| ≤ tol · scale + atol elementwise (scale defaults to |want|). */
function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, what: string,
  tol: number, atol: number, scale?: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const s = scale ? scale[i] : Math.abs(want[i]);
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol * s + atol)) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|Δ| ${d.toExponential(2)})`);
  }
}
const SUM_TOL = 1e-5, SUM_ATOL = 1e-7, PW_TOL = 1e-5, PW_ATOL = 2e-6;

/** A wasm array holding a copy of a. */
function copyInto(k: Kernels, a: Float32Array): Float32Array {
  const b = k.alloc(a.length);
  b.set(a);
  return b;
}

// (M, K, N): every awkward size in every position, plus the shapes the engine uses
const PRODUCTS: [number, number, number][] = [
  [1, 1, 1], [1, 257, 3], [3, 17, 33], [17, 33, 1], [33, 255, 17], [255, 3, 257], [257, 33, 255],
  [2, 4, 8], [32, 128, 512], [64, 96, 257], [5, 255, 96], [1, 256, 1024], [70, 300, 20], [3, 0, 5], [0, 4, 2],
];

function matmulSuite(name: string, make: () => Kernels) {
  describe(`WebAssembly kernels: ${name}`, () => {
    let k: Kernels;
    before(() => { k = make(); });

    it('matmul matches the reference, with and without bias and accumulation', () => {
      const rng = new Rng(11);
      for (const [M, K, N] of PRODUCTS) {
        const x = fill(new Float32Array(M * K), rng), w = fill(new Float32Array(N * K), rng);
        const bias = fill(new Float32Array(N), rng), prior = fill(new Float32Array(M * N), rng);
        const scale = new Float32Array(M * N);
        ref.matmul(scale, abs(x), abs(w), abs(bias), M, K, N, false);
        for (const withBias of [true, false]) {
          for (const accumulate of [false, true]) {
            const want = prior.slice();
            ref.matmul(want, x, w, withBias ? bias : null, M, K, N, accumulate);
            const out = copyInto(k, accumulate ? prior : fill(new Float32Array(M * N), rng, 100));
            k.matmul(out, copyInto(k, x), copyInto(k, w), withBias ? copyInto(k, bias) : null, M, K, N, accumulate);
            const s = scale.map((v, i) => v + (accumulate ? Math.abs(prior[i]) : 0));
            assertNear(out, want, `matmul ${M}×${K}×${N} bias=${withBias} acc=${accumulate}`, SUM_TOL, SUM_ATOL, s);
          }
        }
      }
    });

    it('matmulBackward matches the reference and accumulates; dx and dbias may be null', () => {
      const rng = new Rng(12);
      for (const [M, K, N] of PRODUCTS) {
        const x = fill(new Float32Array(M * K), rng), w = fill(new Float32Array(N * K), rng);
        const dout = fill(new Float32Array(M * N), rng);
        const dx0 = fill(new Float32Array(M * K), rng), dw0 = fill(new Float32Array(N * K), rng);
        const db0 = fill(new Float32Array(N), rng);
        const sdx = abs(dx0), sdw = abs(dw0), sdb = abs(db0);
        ref.matmulBackward(sdx, sdw, sdb, abs(dout), abs(x), abs(w), M, K, N);
        const edx = dx0.slice(), edw = dw0.slice(), edb = db0.slice();
        ref.matmulBackward(edx, edw, edb, dout, x, w, M, K, N);
        for (const full of [true, false]) {
          const dx = copyInto(k, dx0), dw = copyInto(k, dw0), db = copyInto(k, db0);
          k.matmulBackward(full ? dx : null, dw, full ? db : null, copyInto(k, dout), copyInto(k, x), copyInto(k, w), M, K, N);
          const what = `${M}×${K}×${N}${full ? '' : ' (no dx, dbias)'}`;
          assertNear(dw, edw, `dw ${what}`, SUM_TOL, SUM_ATOL, sdw);
          if (full) {
            assertNear(dx, edx, `dx ${what}`, SUM_TOL, SUM_ATOL, sdx);
            assertNear(db, edb, `dbias ${what}`, SUM_TOL, SUM_ATOL, sdb);
          } else {
            assert.deepEqual(Array.from(dx), Array.from(dx0), 'dx untouched when passed as null');
          }
        }
      }
    });

    it('gatherColumns and its backward match the reference (direct and transposed paths)', () => {
      const rng = new Rng(13);
      for (const [M, N, V] of [[1, 1, 2], [1, 257, 96], [3, 17, 257], [33, 255, 3], [257, 33, 96], [2048, 257, 17],
        [40, 1024, 96], [9, 3, 1]]) {
        const w = fill(new Float32Array(N * V), rng), bias = fill(new Float32Array(N), rng);
        const idx = new Int32Array(M).map(() => rng.int(V));
        const dout = fill(new Float32Array(M * N), rng);
        const dw0 = fill(new Float32Array(N * V), rng), db0 = fill(new Float32Array(N), rng);
        const kIdx = k.allocInt(M);
        kIdx.set(idx);
        for (const withBias of [true, false]) {
          const want = new Float32Array(M * N);
          ref.gatherColumns(want, w, withBias ? bias : null, idx, M, N, V);
          const out = copyInto(k, fill(new Float32Array(M * N), rng, 100));
          k.gatherColumns(out, copyInto(k, w), withBias ? copyInto(k, bias) : null, kIdx, M, N, V);
          assertNear(out, want, `gatherColumns M=${M} N=${N} V=${V} bias=${withBias}`, 0, 0);

          const edw = dw0.slice(), edb = db0.slice();
          ref.gatherColumnsBackward(edw, withBias ? edb : null, dout, idx, M, N, V);
          const sdw = abs(dw0), sdb = abs(db0);
          ref.gatherColumnsBackward(sdw, sdb, abs(dout), idx, M, N, V);
          const dw = copyInto(k, dw0), db = copyInto(k, db0);
          k.gatherColumnsBackward(dw, withBias ? db : null, copyInto(k, dout), kIdx, M, N, V);
          assertNear(dw, edw, `gatherColumnsBackward dw M=${M} N=${N} V=${V}`, SUM_TOL, SUM_ATOL, sdw);
          assertNear(db, edb, `gatherColumnsBackward dbias M=${M} N=${N} V=${V}`, SUM_TOL, SUM_ATOL, sdb);
        }
      }
    });

    for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
      it(`cellForward and cellBackward (${cell}) match the reference, B = 1 included, aliases allowed`, () => {
        const rng = new Rng(14);
        const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
        for (const [B, H] of [[1, 1], [1, 257], [3, 17], [32, 33], [5, 256], [2, 3]]) {
          const n = B * H;
          const xg = fill(new Float32Array(G * n), rng, 4), hg = fill(new Float32Array(G * n), rng, 4);
          const hPrev = fill(new Float32Array(n), rng), cPrev = fill(new Float32Array(n), rng, 2);
          const h = new Float32Array(n), c = new Float32Array(n), act = new Float32Array(G * n);
          ref.cellForward(cell, B, H, xg, hg, hPrev, cPrev, h, c, act);
          const kh = k.alloc(n), kc = k.alloc(n), kact = k.alloc(G * n);
          const kxg = copyInto(k, xg), khg = copyInto(k, hg), khp = copyInto(k, hPrev), kcp = copyInto(k, cPrev);
          k.cellForward(cell, B, H, kxg, khg, khp, kcp, kh, kc, kact);
          const what = `${cell} B=${B} H=${H}`;
          assertNear(kh, h, `h ${what}`, PW_TOL, PW_ATOL);
          assertNear(kact, act, `act ${what}`, PW_TOL, PW_ATOL);
          if (cell === 'lstm') assertNear(kc, c, `c ${what}`, PW_TOL, PW_ATOL);

          // backward from the reference's forward state, so that only backward is compared
          const dh = fill(new Float32Array(n), rng), dc = fill(new Float32Array(n), rng);
          const out = () => ({ dxg: new Float32Array(G * n), dhg: new Float32Array(G * n), dhPrev: new Float32Array(n), dcPrev: new Float32Array(n) });
          const e = out();
          ref.cellBackward(cell, B, H, dh, dc, act, hg, hPrev, cPrev, c, e.dxg, e.dhg, e.dhPrev, e.dcPrev);
          const kact2 = copyInto(k, act), kc2 = copyInto(k, c);
          const kdxg = k.alloc(G * n), kdhg = k.alloc(G * n), kdhp = k.alloc(n), kdcp = k.alloc(n);
          k.cellBackward(cell, B, H, copyInto(k, dh), copyInto(k, dc), kact2, khg, khp, kcp, kc2, kdxg, kdhg, kdhp, kdcp);
          assertNear(kdxg, e.dxg, `dxg ${what}`, PW_TOL, PW_ATOL);
          assertNear(kdhg, e.dhg, `dhg ${what}`, PW_TOL, PW_ATOL);
          assertNear(kdhp, e.dhPrev, `dhPrev ${what}`, PW_TOL, PW_ATOL);
          if (cell === 'lstm') assertNear(kdcp, e.dcPrev, `dcPrev ${what}`, PW_TOL, PW_ATOL);

          // in place: dh and dhPrev one array, dc and dcPrev one array
          const kdh = copyInto(k, dh), kdc = copyInto(k, dc);
          k.cellBackward(cell, B, H, kdh, kdc, kact2, khg, khp, kcp, kc2, kdxg, kdhg, kdh, kdc);
          assertNear(kdxg, e.dxg, `dxg aliased ${what}`, PW_TOL, PW_ATOL);
          assertNear(kdh, e.dhPrev, `dhPrev aliased ${what}`, PW_TOL, PW_ATOL);
          if (cell === 'lstm') assertNear(kdc, e.dcPrev, `dcPrev aliased ${what}`, PW_TOL, PW_ATOL);
        }
      });
    }

    for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
      it(`recurrentForward and recurrentBackward (${cell}) match the reference over T steps`, () => {
        const rng = new Rng(16);
        const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
        // (T, B, H): one step, B = 1, H not a multiple of 4 or 8, the shapes of config A
        for (const [T, B, H] of [[1, 1, 1], [3, 1, 5], [4, 3, 17], [2, 5, 33], [5, 32, 12], [3, 32, 128]]) {
          const n = B * H, GH = G * H;
          const xg = fill(new Float32Array(T * B * GH), rng, 2), whh = fill(new Float32Array(GH * H), rng, 0.5);
          const bhh = fill(new Float32Array(GH), rng);
          const hs = new Float32Array((T + 1) * n), cs = new Float32Array((T + 1) * n);
          fill(hs.subarray(0, n), rng); fill(cs.subarray(0, n), rng);
          const act = new Float32Array(T * B * GH), hg = new Float32Array(T * B * GH);
          ref.recurrentForward(cell, T, B, H, xg, whh, bhh, hs, cs, act, hg);
          const khs = copyInto(k, hs.map((v, i) => (i < n ? v : 0))), kcs = copyInto(k, cs.map((v, i) => (i < n ? v : 0)));
          const kact = k.alloc(T * B * GH), khg = cell === 'gru' ? k.alloc(T * B * GH) : null;
          const kw = copyInto(k, whh), kb = copyInto(k, bhh);
          k.recurrentForward(cell, T, B, H, copyInto(k, xg), kw, kb, khs, kcs, kact, khg);
          const what = `${cell} T=${T} B=${B} H=${H}`;
          // the state compounds float32 rounding over T steps: a looser bound than one cell step
          assertNear(khs, hs, `hs ${what}`, 1e-4, 1e-5);
          assertNear(kact, act, `act ${what}`, 1e-4, 1e-5);
          if (cell === 'lstm') assertNear(kcs, cs, `cs ${what}`, 1e-4, 1e-5);
          if (khg) assertNear(khg, hg, `hg ${what}`, 1e-4, 1e-5);

          // backward from the reference's forward state
          const dY = fill(new Float32Array(T * n), rng);
          const dxg = new Float32Array(T * B * GH), dhg = new Float32Array(T * B * GH);
          const dw0 = fill(new Float32Array(GH * H), rng), db0 = fill(new Float32Array(GH), rng);
          const dw = dw0.slice(), db = db0.slice();
          ref.recurrentBackward(cell, T, B, H, dY, hs, cs, act, cell === 'gru' ? hg : null, whh, dxg, dhg, dw, db);
          const kdxg = k.alloc(T * B * GH), kdhg = cell === 'gru' ? k.alloc(T * B * GH) : kdxg;
          const kdw = copyInto(k, dw0), kdb = copyInto(k, db0);
          k.recurrentBackward(cell, T, B, H, copyInto(k, dY), copyInto(k, hs), copyInto(k, cs), copyInto(k, act),
            cell === 'gru' ? copyInto(k, hg) : null, kw, kdxg, kdhg, kdw, kdb);
          const scale = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          assertNear(kdxg, dxg, `dxg ${what}`, 0, 1e-4 * scale(dxg) + 1e-6);
          assertNear(kdhg, dhg, `dhg ${what}`, 0, 1e-4 * scale(dhg) + 1e-6);
          assertNear(kdw, dw, `dW_hh ${what}`, 0, 1e-4 * scale(dw) + 1e-6);
          assertNear(kdb, db, `db_hh ${what}`, 0, 1e-4 * scale(db) + 1e-6);
        }
      });
    }

    it('the whole model (every cell, 1–3 layers, dropout) trains like the reference: loss, all grads, 3 Adam steps', () => {
      const V = 11;
      // [cell, layers, dropout, H, B, T]: small ones, and one with B ≥ 16 and H spanning several panels
      const setups: [CellType, number, number, number, number, number][] = [
        ['lstm', 1, 0, 9, 3, 6], ['lstm', 2, 0, 9, 3, 6], ['lstm', 3, 0.3, 9, 3, 6], ['gru', 1, 0, 9, 3, 6],
        ['gru', 2, 0.3, 9, 3, 6], ['gru', 3, 0, 9, 3, 6], ['rnn', 1, 0, 9, 3, 6], ['rnn', 3, 0, 9, 3, 6],
        ['lstm', 2, 0, 21, 17, 4], ['gru', 2, 0, 21, 17, 4]];
      for (const [cell, layers, dropout, H, B, T] of setups) {
        const what = `${cell} × ${layers}${dropout ? ' with dropout' : ''} H=${H} B=${B}`;
        const config = { cell, layers, hidden: H, vocabSize: V, dropout };
        const rng = new Rng(17);
        const data = Int32Array.from({ length: 400 }, () => rng.int(V));
        const cfg = { ...DEFAULT_TRAIN, seqLength: T, batchSize: B, learningRate: 1e-2, seed: 5 };
        const make = (kernels: Kernels) => {
          const m = new CharRNN(config, kernels, B, T);
          m.initParams(new Rng(18));
          for (let i = 0; i < m.params.length; i++) m.params[i] *= 3;   // livelier than the default init
          return { m, trainer: new Trainer(m, cfg, data) };
        };
        const a = make(ref), b = make(k);
        const maxAbs = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (let step = 0; step < 3; step++) {
          const ra = a.trainer.step(), rb = b.trainer.step();
          assert.ok(Math.abs(ra.lossBits - rb.lossBits) <= 1e-5 * ra.lossBits, `${what} step ${step}: loss ${rb.lossBits} vs ${ra.lossBits}`);
          assert.ok(Math.abs(ra.gradNorm - rb.gradNorm) <= 1e-4 * ra.gradNorm, `${what} step ${step}: grad norm ${rb.gradNorm} vs ${ra.gradNorm}`);
          // every gradient tensor of this step (as the trainer left it: clipped alike on both sides)
          for (const t of a.m.layout.tensors) {
            const ga = a.m.grads.subarray(t.offset, t.offset + t.size), gb = b.m.grads.subarray(t.offset, t.offset + t.size);
            assertNear(gb, ga, `${what} step ${step} grad ${t.name}`, 0, 2e-4 * maxAbs(ga) + 1e-7);
          }
          // Adam's first steps move every parameter by about ±lr whatever the gradient's size, so
          // float noise in a tiny gradient shows at the scale of lr: 1% of it
          assertNear(b.m.params, a.m.params, `${what} params after step ${step}`, 0, 1e-2 * cfg.learningRate);
          assertNear(b.trainer.hidden.h, a.trainer.hidden.h, `${what} state h after step ${step}`, 0, 1e-4);
          assertNear(b.trainer.hidden.c, a.trainer.hidden.c, `${what} state c after step ${step}`, 0, 1e-4);
        }
      }
    });

    it('adamStep (float32) follows the reference (float64) over several steps, with and without weight decay', () => {
      const rng = new Rng(23);
      for (const n of [0, 1, 3, 4, 7, 9, 17, 255, 257, 1003]) {
        for (const weightDecay of [0, 0.05]) {
          const beta1 = 0.9, beta2 = 0.999, eps = 1e-8, lr = 1e-2;
          const p = fill(new Float32Array(n), rng), m = new Float32Array(n), v = new Float32Array(n);
          const kp = copyInto(k, p), km = k.alloc(n), kv = k.alloc(n), kg = k.alloc(n);
          for (let t = 1; t <= 6; t++) {
            // gradients of changing size (step 4: tiny), on params that are already apart by float rounding
            const g = fill(new Float32Array(n), rng, t === 4 ? 1e-4 : 2 ** (t - 3));
            kg.set(g);
            const h = { beta1, beta2, eps, weightDecay, stepSize: lr / (1 - beta1 ** t), bc2Sqrt: Math.sqrt(1 - beta2 ** t) };
            ref.adamStep(p, g, m, v, h);
            k.adamStep(kp, kg, km, kv, h);
            const what = `n=${n} wd=${weightDecay} step ${t}`;
            assert.deepEqual(kg, g, `${what}: grads untouched`);
            // moments: a few float32 roundings per step, relative to the terms summed
            const big = (a: Float32Array) => a.reduce((x, y) => Math.max(x, Math.abs(y)), 0);
            assertNear(km, m, `m ${what}`, 1e-5, 1e-6 * big(m));
            assertNear(kv, v, `v ${what}`, 1e-5, 1e-6 * big(v));
            // params: one rounding of p plus the update's (of size ≤ ~lr) relative error
            assertNear(kp, p, `params ${what}`, 2 ** -22, 1e-4 * lr);
          }
        }
      }
    });

    it('sumSquares sums in float64 (accurate, no overflow, non-finite shows); scale multiplies in place', () => {
      const rng = new Rng(29);
      for (const n of [0, 1, 3, 7, 8, 9, 17, 255, 257, 100003]) {
        const x = fill(new Float32Array(n), rng, 3), kx = copyInto(k, x);
        const want = ref.sumSquares(x), got = k.sumSquares(kx);
        assert.ok(Math.abs(got - want) <= 1e-13 * want, `sumSquares n=${n}: ${got} vs ${want}`);
        for (const a of [0.3, 1 / 7, 1e-6]) {
          const y = x.slice(), ky = copyInto(k, x);
          ref.scale(y, a);
          k.scale(ky, a);
          assertNear(ky, y, `scale n=${n} a=${a}`, 2 ** -22, 0);
        }
      }
      // float32 squares past float32's range still sum (1e30² = 1e60), and exactly where they can
      const huge = copyInto(k, Float32Array.from([1e30, -1e30, 3, 4, 0, 0, 0, 0, 1e30]));
      assert.ok(Math.abs(k.sumSquares(huge) - 3 * Math.fround(1e30) ** 2) <= 1e-15 * 3e60);
      assert.equal(k.sumSquares(copyInto(k, Float32Array.from([3, 4, 0, 0, 0, 0, 0, 0, 12]))), 169);
      for (const [bad, at] of [[NaN, 5], [Infinity, 33]]) {
        const x = k.alloc(37);
        x.fill(1);
        x[at] = bad;
        const s = k.sumSquares(x);
        assert.ok(Number.isNaN(bad) ? Number.isNaN(s) : s === Infinity, `sumSquares with ${bad}: ${s}`);
      }
    });

    it('clipGradNorm and gradNorm on these kernels: torch\'s rule, the norm before, non-finite left alone', () => {
      const rng = new Rng(31);
      const g = fill(new Float32Array(1001), rng, 2), kg = copyInto(k, g);
      const norm = clipGradNorm(g, 1), knorm = clipGradNorm(kg, 1, k);
      assert.ok(Math.abs(knorm - norm) <= 1e-13 * norm, `norm ${knorm} vs ${norm}`);
      assertNear(kg, g, 'clipped grads', 2 ** -22, 0);
      assert.ok(Math.abs(gradNorm(kg, k) - 1) < 1e-6);
      const under = copyInto(k, g), underNorm = gradNorm(under, k);
      assert.equal(clipGradNorm(under, 10, k), underNorm);
      assert.deepEqual(under, g, 'under the limit: untouched');
      const nan = copyInto(k, g);
      nan[500] = NaN;
      assert.ok(Number.isNaN(clipGradNorm(nan, 1, k)));
      assert.equal(nan[0], g[0], 'a non-finite norm leaves the grads as they were');
    });

    it('Adam on these kernels: moments in their memory, state copies out and in, a saved sidecar resumes bit-identically, the reference\'s loads', () => {
      const V = 11, H = 9, B = 3, T = 6;
      const config = { cell: 'lstm' as CellType, layers: 2, hidden: H, vocabSize: V, dropout: 0 };
      const rng = new Rng(37);
      const data = Int32Array.from({ length: 400 }, () => rng.int(V));
      const cfg = { ...DEFAULT_TRAIN, seqLength: T, batchSize: B, learningRate: 1e-2, weightDecay: 1e-3, seed: 5 };
      const make = (kernels: Kernels) => {
        const m = new CharRNN(config, kernels, B, T);
        m.initParams(new Rng(18));
        return { m, trainer: new Trainer(m, cfg, data) };
      };
      // the moments are this backend's arrays: 2P floats allocated in its memory, and a step on
      // arrays of another backend is refused
      const wk = k as WasmKernels, P = 1000;
      const before = wk.bytesAllocated();
      const opt = createOptimizer(cfg, P, k);
      assert.ok(wk.bytesAllocated() - before >= 2 * P * 4);
      assert.throws(() => opt.step(new Float32Array(P), new Float32Array(P), 0.1), /not an array of this WebAssembly backend/);

      // stop after 3 steps, save the sidecar's bytes, resume in a fresh trainer: bit-identical
      const a = make(k);
      for (let i = 0; i < 3; i++) a.trainer.step();
      const bytes = encodeTrainingState(a.trainer.exportState() as TrainingState);
      const b = make(k);
      b.m.params.set(a.m.params);
      b.trainer.importState(decodeTrainingState(bytes));
      for (let i = 0; i < 3; i++) { a.trainer.step(); b.trainer.step(); }
      assert.deepEqual(b.m.params, a.m.params, 'resumed params');
      assert.deepEqual(b.trainer.optimizer.state(), a.trainer.optimizer.state(), 'resumed moments');

      // a sidecar written by the reference kernels (plain arrays, the format of before the
      // moments moved into the kernels) loads exactly and trains on alike
      const r = make(ref);
      for (let i = 0; i < 3; i++) r.trainer.step();
      const c = make(k);
      c.m.params.set(r.m.params);
      c.trainer.importState(decodeTrainingState(encodeTrainingState(r.trainer.exportState() as TrainingState)));
      assert.deepEqual(c.trainer.optimizer.state(), r.trainer.optimizer.state(), 'moments copied in');
      for (let i = 0; i < 2; i++) { r.trainer.step(); c.trainer.step(); }
      assertNear(c.m.params, r.m.params, 'params after resuming from the reference\'s state', 0, 1e-2 * cfg.learningRate);
    });

    it('packInference + gemvPacked stay within the 16-bit error bound of the reference; re-packing reuses the storage', () => {
      const rng = new Rng(19);
      const wk = k as WasmKernels;
      for (const [N, K] of [[1, 1], [3, 17], [5, 33], [8, 16], [97, 300], [1024, 256], [4, 0]]) {
        const w = fill(new Float32Array(N * K), rng), x = fill(new Float32Array(K), rng, 3), bias = fill(new Float32Array(N), rng);
        w[0] = 0.5;                       // one row with a zero: its scale is max|w|
        if (N > 1) w.fill(0, K, 2 * K);   // an all-zero row
        // the bound: |Δw| ≤ max|w_row|/32766 per weight, |Δx| ≤ max|x|/65534 per element
        const xmax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0), xsum = x.reduce((m, v) => m + Math.abs(v), 0);
        const bound = Array.from({ length: N }, (_, n) => {
          const row = w.subarray(n * K, (n + 1) * K);
          const rmax = row.reduce((m, v) => Math.max(m, Math.abs(v)), 0), rsum = row.reduce((m, v) => m + Math.abs(v), 0);
          return 1.01 * (rmax * xsum / 32766 + rsum * xmax / 65534) + 1e-6 * (rsum * xmax + 1);
        });
        const kw = copyInto(k, w), kx = copyInto(k, x), kb = copyInto(k, bias);
        const m = k.packInference(kw, N, K);
        for (const [withBias, accumulate] of [[true, false], [false, false], [true, true]]) {
          const prior = fill(new Float32Array(N), rng);
          const want = prior.slice();
          ref.matmul(want, x, w, withBias ? bias : null, 1, K, N, accumulate);
          const out = copyInto(k, prior);
          k.gemvPacked(out, m, kx, withBias ? kb : null, accumulate);
          assertNear(out, want, `gemvPacked ${N}×${K} bias=${withBias} acc=${accumulate}`, 1, 0, bound);
        }
        // re-pack other weights into the same matrix: no new memory, the new weights are used
        const before = wk.bytesAllocated();
        const w2 = fill(new Float32Array(N * K), rng);
        kw.set(w2);
        assert.equal(k.packInference(kw, N, K, m), m);
        assert.equal(wk.bytesAllocated(), before, 're-packing allocates nothing');
        const want = new Float32Array(N), out = k.alloc(N);
        ref.matmul(want, x, w2, null, 1, K, N, false);
        k.gemvPacked(out, m, kx, null, false);
        const err = out.reduce((e, v, i) => Math.max(e, Math.abs(v - want[i])), 0);
        assert.ok(err <= 1e-3 * (K + 1), `re-packed ${N}×${K}: max |Δ| ${err}`);
      }
      assert.throws(() => k.packInference(k.alloc(6), 2, 3, k.packInference(k.alloc(6), 3, 2)), /Cannot re-pack a 2 × 3 matrix/);
      assert.throws(() => k.gemvPacked(k.alloc(2), ref.packInference(new Float32Array(6), 2, 3), k.alloc(3), null, false), /not packed by this WebAssembly backend/);
    });

    for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
      it(`inferenceSteps (${cell}) follows the reference from a lookup table, from layer inputs (in place) and from projections`, () => {
        const rng = new Rng(20);
        const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
        for (const [n, H, V] of [[1, 1, 2], [6, 17, 5], [4, 64, 11]]) {
          const GH = G * H;
          const table = fill(new Float32Array(V * GH), rng, 2), ids = Int32Array.from({ length: n }, () => rng.int(V));
          const xs = fill(new Float32Array(n * H), rng), proj = fill(new Float32Array(n * GH), rng, 2);
          const wih = fill(new Float32Array(GH * H), rng, 0.5), whh = fill(new Float32Array(GH * H), rng, 0.5);
          const bih = fill(new Float32Array(GH), rng), bhh = fill(new Float32Array(GH), rng);
          const h0 = fill(new Float32Array(H), rng), c0 = fill(new Float32Array(H), rng);
          const rw = { ih: ref.packInference(wih, GH, H), hh: ref.packInference(whh, GH, H) };
          const kw = { ih: k.packInference(copyInto(k, wih), GH, H), hh: k.packInference(copyInto(k, whh), GH, H) };
          for (const mode of ['ids', 'wih', 'proj'] as const) {
            const h = h0.slice(), c = c0.slice(), act = new Float32Array(GH), ys = new Float32Array(n * H);
            const refXs = mode === 'ids' ? table : mode === 'wih' ? xs.slice() : proj;
            ref.inferenceSteps(cell, n, H, refXs, mode === 'ids' ? ids : null, mode === 'wih' ? rw.ih : null, bih, rw.hh, bhh,
              h, c, act, mode === 'wih' ? refXs : ys);
            const kh = copyInto(k, h0), kc = copyInto(k, c0), kact = k.alloc(GH), kids = k.allocInt(n);
            kids.set(ids);
            const kxs = copyInto(k, mode === 'ids' ? table : mode === 'wih' ? xs : proj), kys = mode === 'wih' ? kxs : k.alloc(n * H);
            k.inferenceSteps(cell, n, H, kxs, mode === 'ids' ? kids : null, mode === 'wih' ? kw.ih : null, copyInto(k, bih), kw.hh,
              copyInto(k, bhh), kh, kc, kact, kys);
            // 16-bit weights and inputs: errors of ~1e-4 relative, compounded over n steps
            const what = `${cell} ${mode} n=${n} H=${H}`;
            assertNear(kh, h, `h ${what}`, 2e-3, 2e-3);
            assertNear(kact, act, `act ${what}`, 2e-3, 2e-3);
            assertNear(kys, mode === 'wih' ? refXs : ys, `ys ${what}`, 2e-3, 2e-3);
            if (cell === 'lstm') assertNear(kc, c, `c ${what}`, 2e-3, 2e-3);
          }
        }
      });
    }

    it('softmaxCrossEntropy matches the reference: masked rows, huge logits, in place', () => {
      const rng = new Rng(15);
      for (const [M, V] of [[1, 1], [1, 2], [3, 3], [33, 17], [64, 96], [5, 257], [2048, 96]]) {
        const logits = fill(new Float32Array(M * V), rng, 8);
        if (M * V > 4) { logits[1] = 1000; logits[2] = -1000; }
        const targets = new Int32Array(M).map(() => (rng.next() < 0.2 ? -1 : rng.int(V)));
        const want = new Float32Array(M * V);
        const wantLoss = ref.softmaxCrossEntropy(want, logits, targets, M, V, 1 / M);
        const kl = copyInto(k, logits), kt = k.allocInt(M), kd = k.alloc(M * V);
        kt.set(targets);
        const loss = k.softmaxCrossEntropy(kd, kl, kt, M, V, 1 / M);
        const what = `softmax M=${M} V=${V}`;
        assert.ok(Math.abs(loss - wantLoss) <= 1e-5 * Math.max(1, Math.abs(wantLoss)), `${what}: loss ${loss} vs ${wantLoss}`);
        assertNear(kd, want, `${what} dlogits`, PW_TOL, PW_ATOL / M);
        const loss2 = k.softmaxCrossEntropy(kl, kl, kt, M, V, 1 / M);
        assert.equal(loss2, loss, `${what}: in place gives the same loss`);
        assertNear(kl, want, `${what} in place`, PW_TOL, PW_ATOL / M);
        for (let m = 0; m < M; m++) {
          if (targets[m] < 0) assert.ok(kd.subarray(m * V, m * V + V).every((v) => v === 0), `${what}: masked row ${m} is zero`);
        }
      }
    });

    it('sigmoid and tanh stay within 1e-6 of Math over [-30, 30] and beyond', () => {
      // LSTM with hg = 0 and c_prev = 0: act holds σ(x) in the i,f,o rows and tanh(x) in the g row
      const H = 4001, xs = new Float32Array(H);
      for (let j = 0; j < H; j++) xs[j] = -30 + (60 * j) / (H - 1);
      xs[0] = -200; xs[H - 1] = 200; xs[1] = -1e-7; xs[2] = 3e-9;
      const xg = k.alloc(4 * H);
      for (let g = 0; g < 4; g++) xg.set(xs, g * H);
      const z = k.alloc(4 * H), hp = k.alloc(H), cp = k.alloc(H), h = k.alloc(H), c = k.alloc(H), act = k.alloc(4 * H);
      k.cellForward('lstm', 1, H, xg, z, hp, cp, h, c, act);
      let es = 0, et = 0;
      for (let j = 0; j < H; j++) {
        const x = xs[j];
        es = Math.max(es, Math.abs(act[j] - 1 / (1 + Math.exp(-x))));
        et = Math.max(et, Math.abs(act[2 * H + j] - Math.tanh(x)));
        assert.ok(Number.isFinite(act[j]) && Number.isFinite(act[2 * H + j]));
      }
      assert.ok(es <= 1e-6, `sigmoid max error ${es}`);
      assert.ok(et <= 1e-6, `tanh max error ${et}`);
    });
  });
}

for (const v of variants) matmulSuite(`${v} variant`, () => loadWasmKernelsSync({ variant: v }));

describe('Stepper on the WebAssembly kernels (16-bit inference weights)', () => {
  const V = 30, H = 24;
  // weights twice PyTorch's init: lively gates, but a vanilla RNN still contracts (at ×3 it is
  // chaotic, and any rounding difference grows without bound over hundreds of steps)
  const model = (cell: CellType, kernels: Kernels, seed = 21) => {
    const m = new CharRNN({ cell, layers: 2, hidden: H, vocabSize: V, dropout: 0 }, kernels, 4, 8);
    m.initParams(new Rng(seed));
    for (let i = 0; i < m.params.length; i++) m.params[i] *= 2;
    return m;
  };
  const ids = Int32Array.from({ length: 700 }, (_, i) => (i * 7 + (i >> 3)) % V);

  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    it(`${cell}: logits within 1e-3 of the reference stepper over 700 characters; priming = feeding, exactly`, () => {
      const a = new Stepper(model(cell, ref)), b = new Stepper(model(cell, loadWasmKernelsSync({ variant: variants[0] })));
      let worst = 0;
      for (const id of ids) {
        a.feed(id); b.feed(id);
        const la = a.logits(), lb = b.logits();
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(la[v] - lb[v]));
      }
      assert.ok(worst <= 1e-3, `${cell}: logits differ by up to ${worst}`);
      // priming runs the very same operations layer by layer: bit-identical
      const c = new Stepper(model(cell, loadWasmKernelsSync({ variant: variants[0] })));
      c.primeLayerwise(ids);
      assert.deepEqual(Array.from(c.saveState()), Array.from(b.saveState()));
      assert.deepEqual(Array.from(c.logits()), Array.from(b.logits()));
      assert.deepEqual(Array.from(c.gates(1)), Array.from(b.gates(1)));
    });
  }

  it('follows the model\'s parameters: after a training step, after a load, and on refresh()', () => {
    const m = model('lstm', loadWasmKernelsSync({ variant: variants[0] }));
    const s = new Stepper(m);
    // a stepper made now packs the current parameters: the reference for s, in s's state
    const fresh = () => { const f = new Stepper(m); f.loadState(s.saveState()); return f; };
    for (const id of ids.subarray(0, 20)) s.feed(id);
    const before = Array.from(s.logits());
    new Trainer(m, { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 4 }, ids).step();
    const after = Array.from(s.logits());
    assert.notDeepEqual(after, before, 'the step changed the model');
    assert.deepEqual(after, Array.from(fresh().logits()), 'logits after an optimizer step');
    m.params.set(model('lstm', ref, 99).params);   // a checkpoint load
    assert.deepEqual(Array.from(s.logits()), Array.from(fresh().logits()), 'logits after a load');
    const f = fresh();
    s.feed(5); f.feed(5);
    assert.deepEqual(Array.from(s.saveState()), Array.from(f.saveState()), 'state after a load and a feed');
    // one hand-edited weight in the middle of a tensor: refresh() picks it up
    const w = m.layout.decoderWeight;
    m.params[w.offset + (w.size >> 1)] += 1;
    s.refresh();
    assert.deepEqual(Array.from(s.logits()), Array.from(fresh().logits()), 'logits after refresh()');
  });
});

if (!childVariants) {
  describe('WebAssembly kernels: setup', () => {
    it('runs the relaxed-SIMD variant too (in a child node with --experimental-wasm-relaxed-simd if needed)', function () {
      if (variants.includes('relaxed')) {
        // this process runs it already (the "relaxed variant" suites above): no child needed,
        // and no skip either, since npm test fails on skipped tests
        assert.equal(loadWasmKernelsSync({ variant: 'relaxed' }).variant, 'relaxed');
        return;
      }
      const mocha = join(__dirname, '../../node_modules/mocha/bin/mocha.js');
      // node flags go to node itself: given to mocha, they make it re-spawn node without the V8 flag
      const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', mocha, '--timeout', '120000',
        '--reporter', 'dot', __filename], { env: { ...process.env, KERNELS_WASM_VARIANTS: 'relaxed' }, encoding: 'utf8' });
      assert.equal(r.status, 0, `relaxed variant failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /passing/);
    });

    it('chooses the fastest variant the runtime validates; the async path works too', async () => {
      const k = await loadWasmKernels();
      assert.equal(k.variant, supportedWasmVariants()[0]);
      assert.equal(k.name, `wasm-${k.variant}`);
      const a = k.alloc(3);
      k.matmul(a, k.alloc(6), k.alloc(2), null, 3, 2, 1, false);
      assert.ok(['relaxed', 'simd', 'scalar'].includes(k.variant));
    });

    it('falls back to scalar without SIMD and says so once', () => {
      const validate = WebAssembly.validate;
      const msgs: string[] = [];
      try {
        // pretend the runtime knows no SIMD: every probe fails to validate
        (WebAssembly as { validate: typeof validate }).validate = () => false;
        const k = loadWasmKernelsSync({ onFallback: (m) => msgs.push(m) });
        assert.equal(k.variant, 'scalar');
        loadWasmKernelsSync({ onFallback: (m) => msgs.push(m) });
        assert.throws(() => loadWasmKernelsSync({ variant: 'simd' }), /does not support WebAssembly SIMD/);
      } finally {
        (WebAssembly as { validate: typeof validate }).validate = validate;
      }
      assert.equal(msgs.length, 1);
      assert.match(msgs[0], /SIMD is not available.*scalar/);
    });

    it('allocates zeroed arrays whose views survive memory growth', () => {
      const k = loadWasmKernelsSync();
      const a = k.alloc(1000);
      assert.ok(a.every((v) => v === 0));
      a.fill(2);
      const before = k.memory.buffer.byteLength;
      const big = k.alloc(16 << 20);             // 64 MiB: forces the memory to grow
      assert.ok(k.memory.buffer.byteLength > before);
      assert.ok(big.subarray(0, 1000).every((v) => v === 0) && big.subarray(-1000).every((v) => v === 0));
      assert.equal(a[999], 2, 'an early view still reads its data after growth');
      const out = k.alloc(1);
      k.matmul(out, a.subarray(0, 4), a.subarray(4, 8), null, 1, 4, 1, false);   // subarrays work
      assert.equal(out[0], 16);
      k.matmul(big.subarray(5, 6), a.subarray(0, 4), big.subarray(0, 4), null, 1, 4, 1, false);
      assert.equal(big[5], 0);
      assert.ok(k.bytesAllocated() >= (16 << 20) * 4);
      const ints = k.allocInt(5);
      assert.ok(ints instanceof Int32Array && ints.every((v) => v === 0));
    });

    it('refuses arrays of other backends, short arrays and bad indices with one clear sentence', () => {
      const k = loadWasmKernelsSync();
      const other = loadWasmKernelsSync();
      const a = k.alloc(4);
      assert.throws(() => k.matmul(a, new Float32Array(4), a, null, 1, 4, 1, false), /x is not an array of this WebAssembly backend/);
      assert.throws(() => k.matmul(a, other.alloc(4), a, null, 1, 4, 1, false), /x is not an array of this WebAssembly backend/);
      assert.throws(() => k.matmul(a, a, a, null, 2, 4, 1, false), /x holds 4 elements but the kernel needs 8/);
      const idx = k.allocInt(2);
      idx[1] = 7;
      assert.throws(() => k.gatherColumns(k.alloc(2), k.alloc(7), null, idx, 2, 1, 7), /index 7 at row 1 is outside the vocabulary of 7/);
      const t = k.allocInt(1);
      t[0] = 3;
      assert.throws(() => k.softmaxCrossEntropy(k.alloc(3), k.alloc(3), t, 1, 3, 1), /Target 3 at row 0 is outside/);
      assert.throws(() => k.cellForward('lstm', 1.5, 1, a, a, a, a, a, a, a), /non-negative integers/);
    });

    it('takes the module bytes from the host when given (no file system needed)', () => {
      const asked: string[] = [];
      const k = loadWasmKernelsSync({
        variant: 'scalar',
        wasmBytes: (v) => { asked.push(v); return readFileSync(join(findWasmDir(), `kernels-${v}.wasm`)); },
      });
      assert.deepEqual(asked, ['scalar']);
      const out = k.alloc(1), a = k.alloc(2);
      a.set([3, 4]);
      k.matmul(out, a, a, null, 1, 2, 1, false);
      assert.equal(out[0], 25);
    });

    it('finds no wasm in an empty folder and says to build', () => {
      assert.throws(() => loadWasmKernelsSync({ wasmDir: __dirname }), /npm run build/);
    });
  });
}
