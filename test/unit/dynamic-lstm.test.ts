// Dynamic evaluation of the LSTM (src/complete/adaptive): adaptation never sees the character it
// predicts, its gradients match finite differences, the update is Krause's, the trained model
// is never written, and what probs() predicts with is the adapted weights.
import { strict as assert } from 'node:assert';
import { DynamicEvalOptions, DynamicLstm } from '../../src/complete/adaptive/dynamic-lstm';
import { OutputLayer } from '../../src/complete/adaptive/output-layer';
import { GradientStats, rmsStep } from '../../src/complete/adaptive/rms-step';
import { Ring } from '../../src/complete/adaptive/ring';
import { SegmentGradient } from '../../src/complete/adaptive/segment-gradient';
import { CharRNN } from '../../src/engine/model';
import { createRefKernels } from '../../src/engine/kernels-ref';
import type { Kernels } from '../../src/engine/kernels';
import { Rng } from '../../src/engine/rng';
import { Stepper } from '../../src/engine/stepper';
import { loadWasmKernelsSync } from '../../src/runtime/wasm-kernels';
import { centralDifference, refKernels64, relativeError } from './finite-difference';

const V = 7, H = 8;

function randomModel(kernels: Kernels, layers = 2, seed = 3, maxT = 1): CharRNN {
  const m = new CharRNN({ cell: 'lstm', layers, hidden: H, vocabSize: V, dropout: 0 }, kernels, 1, maxT);
  const rng = new Rng(seed);
  for (let i = 0; i < m.params.length; i++) m.params[i] = rng.uniform(-0.6, 0.6);
  return m;
}

/** Ids with some structure (a repeated motif with noise), so that adaptation has something to learn. */
function text(rng: Rng, n: number): Int32Array {
  const motif = [1, 2, 3, 1, 4, 0, 5];
  return Int32Array.from({ length: n }, (_, i) => (rng.next() < 0.8 ? motif[i % motif.length] : rng.int(V)));
}

/** How a caller runs the adaptation queue between characters. */
type Schedule = (dyn: DynamicLstm, i: number) => void;
const SCHEDULES: Record<string, Schedule> = {
  'after every character': (d) => { d.adaptPending(); },
  'late (every 13 characters)': (d, i) => { if (i % 13 === 12) d.adaptPending(); },
  'interrupted by stop() after 2 steps': (d) => { let n = 0; d.adaptPending(() => n++ >= 2); },
  'interrupted before any step, caught up every 29 characters': (d, i) => { d.adaptPending(() => true); if (i % 29 === 28) d.adaptPending(); },
};

/** probs() at every position 0..ids.length (position i: before ids[i] is fed). */
function readAll(dyn: DynamicLstm, ids: Int32Array, schedule: Schedule): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < ids.length; i++) {
    out.push(dyn.probs(new Float32Array(V)));
    dyn.feed(ids[i]);
    schedule(dyn, i);
  }
  out.push(dyn.probs(new Float32Array(V)));
  return out;
}

const bitsEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

const MODES: DynamicEvalOptions[] = [
  { mode: 'full', segment: 5, lr: 0.01, decay: 0.002, warmup: 20 },
  { mode: 'full', segment: 1, lr: 0.05, decay: 0.01, warmup: 20 },
  { mode: 'full', segment: 4, learnEvery: 3, lr: 0.01, decay: 0.002, warmup: 20 },
  { mode: 'output', lr: 0.05, decay: 0.01, warmup: 50 },
];
const label = (o: DynamicEvalOptions) => `${o.mode}${o.mode === 'full' ? ` (segment ${o.segment}${o.learnEvery ? `, learning from one in ${o.learnEvery}` : ''})` : ''}`;

