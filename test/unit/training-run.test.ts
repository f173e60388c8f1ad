// runTraining's schedule: validation is spaced so that it takes at most EVAL_SHARE of the run,
// however often the caller asks for it. A fake clock makes the timing exact: it advances TICK ms
// on every reading, so an evaluation (two readings, start and end) "takes" TICK ms, and the run
// sees time pass only through its own readings.
import { strict as assert } from 'node:assert';
import { DEFAULT_TRAIN, ModelConfig } from '../../src/engine/config';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { CharRNN } from '../../src/engine/model';
import { Rng } from '../../src/engine/rng';
import { Trainer } from '../../src/engine/trainer';
import { EVAL_SHARE, runTraining } from '../../src/training/run-loop';

const TEXT = 'if (a) { return "b"; } // c\n'.repeat(40);

async function run(evalEveryMs: number, tick: number) {
  const vocab = [...new Set(TEXT)];
  const ids = Int32Array.from(TEXT, (ch) => vocab.indexOf(ch));
  const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 8, vocabSize: vocab.length, dropout: 0 };
  const train = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 2 };
  const model = new CharRNN(config, createRefKernels(), train.batchSize, train.seqLength);
  model.initParams(new Rng(1));
  const trainer = new Trainer(model, train, ids);
  let clock = 0;
  const steps = 60;
  const r = await runTraining({
    model, trainer, train, vocab, val: [ids.subarray(0, 100)], unkId: -1, outOfVocabCodePoints: 1,
    budget: { steps }, progress: { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] },
    save: () => {}, evalEveryMs, sampleEveryMs: 1e9, saveEveryMs: 1e9, progressEveryMs: 1e9,
    now: () => (clock += tick),
  });
  return { evaluations: r.progress.valBpcHistory.length, steps: r.progress.steps, elapsed: clock };
}

describe('training run schedule', () => {
  it('evaluates as often as asked when evaluations are cheap', async () => {
    // an evaluation takes one tick (1 ms): the 5% rule asks for 19 ms between them, less than 40
    const r = await run(40, 1);
    assert.equal(r.steps, 60);
    // a few clock readings per step: evaluations every 40 ms of that clock, and one at the end
    assert.ok(r.evaluations >= Math.floor(r.elapsed / 60) && r.evaluations <= Math.ceil(r.elapsed / 40) + 1,
      `${r.evaluations} evaluations in ${r.elapsed} ms`);
  });

  it('spaces slow evaluations so they take at most 5% of the run', async () => {
    // asked for every 1 ms, but an evaluation takes 10 ms: at least 190 ms must pass between them
    const tick = 10;
    const r = await run(1, tick);
    assert.equal(r.steps, 60);
    const gap = tick * (1 / EVAL_SHARE - 1);
    assert.ok(r.evaluations <= Math.ceil(r.elapsed / gap) + 1, `${r.evaluations} evaluations in ${r.elapsed} ms, gap ≥ ${gap} ms`);
    assert.ok(r.evaluations >= 2, 'it still evaluates now and then, and at the end');
    // without the rule there would be one after (nearly) every step
    assert.ok(r.evaluations < r.steps / 4, `${r.evaluations} evaluations for ${r.steps} steps`);
  });
});
