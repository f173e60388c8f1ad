import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CellType, DEFAULT_TRAIN, ModelConfig, TrainConfig } from '../../src/engine/config';
import type { Kernels } from '../../src/engine/kernels';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { loadWasmKernelsSync } from '../../src/runtime/wasm-kernels';
import { CharRNN } from '../../src/engine/model';
import { Rng } from '../../src/engine/rng';
import { StepResult, Trainer } from '../../src/engine/trainer';
import { ParallelTrainer, ParallelTrainerOptions, streamRanges, subBatchCount } from '../../src/training/parallel-trainer';

const V = 20;

/** Text with some structure: words of a small alphabet. */
function makeText(n: number, seed: number): Int32Array {
  const rng = new Rng(seed), out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (i % 7 === 6) ? 0 : 1 + ((rng.int(V - 1) + (i % 3)) % (V - 1));
  return out;
}

function makeModel(cell: CellType, layers: number, hidden: number, B: number, T: number, dropout = 0,
  kernels: Kernels = createRefKernels()): CharRNN {
  const config: ModelConfig = { cell, layers, hidden, vocabSize: V, dropout };
  const model = new CharRNN(config, kernels, B, T);
  model.initParams(new Rng(7));
  return model;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += a[i] ** 2; }
  return Math.sqrt(d / n);
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const workerSource = resolve(__dirname, '../../src/training/grad-worker.ts');
const modelSource = resolve(__dirname, '../../src/engine/model.ts');
/** The real grad worker, with `before` run in thread 1 before each of its CharRNN.trainChunk calls. */
function patchedWorker(before: string): string {
  return `const { workerData } = require('node:worker_threads');\n` +
    `const { CharRNN } = require(${JSON.stringify(modelSource)});\n` +
    `if (workerData.role === 'grad-compute' && workerData.index === 1) {\n` +
    `  const real = CharRNN.prototype.trainChunk;\n` +
    `  CharRNN.prototype.trainChunk = function (...args: unknown[]) { ${before} return real.apply(this, args); };\n` +
    `}\n` +
    `require(${JSON.stringify(workerSource)});\n`;
}
/** Thread 1 as if another process took its core: 30 ms lost before each sub-batch. */
const slowWorker = join(mkdtempSync(join(tmpdir(), 'grad-worker-slow-')), 'slow.ts');
writeFileSync(slowWorker, patchedWorker('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);'));

