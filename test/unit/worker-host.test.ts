// The one worker host (src/runtime/worker-host.ts) on small real workers: replies by id, messages
// that are not replies, every way a worker ends, deadlines, cancellation, restart, stop.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerHost, WorkerEnd } from '../../src/runtime/worker-host';

type In = { type: 'echo' | 'ignore' | 'throw' | 'exit' | 'hog' | 'note'; id?: number; code?: number };
type Out = { type: string; id?: number; text?: string };

// A worker that does what each message says.
const SCRIPT = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'echo') parentPort.postMessage({ type: 'echo', id: m.id, text: 'pong' });
  else if (m.type === 'note') parentPort.postMessage({ type: 'note', text: 'unasked' });
  else if (m.type === 'throw') throw new Error('worker bug');
  else if (m.type === 'exit') process.exit(m.code);
  else if (m.type === 'hog') { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); }
  // 'ignore': never answers
});
`;

describe('WorkerHost', function () {
  this.timeout(30_000);
  let dir = '', script = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-wh-'));
    script = path.join(dir, 'worker.js');
    fs.writeFileSync(script, SCRIPT);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const host = (restart = false) => new WorkerHost<In, Out>({ script, heapMb: 64, restart });
  const ended = (h: WorkerHost<In, Out>) => new Promise<WorkerEnd>((r) => h.onEnd(r));

  it('answers a request by id and hands other messages to the listener', async () => {
    const h = host();
    const notes: Out[] = [];
    h.onMessage((m) => notes.push(m));
    const r = await h.request((id) => ({ type: 'echo', id }), { timeoutMs: 5000 });
    assert.deepEqual(r && { type: r.type, text: r.text }, { type: 'echo', text: 'pong' });
    h.post({ type: 'note' });
    while (notes.length === 0) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(notes, [{ type: 'note', text: 'unasked' }]);
    await h.stop();
    assert.equal(h.running, false);
  });

  it('gives up on a request at its deadline or when cancelled, and says so to the caller', async () => {
    const h = host();
    let gaveUp = 0;
    assert.equal(await h.request(() => ({ type: 'ignore' }), { timeoutMs: 50, onGiveUp: () => gaveUp++ }), undefined);
    let cancel: () => void = () => undefined;
    const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => { cancel = l; return { dispose() {} }; } };
    const pending = h.request(() => ({ type: 'ignore' }), { token, onGiveUp: () => gaveUp++ });
    cancel();
    assert.equal(await pending, undefined);
    assert.equal(gaveUp, 2);
    await h.stop();
  });

  it('turns a throw, an exit and running out of memory into one WorkerEnd each, failing pending requests', async () => {
    const a = host();
    const pending = a.request(() => ({ type: 'ignore' }));
    const aEnd = ended(a);
    a.post({ type: 'throw' });
    assert.deepEqual(await aEnd, { kind: 'crashed', message: 'worker bug', outOfMemory: false });
    assert.equal(await pending, undefined, 'the pending request is answered with nothing');

    const b = host();
    const bEnd = ended(b);
    b.post({ type: 'exit', code: 3 });
    assert.deepEqual(await bEnd, { kind: 'exited', code: 3 });

    const c = host();
    const cEnd = ended(c);
    c.post({ type: 'hog' });
    const end = await cEnd;
    assert.ok(end.kind === 'crashed' && end.outOfMemory, JSON.stringify(end));
  });

  it('a one-shot host stays ended; a restarting one starts again on the next post', async () => {
    const once = host(false);
    const e1 = ended(once);
    once.post({ type: 'exit', code: 0 });
    await e1;
    assert.equal(once.post({ type: 'echo', id: 1 }), false);

    const again = host(true);
    const e2 = ended(again);
    again.post({ type: 'throw' });
    await e2;
    const r = await again.request((id) => ({ type: 'echo', id }), { timeoutMs: 5000 });
    assert.equal(r?.text, 'pong');
    await again.stop();
  });

  it('stop asks first, then terminates a worker that does not end within the grace period', async () => {
    const h = host();
    h.start();
    let asked = 0;
    const t0 = Date.now();
    await h.stop(200, () => { asked++; h.post({ type: 'ignore' }); });
    assert.equal(asked, 1);
    assert.equal(h.running, false);
    assert.ok(Date.now() - t0 < 5000);
  });
});
