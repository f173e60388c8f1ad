// Completions: the per-document state cache (what a keystroke costs, what an edit invalidates,
// the memory bound), the decoding rules, and bad input (long lines, big files, characters
// outside the vocabulary).
import { strict as assert } from 'node:assert';
import { decode, StepSource } from '../../src/complete/decode';
import { Completer, CompletionRequest } from '../../src/complete/completer';
import { finishCompletion, lineContext, openBrackets, startsAfterIndent } from '../../src/complete/rules';
import { decodeSettings, DecodeSettings } from '../../src/complete/decode-settings';
import { Stepper } from '../../src/engine/stepper';
import { CompletionModel } from '../../src/complete/completion-model';
import { warmMixer } from '../../src/complete/score';
import { LogisticMixer } from '../../src/complete/mixer';
import { CODE, HEADER, tinyModel, tinyParts } from './complete-fixture';

/** Counts the characters every Stepper reads (one by one or primed in blocks) while fn runs. */
function countFeeds<T>(fn: () => T): { feeds: number; result: T } {
  const proto = Stepper.prototype as unknown as { feed(id: number): void; primeLayerwise(ids: Int32Array): void };
  const feed = proto.feed, prime = proto.primeLayerwise;
  let feeds = 0;
  proto.feed = function (this: Stepper, id: number) { feeds++; return feed.call(this, id); };
  proto.primeLayerwise = function (this: Stepper, ids: Int32Array) { feeds += ids.length; return prime.call(this, ids); };
  try {
    return { result: fn(), feeds };
  } finally {
    proto.feed = feed; proto.primeLayerwise = prime;
  }
}

const ALWAYS: DecodeSettings = decodeSettings({ threshold: Infinity, maxChars: 30 });

function req(text: string, offset: number, settings: DecodeSettings = ALWAYS, docId = 'doc'): CompletionRequest {
  return { docId, text, offset, header: HEADER, settings };
}

/** A document of n lines like CODE. */
function longDoc(lines: number): string {
  const src = CODE.split('\n');
  return Array.from({ length: lines }, (_, i) => src[i % src.length]).join('\n') + '\n';
}

describe('completion state cache', () => {
  const model = tinyModel();

  it('a keystroke costs the characters since the nearest cached state, plus the generated ones', () => {
    const engine = new Completer(model);
    let text = longDoc(60);
    let first = countFeeds(() => engine.complete(req(text, text.length)));
    assert.ok(first.feeds > 500, `the first request reads the context (${first.feeds})`);
    // type three characters at the end, one request after each
    for (const ch of ['exp', 'o', 'r']) {
      const at = text.length;
      text += ch;
      engine.edit('doc', at, at, ch.length);
      const r = countFeeds(() => engine.complete(req(text, text.length)));
      // decoding pushes every generated character but the last into the LSTM (steps − 1); a
      // keystroke that follows the completion shown decodes nothing (0 steps)
      assert.equal(r.feeds, ch.length + Math.max(0, r.result.steps - 1), `typed ${JSON.stringify(ch)}: ${r.feeds} feeds, ${r.result.steps} steps`);
      assert.equal(r.result.fed, ch.length);
    }
    // the cursor moves back to the middle of a line read before: from that line's start
    const lineStart = text.indexOf('  return a + b;', 500);
    first = countFeeds(() => engine.complete(req(text, lineStart + 7)));
    assert.equal(first.result.fed, 7);
  });

  it('reads a document not seen before from a bounded window after the file header', () => {
    const engine = new Completer(model, { window: 800 });
    const text = longDoc(2000);
    const r = engine.complete(req(text, text.length));
    assert.ok(r.fed <= HEADER.length + 800 + 1, `read ${r.fed}`);
    assert.ok(r.fed >= 700);
  });

  it('an edit invalidates the states after it, and reading on gives the state of a fresh reading', () => {
    const settings = decodeSettings({ component: 'lstm', threshold: Infinity, maxChars: 20 });
    const engine = new Completer(model);
    let text = longDoc(40);
    engine.complete(req(text, text.length, settings));
    const doc = engine.cache.peek('doc')!;
    assert.ok(doc.entries.length > 30, 'states at line starts');
    // replace a word in the middle
    const at = text.indexOf('greet', 400);
    text = text.slice(0, at) + 'salute' + text.slice(at + 5);
    engine.edit('doc', at, at + 5, 6);
    assert.ok(doc.entries.every((e) => e.pos <= at), 'no state after the edit survives');
    const kept = doc.nearest(at)!.pos;
    const r = engine.complete(req(text, text.length, settings));
    assert.equal(r.fed, text.length - kept);
    const cached = engine.predictor.stepper.saveState();
    const fresh = new Completer(model);
    fresh.complete(req(text, text.length, settings));
    const ref = fresh.predictor.stepper.saveState();
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - cached[i]));
    assert.ok(maxDiff < 1e-4, `state after the edit differs from a fresh reading by ${maxDiff}`);
    // an edit wholly before the anchor of a windowed reading shifts the states instead
    const windowed = new Completer(model, { window: 300 });
    windowed.complete(req(text, text.length, settings));
    const wdoc = windowed.cache.peek('doc')!;
    const n = wdoc.entries.length, anchor = wdoc.anchor;
    windowed.edit('doc', 10, 10, 4);
    assert.equal(wdoc.entries.length, n);
    assert.equal(wdoc.anchor, anchor + 4);
  });

  it('keeps memory bounded, evicting the least recently used documents', () => {
    const stateBytes = model.stateSize * 4;
    const engine = new Completer(model, { maxBytes: 120 * stateBytes, maxStatesPerDoc: 100 });
    const text = longDoc(150);
    for (const id of ['a', 'b', 'c', 'd']) {
      engine.complete(req(text, text.length, ALWAYS, id));
      assert.ok(engine.cache.bytes <= 120 * stateBytes, `${engine.cache.bytes} bytes`);
      assert.ok(engine.cache.peek(id)!.entries.length <= 100);
    }
    assert.ok(engine.cache.has('d'), 'the document in use stays');
    assert.ok(!engine.cache.has('a'), 'the least recently used went first');
    // using b again makes c the oldest
    if (engine.cache.has('b')) {
      engine.complete(req(text, 50, ALWAYS, 'b'));
      engine.complete(req(text, text.length, ALWAYS, 'e'));
      assert.ok(engine.cache.has('b'));
    }
  });
});

