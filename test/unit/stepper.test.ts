// Batch-1 inference (Stepper), sampling and evaluation against the batched model and PyTorch.
import { strict as assert } from 'node:assert';
import { CharRNN } from '../../src/engine/model';
import { Stepper } from '../../src/engine/stepper';
import { sample } from '../../src/engine/sample';
import { evaluateStreams } from '../../src/engine/eval';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { Rng } from '../../src/engine/rng';
import type { CellType } from '../../src/engine/config';

const CELLS: CellType[] = ['lstm', 'gru', 'rnn'];

function makeModel(cell: CellType, layers: number, hidden: number, V: number, maxB = 4, maxT = 8, seed = 3): CharRNN {
  const m = new CharRNN({ cell, layers, hidden, vocabSize: V, dropout: 0 }, createRefKernels(), maxB, maxT);
  m.initParams(new Rng(seed));
  // make it less uniform than the default init so differences show
  for (let i = 0; i < m.params.length; i++) m.params[i] *= 3;
  return m;
}

function randomIds(rng: Rng, n: number, V: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(V));
}

function logSoftmax(z: Float32Array, v: number): number {
  let max = -Infinity;
  for (const x of z) max = Math.max(max, x);
  let s = 0;
  for (const x of z) s += Math.exp(x - max);
  return z[v] - max - Math.log(s);
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol)) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe('Stepper', () => {
  // Logits of torch.nn.{LSTM,GRU,RNN}(5, 3, 2) + Linear(3, 5) after each of the characters
  // [1,4,0,3,3,2], every parameter (state-dict order, flattened) = 0.7·sin(0.37·i + 1).
  const TORCH: Record<CellType, number[]> = {
    lstm: [-0.59333, -0.858372, -0.785928, -0.308239, 0.255654, -0.579015, -0.872645, -0.812936, -0.317984, 0.273995, -0.560622, -0.894546, -0.850806, -0.329763, 0.301391, -0.561379, -0.887117, -0.843442, -0.330642, 0.293245, -0.56246, -0.888128, -0.84326, -0.32947, 0.294105, -0.560537, -0.89118, -0.847897, -0.330541, 0.29779],
    gru: [-0.545804, -0.608611, -0.524496, -0.507135, -0.608182, -0.858601, -0.77245, -0.357405, -0.194697, -0.497415, -1.142216, -0.90845, -0.194738, 0.085966, -0.410482, -1.338746, -1.034459, -0.11027, 0.287094, -0.316082, -1.453235, -1.112452, -0.065142, 0.40522, -0.256157, -1.507241, -1.146589, -0.041495, 0.460388, -0.230743],
    rnn: [0.807553, 0.776982, 0.553034, 0.290936, 0.110318, 0.739396, 1.111225, 0.91844, 0.281658, -0.26334, 0.926005, 0.974244, 0.610011, 0.144345, -0.077026, 0.797964, 1.129409, 0.876044, 0.22577, -0.270647, 0.921166, 1.001063, 0.638701, 0.143041, -0.106876, 0.811996, 1.116132, 0.850204, 0.216067, -0.253436],
  };
  for (const cell of CELLS) {
    it(`${cell}: matches PyTorch's logits step by step`, () => {
      const m = new CharRNN({ cell, layers: 2, hidden: 3, vocabSize: 5, dropout: 0 }, createRefKernels(), 1, 1);
      for (let i = 0; i < m.params.length; i++) m.params[i] = 0.7 * Math.sin(0.37 * i + 1);
      const s = new Stepper(m);
      [1, 4, 0, 3, 3, 2].forEach((id, t) => {
        s.feed(id);
        assertClose(s.logits(), TORCH[cell].slice(t * 5, t * 5 + 5), 2e-6, `step ${t}`);
      });
    });
  }

  for (const cell of CELLS) {
    it(`${cell}: feeding one by one scores like lossChunk, across chunks with carried state`, () => {
      const V = 7, T = 5, B = 3, chunks = 2;
      const m = makeModel(cell, 2, 6, V, B, T);
      const rng = new Rng(4);
      const streams = [0, 1, 2].map(() => randomIds(rng, T * chunks + 1, V));
      // expected −log p of each (b, position) from the stepper
      const expected: number[][] = streams.map((ids) => {
        const s = new Stepper(m);
        const out: number[] = [];
        for (let p = 0; p < T * chunks; p++) { s.feed(ids[p]); out.push(-logSoftmax(s.logits(), ids[p + 1])); }
        return out;
      });
      // the batched model, one scored target at a time (all others masked)
      for (let c = 0; c < chunks; c++) {
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
          const state = m.newState(B);
          const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
          let loss = 0;
          for (let cc = 0; cc <= c; cc++) {
            targets.fill(-1);
            for (let tt = 0; tt < T; tt++) for (let bb = 0; bb < B; bb++) inputs[tt * B + bb] = streams[bb][cc * T + tt];
            if (cc === c) targets[t * B + b] = streams[b][c * T + t + 1];
            loss = m.lossChunk(inputs, targets, T, B, state);
          }
          assert.ok(Math.abs(loss - expected[b][c * T + t]) < 1e-5, `chunk ${c} t ${t} b ${b}: ${loss} vs ${expected[b][c * T + t]}`);
        }
      }
    });
  }

  for (const cell of CELLS) {
    it(`${cell}: primeLayerwise equals feeding one by one (state, gates, logits; across blocks)`, () => {
      const V = 9, L = 3, H = 5;
      const m = makeModel(cell, L, H, V);
      const ids = randomIds(new Rng(8), 600, V);
      const a = new Stepper(m), b = new Stepper(m);
      for (const id of ids) a.feed(id);
      b.primeLayerwise(ids);
      assertClose(b.saveState(), a.saveState(), 1e-6, 'state');
      assertClose(b.logits(), a.logits(), 1e-5, 'logits');
      for (let k = 0; k < L; k++) {
        assertClose(b.gates(k), a.gates(k), 1e-6, `gates ${k}`);
        assertClose(b.cell(k), a.cell(k), 1e-6, `cell ${k}`);
        assertClose(b.hidden(k), a.hidden(k), 1e-6, `hidden ${k}`);
      }
      // priming continues from the current state, not from zero
      const more = randomIds(new Rng(9), 10, V);
      for (const id of more) a.feed(id);
      b.primeLayerwise(more);
      assertClose(b.logits(), a.logits(), 1e-5, 'logits after a second prime');
    });
  }

  it('cell() is c for LSTM and h for GRU/RNN; gates are PyTorch-ordered and in range', () => {
    for (const cell of CELLS) {
      const m = makeModel(cell, 2, 4, 6);
      const s = new Stepper(m);
      s.primeLayerwise(Int32Array.from([1, 2, 3, 4, 5]));
      const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
      assert.equal(s.gates(1).length, G * 4);
      assert.equal(s.cell(0).length, 4);
      if (cell === 'lstm') {
        assert.notDeepEqual(Array.from(s.cell(1)), Array.from(s.hidden(1)));
        // h = o ⊙ tanh(c), o is the 4th gate block
        const o = s.gates(1).subarray(12, 16);
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(s.hidden(1)[j] - o[j] * Math.tanh(s.cell(1)[j])) < 1e-6);
        // i, f, o are sigmoids: in (0, 1); g is tanh
        for (const j of [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]) assert.ok(s.gates(1)[j] > 0 && s.gates(1)[j] < 1);
      } else {
        assert.deepEqual(Array.from(s.cell(1)), Array.from(s.hidden(1)));
      }
    }
  });

  it('saveState/loadState round trip; reset returns to the zero state', () => {
    const V = 8, m = makeModel('lstm', 2, 6, V);
    const s = new Stepper(m), rng = new Rng(5);
    s.primeLayerwise(randomIds(rng, 20, V));
    const saved = s.saveState();
    assert.equal(saved.length, 2 * 2 * 6);
    const logits = s.logits().slice();
    const tail = randomIds(rng, 7, V);
    for (const id of tail) s.feed(id);
    const after = s.logits().slice();
    s.loadState(saved);
    assertClose(s.logits(), logits, 0, 'logits after load');
    for (const id of tail) s.feed(id);
    assertClose(s.logits(), after, 0, 'logits after replay');
    s.reset();
    assert.ok(s.saveState().every((v) => v === 0));
    const fresh = new Stepper(m);
    assertClose(s.logits(), fresh.logits(), 0, 'reset logits');
  });

  it('probs: softmax with temperature, argmax at 0', () => {
    const m = makeModel('gru', 1, 5, 6);
    const s = new Stepper(m);
    s.feed(2);
    const z = s.logits();
    const p1 = s.probs(), p2 = s.probs(0.5, new Float32Array(6)), p0 = s.probs(0);
    assert.ok(Math.abs(p1.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    for (let v = 0; v < 6; v++) {
      assert.ok(Math.abs(Math.log(p1[v]) - logSoftmax(z, v)) < 1e-5);
      assert.ok(Math.abs(Math.log(p2[v]) - logSoftmax(z.map((x) => 2 * x), v)) < 1e-5);
    }
    const arg = z.indexOf(Math.max(...z));
    assert.deepEqual(Array.from(p0), Array.from({ length: 6 }, (_, v) => (v === arg ? 1 : 0)));
  });

  it('feeds 10k characters without allocating, quickly', () => {
    const V = 96, m = makeModel('lstm', 2, 32, V);
    const s = new Stepper(m);
    const ids = randomIds(new Rng(6), 10000, V);
    for (let i = 0; i < 3000; i++) s.feed(ids[i]);   // warm up the JIT (compiling allocates)
    const logitsView = s.logits(), cellView = s.cell(1);
    // heapUsed moves with garbage collections, so take the quietest of a few rounds: without
    // allocation it stays within a few hundred bytes; one small object per feed moves it ~1 MB
    let quietest = Infinity, fastest = Infinity;
    for (let round = 0; round < 4 && quietest > 50_000; round++) {
      const before = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      for (const id of ids) s.feed(id);
      fastest = Math.min(fastest, performance.now() - t0);
      quietest = Math.min(quietest, Math.abs(process.memoryUsage().heapUsed - before));
    }
    assert.ok(quietest < 50_000, `the heap moved by at least ${quietest} bytes over 10k feeds`);
    assert.ok(fastest < 15000, `10k feeds took ${fastest} ms`);
    assert.equal(s.logits(), logitsView, 'logits() is a stable view');
    assert.equal(s.cell(1), cellView, 'cell() is a stable view');
  });
});

