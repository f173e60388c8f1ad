// The Kneser-Ney character n-gram against a naive, independently written reference.
import { strict as assert } from 'node:assert';
import { CharNGram } from '../../src/complete/ngram';
import { Rng } from '../../src/engine/rng';

const CODE = `export function clamp(x: number, lo: number, hi: number): number {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

// the sum of the squares of the values
export function sumOfSquares(values: number[]): number {
  let total = 0;
  for (const v of values) total += v * v;
  return total;
}

export class Counter {
  private count = 0;
  increment(): number { return ++this.count; }
  reset(): void { this.count = 0; }
}
`;
const ENGLISH = 'the theory of the thing is that the other thread there then threw the three things to them. ';

function vocabOf(...texts: string[]): Map<string, number> {
  const v = new Map<string, number>();
  for (const t of texts) for (const ch of t) if (!v.has(ch)) v.set(ch, v.size);
  return v;
}

function encode(text: string, vocab: Map<string, number>): Int32Array {
  return Int32Array.from([...text].map((ch) => vocab.get(ch)!));
}

/** Interpolated modified Kneser-Ney written from the formulas with maps of strings, no tries:
 *  texts padded with order−1 BOS ids (id V), raw counts at the top order, continuation counts
 *  N1+(•g) (distinct ids before g) below, discounts from count-of-counts (clamped as documented). */
class NaiveKN {
  readonly counts: Map<string, number>[] = [];     // per level k = 1..order: k-gram key -> c_k
  readonly followers: Map<string, Map<number, number>>[] = [];   // per level: context key -> w -> c_k
  readonly D: number[][] = [];                      // per level [D1, D2, D3]
  readonly coc: number[][] = [];                    // per level [n1, n2, n3, n4]

  constructor(readonly order: number, readonly V: number, texts: Int32Array[]) {
    const raw = new Map<string, number>();
    const preds: Map<string, Set<number>>[] = [];
    for (let k = 0; k <= order; k++) preds.push(new Map());
    for (const ids of texts) {
      const padded = [...new Array(order - 1).fill(V), ...ids];
      for (let i = order - 1; i < padded.length; i++) {
        for (let k = 1; k <= order; k++) {
          const gram = padded.slice(i - k + 1, i + 1);
          const key = gram.join(',');
          if (k === order) raw.set(key, (raw.get(key) ?? 0) + 1);
          else {
            if (!preds[k].has(key)) preds[k].set(key, new Set());
            preds[k].get(key)!.add(padded[i - k]);
          }
        }
      }
    }
    for (let k = 1; k <= order; k++) {
      const c = new Map<string, number>();
      if (k === order) for (const [key, n] of raw) c.set(key, n);
      else for (const [key, s] of preds[k]) c.set(key, s.size);
      this.counts[k] = c;
      const f = new Map<string, Map<number, number>>();
      const n = [0, 0, 0, 0];
      for (const [key, cnt] of c) {
        const gram = key.split(',').map(Number);
        const ctx = gram.slice(0, -1).join(',');
        if (!f.has(ctx)) f.set(ctx, new Map());
        f.get(ctx)!.set(gram[gram.length - 1], cnt);
        if (cnt <= 4) n[cnt - 1]++;
      }
      this.followers[k] = f;
      this.coc[k] = n;
      const [n1, n2, n3, n4] = n;
      const Y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
      const d1 = n1 > 0 ? 1 - 2 * Y * n2 / n1 : 0.5;
      const d2 = n2 > 0 ? 2 - 3 * Y * n3 / n2 : d1;
      const d3 = n3 > 0 ? 3 - 4 * Y * n4 / n3 : d2;
      const cl = (x: number, hi: number): number => Math.min(hi, Math.max(0.1, x));
      this.D[k] = [cl(d1, 1), cl(d2, 2), cl(d3, 3)];
    }
  }

  /** p_k(w | the last k−1 ids of padded context). */
  prob(k: number, context: number[], w: number): number {
    if (k === 0) return 1 / this.V;
    const ctx = context.slice(context.length - (k - 1)).join(',');
    const f = this.followers[k].get(ctx);
    const lower = this.prob(k - 1, context, w);
    if (!f) return lower;
    let T = 0;
    const N = [0, 0, 0];
    for (const c of f.values()) { T += c; N[Math.min(c, 3) - 1]++; }
    const [D1, D2, D3] = this.D[k];
    const c = f.get(w) ?? 0;
    const d = c === 0 ? 0 : c === 1 ? D1 : c === 2 ? D2 : D3;
    const gamma = (D1 * N[0] + D2 * N[1] + D3 * N[2]) / T;
    return Math.max(c - d, 0) / T + gamma * lower;
  }