describe('ParallelTrainer', function () {
  this.timeout(60_000);
  const open: ParallelTrainer[] = [];
  const create = async (model: CharRNN, cfg: TrainConfig, data: Int32Array, opts: ParallelTrainerOptions) => {
    // a short step timeout: a hang would block this thread, and mocha's timeout with it
    const t = await ParallelTrainer.create(model, cfg, data, { stepTimeoutMs: 30_000, ...opts });
    open.push(t);
    return t;
  };
  afterEach(async () => { await Promise.all(open.splice(0).map((t) => t.close())); });

  it('splits the streams into contiguous, nearly equal ranges', () => {
    assert.deepEqual(streamRanges(32, 2), [0, 16, 32]);
    assert.deepEqual(streamRanges(7, 3), [0, 2, 4, 7]);
  });

  for (const [cell, layers, threads, B] of [['lstm', 2, 2, 6], ['gru', 1, 3, 7]] as const) {
    it(`matches the single-thread Trainer: ${cell} ×${layers}, ${threads} threads, ${B} streams, across an epoch end`, async () => {
      const T = 8, data = makeText(B * 25, 3);   // 25 characters per stream: 3 steps per epoch
      const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T, learningRate: 1e-2 };
      const m1 = makeModel(cell, layers, 16, B, T), mN = makeModel(cell, layers, 16, B, T);
      const single = new Trainer(m1, cfg, data);
      const parallel = await create(mN, cfg, data, { threads });
      assert.equal(parallel.threads, threads);
      assert.equal(parallel.stepsPerEpoch, 3);
      const r1: StepResult[] = [], rN: StepResult[] = [];
      for (let k = 0; k < 5; k++) { r1.push(single.step()); rN.push(parallel.step()); }
      for (let k = 0; k < 5; k++) {
        assert.equal(rN[k].epochEnded, r1[k].epochEnded);
        assert.equal(rN[k].charsSeen, r1[k].charsSeen);
        assert.ok(Math.abs(rN[k].lossBits - r1[k].lossBits) <= 1e-5 * r1[k].lossBits, `step ${k}: ${rN[k].lossBits} vs ${r1[k].lossBits}`);
        assert.ok(Math.abs(rN[k].gradNorm - r1[k].gradNorm) <= 1e-5 * r1[k].gradNorm);
      }
      assert.ok(rN[2].epochEnded);
      const d = relDiff(mN.params, m1.params);
      assert.ok(d < 1e-5, `params differ by ${d} relative`);
      assert.ok(relDiff(mN.params, makeModel(cell, layers, 16, B, T).params) > 1e-3, 'the params moved');
      const h1 = single.exportState().tensors['hidden.h'], hN = parallel.exportState().tensors['hidden.h'];
      assert.ok(relDiff(hN, h1) < 1e-4, 'the carried hidden state matches');
    });
  }

  it('matches the single-thread Trainer with the WebAssembly kernels (when built)', async function () {
    let kernels: Kernels;
    try { kernels = loadWasmKernelsSync(); } catch { this.skip(); }
    const B = 8, T = 16, data = makeText(B * 40, 4);
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T, learningRate: 1e-2 };
    const config: ModelConfig = { cell: 'lstm', layers: 2, hidden: 32, vocabSize: V, dropout: 0 };
    const m1 = new CharRNN(config, kernels!, B, T), m2 = new CharRNN(config, kernels!, B, T);
    m1.initParams(new Rng(7)); m2.initParams(new Rng(7));
    const single = new Trainer(m1, cfg, data), parallel = await create(m2, cfg, data, { threads: 2 });
    for (let k = 0; k < 4; k++) {
      const a = single.step(), b = parallel.step();
      assert.ok(Math.abs(a.lossBits - b.lossBits) <= 1e-5 * a.lossBits, `step ${k}: ${b.lossBits} vs ${a.lossBits}`);
    }
    const d = relDiff(m2.params, m1.params);
    assert.ok(d < 1e-5, `params differ by ${d} relative`);
  });

  it('is bit-identical to Trainer on one thread', async () => {
    const B = 4, T = 6, data = makeText(600, 5);
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T };
    const m1 = makeModel('lstm', 2, 12, B, T), mP = makeModel('lstm', 2, 12, B, T);
    const single = new Trainer(m1, cfg, data), parallel = await create(mP, cfg, data, { threads: 1 });
    for (let k = 0; k < 3; k++) assert.equal(parallel.step().lossBits, single.step().lossBits);
    assert.ok(sameBits(mP.params, m1.params));
  });

  it('resumes bit-identically from exportState/importState with the same thread count (dropout on)', async () => {
    const B = 6, T = 8, data = makeText(B * 40, 9);
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T };
    const straight = makeModel('lstm', 2, 16, B, T, 0.25);
    const a = await create(straight, cfg, data, { threads: 2 });
    const lossA: number[] = [];
    for (let k = 0; k < 6; k++) lossA.push(a.step().lossBits);

    const first = makeModel('lstm', 2, 16, B, T, 0.25);
    const b = await create(first, cfg, data, { threads: 2 });
    const lossB: number[] = [];
    for (let k = 0; k < 3; k++) lossB.push(b.step().lossBits);
    const saved = b.exportState(), params = first.params.slice();
    await b.close();

    const resumed = makeModel('lstm', 2, 16, B, T, 0.25);
    resumed.params.set(params);
    const c = await create(resumed, cfg, data, { threads: 2 });
    c.importState(saved);
    for (let k = 0; k < 3; k++) lossB.push(c.step().lossBits);
    assert.deepEqual(lossB, lossA);
    assert.ok(sameBits(resumed.params, straight.params), 'params are bit-identical');
    assert.ok(sameBits(c.exportState().tensors['hidden.c'], a.exportState().tensors['hidden.c']), 'state is bit-identical');
  });

  it('uses at most one thread per stream', async () => {
    const data = makeText(300, 1), cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: 2, seqLength: 8 };
    const t = await create(makeModel('rnn', 1, 8, 2, 8), cfg, data, { threads: 5 });
    assert.equal(t.threads, 2);
    assert.ok(Number.isFinite(t.step().lossBits));
  });

  it('splits a batch into the same sub-batches for 2 to 4 threads', () => {
    assert.equal(subBatchCount(32, 2), 8);
    assert.equal(subBatchCount(32, 4), 8);
    assert.equal(subBatchCount(32, 8), 16);
    assert.equal(subBatchCount(5, 2), 5, 'at most one sub-batch per stream');
  });

  for (const backend of ['ref', 'wasm'] as const) it(`gives bit-identical results whatever the thread count, the active threads and a slowed thread (${backend} kernels)`, async function () {
    let kernels: Kernels;
    try { kernels = backend === 'ref' ? createRefKernels() : loadWasmKernelsSync(); } catch { this.skip(); }
    const B = 8, T = 8, data = makeText(B * 60, 6);
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T, learningRate: 1e-2 };
    const run = async (opts: ParallelTrainerOptions, activeAt: (k: number) => number | undefined) => {
      const model = makeModel('lstm', 2, 16, B, T, 0.2, kernels);
      const t = await create(model, cfg, data, opts);
      const losses: number[] = [];
      for (let k = 0; k < 6; k++) {
        const n = activeAt(k);
        if (n !== undefined) { t.setActiveThreads(n); assert.equal(t.activeThreads, Math.min(n, t.threads)); }
        losses.push(t.step().lossBits);
      }
      return { losses, params: model.params, hidden: t.exportState().tensors['hidden.c'] };
    };
    const two = await run({ threads: 2 }, () => undefined);
    const three = await run({ threads: 3 }, (k) => (k === 2 ? 1 : k === 4 ? 9 : undefined));
    const slowed = await run({ threads: 2, workerScript: slowWorker }, () => undefined);
    for (const [name, r] of [['3 threads, one active for two steps', three], ['thread 1 slowed down', slowed]] as const) {
      assert.deepEqual(r.losses, two.losses, name);
      assert.ok(sameBits(r.params, two.params), `${name}: params are bit-identical`);
      assert.ok(sameBits(r.hidden, two.hidden), `${name}: state is bit-identical`);
    }
  });

  it('lets the other threads sit a step out: activeThreads is clamped to 1..threads', async () => {
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: 4, seqLength: 8 };
    const t = await create(makeModel('lstm', 1, 8, 4, 8), cfg, makeText(500, 1), { threads: 2 });
    assert.equal(t.activeThreads, 2);
    t.setActiveThreads(0);
    assert.equal(t.activeThreads, 1);
    assert.ok(Number.isFinite(t.step().lossBits));
    t.setActiveThreads(5);
    assert.equal(t.activeThreads, 2);
    assert.ok(Number.isFinite(t.step().lossBits));
  });

  describe('a thread that dies mid-step fails the run with one clear message', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'grad-worker-fault-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    /** A worker script that runs the real worker with `fault` injected into the first sub-batch
     *  thread 1 takes from the 2nd step on: it patches the engine's CharRNN.trainChunk (which the
     *  compute threads call) before loading it. */
    const faultyWorker = (name: string, fault: string) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(file, patchedWorker(`if (Atomics.load(workerData.shared.ctrl, 0) >= 2) { ${fault} }`));
      return file;
    };
    /** Runs steps until one throws (thread 1 takes a sub-batch of the 2nd step or a later one). */
    const stepUntilThrow = (t: ParallelTrainer): Error => {
      for (let k = 0; k < 50; k++) {
        try { t.step(); } catch (e) { return e as Error; }
      }
      throw new Error('thread 1 took no sub-batch in 50 steps');
    };
    const cases: [string, string, RegExp, ParallelTrainerOptions['resourceLimits']?][] = [
      ['throws', `throw new Error('injected fault');`, /injected fault/],
      ['exits', 'process.exit(7);', /thread 1 exited with code 7/],
      ['runs out of memory', 'const hog: number[][] = []; for (;;) hog.push(new Array(100000).fill(Math.random()));',
        /memory/i, { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 }],
    ];
    for (const [what, fault, pattern, limits] of cases) {
      it(what, async () => {
        const B = 4, T = 8, data = makeText(2000, 2), cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: B, seqLength: T };
        const t = await create(makeModel('lstm', 1, 16, B, T), cfg, data,
          { threads: 2, workerScript: faultyWorker(what.replace(/ /g, '-'), fault), resourceLimits: limits, stepTimeoutMs: 30_000 });
        assert.ok(Number.isFinite(t.step().lossBits));
        const t0 = Date.now();
        const e = stepUntilThrow(t);
        assert.match(e.message, /^A training thread stopped unexpectedly: /);
        assert.match(e.message, pattern);
        assert.ok(Date.now() - t0 < 20_000, 'reported promptly, not by the timeout');
        assert.throws(() => t.step(), { message: /^A training thread stopped unexpectedly/ }, 'and stays failed');
        await t.close();
      });
    }

    it('a thread that cannot start fails create() with one clear message', async () => {
      const file = join(dir, 'broken.ts');
      writeFileSync(file, `throw new Error('cannot load the kernels');\n`);
      const cfg: TrainConfig = { ...DEFAULT_TRAIN, batchSize: 4, seqLength: 8 };
      await assert.rejects(ParallelTrainer.create(makeModel('lstm', 1, 8, 4, 8), cfg, makeText(500, 1), { threads: 2, workerScript: file }),
        /^Error: A training thread could not start: .*cannot load the kernels/);
    });
  });
});