describe('dynamic evaluation: adaptation never sees the character it predicts', () => {
  for (const opts of MODES) {
    for (const [name, schedule] of Object.entries(SCHEDULES)) {
      for (const n of [40, 43]) {   // a segment boundary (for segment 5) and not
        it(`${label(opts)}, adaptation ${name}: streams sharing ${n} characters agree bit for bit at positions ≤ ${n}`, () => {
          const trained = randomModel(createRefKernels());
          const rng = new Rng(17);
          const prefix = text(rng, n);
          const tailA = text(rng, 30), tailB = Int32Array.from(tailA, (c) => (c + 1 + rng.int(V - 1)) % V);   // differs at every position
          const a = readAll(new DynamicLstm(trained, opts), Int32Array.from([...prefix, ...tailA]), schedule);
          const b = readAll(new DynamicLstm(trained, opts), Int32Array.from([...prefix, ...tailB]), schedule);
          for (let i = 0; i <= n; i++) assert.ok(bitsEqual(a[i], b[i]), `position ${i}: the distributions differ, so adaptation read character ${i} or later`);
          // and the test is not vacuous: the streams part after n, and adaptation moved the predictions
          assert.ok(!bitsEqual(a[n + 2], b[n + 2]), 'the streams should predict differently after they part');
          const frozen = readAll(new DynamicLstm(trained, { mode: 'off' }), Int32Array.from([...prefix, ...tailA]), schedule);
          assert.ok(!bitsEqual(a[n], frozen[n]), 'adaptation should have changed the prediction at the shared prefix\'s end');
        });
      }
    }
  }

  it('across a stream reset, the second stream learns from the first (and the first from nothing after it)', () => {
    const trained = randomModel(createRefKernels());
    const rng = new Rng(5);
    const s1 = text(rng, 33), s2 = text(rng, 20), s1b = Int32Array.from(s1, (c, i) => (i === 32 ? (c + 1) % V : c));
    const opts = MODES[0];
    const run = (first: Int32Array) => {
      const d = new DynamicLstm(trained, opts);
      readAll(d, first, SCHEDULES['after every character']);
      d.reset();
      d.adaptPending();   // the last, shorter segment of the first stream
      return readAll(d, s2, SCHEDULES['after every character']);
    };
    const fresh = readAll(new DynamicLstm(trained, { mode: 'off' }), s2, () => {});
    const x = run(s1), y = run(s1b);
    assert.ok(!bitsEqual(x[0], fresh[0]), 'the weights adapted on stream 1 predict stream 2');
    assert.ok(!bitsEqual(x[0], y[0]), 'the last character of stream 1 was learned from at its reset');
  });
});

describe('dynamic evaluation: the gradients it steps on (finite differences, float64)', () => {
  it('full: a batch-1 segment from a carried state, every tensor', () => {
    const K = refKernels64(), T = 6;
    const model = randomModel(K, 2, 9, T);
    const rng = new Rng(21);
    const ids = text(rng, T + 1);
    const start = new Float64Array(2 * 2 * H) as unknown as Float32Array;
    for (let i = 0; i < start.length; i++) start[i] = rng.uniform(-0.7, 0.7);
    const g = new SegmentGradient(model);
    g.compute(ids, T, start);
    const analytic = model.grads.slice();
    const state = model.newState(1), inputs = ids.slice(0, T), targets = ids.slice(1);
    const meanLoss = () => {
      state.h.set(start.subarray(0, 2 * H)); state.c.set(start.subarray(2 * H));
      return model.lossChunk(inputs, targets, T, 1, state) / T;
    };
    let worst = 0, where = '';
    for (const t of model.layout.tensors) {
      for (let j = 0; j < Math.min(10, t.size); j++) {
        const i = t.offset + rng.int(t.size);
        const err = relativeError(analytic[i], centralDifference(model.params, i, 1e-5, meanLoss), 1e-4);
        if (err > worst) { worst = err; where = `${t.name}[${i - t.offset}]`; }
      }
    }
    assert.ok(worst < 1e-5, `relative error ${worst} at ${where}`);
    // the carried state matters: from the zero state the gradient differs
    g.compute(ids, T, new Float64Array(4 * H) as unknown as Float32Array);
    assert.ok(model.grads.some((x, i) => Math.abs(x - analytic[i]) > 1e-6));
  });

  it('output: the decoder for one character', () => {
    const K = refKernels64();
    const out = new OutputLayer(K, V, H);
    const rng = new Rng(4);
    for (let i = 0; i < out.theta.length; i++) out.theta[i] = rng.uniform(-1, 1);
    const h = K.alloc(H);
    for (let k = 0; k < H; k++) h[k] = rng.uniform(-1, 1);
    const p = K.alloc(V), target = 3;
    out.gradient(h, out.probs(h, p), target);
    const nll = () => -Math.log(out.probs(h, p)[target]);
    for (let i = 0; i < out.theta.length; i++) {
      const err = relativeError(out.grad[i], centralDifference(out.theta, i, 1e-6, nll), 1e-6);
      assert.ok(err < 1e-6, `theta[${i}]: relative error ${err}`);
    }
  });
});

