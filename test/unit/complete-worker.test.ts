// The completion worker driven through CompletionClient, as the extension host drives it (no VS
// Code needed): documents mirrored with their edits, cancellation, a corrupt model, a document
// closed and a model swapped while a request is in flight.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { decodeSettings } from '../../src/complete/decode-settings';
import { CancelToken, CompletionClient } from '../../src/extension/completions/client';
import { CODE, HEADER, writeTinyModel } from './complete-fixture';

const ROOT = path.join(__dirname, '..', '..');
const SETTINGS = decodeSettings({ threshold: Infinity, maxChars: 20 });

class Token implements CancelToken {
  isCancellationRequested = false;
  private listeners: (() => void)[] = [];
  onCancellationRequested(l: () => void) { this.listeners.push(l); return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } }; }
  cancel() { this.isCancellationRequested = true; for (const l of this.listeners) l(); }
}

describe('completion worker (through CompletionClient)', function () {
  this.timeout(60_000);
  let tmp: string, workerPath: string, model: string, other: string;
  let client: CompletionClient;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-cworker-'));
    workerPath = path.join(tmp, 'completion-worker.js');
    await esbuild.build({ entryPoints: [path.join(ROOT, 'src/complete/worker.ts')], outfile: workerPath, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    model = writeTinyModel(path.join(tmp, 'a'));
    other = writeTinyModel(path.join(tmp, 'b'), { hidden: 12, seed: 3 });
  });
  beforeEach(() => { client = new CompletionClient({ workerPath, timeoutMs: 20_000 }); });
  afterEach(async () => { await client.dispose(); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const doc = (uri: string, text: string, version = 1) => ({ uri, version, header: HEADER, getText: () => text });

  it('loads a model, mirrors a document with its edits, and completes in it', async () => {
    const loaded = await client.load(model, true);
    assert.equal(loaded.kind, 'loaded');
    assert.deepEqual(client.info?.extensions, ['.ts']);
    let text = CODE.slice(0, CODE.indexOf('private co'));
    client.sync(doc('file:///a.ts', text));
    let r = await client.complete('file:///a.ts', 1, text.length, text.length, SETTINGS);
    assert.ok(r && r.fed > text.length / 2, JSON.stringify(r));
    // the user types "private co": an edit, then a request that reads only what is new
    client.change('file:///a.ts', 2, [{ start: text.length, end: text.length, text: 'private co' }]);
    text += 'private co';
    r = await client.complete('file:///a.ts', 2, text.length, text.length, SETTINGS);
    assert.equal(r?.items[0]?.text, 'unt = 0;');
    assert.equal(r?.fed, 'private co'.length);
    // a change the worker cannot have seen (a stale mirror) is caught by the length check and resent
    r = await client.complete('file:///a.ts', 2, text.length + 5, text.length, SETTINGS);
    assert.equal(r?.reason, 'unsynced');
    client.sync(doc('file:///a.ts', text, 2));
    r = await client.complete('file:///a.ts', 2, text.length, text.length, SETTINGS);
    assert.equal(r?.items[0]?.text, 'unt = 0;');
    assert.equal(r?.fed, 0, 'the resent text is the same: the cached states stay');
  });

  it('proposes the rest of a line the document repeats (the adaptive predictor\'s match model)', async () => {
    assert.equal((await client.load(model, true)).kind, 'loaded');
    const line = '  let total = greet(name) + add(b, a);\n';
    let text = line + '\n  let total = ';
    client.sync(doc('file:///r.ts', text));
    // the user types "gr": the rest of the earlier line comes first
    client.change('file:///r.ts', 2, [{ start: text.length, end: text.length, text: 'gr' }]);
    text += 'gr';
    const r = await client.complete('file:///r.ts', 2, text.length, text.length, SETTINGS);
    assert.equal(r?.items[0]?.text, 'eet(name) + add(b, a', 'the line\'s rest, cut at the 20 characters asked for');
  });

  it('answers requests while it reads a long document in the background, each with its own answer', async () => {
    assert.equal((await client.load(model, true)).kind, 'loaded');
    const quiet = 'file:///quiet.ts', text = CODE.slice(0, CODE.indexOf('private co') + 'private co'.length);
    client.sync(doc(quiet, text));
    const alone = await client.complete(quiet, 1, text.length, text.length, SETTINGS);
    // a long document edited at its end: the worker reads it, slice by slice, from now on
    const long = CODE.repeat(300);
    client.sync(doc('file:///long.ts', long));
    client.change('file:///long.ts', 2, [{ start: long.length, end: long.length, text: '\n' }]);
    const replies = await Promise.all([1, 2, 3, 4].map(() => client.complete(quiet, 1, text.length, text.length, SETTINGS)));
    assert.ok(alone && alone.items.length > 0);
    for (const r of replies) assert.deepEqual(r?.items.map((i) => i.text), alone.items.map((i) => i.text), 'the same completion while the worker reads');
  });

  it('offers nothing without a model, and reports a corrupt one', async () => {
    client.sync(doc('file:///a.ts', 'export '));
    let r = await client.complete('file:///a.ts', 1, 7, 7, SETTINGS);
    assert.equal(r?.reason, 'no-model');
    const bad = path.join(tmp, 'bad.safetensors');
    fs.writeFileSync(bad, Buffer.from('{"this is": "not a model"}'));
    const o = await client.load(bad, true);
    assert.equal(o.kind, 'failed');
    assert.match(o.kind === 'failed' ? o.message : '', /\.$/);
    r = await client.complete('file:///a.ts', 1, 7, 7, SETTINGS);
    assert.equal(r?.reason, 'no-model');
  });

  it('a cancelled request returns nothing at once', async () => {
    await client.load(model, true);
    const text = (CODE + '\n').repeat(200);
    client.sync(doc('file:///big.ts', text));
    const pre = new Token();
    pre.cancel();
    assert.equal(await client.complete('file:///big.ts', 1, text.length, text.length, SETTINGS, pre), undefined);
    const t = new Token();
    const p = client.complete('file:///big.ts', 1, text.length, text.length, decodeSettings({ threshold: Infinity, maxChars: 2000 }), t);
    const t0 = Date.now();
    t.cancel();
    assert.equal(await p, undefined);
    assert.ok(Date.now() - t0 < 100);
    // the worker gave the cancelled work up (the flag was up before it began): the next request
    // reads the whole context itself, and answers exactly what a worker that never saw the
    // cancelled requests answers
    const r = await client.complete('file:///big.ts', 1, text.length, text.length, SETTINGS);
    assert.ok(r && !r.reason && r.items.length > 0, JSON.stringify(r));
    const fresh = new CompletionClient({ workerPath, timeoutMs: 20_000 });
    try {
      await fresh.load(model, true);
      fresh.sync(doc('file:///big.ts', text));
      const f = await fresh.complete('file:///big.ts', 1, text.length, text.length, SETTINGS);
      assert.ok(f && f.fed > 500, JSON.stringify(f));
      assert.equal(r.fed, f.fed, 'nothing of the cancelled requests was read');
      // (the probabilities may differ a little: the worker builds the document's n-gram overlay in
      // its idle time after a request, cancelled or not)
      assert.deepEqual(r.items.map((i) => i.text), f.items.map((i) => i.text));
    } finally {
      await fresh.dispose();
    }
  });

  it('survives a document closed and a model swapped mid-request', async () => {
    await client.load(model, true);
    const text = (CODE + '\n').repeat(50);
    client.sync(doc('file:///c.ts', text));
    const inFlight = client.complete('file:///c.ts', 1, text.length, text.length, SETTINGS);
    client.close('file:///c.ts');
    const r = await inFlight;
    // answered from the text it had (the close comes after the request), or told it is gone
    assert.ok(r === undefined || r.reason === 'unsynced' || r.items.length > 0, JSON.stringify(r));
    // the closed document is no longer mirrored: a request for it is answered, not stalled
    const after = await client.complete('file:///c.ts', 1, text.length, text.length, SETTINGS);
    assert.equal(after?.reason, 'unsynced');
    // swap the model while a request runs
    client.sync(doc('file:///d.ts', text));
    const first = client.complete('file:///d.ts', 1, text.length, text.length, SETTINGS);
    const swapped = client.load(other, true);
    const [a, b] = await Promise.all([first, swapped]);
    assert.ok(a && Array.isArray(a.items));
    assert.equal(b.kind, 'loaded');
    assert.equal(client.info?.hidden, 12);
    const c = await client.complete('file:///d.ts', 1, text.length, text.length, SETTINGS);
    assert.ok(c && !c.reason, JSON.stringify(c));
    // without force, a worse save of the same model is kept out
    const ck = path.join(tmp, 'b', 'model.safetensors');
    const { loadCheckpoint, saveCheckpoint } = await import('../../src/model-files/checkpoint-file');
    const worse = loadCheckpoint(ck);
    worse.training = { ...worse.training, steps: 20, valBpcHistory: [[2000, 4.5]] };
    saveCheckpoint(ck, worse);
    const kept = await client.load(ck, false);
    assert.equal(kept.kind, 'kept');
  });
});