describe('sample', () => {
  it('is deterministic for a seed, greedy follows the argmax, stopAt stops before the character', () => {
    const V = 6, m = makeModel('lstm', 2, 8, V);
    const prime = Int32Array.from([1, 2, 3]);
    const a = sample(m, { prime, length: 50, temperature: 1, seed: 7 });
    const b = sample(m, { prime, length: 50, temperature: 1, seed: 7 });
    const c = sample(m, { prime, length: 50, temperature: 1, seed: 8 });
    assert.equal(a.length, 50);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.every((id) => id >= 0 && id < V));

    const g = sample(m, { prime, length: 20, temperature: 'greedy' });
    const s = new Stepper(m);
    s.primeLayerwise(prime);
    for (const id of g) {
      const z = s.logits();
      assert.equal(id, z.indexOf(Math.max(...z)));
      s.feed(id);
    }
    assert.deepEqual(sample(m, { prime, length: 20, temperature: 0 }), g);

    const stop = g[5];
    const cut = sample(m, { prime, length: 20, temperature: 'greedy', stopAt: (id) => id === stop });
    assert.deepEqual(Array.from(cut), Array.from(g.subarray(0, g.indexOf(stop))));
  });

  it('follows the model distribution (a frequency check)', () => {
    const V = 4, m = makeModel('rnn', 1, 3, V);
    const s = new Stepper(m);
    s.feed(0);
    const p = s.probs();
    const counts = new Float64Array(V), n = 4000;
    for (let i = 0; i < n; i++) counts[sample(m, { prime: Int32Array.from([0]), length: 1, seed: i })[0]]++;
    for (let v = 0; v < V; v++) assert.ok(Math.abs(counts[v] / n - p[v]) < 0.03, `char ${v}: ${counts[v] / n} vs ${p[v]}`);
  });
});