describe('dynamic evaluation: the update', () => {
  it('is θ − η·g/(r + ε·r̄) + min(1, λ·r/r̄)·(θ0 − θ), r̄ the mean over tensors of their mean RMS', () => {
    const stats = new GradientStats(3, [{ offset: 0, size: 2 }, { offset: 2, size: 1 }]);
    stats.add(Float32Array.from([2, 0, 4])); stats.add(Float32Array.from([-2, 0, 0]));   // MS 4, 0, 8
    const r = [2, 0, Math.sqrt(8)], rbar = ((2 + 0) / 2 + Math.sqrt(8)) / 2;
    const theta = Float32Array.from([1, 1, 1]), theta0 = Float32Array.from([0, 0.5, 2]), g = Float32Array.from([1, -1, 0.5]);
    const h = { lr: 0.1, decay: 0.3, eps: 0.01 };
    const want = [0, 1, 2].map((i) => theta[i] - h.lr * g[i] / (r[i] + h.eps * rbar) + Math.min(1, h.decay * r[i] / rbar) * (theta0[i] - theta[i]));
    rmsStep(theta, g, theta0, stats, h);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(theta[i] - want[i]) < 1e-6, `θ[${i}] = ${theta[i]}, want ${want[i]}`);
  });

  it('output: the one-pass step equals gradient() then rmsStep()', () => {
    const K = createRefKernels(), a = new OutputLayer(K, V, H), b = new OutputLayer(K, V, H);
    const rng = new Rng(6);
    for (let i = 0; i < a.theta.length; i++) a.theta[i] = b.theta[i] = rng.uniform(-1, 1);
    const theta0 = Float32Array.from(a.theta, (x) => x + rng.uniform(-0.1, 0.1));
    const stats = new GradientStats(a.theta.length, [{ offset: 0, size: V * H }, { offset: V * H, size: V }]);
    const h = K.alloc(H), p = new Float32Array(V), hyper = { lr: 0.02, decay: 0.05, eps: 0.01 };
    for (let k = 0; k < H; k++) h[k] = rng.uniform(-1, 1);
    a.gradient(h, a.probs(h, p), 2); stats.add(a.grad);
    rmsStep(a.theta, a.grad, theta0, stats, hyper);
    const c = stats.coefficients(hyper)!;
    b.gradientStep(h, b.probs(h, p), 2, theta0, c.inv, c.pull, hyper.lr);
    for (let i = 0; i < a.theta.length; i++) assert.ok(Math.abs(a.theta[i] - b.theta[i]) < 1e-6, `theta[${i}]`);
  });

  it('never pulls past the trained weights', () => {
    const stats = new GradientStats(2, [{ offset: 0, size: 2 }]);
    stats.add(Float32Array.from([100, 0.001]));
    const theta = Float32Array.from([5, 5]), theta0 = Float32Array.from([0, 0]);
    rmsStep(theta, Float32Array.from([0, 0]), theta0, stats, { lr: 0, decay: 1000, eps: 0.01 });
    assert.deepEqual([...theta], [0, 5 - Math.min(1, 1000 * 0.001 / ((100 + 0.001) / 2)) * 5].map((x) => Math.fround(x)));
  });
});

