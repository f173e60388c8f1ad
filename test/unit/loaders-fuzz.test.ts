// Fuzzing the loaders of what LSTM Lens reads from disk: mutated bytes of a valid checkpoint and
// of a valid n-gram file (flipped bytes, cuts, a rewritten header length, JSON values swapped for
// hostile ones). A decoder must return something valid or throw a plain Error of one sentence;
// never a TypeError or RangeError from inside, never a hang. Seeded, so a failure replays.
import { strict as assert } from 'node:assert';
import { decodeCheckpoint, encodeCheckpoint, UNK } from '../../src/engine/checkpoint';
import { paramLayout } from '../../src/engine/params';
import { buildCorpusNGram, decodeNGramFile, encodeNGramFile } from '../../src/complete/ngram-file';
import { Rng } from '../../src/engine/rng';

/** The engine's seeded generator, so every run fuzzes the same inputs. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/** Values that pass a careless check: huge, negative, fractional, of the wrong type, deeply nested. */
function hostileValue(r: Rand): unknown {
  const pick = int(r, 12);
  switch (pick) {
    case 0: return 1e308 * (r() < 0.5 ? 1 : -1);
    case 1: return -1;
    case 2: return 0.5;
    case 3: return 2 ** 53 + 2;
    case 4: return 'x'.repeat(int(r, 40));
    case 5: return null;
    case 6: return [];
    case 7: return {};
    case 8: return JSON.parse('['.repeat(3000) + ']'.repeat(3000));
    case 9: return [[1, 2], [3]];
    case 10: return 1e6;
    default: return true;
  }
}

/** One mutation of `bytes`, whose JSON header is at [jsonStart, jsonEnd). */
function mutate(r: Rand, bytes: Uint8Array, jsonStart: number, jsonEnd: number, rewrite: (json: string) => Uint8Array): Uint8Array {
  const out = bytes.slice();
  switch (int(r, 6)) {
    case 0: {   // flip a few bytes, mostly in the header
      for (let k = 1 + int(r, 4); k > 0; k--) {
        const at = r() < 0.8 ? jsonStart + int(r, jsonEnd - jsonStart) : int(r, out.length);
        out[at] ^= 1 << int(r, 8);
      }
      return out;
    }
    case 1: return out.subarray(0, int(r, out.length));   // cut short
    case 2: {   // grow: random bytes after the end
      const more = new Uint8Array(out.length + 1 + int(r, 64));
      more.set(out);
      for (let i = out.length; i < more.length; i++) more[i] = int(r, 256);
      return more;
    }
    case 3: {   // a header length that lies
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const lies = [0, 1, 7, out.length, out.length * 2, 0xffffffff, jsonEnd - jsonStart + 4 * (int(r, 5) - 2)];
      if (jsonStart === 8) dv.setBigUint64(0, BigInt(lies[int(r, lies.length)]), true);
      else dv.setUint32(jsonStart - 4, lies[int(r, lies.length)] >>> 0, true);
      return out;
    }
    default: {   // a JSON value swapped for a hostile one, the file otherwise consistent
      let json: string;
      try {
        json = swapJsonValue(r, new TextDecoder().decode(bytes.subarray(jsonStart, jsonEnd)));
      } catch {
        out[jsonStart + int(r, jsonEnd - jsonStart)] ^= 0xff;   // not JSON there (binary counts)
        return out;
      }
      return rewrite(json);
    }
  }
}

/** The JSON text with one value somewhere inside (nested metadata strings included) replaced. */
function swapJsonValue(r: Rand, text: string): string {
  const root = JSON.parse(text);
  if (r() < 0.05) return JSON.stringify(hostileValue(r));   // the whole header
  const visit = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string' && depth > 0 && /^[[{]/.test(node) && r() < 0.6) {
      try { return JSON.stringify(visit(JSON.parse(node), depth + 1)); } catch { return node; }
    }
    if (node === null || typeof node !== 'object') return r() < 0.3 ? hostileValue(r) : node;
    const keys = Object.keys(node as object);
    if (keys.length === 0) return hostileValue(r);
    const key = keys[int(r, keys.length)];
    const copy: Record<string, unknown> = Array.isArray(node) ? [...node] as unknown as Record<string, unknown> : { ...(node as object) };
    copy[key] = r() < 0.25 ? hostileValue(r) : visit(copy[key], depth + 1);
    if (r() < 0.1) delete copy[key];
    return copy;
  };
  return JSON.stringify(visit(root, 0));
}