/** A scripted model over a few characters: the next-character distribution is a function of
 *  the text generated so far. */
class Script implements StepSource<string> {
  readonly chars = [' ', '\n', 'a', 'b', 'c', '(', ')', '{', '}', ';', '\uFFFF'];
  readonly codes = Int32Array.from(this.chars.map((c, i) => (i === this.chars.length - 1 ? -1 : c.codePointAt(0)!)));
  readonly V = this.chars.length;
  text = '';
  dists = 0;
  constructor(private readonly next: (text: string) => Record<string, number | undefined>) {}
  dist(out: Float32Array): Float32Array {
    this.dists++;
    out.fill(0);
    const d = this.next(this.text);
    for (const [ch, p] of Object.entries(d)) out[this.chars.indexOf(ch)] = p ?? 0;
    return out;
  }
  push(id: number): void { this.text += this.chars[id]; }
  save(): string { return this.text; }
  restore(s: string): void { this.text = s; }
  str(ids: Int32Array): string { return [...ids].map((i) => this.chars[i]).join(''); }
}

const line = { strategy: 'greedy' as const, beamWidth: 3, scope: 'line' as const, maxChars: 40, maxLines: 8, alternatives: 1 };

describe('decoding rules', () => {
  it('stops at the end of the line and never generates UNK', () => {
    const s = new Script((t) => (t.length < 3 ? { '\uFFFF': 0.6, a: 0.4 } : { '\n': 0.9, b: 0.1 }));
    const out = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false });
    assert.equal(s.str(out.completions[0].ids), 'aaa');
    assert.equal(s.text, '', 'the source is back where it started');
  });

  it('takes a sure proposed continuation whole, cut by the line\'s rules, scored by the source; an unsure one not', () => {
    const s = new Script((t) => (t.length < 2 ? { a: 0.5, b: 0.5 } : { '\n': 1 }));
    const ids = (str: string) => Int32Array.from([...str].map((c) => s.chars.indexOf(c)));
    const greedyOnly = s.str(decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false }).completions[0].ids);
    const sure = decode({ source: s, codes: s.codes, settings: { ...line, alternatives: 2 }, noLeadingBlank: false, proposal: { ids: ids('bab\nc'), confidence: 0.9 } });
    assert.deepEqual(sure.completions.map((c) => s.str(c.ids)), ['bab', greedyOnly], 'the proposal to the line\'s end first, the decoder\'s after it');
    assert.ok(Math.abs(sure.completions[0].bits - (1 + 1 + Math.log2(1e30))) < 1e-3, 'its bits are the source\'s (a third character the source rules out costs the floor)');
    assert.equal(s.text, '', 'the source is back where it started');
    const unsure = decode({ source: s, codes: s.codes, settings: { ...line, alternatives: 2 }, noLeadingBlank: false, proposal: { ids: ids('bab'), confidence: 0.2 } });
    assert.ok(unsure.completions.every((c) => s.str(c.ids) !== 'bab'), 'an unsure proposal is not taken');
    const blank = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: true, proposal: { ids: ids(' ab'), confidence: 1 } });
    assert.equal(s.str(blank.completions[0].ids), greedyOnly, 'one that breaks a rule at once gives way to the decoder');
  });

  it('after indentation the first character is not whitespace (and its cost still counts)', () => {
    const s = new Script((t) => (t === '' ? { ' ': 0.7, a: 0.3 } : t.length < 4 ? { b: 1 } : { '\n': 1 }));
    const free = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false });
    assert.equal(s.str(free.completions[0].ids), ' bbb');
    const out = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: true });
    assert.equal(s.str(out.completions[0].ids), 'abbb');
    assert.ok(Math.abs(out.completions[0].bits - -Math.log2(0.3)) < 1e-6, 'the forced first character costs its own probability');
  });

  it('a block goes on over lines until its brackets close, and is cut to its first line when they do not', () => {
    const body = (t: string): Record<string, number> => {
      const script = 'a {\nb;\n}\nc';
      return t.length < script.length ? { [script[t.length]]: 1 } : { '\n': 1 };
    };
    const s = new Script(body);
    const block = decode({ source: s, codes: s.codes, settings: { ...line, scope: 'block' }, noLeadingBlank: false });
    assert.equal(s.str(block.completions[0].ids), 'a {\nb;\n}');
    const asLine = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false });
    assert.equal(s.str(asLine.completions[0].ids), 'a {');
    const open = new Script((t) => (t.length < 30 ? { [t.length % 4 === 3 ? '\n' : t.length % 4 === 0 ? '{' : 'a']: 1 } : { '\n': 1 }));
    const unbalanced = decode({ source: open, codes: open.codes, settings: { ...line, scope: 'block', maxChars: 20 }, noLeadingBlank: false });
    assert.equal(open.str(unbalanced.completions[0].ids), '{aa', 'an unclosed block falls back to its first line');
    // brackets left open on the line before the cursor keep a block going
    const s2 = new Script((t) => { const script = '\nb;\n}'; return t.length < script.length ? { [script[t.length]]: 1 } : { '\n': 1 }; });
    const cont = decode({ source: s2, codes: s2.codes, settings: { ...line, scope: 'block' }, noLeadingBlank: false, openDepth: openBrackets('if (x) {') });
    assert.equal(s2.str(cont.completions[0].ids), '\nb;\n}');
  });

  it('beam search finds the likelier completion that greedy misses', () => {
    // greedy takes 'a' (0.5) and then meets a flat distribution; 'b' (0.4) leads to a sure line
    const s = new Script((t) => {
      if (t === '') return { a: 0.5, b: 0.4, c: 0.1 };
      if (t.startsWith('a')) return t.length < 6 ? { a: 0.34, b: 0.33, c: 0.33 } : { '\n': 1 };
      return t.length < 6 ? { b: 1 } : { '\n': 1 };
    });
    const g = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false });
    assert.equal(s.str(g.completions[0].ids)[0], 'a');
    const b = decode({ source: s, codes: s.codes, settings: { ...line, strategy: 'beam' }, noLeadingBlank: false });
    assert.equal(s.str(b.completions[0].ids), 'bbbbbb');
    assert.ok(b.completions[0].meanBits < g.completions[0].meanBits);
    assert.equal(s.text, '');
  });

  it('gives several alternatives when asked', () => {
    const s = new Script((t) => (t === '' ? { a: 0.5, b: 0.3, c: 0.2 } : t.length < 3 ? { [t[0]]: 1 } : { '\n': 1 }));
    for (const strategy of ['greedy', 'beam'] as const) {
      const out = decode({ source: s, codes: s.codes, settings: { ...line, strategy, alternatives: 3 }, noLeadingBlank: false });
      assert.deepEqual(out.completions.map((c) => s.str(c.ids)), ['aaa', 'bbb', 'ccc'], strategy);
    }
  });

  it('checks for cancellation before every step', () => {
    const s = new Script(() => ({ a: 1 }));
    let checks = 0;
    const out = decode({ source: s, codes: s.codes, settings: line, noLeadingBlank: false, cancelled: () => ++checks > 5 });
    assert.equal(out.cancelled, true);
    assert.equal(out.completions.length, 0);
    assert.ok(s.dists <= 6, `stopped within a step (${s.dists} distributions)`);
    assert.equal(s.text, '');
  });

  it('suppresses completions that repeat the text after the cursor or the next line', () => {
    const ctx = (text: string, cursor: string) => lineContext(text.replace(cursor, ''), text.indexOf(cursor));
    assert.deepEqual(finishCompletion('b)', ctx('f(a, |b)\n', '|')), { suppressed: 'repeats-suffix' });
    assert.deepEqual(finishCompletion('b', ctx('f(a, |b)\n', '|')), { suppressed: 'repeats-suffix' });
    assert.deepEqual(finishCompletion('c, d)', ctx('f(a, |)\n', '|')), { text: 'c, d', replace: 0 }, 'a completion ending in the text after the cursor is cut before it');
    assert.deepEqual(finishCompletion('}', ctx('  if (x) {\n    y();\n  |\n  }\n', '|')), { suppressed: 'repeats-next-line' });
    assert.deepEqual(finishCompletion('turn x;', ctx('{\n  re|\n  return x;\n', '|')), { suppressed: 'repeats-next-line' });
    assert.deepEqual(finishCompletion('   ', ctx('a|\n', '|')), { suppressed: 'empty' });
    assert.deepEqual(finishCompletion('return 1;  ', ctx('  |\n}\n', '|')), { text: 'return 1;', replace: 0 });
    assert.equal(startsAfterIndent('    '), true);
    assert.equal(startsAfterIndent(''), true, 'column 0 of a line is a line start too');
    assert.equal(startsAfterIndent('  x'), false);
  });
});

