import { strict as assert } from 'node:assert';
import { DEFAULT_TRAIN, OptimizerName, TrainConfig } from '../../src/engine/config';
import { createOptimizer } from '../../src/engine/optim';
import { clipGradNorm, clipGradValue, gradNorm } from '../../src/engine/clip';

const cfgFor = (optimizer: OptimizerName, extra: Partial<TrainConfig> = {}): TrainConfig =>
  ({ ...DEFAULT_TRAIN, optimizer, eps: 1e-8, weightDecay: 0, ...extra });

/** Runs steps with the given gradient sequence and returns params after each step. */
function run(name: OptimizerName, p0: number[], grads: number[][], lr: number, extra: Partial<TrainConfig> = {}): number[][] {
  const opt = createOptimizer(cfgFor(name, extra), p0.length);
  const p = Float32Array.from(p0);
  return grads.map((g) => { opt.step(p, Float32Array.from(g), lr); return Array.from(p); });
}

function close(actual: number[][], expected: number[][], tol = 2e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, s) => row.forEach((x, i) =>
    assert.ok(Math.abs(x - expected[s][i]) <= tol, `step ${s + 1}, param ${i}: got ${x}, expected ${expected[s][i]}`)));
}

describe('optimizers against hand-computed updates', () => {
  it('sgd: p -= lr·g', () => {
    // lr 0.1, g = [0.5, -1]: 1 - 0.05 = 0.95, -2 + 0.1 = -1.9; then 0.90, -1.8
    close(run('sgd', [1, -2], [[0.5, -1], [0.5, -1]], 0.1), [[0.95, -1.9], [0.9, -1.8]]);
  });

  it('sgd with weight decay adds wd·p to the gradient', () => {
    // wd 0.1: g' = [0.5 + 0.1·1, -1 + 0.1·(-2)] = [0.6, -1.2]; p = [1 - 0.06, -2 + 0.12] = [0.94, -1.88]
    close(run('sgd', [1, -2], [[0.5, -1]], 0.1, { weightDecay: 0.1 }), [[0.94, -1.88]]);
  });

  it('momentum: v = μv + g; p -= lr·v', () => {
    // μ 0.9, lr 0.1, g = 0.5 each step
    // v1 = 0.5                 p1 = 1     - 0.05   = 0.95
    // v2 = 0.45 + 0.5  = 0.95  p2 = 0.95  - 0.095  = 0.855
    // v3 = 0.855 + 0.5 = 1.355 p3 = 0.855 - 0.1355 = 0.7195
    close(run('momentum', [1], [[0.5], [0.5], [0.5]], 0.1, { momentum: 0.9 }), [[0.95], [0.855], [0.7195]]);
  });

  it('adagrad: cache += g²; p -= lr·g/(√cache + eps)', () => {
    // lr 0.1, g = [0.5, -2] each step
    // cache1 = [0.25, 4]: p = [1 - 0.1·0.5/0.5, 1 + 0.1·2/2] = [0.9, 1.1]
    // cache2 = [0.5, 8]:  p = [0.9 - 0.05/√0.5, 1.1 + 0.2/√8] = [0.9 - 0.0707107, 1.1 + 0.0707107]
    close(run('adagrad', [1, 1], [[0.5, -2], [0.5, -2]], 0.1),
      [[0.9, 1.1], [0.8292893, 1.1707107]]);
  });

  it('rmsprop: sq = αsq + (1-α)g²; p -= lr·g/(√sq + eps)', () => {
    // α 0.99, lr 0.01
    // g1 = 0.5: sq = 0.01·0.25 = 0.0025, √ = 0.05;        p = 1 - 0.01·0.5/0.05 = 0.9
    // g2 = -1:  sq = 0.99·0.0025 + 0.01·1 = 0.012475, √ = 0.1116915;  p = 0.9 + 0.01/0.1116915 = 0.9 + 0.0895323
    close(run('rmsprop', [1], [[0.5], [-1]], 0.01, { rmsDecay: 0.99 }), [[0.9], [0.9895323]]);
  });

  it('adam: bias-corrected, step 1 moves by lr·sign(g)', () => {
    // lr 0.1, β1 0.9, β2 0.999
    // step 1, g = [0.5, -3]: m = 0.1g, v = 0.001g²; m̂ = g, v̂ = g²: p -= 0.1·g/|g| -> [0.9, 1.1]
    // step 2, param 0, g = -1:
    //   m = 0.9·0.05 + 0.1·(-1) = -0.055;  v = 0.999·0.00025 + 0.001·1 = 0.00124975
    //   m̂ = -0.055/(1 - 0.81) = -0.2894737;  v̂ = 0.00124975/(1 - 0.998001) = 0.6251876, √ = 0.7906880
    //   p = 0.9 + 0.1·0.2894737/0.7906880 = 0.9 + 0.0366104 = 0.9366104
    // param 1, g = -3 again: m̂ = -3, √v̂ = 3: another lr·sign step, 1.1 -> 1.2
    close(run('adam', [1, 1], [[0.5, -3], [-1, -3]], 0.1, { beta1: 0.9, beta2: 0.999 }),
      [[0.9, 1.1], [0.9366104, 1.2]]);
  });

  it('never writes the gradient', () => {
    for (const name of ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'] as OptimizerName[]) {
      const opt = createOptimizer(cfgFor(name, { weightDecay: 0.1 }), 3);
      const g = Float32Array.from([0.1, -0.2, 0.3]);
      opt.step(Float32Array.from([1, 2, 3]), g, 0.1);
      assert.deepEqual(Array.from(g), Array.from(Float32Array.from([0.1, -0.2, 0.3])), name);
    }
  });

  it('state export and import continue bit-identically', () => {
    const P = 257;
    const gradAt = (s: number) => Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37 + s * 1.3) * (1 + (i % 5)));
    for (const name of ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'] as OptimizerName[]) {
      const cfg = cfgFor(name, { weightDecay: 1e-3 });
      const a = createOptimizer(cfg, P);
      const pa = Float32Array.from({ length: P }, (_, i) => Math.cos(i));
      for (let s = 0; s < 3; s++) a.step(pa, gradAt(s), 0.01);

      const b = createOptimizer(cfg, P);
      b.loadState(a.state());
      const pb = pa.slice();
      for (let s = 3; s < 6; s++) { a.step(pa, gradAt(s), 0.01); b.step(pb, gradAt(s), 0.01); }
      assert.deepEqual(pb, pa, name);
      if (name !== 'sgd') assert.ok(Object.keys(a.state()).length > 0, name);
    }
  });

  it('state() is a copy and loadState refuses a state of the wrong size', () => {
    const a = createOptimizer(cfgFor('adam'), 4);
    const s = a.state();
    a.step(new Float32Array(4).fill(1), new Float32Array(4).fill(1), 0.1);
    assert.deepEqual(Array.from(s.exp_avg as Float32Array), [0, 0, 0, 0]);
    assert.equal(s.step, 0);
    const b = createOptimizer(cfgFor('adam'), 5);
    assert.throws(() => b.loadState(a.state()), /4 values but the model has 5 parameters/);
    assert.throws(() => b.loadState({}), /no "exp_avg" array/);
  });
});

