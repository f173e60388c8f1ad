// The adaptive predictor (src/complete/adaptive): it never sees the character it predicts (the
// leak test, per component and for the whole mixture, across streams), its count and match
// models on small strings, the mixer's gradient against finite differences, the SSE map, and the
// saved state refused when it is corrupt or not this predictor's.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdaptivePredictor, Ablation } from '../../src/complete/adaptive/adaptive-predictor';
import { scoreAdaptive } from '../../src/complete/adaptive/adaptive-score';
import { CountsComponent } from '../../src/complete/adaptive/counts-component';
import { HashedCounts, COUNT_CAP, ENTRIES } from '../../src/complete/adaptive/hashed-counts';
import { MatchModel, MIN_LEN } from '../../src/complete/adaptive/match-model';
import { ContextMixer } from '../../src/complete/adaptive/context-mixer';
import { Apm } from '../../src/complete/adaptive/sse';
import { LstmComponent, NextCharComponent, stepperLstm } from '../../src/complete/adaptive/component';
import { decodeAdaptiveState, encodeAdaptiveState, loadAdaptiveState, saveAdaptiveState } from '../../src/complete/adaptive/adaptive-state';
import { Stepper } from '../../src/engine/stepper';
import { Rng } from '../../src/engine/rng';
import { CODE, tinyModel } from './complete-fixture';

const model = tinyModel();
const V = model.V;

/** Every distribution a component gives reading ids from position 0 (outputs concatenated). */
function readAll(c: { predict(o: Float32Array[]): void; update(id: number): void; outputs: number }, ids: Int32Array): Float32Array[] {
  const outs = Array.from({ length: c.outputs }, () => new Float32Array(V));
  const seen: Float32Array[] = [];
  for (let i = 0; i < ids.length; i++) {
    c.predict(outs);
    const all = new Float32Array(c.outputs * V);
    outs.forEach((o, k) => all.set(o.subarray(0, V), k * V));
    seen.push(all);
    c.update(ids[i]);
  }
  return seen;
}

/** The first position at which two runs' distributions differ in any bit (−1: none). */
function firstDifference(a: Float32Array[], b: Float32Array[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = new Uint32Array(a[i].buffer), y = new Uint32Array(b[i].buffer);
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return i;
  }
  return -1;
}

/** Two texts sharing their first n characters, then different at every position. */
function forkedTexts(n: number): [Int32Array, Int32Array] {
  const shared = CODE.slice(0, n);
  const a = model.encode(shared + CODE.slice(n, n + 120));
  const b = model.encode(shared + CODE.slice(n, n + 120).replace(/[a-z]/g, (ch) => (ch === 'e' ? 't' : 'e')));
  assert.notEqual(a[n], b[n]);
  return [a, b];
}

function mixtureRun(ids: Int32Array, warm: Int32Array | null, without: Ablation[] = []): Float32Array[] {
  const p = new AdaptivePredictor(model, { without: new Set(without), tableBits: 12 });
  if (warm) scoreAdaptive(p, model, [warm]);    // an earlier stream: what it taught carries over
  p.reset();
  const out = new Float32Array(V), seen: Float32Array[] = [];
  for (let i = 0; i < ids.length; i++) { seen.push(p.predict(out).slice()); p.update(ids[i]); }
  return seen;
}

