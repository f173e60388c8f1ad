// The logistic mixer: learns whom to trust, per context, online; snapshots; serialization.
import { strict as assert } from 'node:assert';
import { LogisticMixer, mixerContext, charClass, MIXER_CONTEXTS } from '../../src/complete/mixer';
import { Rng } from '../../src/engine/rng';

const V = 16;

/** A sharp random distribution: softmax of random logits × scale. */
function randomDist(rng: Rng, scale: number): Float32Array {
  const z = Array.from({ length: V }, () => rng.uniform(-1, 1) * scale);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e.map((x) => x / s));
}

/** A first-order Markov source over V ids with sharp transitions. */
class MarkovSource {
  readonly T: Float32Array[];
  constructor(private rng: Rng) {
    this.T = Array.from({ length: V }, () => randomDist(rng, 6));
  }
  next(prev: number): number {
    let u = this.rng.next();
    const row = this.T[prev];
    for (let s = 0; s < V; s++) { u -= row[s]; if (u < 0) return s; }
    return V - 1;
  }
}

/** Runs `steps` ids through the mixer; returns bits/char of each component and of the mixture over
 *  the last `tail` steps. comps(prev) gives the component distributions, ctx(prev) the context. */
function run(mixer: LogisticMixer, src: MarkovSource, steps: number, tail: number,
  comps: (prev: number) => Float32Array[], ctx: (prev: number) => number): { comp: number[]; mix: number } {
  const out = new Float32Array(V);
  const K = mixer.components;
  const bits = new Float64Array(K + 1);
  let prev = 0;
  for (let t = 0; t < steps; t++) {
    const d = comps(prev);
    mixer.mix(d, ctx(prev), out);
    const a = src.next(prev);
    if (t >= steps - tail) {
      for (let k = 0; k < K; k++) bits[k] -= Math.log2(d[k][a]);
      bits[K] -= Math.log2(out[a]);
    }
    mixer.update(a);
    prev = a;
  }
  return { comp: Array.from(bits.subarray(0, K), (b) => b / tail), mix: bits[K] / tail };
}