describe('gradient clipping', () => {
  it('clips by global norm like clip_grad_norm_ and returns the norm before', () => {
    // [3, 4] has norm 5; max 1: coef = 1/(5 + 1e-6) -> [0.6, 0.8]·(1 - 2e-7)
    const g = Float32Array.from([3, 4]);
    assert.equal(clipGradNorm(g, 1), 5);
    close([Array.from(g)], [[3 / (5 + 1e-6), 4 / (5 + 1e-6)]], 1e-7);
    assert.ok(Math.abs(gradNorm(g) - 1) < 1e-6);
    // under the limit: untouched
    const h = Float32Array.from([3, 4]);
    assert.equal(clipGradNorm(h, 10), 5);
    assert.deepEqual(Array.from(h), [3, 4]);
  });

  it('leaves non-finite gradients alone and returns the non-finite norm', () => {
    const g = Float32Array.from([NaN, 100]);
    assert.ok(Number.isNaN(clipGradNorm(g, 1)));
    assert.equal(g[1], 100);
    const h = Float32Array.from([Infinity, 100]);
    assert.equal(clipGradNorm(h, 1), Infinity);
    assert.equal(h[1], 100);
  });

  it('clips by value like np.clip', () => {
    const g = Float32Array.from([-7, -5, 0.5, 5, 6]);
    clipGradValue(g, 5);
    assert.deepEqual(Array.from(g), [-5, -5, 0.5, 5, 5]);
  });
});