describe('evaluateStreams', () => {
  it('scores characters 2..N of each stream from the zero state, batched, with the UNK cost', () => {
    const V = 7, unk = 6, T = 5;
    const m = makeModel('gru', 2, 6, V, 3, T);
    const rng = new Rng(12);
    // lengths across chunk boundaries, one too short to score, more streams than lanes
    const streams = [17, 1, 5, 6, 23, 2, 11, 0].map((n) => randomIds(rng, n, V));
    let bits = 0, chars = 0, oov = 0;
    const oovPoints = 1000;
    for (const ids of streams) {
      const s = new Stepper(m);
      for (let i = 1; i < ids.length; i++) {
        s.feed(ids[i - 1]);
        bits += -logSoftmax(s.logits(), ids[i]) / Math.LN2;
        if (ids[i] === unk) { oov++; bits += Math.log2(oovPoints); }
        chars++;
      }
    }
    assert.ok(oov > 0);
    for (const batch of [1, 2, 3]) {
      const r = evaluateStreams(m, streams, { unkId: unk, outOfVocabCodePoints: oovPoints, batch });
      assert.equal(r.chars, chars);
      assert.equal(r.oov, oov);
      assert.ok(Math.abs(r.bits - bits) < 1e-3, `batch ${batch}: ${r.bits} vs ${bits}`);
    }
    const noUnk = evaluateStreams(m, streams, {});
    assert.equal(noUnk.oov, 0);
    assert.ok(Math.abs(noUnk.bits - (bits - oov * Math.log2(oovPoints))) < 1e-3);
    assert.deepEqual(evaluateStreams(m, [], {}), { bits: 0, chars: 0, oov: 0 });
  });
});
