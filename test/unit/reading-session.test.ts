// The completion worker's adaptive predictor (adaptive/reading-session.ts): what it reads (the
// text before each document's cursor, once), that a request is answered while learning is still
// queued (nothing drained for it), and the match model's continuation of a repeated line offered
// to the decoder as a proposal.
import { strict as assert } from 'node:assert';
import { ReadingSession } from '../../src/complete/adaptive/reading-session';
import { Completer } from '../../src/complete/completer';
import { decodeSettings } from '../../src/complete/decode-settings';
import { CODE, tinyModel } from './complete-fixture';

const URI = 'file:///a.ts';
const never = () => false;
/** A stop() that says stop from its (n+1)-th question on; `asked` counts the questions. */
function after(n: number) {
  const s = { asked: 0, stop: () => s.asked++ >= n };
  return s;
}

describe('adaptive predictor in the completion worker (reading session)', () => {
  const model = tinyModel();
  const docs = new Map<string, string>();
  const session = () => new ReadingSession(model, (uri) => docs.get(uri));
  beforeEach(() => docs.clear());

  it('reads the text before the cursor only, each character once; an edit behind the mark reads on from the edit', () => {
    docs.set(URI, CODE);
    const s = session();
    assert.equal(s.hasWork, false, 'no cursor known: nothing to read');
    s.cursorAt(URI, 50);
    assert.ok(s.work(never));
    assert.equal(s.charsRead, 50, 'up to the cursor, not past it');
    s.cursorAt(URI, 80);
    s.work(never);
    assert.equal(s.charsRead, 80, 'on from the mark: nothing read twice');
    // the user types "xy" at 10: reading goes on from the edit, to the cursor after it
    docs.set(URI, CODE.slice(0, 10) + 'xy' + CODE.slice(10));
    s.edited(URI, 10, 2);
    s.work(never);
    assert.equal(s.charsRead, 82);
    // an edit after the mark leaves it; the cursor after the edit is the new limit
    docs.set(URI, CODE.slice(0, 10) + 'xy' + CODE.slice(10, 100) + 'z' + CODE.slice(100));
    s.edited(URI, 102, 1);
    s.work(never);
    assert.equal(s.charsRead, 82 + 103 - 12);
    assert.equal(s.hasWork, false, 'read and learned');
    assert.equal(s.lstm.pendingChars, 0);
    assert.ok(s.lstm.steps > 0, 'the LSTM learned from what was read');
  });

  it('a request arriving while learning is queued is answered at once: no learning step runs for it, the queue stays', () => {
    const text = CODE.repeat(4);
    docs.set(URI, text);
    const s = session();
    s.cursorAt(URI, text.length);
    // idle slices, each stopped after a few questions, until the text is read and learning is queued
    let slices = 0;
    while (s.charsRead < model.encode(text).length) { assert.equal(s.work(after(3).stop), false); slices++; }
    assert.ok(slices > 10, 'the reading was sliced');
    assert.ok(s.lstm.steps > 0, 'learning between the reading');
    assert.ok(s.lstm.pendingChars > 0, `the last characters read are queued (${s.lstm.pendingChars})`);
    // one more slice: one learning step per question it was told to go on
    const steps = s.lstm.steps;
    s.work(after(5).stop);
    assert.equal(s.lstm.steps, steps + 5, 'a slice takes one learning step per question it was told to go on');
    const queued = s.lstm.pendingChars;
    assert.ok(queued > 0);
    // the request, at the cursor: answered from what was read, the queue left as it was
    const stepsBefore = s.lstm.steps;
    const p = s.proposal(URI, text.length, never);
    assert.ok(p && p.ids.length > 0, 'the match continuation of the repeated text');
    assert.equal(model.vocab.decode(p.ids).slice(0, 20), CODE.slice(0, 20), 'what followed the same context before');
    assert.equal(s.lstm.steps, stepsBefore, 'no learning step for the request');
    assert.equal(s.lstm.pendingChars, queued, 'the queue is still there, not drained');
    assert.ok(s.hasWork);
    assert.ok(s.work(never), 'drained when idle');
    assert.equal(s.lstm.pendingChars, 0);
  });

  it('offers the match continuation of a repeated line, with its learned confidence; the request learns nothing', () => {
    const line = '  let total = greet(name) + add(b, a);\n';
    const text = line + '\n  let total = gr';
    docs.set(URI, text);
    const s = session();
    s.cursorAt(URI, text.length);
    s.work(never);
    const steps = s.lstm.steps, read = s.charsRead;
    const p = s.proposal(URI, text.length, never);
    assert.ok(p, 'a proposal');
    assert.equal(model.vocab.decode(p.ids).split('\n')[0], 'eet(name) + add(b, a);');
    assert.ok(p.confidence >= 0.5 && p.confidence < 1, `confidence ${p.confidence}`);
    assert.equal(s.lstm.steps, steps);
    assert.equal(s.charsRead, read);
    assert.deepEqual(s.proposal(URI, text.length, never), p, 'asked again: the same (the look-up was undone)');

    // the completer takes it whole; without it, the decoder's own completion comes first
    const engine = new Completer(model);
    const req = { docId: URI, text, offset: text.length, header: '', settings: decodeSettings({ threshold: Infinity, maxChars: 40 }) };
    const own = engine.complete(req);
    assert.notEqual(own.items[0]?.text, 'eet(name) + add(b, a);', 'the tiny model alone does not know the line');
    engine.forget(URI);
    const taken = engine.complete({ ...req, proposal: p });
    assert.equal(taken.items[0]?.text, 'eet(name) + add(b, a);');
  });

  it('a request catches up to its cursor (a document read from its start), at most a short way', () => {
    const line = '  let total = greet(name) + add(b, a);\n';
    const text = line + '\n  let total = gr';
    docs.set(URI, text);
    const s = session();
    const p = s.proposal(URI, text.length, never);
    assert.equal(p && model.vocab.decode(p.ids).split('\n')[0], 'eet(name) + add(b, a);');
    const long = CODE.repeat(3);
    docs.set('file:///b.ts', long);
    assert.equal(s.proposal('file:///b.ts', long.length, never), null, 'far from the mark: no proposal, the request does not wait');
    assert.equal(s.charsRead, model.encode(text).length);
  });

  it('a continuation stops where the earlier document\'s reading stopped (its cursor), and follows a suggest item', () => {
    const first = '  let total = greet(name) + add(b, a);\n';
    docs.set('file:///one.ts', first + '  let total = gr');
    const s = session();
    s.cursorAt('file:///one.ts', first.length + '  let total = gr'.length);
    s.work(never);
    // another document comes to the same context: it occurred last at the first document's
    // cursor, after which nothing was read (the history's next stream is not what followed)
    const other = 'class Pair {}\n  let total = gr';
    docs.set('file:///two.ts', other);
    assert.equal(s.proposal('file:///two.ts', other.length, never), null, 'no continuation past the end of what was read');
    // the suggest widget's item "greet" put in after "gr": the continuation after it
    const t = session();
    docs.set('file:///one.ts', first);
    t.cursorAt('file:///one.ts', first.length);
    t.work(never);
    const q = t.proposal('file:///two.ts', other.length, never, model.encode('eet'));
    assert.ok(q);
    assert.equal(model.vocab.decode(q.ids).split('\n')[0], '(name) + add(b, a);');
    assert.equal(t.proposal('file:///two.ts', other.length, never, model.encode('eat')), null, 'an item the match does not go on with');
  });
});