describe('completion engine', () => {
  const model = tinyModel();

  it('warms a new mixer up on the held-out text stored with the counts', () => {
    const { rnn, vocab, ngram } = tinyParts();
    const plain = new CompletionModel({ rnn, vocab, ngram });
    assert.deepEqual(warmMixer(plain).snapshot().weights, new LogisticMixer(2, plain.V).snapshot().weights, 'nothing to learn from: the default weights');
    const held = new CompletionModel({ rnn, vocab, ngram, calibration: [HEADER + CODE.replace(/greet/g, 'hail')] });
    const w = warmMixer(held).snapshot().weights;
    const d = new LogisticMixer(2, held.V).snapshot().weights;
    // in the contexts it saw, the n-gram (which knows this code) is trusted over the untrained LSTM
    let moved = 0;
    for (let c = 0; c < 32; c++) if (w[2 * c + 1] - w[2 * c] > d[2 * c + 1] - d[2 * c] + 0.05) moved++;
    assert.ok(moved >= 3, `${moved} contexts moved towards the n-gram`);
  });

  it('completes text like the corpus from the n-gram mixture, and the threshold hides unsure ones', () => {
    const engine = new Completer(model);
    const text = CODE.replace(/\n\nexport class Counter[\s\S]*/, '\n\nexport class Counter {\n  private co');
    const r = engine.complete(req(text, text.length, decodeSettings({ threshold: Infinity })));
    assert.equal(r.items[0]?.text, 'unt = 0;', JSON.stringify(r));
    const strict = engine.complete(req(text, text.length, decodeSettings({ threshold: 1e-6 })));
    assert.deepEqual(strict.items, []);
    assert.equal(strict.reason, 'low-confidence');
    const lstm = engine.complete(req(text, text.length, decodeSettings({ component: 'lstm', threshold: 1e-6 })));
    assert.equal(lstm.reason, 'low-confidence', 'the untrained LSTM alone is unsure');
  });

  it('typing the start of the completion shown keeps the rest without decoding again', () => {
    const engine = new Completer(model);
    let text = CODE.replace(/\n\nexport class Counter[\s\S]*/, '\n\nexport class Counter {\n  private co');
    const settings = decodeSettings({ threshold: Infinity });
    const first = engine.complete(req(text, text.length, settings));
    assert.equal(first.items[0]?.text, 'unt = 0;');
    for (const ch of 'unt') {
      engine.edit('doc', text.length, text.length, 1);
      text += ch;
      const r = engine.complete(req(text, text.length, settings));
      assert.equal(r.steps, 0);
      assert.equal(r.fed, 1);
      assert.equal(r.items[0]?.text, 'unt = 0;'.slice(text.length - text.indexOf('private co') - 'private co'.length));
    }
    // typing something else decodes afresh
    engine.edit('doc', text.length, text.length, 1);
    text += 'X';
    assert.ok(engine.complete(req(text, text.length, settings)).steps > 0);
  });

  it('honours cancellation while reading and while decoding', () => {
    const engine = new Completer(model);
    const text = longDoc(300);
    let calls = 0;
    const r = engine.complete(req(text, text.length), () => ++calls > 3);
    assert.equal(r.reason, 'cancelled');
    assert.deepEqual(r.items, []);
    // once the context is read, a cancellation during decoding
    engine.complete(req(text, text.length));
    calls = 0;
    const d = engine.complete(req(text, text.length), () => ++calls > 2);
    assert.equal(d.reason, 'cancelled');
    // and the cache is still sound afterwards
    const again = engine.complete(req(text, text.length));
    assert.equal(again.fed, 0);
    assert.ok(again.items.length > 0);
  });

  it('copes with very long lines, a 5 MB document and characters outside the vocabulary', function () {
    this.timeout(30_000);
    const engine = new Completer(model, { window: 1500, chunk: 256 });
    // one line of 300,000 characters: the reading is bounded, and states are cached along it
    const long = 'x = a + b; '.repeat(30_000);
    let r = engine.complete(req(long, long.length, ALWAYS, 'long'));
    assert.ok(r.fed <= HEADER.length + 1500 + 1, `read ${r.fed}`);
    r = engine.complete(req(long + 'y', long.length + 1, ALWAYS, 'long'));
    assert.ok(r.fed <= 256, `a keystroke on a long line reads ${r.fed}`);
    // 5 MB: the first request reads a window, not the file
    const big = longDoc(320_000);
    assert.ok(big.length > 5_000_000);
    const t0 = performance.now();
    r = engine.complete(req(big, big.length - 100, ALWAYS, 'big'));
    assert.ok(r.fed < 2000 + HEADER.length, `read ${r.fed}`);
    assert.ok(performance.now() - t0 < 5000);
    engine.refreshOverlay('big', big, HEADER);   // bounded too (overlayMaxChars)
    // characters the model never saw: emoji, CJK, a lone surrogate
    const odd = 'const 名前 = "😀 \uD800 ü";\nconst x = ';
    r = engine.complete(req(odd, odd.length, ALWAYS, 'odd'));
    assert.ok(r.items.length > 0, JSON.stringify(r));
    for (const it of r.items) assert.ok(!it.text.includes('\uFFFF'), 'UNK is never generated');
    // each of them is read as one UNK character (a surrogate pair is one code point), so other
    // unseen characters in the same places give the very same completion, and dropping them does not
    assert.equal(r.fed, HEADER.length + [...odd].length, 'every code point is read once');
    const other = 'const 変数 = "🎉 \uDBFF ß";\nconst x = ';
    const fresh = new Completer(model).complete(req(odd, odd.length, ALWAYS, 'odd'));
    const same = new Completer(model).complete(req(other, other.length, ALWAYS, 'other'));
    assert.ok(fresh.items.length > 0);
    assert.deepEqual(same.items, fresh.items);
    const dropped = 'const  = "  ";\nconst x = ';
    const fewer = new Completer(model).complete(req(dropped, dropped.length, ALWAYS, 'dropped'));
    assert.equal(fewer.fed, r.fed - 5, "5 unseen code points fewer");
    // an offset past the end is clamped
    r = engine.complete(req(odd, odd.length + 50, ALWAYS, 'odd'));
    assert.ok(Array.isArray(r.items));
  });
});
