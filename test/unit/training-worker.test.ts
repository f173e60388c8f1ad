// The extension's training worker, driven through TrainingController exactly as the extension
// host drives it (no VS Code needed): a run writes a valid checkpoint, Stop and Resume, and each
// fault (empty or binary-only workspace, corrupt stored model, a second run, out of memory)
// ends in one clear outcome while the last good checkpoint survives.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleTrainingWorker } from './training-worker-bundle';
import { AlreadyTrainingError, RunOutcome, StartedMessage, TrainingController } from '../../src/extension/training/controller';
import { loadCheckpoint } from '../../src/model-files/checkpoint-file';
import type { TrainJob } from '../../src/training/protocol';

let tmp: string;
let workerPath: string;

const SOURCE = `// a small program to learn from
export function add(a: number, b: number): number {
  return a + b;
}

export function greet(name: string): string {
  if (name === '') {
    return 'hello, world';
  }
  return 'hello, ' + name;
}
`;

function folder(name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(tmp, name);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function job(roots: string[], checkpointPath: string, over: Partial<TrainJob> = {}, threads = 1): TrainJob {
  return {
    kind: 'train', checkpointPath, budgetMs: 2500, saveEveryMs: 1000, evalEveryMs: 500, sampleEveryMs: 800, progressEveryMs: 100,
    corpus: { roots, include: [], extraIgnore: [], maxFileBytes: 1 << 20, maxTotalBytes: 8 << 20, valFraction: 0.1, seed: 1 },
    settings: { cell: 'lstm', layers: 1, hidden: 16, dropout: 0, seqLength: 16, batchSize: 4, optimizer: 'adam', learningRate: 0.01, threads, seed: 1 },
    ...over,
  };
}

function controller(heapMb?: number): TrainingController {
  return new TrainingController({ workerPath, heapMb: heapMb ?? 2048, stopTimeoutMs: 10_000 });
}

describe('training worker (through TrainingController)', function () {
  this.timeout(60_000);

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-worker-'));
    workerPath = await bundleTrainingWorker(tmp);   // as in the extension
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains, reports its progress in order and writes a valid checkpoint', async () => {
    const ws = folder('ws1', { 'a.ts': SOURCE, 'b.ts': SOURCE.replace(/hello/g, 'howdy'), 'c.ts': SOURCE.toUpperCase(), 'logo.dat': Buffer.from([0, 1, 2, 0, 255]) });
    const ck = path.join(tmp, 'm1', 'model.safetensors');
    fs.mkdirSync(path.dirname(ck));
    const c = controller();
    const events: string[] = [];
    for (const e of ['corpus', 'started', 'progress', 'saved', 'sample']) c.on(e, () => { if (events[events.length - 1] !== e) events.push(e); });
    let corpus: { files: number; skippedSummary: string } | undefined;
    c.on('corpus', (m) => { corpus = m; });
    const o = await c.start(job([ws], ck));
    assert.equal(o.kind, 'done', JSON.stringify(o));
    assert.equal(o.kind === 'done' && o.reason, 'budget');
    assert.deepEqual(events.slice(0, 3), ['corpus', 'started', 'progress']);
    assert.ok(events.includes('saved') && events.includes('sample'), events.join(','));
    assert.equal(corpus?.files, 3);
    assert.equal(corpus?.skippedSummary, '1 binary file');
    const saved = loadCheckpoint(ck);
    assert.equal(saved.config.hidden, 16);
    // validation chose the model on disk: the best scored, the last step's or an earlier one
    assert.ok(o.kind === 'done' && saved.training.steps <= o.step, `saved step ${saved.training.steps}`);
    assert.ok(saved.training.steps > 5 && saved.training.valBpcHistory.length > 0);
    assert.equal(c.running, false);
  });

  it('stops on request, keeps the unused budget, and resumes from the stored model', async () => {
    const ws = folder('ws2', { 'a.ts': SOURCE, 'b.ts': SOURCE.replace(/a \+ b/g, 'b + a') });
    const ck = path.join(tmp, 'm2.safetensors');
    const c = controller();
    const run = c.start(job([ws], ck, { budgetMs: 20_000 }));
    await new Promise<void>((r) => c.on('progress', (p) => { if (p.step >= 3) r(); }));
    assert.equal(await c.stop(), true);
    const o = await run;
    assert.ok(o.kind === 'done' && o.reason === 'stopped', JSON.stringify(o));
    assert.ok(c.remainingMs > 10_000 && c.remainingMs < 20_000, `remaining ${c.remainingMs}`);
    const first = loadCheckpoint(ck).training;
    assert.equal(first.steps, o.step);

    let started: StartedMessage | undefined;
    c.once('started', (m) => { started = m; });
    const again = await c.start(job([ws], ck, { budgetMs: 1500 }));
    assert.equal(again.kind, 'done');
    assert.equal(started?.resumed, true);
    assert.equal(started?.step, first.steps);
    assert.ok(loadCheckpoint(ck).training.steps > first.steps);
  });

  it('refuses a second run while one is going on', async () => {
    const ws = folder('ws3', { 'a.ts': SOURCE });
    const c = controller();
    const run = c.start(job([ws], path.join(tmp, 'm3.safetensors'), { budgetMs: 10_000 }));
    await assert.rejects(c.start(job([ws], path.join(tmp, 'm3b.safetensors'))), AlreadyTrainingError);
    await c.stop();
    assert.equal((await run).kind, 'done');
  });

  it('reports an empty workspace and one of only binary files as nothing to train on', async () => {
    const empty = folder('empty', {});
    const binary = folder('binary', { 'a.dat': Buffer.from([0, 0, 1, 2]), 'b.dat': Buffer.from([0xff, 0xfe, 0, 7]) });
    const c = controller();
    const o1 = await c.start(job([empty], path.join(tmp, 'e1.safetensors')));
    assert.ok(o1.kind === 'failed' && o1.code === 'empty-corpus', JSON.stringify(o1));
    const o2 = await c.start(job([binary], path.join(tmp, 'e2.safetensors')));
    assert.ok(o2.kind === 'failed' && o2.code === 'empty-corpus', JSON.stringify(o2));
    assert.match(o2.message, /2 binary files/);
    assert.equal(fs.existsSync(path.join(tmp, 'e2.safetensors')), false, 'nothing was written');
  });

  it('reports a corrupt stored model without touching it', async () => {
    const ws = folder('ws4', { 'a.ts': SOURCE });
    const ck = path.join(tmp, 'corrupt.safetensors');
    fs.writeFileSync(ck, 'this is not a model');
    const o = await controller().start(job([ws], ck));
    assert.ok(o.kind === 'failed' && o.code === 'corrupt-checkpoint', JSON.stringify(o));
    assert.equal(fs.readFileSync(ck, 'utf8'), 'this is not a model', 'the host decides what to do with it');
  });

  it('turns a worker out of memory into a crash outcome; the last checkpoint survives', async () => {
    const ws = folder('ws5', { 'a.ts': SOURCE });
    const ck = path.join(tmp, 'oom.safetensors');
    const c = controller();
    assert.equal((await c.start(job([ws], ck, { budgetMs: 800 }))).kind, 'done');
    const before = fs.readFileSync(ck);
    // 40 MB of text into a worker allowed a 16 MB heap
    const big = folder('big', Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, `line ${i} of text\n`.repeat(500_000)])));
    const o: RunOutcome = await controller(16).start(job([big], ck, { corpus: { ...job([big], ck).corpus, maxFileBytes: 64 << 20, maxTotalBytes: 256 << 20 } }));
    assert.ok(o.kind === 'crashed' && o.outOfMemory, JSON.stringify(o));
    assert.deepEqual(fs.readFileSync(ck), before, 'the stored model is untouched');
  });

  it('samples from a stored model in a worker of its own, and refuses a corrupt one', async () => {
    const ws = folder('ws6', { 'a.ts': SOURCE });
    const ck = path.join(tmp, 'sample.safetensors');
    const c = controller();
    await c.start(job([ws], ck, { budgetMs: 800 }));
    const text = await c.sampleStored({ kind: 'sample', checkpointPath: ck, length: 80, temperature: 0.8, seed: 5, prime: 'export ' });
    assert.ok(text.length > 20, JSON.stringify(text));
    await assert.rejects(c.sampleStored({ kind: 'sample', checkpointPath: path.join(tmp, 'corrupt.safetensors'), length: 10, temperature: 1, seed: 1, prime: '' }),
      /not a safetensors|truncated|header/i);
  });

  it('rolls back after a NaN loss with a lower learning rate, then gives up with one clear message', async () => {
    const ws = folder('ws8', { 'a.ts': SOURCE, 'b.ts': SOURCE });
    const ck = path.join(tmp, 'nan.safetensors');
    const c = controller();
    const notices: string[] = [];
    c.on('notice', (m: string) => notices.push(m));
    const j = job([ws], ck, { budgetMs: 20_000 });
    const o = await c.start({ ...j, settings: { ...j.settings, learningRate: 3e38 } });
    assert.ok(o.kind === 'failed' && o.code === 'diverged', JSON.stringify(o));
    assert.ok(notices.filter((n) => /NaN.*rolled back.*halved the learning rate/.test(n)).length >= 1, notices.join('\n'));
    assert.equal(fs.existsSync(ck), false, 'no diverged model was saved');
  });

  it('trains on two threads when asked', async () => {
    const ws = folder('ws7', { 'a.ts': SOURCE.repeat(4), 'b.ts': SOURCE.repeat(3) });
    const c = controller();
    let started: StartedMessage | undefined;
    c.once('started', (m) => { started = m; });
    const o = await c.start(job([ws], path.join(tmp, 'threads.safetensors'), { budgetMs: 1500 }, 2));
    assert.equal(o.kind, 'done', JSON.stringify(o));
    assert.equal(started?.threads, 2);
    assert.ok(loadCheckpoint(path.join(tmp, 'threads.safetensors')).training.steps > 0);
  });
});