/** A decoder's failure must be a plain Error whose message is one sentence. */
function assertOneSentenceError(e: unknown, input: string): void {
  assert.ok(e instanceof Error, `${input}: threw ${String(e)}`);
  assert.equal(e.constructor, Error, `${input}: threw a ${e.constructor.name}: ${e.message}`);
  assert.ok(!e.message.includes('\n') && /\.$/.test(e.message) && e.message.length < 600, `${input}: not one sentence: ${e.message.slice(0, 600)}`);
}

const CASES = 1500;

describe('fuzzing the loaders', function () {
  this.timeout(120_000);

  it('decodeCheckpoint: mutated checkpoints decode to a valid checkpoint or fail in one sentence', function () {
    const config = { cell: 'lstm' as const, layers: 2, hidden: 3, vocabSize: 4, dropout: 0 };
    const params = new Float32Array(paramLayout(config).total).map((_, i) => Math.sin(i));
    const valid = encodeCheckpoint({
      config, vocab: ['a', 'b', '\n', UNK], params, train: { seqLength: 8 },
      training: { steps: 3, charsSeen: 90, elapsedMs: 12, valBpcHistory: [[90, 2.5]] }, cells: [{ label: 'quote', layer: 0, index: 1 }],
    });
    const headerLen = Number(new DataView(valid.buffer).getBigUint64(0, true));
    const data = valid.subarray(8 + headerLen);
    const rewrite = (json: string): Uint8Array => {
      const utf8 = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + utf8.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(utf8.length), true);
      out.set(utf8, 8);
      out.set(data, 8 + utf8.length);
      return out;
    };
    const r = rng(12);
    let decoded = 0, refused = 0;
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(r, valid, 8, 8 + headerLen, rewrite);
      const t0 = Date.now();
      try {
        const ck = decodeCheckpoint(bytes);
        encodeCheckpoint(ck);   // what decoded is a checkpoint the engine accepts
        decoded++;
      } catch (e) {
        assertOneSentenceError(e, `case ${i}`);
        refused++;
      }
      assert.ok(Date.now() - t0 < 2000, `case ${i} took ${Date.now() - t0} ms`);
    }
    assert.ok(refused > CASES / 2 && decoded > 0, `decoded ${decoded}, refused ${refused}`);
  });

  it('decodeNGramFile: mutated n-gram files decode or fail in one sentence', function () {
    const text = 'function add(a, b) {\n  return a + b;\n}\n'.repeat(20);
    const vocab = [...new Set(text)].sort();
    const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch));
    const valid = encodeNGramFile(buildCorpusNGram(ids, vocab.length), vocab, ['.js'], { files: ['a.js'], streams: ['x = 1;\n'] });
    const metaLen = new DataView(valid.buffer).getUint32(8, true);
    const body = valid.subarray(12 + metaLen);
    const rewrite = (json: string): Uint8Array => {
      const utf8 = new TextEncoder().encode(json);
      const padded = Math.ceil(utf8.length / 4) * 4;
      const out = new Uint8Array(12 + padded + body.length).fill(0x20, 12, 12 + padded);
      out.set(valid.subarray(0, 8));
      new DataView(out.buffer).setUint32(8, padded, true);
      out.set(utf8, 12);
      out.set(body, 12 + padded);
      return out;
    };
    const r = rng(34);
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      // half the mutations go to the counts' own bytes, not only the header
      const bytes = r() < 0.5 ? mutate(r, valid, 12, 12 + metaLen, rewrite) : mutate(r, valid, 12 + metaLen, valid.length, () => valid.slice());
      const t0 = Date.now();
      try {
        decodeNGramFile(bytes);
      } catch (e) {
        assertOneSentenceError(e, `case ${i}`);
        refused++;
      }
      assert.ok(Date.now() - t0 < 2000, `case ${i} took ${Date.now() - t0} ms`);
    }
    assert.ok(refused > CASES / 4, `refused ${refused}`);
  });
});