describe('dynamic evaluation: the model it predicts with', () => {
  const kernelsToTry: [string, () => Kernels][] = [['reference', createRefKernels], ['WebAssembly', () => loadWasmKernelsSync()]];
  for (const [kname, makeKernels] of kernelsToTry) {
    for (const opts of [MODES[0], MODES[3]]) {
      it(`${label(opts)} on the ${kname} kernels: probs() is a stepper on adaptedParams(), and the trained model is untouched`, () => {
        const K = makeKernels();
        const trained = randomModel(K);
        const before = trained.params.slice();
        const dyn = new DynamicLstm(trained, opts);
        const ids = text(new Rng(8), 60);
        readAll(dyn, ids, SCHEDULES['after every character']);
        assert.ok(bitsEqual(trained.params, before), 'the trained weights changed');
        const adapted = dyn.adaptedParams();
        assert.ok(!bitsEqual(adapted, before), 'nothing was adapted');
        const check = new CharRNN(trained.config, K, 1, 1);
        check.params.set(adapted);
        const s = new Stepper(check);
        s.loadState(dyn.saveState());
        const want = s.probs(1), got = dyn.probs(new Float32Array(V));
        // 'full' runs the same stepper code on the same weights; 'output' computes the decoder in float32
        const tol = opts.mode === 'full' ? 0 : 2e-3;
        for (let v = 0; v < V; v++) assert.ok(Math.abs(got[v] - want[v]) <= tol, `p[${v}] = ${got[v]}, a stepper on the adapted weights says ${want[v]}`);
      });
    }
  }

  it('restoreTrained() brings back the trained predictions; a decoder\'s save/advance/load changes nothing', () => {
    const trained = randomModel(createRefKernels());
    const ids = text(new Rng(12), 50);
    const plain = new DynamicLstm(trained, MODES[0]);
    const want = readAll(plain, ids, SCHEDULES['after every character']);
    const explored = new DynamicLstm(trained, MODES[0]);
    const got = readAll(explored, ids, (d, i) => {
      const s = d.saveState();
      for (let k = 0; k < 4; k++) d.advance((i + k) % V);   // a hypothesis, never learned from
      d.loadState(s);
      d.adaptPending();
    });
    for (let i = 0; i < want.length; i++) assert.ok(bitsEqual(want[i], got[i]), `position ${i}`);
    explored.restoreTrained();
    explored.reset();
    const frozen = new DynamicLstm(trained, { mode: 'off' });
    assert.ok(bitsEqual(explored.probs(new Float32Array(V)), frozen.probs(new Float32Array(V))));
  });

  it('gradient statistics from text: made before reading, the same for the same text', () => {
    const trained = randomModel(createRefKernels());
    const statsText = [text(new Rng(30), 200)];
    const ids = text(new Rng(31), 40);
    const a = readAll(new DynamicLstm(trained, { ...MODES[0], statsText }), ids, SCHEDULES['after every character']);
    const b = readAll(new DynamicLstm(trained, { ...MODES[0], statsText }), ids, SCHEDULES['after every character']);
    const online = readAll(new DynamicLstm(trained, MODES[0]), ids, SCHEDULES['after every character']);
    assert.ok(a.every((p, i) => bitsEqual(p, b[i])));
    assert.ok(!bitsEqual(a[40], online[40]), 'statistics from text should step differently from statistics of the first text read');
  });

  it('keeps at most maxPending characters queued, dropping the oldest, first in first out', () => {
    const ring = new Ring<{ v: number }>(3, () => ({ v: 0 }));
    for (let i = 0; i < 5; i++) ring.push().v = i;
    assert.equal(ring.dropped, 2);
    assert.deepEqual([ring.shift()!.v, ring.shift()!.v, ring.shift()!.v, ring.shift()], [2, 3, 4, undefined]);
    const trained = randomModel(createRefKernels());
    for (const opts of [{ ...MODES[0], maxPending: 10 }, { ...MODES[3], maxPending: 10 }]) {
      const d = new DynamicLstm(trained, opts);
      for (const id of text(new Rng(2), 40)) d.feed(id);
      assert.ok(d.pendingChars <= 10 && d.pendingChars > 0, `${d.pendingChars} characters queued`);
      assert.ok(d.droppedChars >= 25, `${d.droppedChars} dropped`);
      assert.equal(d.adaptPending(), true);
      assert.equal(d.pendingChars, 0);
    }
  });

  it('refuses bad options and characters in one sentence', () => {
    const trained = randomModel(createRefKernels());
    assert.throws(() => new DynamicLstm(trained, { mode: 'fast' as 'full' }), /Unknown dynamic evaluation mode "fast"/);
    assert.throws(() => new DynamicLstm(trained, { mode: 'full', segment: 0 }), /segment must be a whole number/);
    assert.throws(() => new DynamicLstm(trained, { mode: 'output', lr: -1 }), /learning rate must be a non-negative/);
    assert.throws(() => new DynamicLstm(trained, { mode: 'full' }).feed(V), /outside the vocabulary of 7/);
  });
});