  /** The distribution after ids[0..end), padded with BOS. */
  predict(ids: ArrayLike<number>, end: number): number[] {
    const context = [...new Array(this.order - 1).fill(this.V), ...Array.from(ids).slice(0, end)];
    return Array.from({ length: this.V }, (_, w) => this.prob(this.order, context, w));
  }
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

describe('CharNGram (interpolated modified Kneser-Ney)', () => {
  it('gives distributions that sum to 1 at every order, for seen, unseen and short contexts', () => {
    const rng = new Rng(7);
    const V = 50;   // the text uses only ids below 30, so some ids are never seen
    const text = new Int32Array(3000);
    for (let i = 0; i < text.length; i++) text[i] = i % 7 === 0 ? rng.nextUint32() % 30 : (text[i - 1] * 3 + 1) % 30;
    for (let order = 1; order <= 10; order++) {
      const m = new CharNGram(order, V);
      m.addText(text);
      const out = new Float32Array(V);
      const ctx = new Int32Array(12);
      for (let trial = 0; trial < 60; trial++) {
        const kind = trial % 3;
        for (let i = 0; i < ctx.length; i++) {
          ctx[i] = kind === 0 ? text[(trial * 17 + i) % text.length]   // seen
            : kind === 1 ? 30 + (rng.nextUint32() % 20)                 // never seen
              : rng.nextUint32() % V;                                    // mixed
        }
        const end = trial % 13;   // also shorter than the order: padded with BOS
        m.predict(ctx, end, out);
        assert.ok(Math.abs(sum(out) - 1) < 1e-5, `order ${order}: sum ${sum(out)}`);
        for (let w = 0; w < V; w++) assert.ok(out[w] > 0, `order ${order}: p(${w}) = ${out[w]}`);
      }
    }
  });

  it('equals the naive formula for every id, orders 1 to 5, including overlays', () => {
    const vocab = vocabOf(CODE, ENGLISH);
    const V = vocab.size;
    const code = encode(CODE, vocab), english = encode(ENGLISH, vocab);
    for (let order = 1; order <= 5; order++) {
      const m = new CharNGram(order, V);
      m.addText(code);
      m.addText(english);
      const ref = new NaiveKN(order, V, [code, english]);
      // the overlay: code as the base, english added on top, must equal counting both
      const base = new CharNGram(order, V);
      base.addText(code);
      const overlay = base.withOverlay();
      overlay.addText(english);
      const out = new Float32Array(V), outO = new Float32Array(V);
      const probe = encode(ENGLISH.slice(0, 30) + CODE.slice(100, 160), vocab);
      for (let end = 0; end <= probe.length; end += 3) {
        const expected = ref.predict(probe, end);
        m.predict(probe, end, out);
        overlay.predict(probe, end, outO);
        for (let w = 0; w < V; w++) {
          assert.ok(Math.abs(out[w] - expected[w]) < 2e-6, `order ${order} end ${end} id ${w}: ${out[w]} vs ${expected[w]}`);
          assert.ok(Math.abs(outO[w] - expected[w]) < 2e-6, `overlay order ${order} end ${end} id ${w}: ${outO[w]} vs ${expected[w]}`);
        }
      }
    }
  });

  it('matches a trigram probability worked out by hand from the formula', () => {
    const text = 'the then there';   // padded: ␂␂the then there
    const vocab = vocabOf(text);
    const V = vocab.size;   // t h e ' ' n r = 6
    assert.equal(V, 6);
    const m = new CharNGram(3, V);
    m.addText(encode(text, vocab));
    // p(e | "th"). Level 3 (raw counts): "th" is followed by e three times: c=3, T=3, N3+=1.
    //   3-grams: the ×3, ␣th ×2, and ␂␂t ␂th he␣ e␣t hen en␣ n␣t her ere once → n1=9, n2=1, n3=1, n4=0
    //   → Y = 9/11, D1 = 9/11, D2 = 2 − 3·(9/11)·1/1 < 0 → clamped to 0.1, D3 = 3 − 0 = 3.
    //   So term3 = max(3 − 3, 0)/3 = 0 and γ3 = D3·1/3 = 1.
    // Level 2 (continuation counts N1+(•xy)): ␂t:1 th:2 (␂,␣) he:1 e␣:1 ␣t:2 (e,n) en:1 n␣:1 er:1 re:1
    //   → n1=7, n2=2 → Y = 7/11, D1 = 1 − 2·(7/11)·2/7 = 7/11.
    //   Context "h": follower e with N1+(•he) = |{t}| = 1, T = 1 → term2 = 1 − 7/11 = 4/11, γ2 = 7/11.
    // Level 1: N1+(•w): t:{␂,␣}=2 h:{t}=1 e:{h,r}=2 ␣:{e,n}=2 n:{e}=1 r:{e}=1, T = 9
    //   n1=3, n2=3 → Y = 1/3, D1 = 1 − 2·(1/3)·3/3 = 1/3, D2 = 2 − 0 = 2.
    //   γ1 = (1/3·3 + 2·3)/9 = 7/9 → p1(e) = (2 − 2)/9 + γ1/6 = 7/54.
    // p(e | "th") = 0 + 1·(4/11 + 7/11 · 7/54).
    const expected = 4 / 11 + 7 / 11 * 7 / 54;
    const out = new Float32Array(V);
    m.predict(encode('th', vocab), 2, out);
    assert.ok(Math.abs(out[vocab.get('e')!] - expected) < 1e-6, `${out[vocab.get('e')!]} vs ${expected}`);
    // p(h | "␣t"), through the clamped discounts. Level 3: "␣t" → h twice (c=2, T=2, N2=1):
    //   term3 = (2 − 0.1)/2 = 0.95, γ3 = 0.1·1/2 = 0.05.
    // Level 2, context "t": th has N1+ = 2, T = 2; D2 = 2 − 3·(7/11)·0/2 = 2 → term2 = 0, γ2 = 2·1/2 = 1.
    // Level 1: p1(h) = (1 − 1/3)/9 + 7/54 = 11/54.
    m.predict(encode(' t', vocab), 2, out);
    const expectedH = 0.95 + 0.05 * (0 + 1 * 11 / 54);
    assert.ok(Math.abs(out[vocab.get('h')!] - expectedH) < 1e-6, `${out[vocab.get('h')!]} vs ${expectedH}`);
    const ref = new NaiveKN(3, V, [encode(text, vocab)]);
    assert.deepEqual(ref.coc[3], [9, 1, 1, 0]);
    assert.deepEqual(ref.coc[2], [7, 2, 0, 0]);
    assert.deepEqual(ref.coc[1], [3, 3, 0, 0]);
  });

  it('scores held-out text of a repetitive source better at higher orders', () => {
    // a source of templated code lines: long-range structure that only long contexts see
    const rng = new Rng(3);
    const names = ['alpha', 'beta', 'gamma', 'delta', 'value', 'index', 'count'];
    const line = (): string => {
      const a = names[rng.nextUint32() % names.length], b = names[rng.nextUint32() % names.length];
      switch (rng.nextUint32() % 3) {
        case 0: return `  const ${a} = ${b}.length;\n`;
        case 1: return `  if (${a} > ${b}) return ${a};\n`;
        default: return `  for (const ${a} of ${b}) total += ${a};\n`;
      }
    };
    const gen = (lines: number): string => Array.from({ length: lines }, line).join('');
    const train = gen(1500), held = gen(200);
    const vocab = vocabOf(train, held);
    const bpc: number[] = [];
    for (const order of [1, 2, 3, 5, 8]) {
      const m = new CharNGram(order, vocab.size);
      m.addText(encode(train, vocab));
      bpc.push(m.bitsPerChar(encode(held, vocab)));
    }
    for (let i = 1; i < bpc.length; i++) assert.ok(bpc[i] < bpc[i - 1], `bits/char by order: ${bpc.map((b) => b.toFixed(3)).join(' ')}`);
    assert.ok(bpc[bpc.length - 1] < 0.5 * bpc[0]);
  });

  it('bits() is the sum of −log2 predict() over characters 2..N', () => {
    const vocab = vocabOf(CODE);
    const ids = encode(CODE, vocab);
    const m = new CharNGram(6, vocab.size);
    m.addText(ids.subarray(0, 300));
    const out = new Float32Array(vocab.size);
    let bits = 0;
    for (let i = 1; i < ids.length; i++) bits -= Math.log2(m.predict(ids, i, out)[ids[i]]);
    assert.ok(Math.abs(m.bits(ids) - bits) < 1e-3 * bits, `${m.bits(ids)} vs ${bits}`);
    assert.ok(Math.abs(m.bitsPerChar(ids) - bits / (ids.length - 1)) < 1e-3);
  });

  it('reports the order of the longest matching context', () => {
    const vocab = vocabOf(CODE, 'Z');
    const m = new CharNGram(5, vocab.size);
    m.addText(encode(CODE, vocab));
    const out = new Float32Array(vocab.size);
    m.predict(encode('return', vocab), 6, out);
    assert.equal(m.matchOrder, 5);
    m.predict(encode('retZ', vocab), 4, out);   // "Z" never seen: only the unigram level has counts
    assert.equal(m.matchOrder, 1);
  });

  it('overlays add a document and drop it again without touching the base', () => {
    const vocab = vocabOf(CODE, ENGLISH);
    const V = vocab.size;
    const base = new CharNGram(6, V);
    base.addText(encode(CODE, vocab));
    const doc = encode(ENGLISH, vocab);
    const before = base.bitsPerChar(doc);
    const overlay = base.withOverlay();
    assert.ok(Math.abs(overlay.bitsPerChar(doc) - before) < 1e-9, 'an empty overlay reads as its base');
    overlay.addText(doc);
    assert.ok(overlay.bitsPerChar(doc) < 0.5 * before, 'the document is now known');
    assert.ok(Math.abs(base.bitsPerChar(doc) - before) < 1e-9, 'the base is untouched');
    overlay.clear();
    assert.ok(Math.abs(overlay.bitsPerChar(doc) - before) < 1e-9, 'clear() drops the document');
    base.addText(doc);
    assert.throws(() => overlay.bitsPerChar(doc), /base n-gram changed/);
    assert.throws(() => overlay.withOverlay(), /cannot carry another overlay/);
    assert.throws(() => overlay.serialize(), /cannot be serialized/);
  });

  it('round-trips through serialize() exactly, and keeps counting after', () => {
    const vocab = vocabOf(CODE, ENGLISH);
    const V = vocab.size;
    for (const order of [1, 2, 4, 10]) {
      const m = new CharNGram(order, V);
      m.addText(encode(CODE, vocab));
      const bytes = m.serialize();
      const back = CharNGram.deserialize(bytes);
      assert.equal(back.order, order);
      assert.equal(back.vocabSize, V);
      assert.equal(back.chars, m.chars);
      assert.deepEqual(back.nodeCounts, m.nodeCounts);
      assert.deepEqual(back.serialize(), bytes);
      const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
      unaligned.set(bytes);
      assert.deepEqual(CharNGram.deserialize(unaligned).serialize(), bytes, 'bytes at any offset load');
      const probe = encode(ENGLISH + CODE.slice(0, 80), vocab);
      const a = new Float32Array(V), b = new Float32Array(V);
      for (let end = 0; end <= probe.length; end += 7) {
        assert.deepEqual(back.predict(probe, end, b), m.predict(probe, end, a), `order ${order} end ${end}`);
      }
      m.addText(encode(ENGLISH, vocab));
      back.addText(encode(ENGLISH, vocab));
      assert.equal(back.bits(probe), m.bits(probe));
      m.compact();
      assert.equal(m.bits(probe), back.bits(probe), 'compact() keeps the counts');
    }
  });

  it('refuses corrupted, truncated or inconsistent bytes with one sentence', () => {
    const vocab = vocabOf(CODE);
    const m = new CharNGram(4, vocab.size);
    m.addText(encode(CODE, vocab));
    const good = m.serialize();
    const expectRefused = (bytes: Uint8Array, pattern: RegExp): void => {
      assert.throws(() => CharNGram.deserialize(bytes), (e: Error) => {
        assert.match(e.message, /^Not a valid n-gram model: [^\n]*\.$/);
        assert.match(e.message, pattern);
        return true;
      });
    };
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const bad = good.slice();
      const at = rng.nextUint32() % bad.length;
      bad[at] ^= 1 + (rng.nextUint32() % 255);
      assert.throws(() => CharNGram.deserialize(bad), /^Error: Not a valid n-gram model/);
    }
    expectRefused(good.subarray(0, good.length - 4), /bytes where its header implies|checksum/);
    expectRefused(good.subarray(0, 12), /too short/);
    expectRefused(new Uint8Array(good.length), /signature/);
    // a consistent checksum over a broken structure: an internal node claiming too many children
    const forged = good.slice();
    const u32 = new Uint32Array(forged.buffer);
    const kids = new Uint16Array(forged.buffer, 32, 2);
    kids[1] += 1;   // the root's first child claims one more child
    let h = 0x811c9dc5;
    for (let i = 0; i < u32.length - 1; i++) h = Math.imul(h ^ u32[i], 0x01000193);
    u32[u32.length - 1] = h >>> 0;
    expectRefused(forged, /children|reachable|suffix|same id|range/);
  });

  it('validates its arguments with clear errors', () => {
    assert.throws(() => new CharNGram(0, 10), /order must be an integer/);
    assert.throws(() => new CharNGram(3, 0), /vocabulary size/);
    const m = new CharNGram(3, 4);
    assert.throws(() => m.addText(Int32Array.from([1, 4])), /id 4 at index 1 is outside the vocabulary/);
    assert.throws(() => m.predict(Int32Array.from([1, 2]), 3, new Float32Array(4)), /contextEnd 3/);
    assert.throws(() => m.predict(Int32Array.from([1, 2]), 2, new Float32Array(3)), /out holds 3/);
  });
});