describe('adaptive predictor', () => {
  describe('never sees the character it predicts', () => {
    const n = 150;
    const [a, b] = forkedTexts(n);
    const components: [string, () => NextCharComponent][] = [
      ['lstm', () => new LstmComponent(stepperLstm(new Stepper(model.rnn)))],
      ['counts (corpus and every stream order)', () => new CountsComponent(V, { corpus: model.ngram, tableBits: 12, expose: 'every' })],
      ['match', () => new MatchModel(V, { hashBits: 12 })],
    ];
    for (const [name, make] of components) {
      it(`${name}: identical up to the fork, different after it`, () => {
        // position n predicts the first character that differs, from the shared prefix only: the
        // predictions may differ from n + 1 on (the match model's only once a match starts)
        const d = firstDifference(readAll(make(), a), readAll(make(), b));
        if (name === 'match') assert.ok(d > n, `match differs at ${d}, at or before the fork at ${n}`);
        else assert.equal(d, n + 1, `${name}: first difference at ${d}, the fork is at ${n}`);
      });
    }
    it('the whole adaptive mixture, after an earlier stream, and with each part removed', () => {
      const warm = model.encode(CODE.slice(200));
      for (const without of [[], ['sse'], ['ctxmix'], ['match'], ['counts'], ['lstm']] as Ablation[][]) {
        const d = firstDifference(mixtureRun(a, warm, without), mixtureRun(b, warm, without));
        assert.equal(d, n + 1, `without ${without.join(',') || 'nothing'}: first difference at ${d}, the fork is at ${n}`);
      }
    });
  });

  describe('counts', () => {
    it('back off from order to order with absolute discounting, counted right after each character', () => {
      const ids = model.encode('abab');
      const c = new CountsComponent(V, { corpus: null, orders: [1, 2], expose: 'every', tableBits: 8 });
      readAll(c, ids);
      const [q1, q2] = [new Float32Array(V), new Float32Array(V)];
      c.predict([q1, q2]);
      const [ia, ib] = [ids[0], ids[1]];
      // after "abab": order 1 (context "b") saw "a" once; order 2 (context "ab") saw "a" once
      const u = 1 / V;
      assert.ok(Math.abs(q1[ia] - (0.5 + 0.5 * u)) < 1e-6, `q1(a) = ${q1[ia]}`);
      assert.ok(Math.abs(q1[ib] - 0.5 * u) < 1e-6);
      assert.ok(Math.abs(q2[ia] - (0.5 + 0.5 * q1[ia])) < 1e-6, `q2(a) = ${q2[ia]}`);
      assert.ok(Math.abs(q2.reduce((s, x) => s + x, 0) - 1) < 1e-5);
      assert.equal(c.highest, 2);
      assert.equal(c.deterministic, true);
      c.update(ib);     // "ababb": context "b" has now seen a and b
      c.predict([q1, q2]);
      assert.equal(c.highest, 1, 'the context "bb" was never seen');
      assert.ok(Math.abs(q1[ia] - (0.5 / 2 + (0.5 * 2 / 2) * u)) < 1e-6);
      assert.deepEqual(Array.from(q2), Array.from(q1), 'an unseen context passes the order below through');
    });

    it('a new stream starts from no context but keeps its counts', () => {
      const ids = model.encode('ret');
      const c = new CountsComponent(V, { corpus: null, orders: [1, 2], tableBits: 8 });
      const q = [new Float32Array(V)];
      readAll(c, ids);
      c.reset();
      c.predict(q);
      assert.equal(c.highest, 2, 'the start of a stream (BOS) was seen followed by "r"');
      assert.ok(q[0][ids[0]] > 0.5);
    });

    it('the hashed table halves a slot at its cap and gives the least counted place to a newcomer', () => {
      const t = new HashedCounts(4);
      const s = t.claim(12345);
      const syms = new Int32Array(16), counts = new Int32Array(16);
      for (let i = 0; i < COUNT_CAP - 1; i++) t.add(s, 3);
      t.add(s, 4);
      assert.deepEqual([t.followers(s, syms, counts), syms[0], counts[0], counts[1]], [2, 3, COUNT_CAP - 1, 1]);
      t.add(s, 3);                               // reaches the cap: every count halves, 1 → 0 drops out
      assert.deepEqual([t.followers(s, syms, counts), syms[0], counts[0]], [1, 3, COUNT_CAP >> 1]);
      for (let k = 0; k < ENTRIES + 1; k++) t.add(s, 10 + k);
      const n = t.followers(s, syms, counts);
      assert.equal(n, ENTRIES);
      assert.ok(Array.from(syms.subarray(0, n)).includes(3), 'the most counted follower stays');
      assert.equal(t.find(999), -1);
      assert.equal(t.find(12345), s);
    });
  });

  describe('match model', () => {
    it('finds the longest earlier occurrence, predicts what followed, and gives its continuation', () => {
      const text = 'const value = 1;\nlet x = 2;\nconst val';
      const ids = model.encode(text);
      const m = new MatchModel(V, { hashBits: 10 });
      const q = [new Float32Array(V)];
      readAll(m, ids);
      m.predict(q);
      assert.equal(m.predicted, model.encode('u')[0]);
      assert.equal(m.length, 'const val'.length, 'the match is as long as the text allows (the first one starts the text)');
      assert.equal(String.fromCharCode(...Array.from(m.continuation(6), (id) => model.codes[id])), 'ue = 1');
      assert.ok(q[0][m.predicted] > q[0][model.encode('x')[0]]);
      m.update(model.encode('u')[0]);
      m.predict(q);
      assert.equal(m.length, 'const val'.length + 1);
      m.update(model.encode('x')[0]);     // wrong: the match ends
      m.predict(q);
      assert.equal(m.predicted, -1);
      assert.ok(Math.abs(q[0][0] - 1 / V) < 1e-7, 'no match: uniform');
    });

    it('learns its confidence per length bucket, and needs MIN_LEN characters to start', () => {
      const m = new MatchModel(V, { hashBits: 10 });
      const line = model.encode('return this.count;\n');
      const q = [new Float32Array(V)];
      let firstConfidence = -1;
      for (let r = 0; r < 6; r++) {
        for (let i = 0; i < line.length; i++) {
          m.predict(q);
          if (r === 0) assert.equal(m.predicted, -1, 'nothing to match in the first copy');
          if (r === 1 && i === MIN_LEN && firstConfidence < 0) firstConfidence = m.confidence;
          m.update(line[i]);
        }
      }
      m.predict(q);
      assert.ok(m.predicted === line[0] && m.length > 20);
      assert.ok(m.confidence > 0.9, `after many right guesses, confidence ${m.confidence}`);
    });
  });

  describe('context mixer', () => {
    const rng = new Rng(3);
    const dist = () => {
      const z = Array.from({ length: V }, () => Math.exp(rng.uniform(-3, 3)));
      const s = z.reduce((x, y) => x + y, 0);
      return Float32Array.from(z, (x) => x / s);
    };
    const loss = (m: ContextMixer, inputs: Float32Array[], a: number) => -Math.log(m.mix(inputs, [0, 0, 0], 0, new Float32Array(V))[a]);

    it('layer 1: the gradient of −ln g(a) matches finite differences', () => {
      const K = 4, a = 5;
      const m = new ContextMixer({ inputs: K, vocabSize: V, selectors: [1], finalContexts: 1 });
      for (let k = 0; k < K; k++) m.weights[k] = rng.uniform(-0.5, 1);
      const inputs = Array.from({ length: K }, dist);
      loss(m, inputs, a);
      const g = m.gradient(a);
      for (let k = 0; k < K; k++) {
        const w = m.weights[k], eps = 1e-3;
        m.weights[k] = w + eps; const up = loss(m, inputs, a);
        m.weights[k] = w - eps; const down = loss(m, inputs, a);
        m.weights[k] = w;
        const fd = (up - down) / (2 * eps);
        assert.ok(Math.abs(fd - g[k]) < 2e-3 * Math.max(1, Math.abs(fd)), `w${k}: analytic ${g[k]}, finite differences ${fd}`);
      }
    });

    it('layer 2: the gradient of −ln out(a) matches finite differences', () => {
      const K = 3, M = 3, a = 2;
      const m = new ContextMixer({ inputs: K, vocabSize: V, selectors: [1, 1, 1], finalContexts: 1 });
      for (let i = 0; i < m.weights.length; i++) m.weights[i] = rng.uniform(-0.5, 1);
      const inputs = Array.from({ length: K }, dist);
      loss(m, inputs, a);
      const g = m.gradient(a);
      for (let j = 0; j < M; j++) {
        const at = M * K + j, w = m.weights[at], eps = 1e-3;
        m.weights[at] = w + eps; const up = loss(m, inputs, a);
        m.weights[at] = w - eps; const down = loss(m, inputs, a);
        m.weights[at] = w;
        const fd = (up - down) / (2 * eps);
        assert.ok(Math.abs(fd - g[M * K + j]) < 2e-3 * Math.max(1, Math.abs(fd)), `v${j}: analytic ${g[M * K + j]}, finite differences ${fd}`);
      }
    });

    it('learns to trust the input that is right, per context', () => {
      const m = new ContextMixer({ inputs: 2, vocabSize: V, selectors: [2], finalContexts: 1 });
      const out = new Float32Array(V);
      let late = 0;
      for (let t = 0; t < 3000; t++) {
        const a = t % V, ctx = t & 1;
        const right = new Float32Array(V).fill(0.1 / (V - 1)); right[a] = 0.9;
        const wrong = dist();
        // in context 0 the first input is right, in context 1 the second
        m.mix(ctx === 0 ? [right, wrong] : [wrong, right], [ctx], 0, out);
        if (t >= 2500) late += -Math.log2(out[a]);
        m.update(a);
      }
      assert.ok(late / 500 < -Math.log2(0.8), `late bits/char ${late / 500}`);
    });
  });

  it('SSE: the map starts as the identity and learns what a probability really means', () => {
    const apm = new Apm(2);
    assert.ok(Math.abs(apm.refine(0.3, 0) - 0.3) < 0.02);
    for (let i = 0; i < 2000; i++) { apm.refine(0.3, 1); apm.update(i % 10 < 9 ? 1 : 0); }
    assert.ok(Math.abs(apm.refine(0.3, 1) - 0.9) < 0.03, `context 1 at 0.3: ${apm.refine(0.3, 1)}`);
    assert.ok(Math.abs(apm.refine(0.3, 0) - 0.3) < 0.02, 'context 0 untouched');
  });

  describe('saved state', () => {
    const learned = () => {
      const p = new AdaptivePredictor(model, { tableBits: 10 });
      scoreAdaptive(p, model, [model.encode(CODE)]);
      return p;
    };
    const predictAfterReset = (p: AdaptivePredictor) => { p.forgetText(); p.reset(); return p.predict(new Float32Array(V)).slice(); };

    it('round-trips: a predictor loaded from the bytes predicts as the one that learned', () => {
      const p = learned();
      const bytes = encodeAdaptiveState(p, model.vocab.chars);
      const q = new AdaptivePredictor(model, { tableBits: 10 });
      const before = predictAfterReset(new AdaptivePredictor(model, { tableBits: 10 }));
      decodeAdaptiveState(bytes, q, model.vocab.chars);
      const want = predictAfterReset(p), got = predictAfterReset(q);
      for (let s = 0; s < V; s++) assert.ok(Math.abs(want[s] - got[s]) < 1e-6);
      assert.ok(before.some((x, s) => Math.abs(x - got[s]) > 1e-4), 'what was learned changes the predictions');
    });

    it('refuses corrupt bytes, another vocabulary and another shape, leaving the predictor fresh', () => {
      const bytes = encodeAdaptiveState(learned(), model.vocab.chars);
      const fresh = () => new AdaptivePredictor(model, { tableBits: 10 });
      const untouched = predictAfterReset(fresh());
      const corrupt = bytes.slice(); corrupt[40] ^= 0x10;
      const otherVocab = [...model.vocab.chars]; otherVocab[3] = '\u2603';
      const cases: [string, () => void, RegExp][] = [
        ['corrupt', () => decodeAdaptiveState(corrupt, q, model.vocab.chars), /checksum does not match/],
        ['truncated', () => decodeAdaptiveState(bytes.subarray(0, 30), q, model.vocab.chars), /too short|checksum/],
        ['another vocabulary', () => decodeAdaptiveState(bytes, q, otherVocab), /another vocabulary/],
        ['another shape', () => decodeAdaptiveState(bytes, new AdaptivePredictor(model, { without: new Set(['sse']) }), model.vocab.chars), /another shape/],
      ];
      let q = fresh();
      for (const [what, f, re] of cases) {
        q = fresh();
        assert.throws(f, (e: Error) => re.test(e.message) && /^The adaptive predictor's saved state cannot be used: [^\n]+\.$/.test(e.message), what);
        assert.deepEqual(Array.from(predictAfterReset(q)), Array.from(untouched), `${what}: the predictor is left as new`);
      }
    });

    it('a refused file beside the model gives one sentence and is learned again', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-adaptive-'));
      try {
        const file = path.join(dir, 'model.adaptive.bin');
        const p = learned();
        saveAdaptiveState(file, p, model.vocab.chars);
        const q = new AdaptivePredictor(model, { tableBits: 10 });
        assert.deepEqual(loadAdaptiveState(file, q, model.vocab.chars), { loaded: true });
        const bytes = fs.readFileSync(file); bytes[bytes.length - 9] ^= 1; fs.writeFileSync(file, bytes);
        const r = loadAdaptiveState(file, new AdaptivePredictor(model, { tableBits: 10 }), model.vocab.chars);
        assert.equal(r.loaded, false);
        assert.match(r.notice!, /^The adaptive predictor's saved state cannot be used: the checksum does not match \(the data is corrupted\) \(.*\); it is learned again from the start\.$/);
        assert.deepEqual(loadAdaptiveState(path.join(dir, 'none.bin'), q, model.vocab.chars), { loaded: false });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('a decoder looks ahead (advance) and comes back (restore) without changing what it predicts', () => {
    const ids = model.encode(CODE), cut = 260;
    const straight = mixtureRun(ids, null);
    const p = new AdaptivePredictor(model, { tableBits: 12 });
    const out = new Float32Array(V), seen: Float32Array[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i === cut) {
        const at = p.save();
        const guess = model.encode('  return this.count + 1;\n');   // a continuation tried, right or wrong
        for (const g of guess) { p.predict(out); p.advance(g); }
        assert.ok(p.continuation(5).length >= 0);
        p.restore(at);
      }
      seen.push(p.predict(out).slice());
      p.update(ids[i]);
    }
    assert.equal(firstDifference(straight, seen), -1, 'looking ahead left a trace');
    p.predict(out);
    p.advance(ids[0]);
    assert.throws(() => p.update(ids[1]), /restore\(\) the position first/);
  });

  it('learns while reading: a second copy of a text costs far fewer bits than the first', () => {
    const p = new AdaptivePredictor(model, { tableBits: 12 });
    const ids = model.encode(CODE.replace(/count/g, 'tally').replace(/greet/g, 'welcome'));
    const first = scoreAdaptive(p, model, [ids]), second = scoreAdaptive(p, model, [ids]);
    assert.ok(second.bits < first.bits * 0.5, `first ${first.bits / first.chars} bits/char, second ${second.bits / second.chars}`);
    assert.deepEqual(Object.keys(first.components), ['lstm', 'counts', 'match']);
  });
});