describe('LogisticMixer', () => {
  it('quickly learns to trust a good component over uniform noise', () => {
    const rng = new Rng(1);
    const src = new MarkovSource(rng);
    const uniform = new Float32Array(V).fill(1 / V);
    for (const noise of ['flat', 'random'] as const) {
      const mixer = new LogisticMixer(2, V, { contexts: 1 });
      const r = run(mixer, src, 3000, 2000,
        (prev) => [src.T[prev], noise === 'flat' ? uniform : randomDist(rng, 3)], () => 0);
      assert.ok(r.comp[1] > r.comp[0] + 1, `${noise}: the noise is much worse (${r.comp})`);
      assert.ok(r.mix < r.comp[0] + 0.05, `${noise}: mixture ${r.mix.toFixed(3)} vs good ${r.comp[0].toFixed(3)}`);
    }
  });

  it('beats both of two complementary components by trusting each in its own contexts', () => {
    const rng = new Rng(2);
    const src = new MarkovSource(rng);
    // A is right after even ids and confidently wrong after odd ones; B the other way round
    const wrong = (prev: number): Float32Array => src.T[(prev + 5) % V];
    const comps = (prev: number): Float32Array[] => prev % 2 === 0 ? [src.T[prev], wrong(prev)] : [wrong(prev), src.T[prev]];
    const mixer = new LogisticMixer(2, V, { contexts: 2 });
    const r = run(mixer, src, 6000, 3000, comps, (prev) => prev % 2);
    const best = Math.min(...r.comp);
    assert.ok(r.mix < best - 0.5, `mixture ${r.mix.toFixed(3)} vs components ${r.comp.map((b) => b.toFixed(3))}`);
    // and close to the truth (the source's own entropy rate, estimated the same way)
    const truth = run(new LogisticMixer(1, V, { contexts: 1, lr: 0, lrLinear: 0 }), src, 3000, 3000, (p) => [src.T[p]], () => 0);
    assert.ok(r.mix < truth.mix + 0.15, `mixture ${r.mix.toFixed(3)} vs truth ${truth.mix.toFixed(3)}`);
  });

  it('updates the geometric weights along the gradient of −log g(actual)', () => {
    const rng = new Rng(3);
    const K = 3;
    const dists = Array.from({ length: K }, () => randomDist(rng, 3));
    const m = new LogisticMixer(K, V, { contexts: 2, lr: 1e-3 });
    // put the blend at λ ≈ 0 in context 1, so the output is the geometric mixture alone
    const s = m.snapshot();
    const w = s.weights.slice();
    w.set([0.7, -0.2, 0.4], K);          // w of context 1
    w[4 * K + 1] = -100;                  // η of context 1 (layout: w, u, then η)
    m.restore({ weights: w });
    const out = new Float32Array(V);
    const actual = 5;
    const loss = (weights: Float32Array): number => {
      m.restore({ weights });
      return -Math.log(m.mix(dists, 1, out)[actual]);
    };
    const eps = 1e-3;
    const numeric = [0, 1, 2].map((k) => {
      const plus = w.slice(), minus = w.slice();
      plus[K + k] += eps; minus[K + k] -= eps;
      return (loss(plus) - loss(minus)) / (2 * eps);
    });
    m.restore({ weights: w });
    m.mix(dists, 1, out);
    m.update(actual);
    const after = m.snapshot().weights;
    for (let k = 0; k < K; k++) {
      const step = (after[K + k] - w[K + k]) / -1e-3;   // = the gradient the mixer used
      assert.ok(Math.abs(step - numeric[k]) < 1e-3 * (1 + Math.abs(numeric[k])), `w${k}: ${step} vs ${numeric[k]}`);
    }
    // context 0 was not touched
    assert.deepEqual(after.subarray(0, K), w.subarray(0, K));
  });

  it('snapshot() and restore() bring the weights back exactly', () => {
    const rng = new Rng(4);
    const src = new MarkovSource(rng);
    const m = new LogisticMixer(2, V, { contexts: 4 });
    const comps = (prev: number): Float32Array[] => [src.T[prev], randomDist(rng, 2)];
    run(m, src, 500, 1, comps, (p) => p % 4);
    const probe = [src.T[3], randomDist(rng, 2)];
    const before = m.mix(probe, 2, new Float32Array(V)).slice();
    const snap = m.snapshot();
    const bytes = m.serialize();
    run(m, src, 300, 1, comps, (p) => p % 4);   // "decoding" that learns
    assert.notDeepEqual(m.mix(probe, 2, new Float32Array(V)), before);
    m.restore(snap);
    assert.deepEqual(m.mix(probe, 2, new Float32Array(V)), before);
    assert.deepEqual(m.serialize(), bytes);
    assert.throws(() => m.restore({ weights: new Float32Array(3) }), /not of a mixer of this shape/);
  });

  it('round-trips through serialize() and refuses corrupted bytes', () => {
    const rng = new Rng(5);
    const src = new MarkovSource(rng);
    const m = new LogisticMixer(3, V, { contexts: 8, lr: 0.03, lrLinear: 0.02 });
    run(m, src, 400, 1, (p) => [src.T[p], randomDist(rng, 2), randomDist(rng, 1)], (p) => p % 8);
    const bytes = m.serialize();
    const back = LogisticMixer.deserialize(bytes);
    assert.equal(back.components, 3);
    assert.equal(back.contexts, 8);
    assert.ok(Math.abs(back.lr - 0.03) < 1e-7 && Math.abs(back.lrLinear - 0.02) < 1e-7);
    assert.deepEqual(back.serialize(), bytes);
    const probe = [src.T[1], src.T[2], src.T[3]];
    assert.deepEqual(back.mix(probe, 5, new Float32Array(V)), m.mix(probe, 5, new Float32Array(V)));
    for (let trial = 0; trial < 30; trial++) {
      const bad = bytes.slice();
      bad[rng.nextUint32() % bad.length] ^= 1 + (rng.nextUint32() % 255);
      assert.throws(() => LogisticMixer.deserialize(bad), /^Error: Not a valid mixer: [^\n]*\.$/);
    }
    assert.throws(() => LogisticMixer.deserialize(bytes.subarray(0, 8)), /too short/);
  });

  it('validates its inputs and never learns twice from one mix', () => {
    const m = new LogisticMixer(2, V, { contexts: 3 });
    const d = [new Float32Array(V).fill(1 / V), new Float32Array(V).fill(1 / V)];
    assert.throws(() => m.update(0), /needs a mix/);
    assert.throws(() => m.mix([d[0]], 0, new Float32Array(V)), /expected 2 distributions/);
    assert.throws(() => m.mix(d, 3, new Float32Array(V)), /context 3 is outside 0..2/);
    m.mix(d, 0, new Float32Array(V));
    assert.throws(() => m.update(V), /outside/);
    m.update(1);
    assert.throws(() => m.update(1), /needs a mix/);
    // a zero probability and a zero distribution stay finite
    const zero = new Float32Array(V);
    const spike = new Float32Array(V); spike[0] = 1;
    const out = m.mix([spike, zero], 1, new Float32Array(V));
    let sum = 0;
    for (const p of out) { assert.ok(Number.isFinite(p) && p > 0); sum += p; }
    assert.ok(Math.abs(sum - 1) < 1e-5);
    m.update(3);
  });

  it('maps characters and n-gram matches to contexts', () => {
    assert.equal(charClass('a'.charCodeAt(0)), 0);
    assert.equal(charClass(' '.charCodeAt(0)), 1);
    assert.equal(charClass('\n'.charCodeAt(0)), 2);
    assert.equal(charClass('('.charCodeAt(0)), 3);
    assert.equal(charClass('}'.charCodeAt(0)), 4);
    assert.equal(charClass('"'.charCodeAt(0)), 5);
    assert.equal(charClass(';'.charCodeAt(0)), 6);
    assert.equal(charClass(0x4e2d), 7);
    const seen = new Set<number>();
    for (const code of [-1, 97, 32, 10, 40, 41, 34, 59, 0x4e2d]) {
      for (let match = 0; match <= 10; match++) {
        const c = mixerContext(code, match, 10);
        assert.ok(c >= 0 && c < MIXER_CONTEXTS);
        seen.add(c);
      }
    }
    assert.equal(seen.size, MIXER_CONTEXTS);
    assert.notEqual(mixerContext(97, 10, 10), mixerContext(97, 9, 10), 'a full-order match has its own weights');
  });
});
