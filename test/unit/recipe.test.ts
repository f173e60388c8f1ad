// The training recipe (issue 17): a learning-rate schedule made for the run's budget, a fresh
// schedule for a resumed run, the LSTM forget-gate bias at 1, and validation choosing the model
// that is kept on disk. Fake clocks make the time budget exact: the clock advances TICK ms on
// every reading, so the run sees time pass only through its own readings.
import { strict as assert } from 'node:assert';
import type { Checkpoint, TrainingProgress } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN, ModelConfig, TrainConfig } from '../../src/engine/config';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { CharRNN } from '../../src/engine/model';
import { view } from '../../src/engine/params';
import { Rng } from '../../src/engine/rng';
import { scheduledLr, scheduleOf } from '../../src/engine/schedule';
import { StepResult, Trainer, TrainerExport } from '../../src/engine/trainer';
import { DEFAULTS } from '../../src/defaults';
import { Budget, runTraining, StepTrainer } from '../../src/training/run-loop';
import { prepareSession } from '../../src/training/session';

const TEXT = 'if (a) { return "b"; } // c\n'.repeat(40);
const VOCAB = [...new Set(TEXT)];
const IDS = Int32Array.from(TEXT, (ch) => VOCAB.indexOf(ch));
const FRESH: TrainingProgress = { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] };

function tiny(train: TrainConfig): { model: CharRNN; trainer: Trainer } {
  const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 8, vocabSize: VOCAB.length, dropout: 0 };
  const model = new CharRNN(config, createRefKernels(), train.batchSize, train.seqLength);
  model.initParams(new Rng(1));
  return { model, trainer: new Trainer(model, train, IDS) };
}

/** A trainer that records the learning rate of every step it takes (and may spoil the model after a step). */
function recording(inner: StepTrainer, after?: (r: StepResult) => void): StepTrainer & { lrs: number[] } {
  const lrs: number[] = [];
  return {
    lrs,
    get stepsPerEpoch() { return inner.stepsPerEpoch; },
    step() { const r = inner.step(); lrs.push(r.lr); after?.(r); return r; },
    setLearningRate: (lr) => inner.setLearningRate(lr),
    exportState: () => inner.exportState(),
    importState: (x: TrainerExport) => inner.importState(x),
    continueFrom: (p) => inner.continueFrom(p),
  };
}

interface Saved { steps: number; params: Float32Array; state: TrainerExport }

async function run(o: {
  model: CharRNN; trainer: StepTrainer; train: TrainConfig; budget: Budget; progress?: TrainingProgress;
  val?: Int32Array[]; tick?: number; saves?: Saved[]; evalEveryMs?: number; saveEveryMs?: number; stopAfter?: number;
}) {
  let clock = 0, steps = 0;
  const counted = recording(o.trainer, () => { steps++; });
  return runTraining({
    model: o.model, trainer: counted, train: o.train, vocab: VOCAB, val: o.val ?? [], unkId: -1, outOfVocabCodePoints: 1,
    budget: o.budget, progress: o.progress ?? FRESH,
    save: (ck: Checkpoint, state) => { o.saves?.push({ steps: ck.training.steps, params: ck.params.slice(), state: state as TrainerExport }); },
    evalEveryMs: o.evalEveryMs ?? 1e12, sampleEveryMs: 1e12, saveEveryMs: o.saveEveryMs ?? 1e12, progressEveryMs: 1e12,
    now: () => (clock += o.tick ?? 1),
    shouldStop: () => o.stopAfter !== undefined && steps >= o.stopAfter,
  });
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('recipe: the learning-rate schedule', () => {
  const train: TrainConfig = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 2, learningRate: 1e-2, schedule: 'cosine', warmupSteps: 5, lrFloor: 0.1 };

  it('warms up, then falls to the floor exactly when the budget ends', () => {
    const s = scheduleOf(train);
    close(scheduledLr(s, 0, 0)!, 1e-2 / 5, 1e-12, 'first step: 1/warmup of the peak');
    close(scheduledLr(s, 0.01, 4)!, 1e-2 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.01))), 1e-12, 'after the warm-up: the cosine');
    close(scheduledLr(s, 1, 100)!, 1e-3, 1e-15, 'the budget\'s end: the floor');
    close(scheduledLr({ ...s, name: 'linear' }, 0.5, 100)!, 1e-2 * (0.1 + 0.9 * 0.5), 1e-15, 'linear, half way');
    assert.equal(scheduledLr({ ...s, name: 'constant' }, 0.5, 100), undefined, 'constant: the Trainer keeps its own rate');
  });

  it('a step budget: the last step runs at the floor', async () => {
    const { model, trainer } = tiny(train);
    const t = recording(trainer);
    await run({ model, trainer: t, train, budget: { steps: 40 } });
    assert.equal(t.lrs.length, 40);
    close(t.lrs[0], 1e-2 / 5, 1e-5, 'warm-up (and 1/40 of the way down)');
    close(t.lrs[39], 1e-3, 1e-12, 'floor at the last step');
    for (let i = 5; i < 40; i++) assert.ok(t.lrs[i] <= t.lrs[i - 1] + 1e-12, `decreasing after the warm-up (step ${i + 1})`);
  });

  it('a time budget (fake clock): the rate reaches the floor when the minutes end', async () => {
    const { model, trainer } = tiny(train);
    const t = recording(trainer);
    const r = await run({ model, trainer: t, train, budget: { minutes: 1 }, tick: 50 });   // 60,000 ms of readings
    assert.equal(r.reason, 'budget');
    assert.ok(t.lrs.length > 100, `${t.lrs.length} steps`);
    const last = t.lrs[t.lrs.length - 1];
    close(last, 1e-3, 1e-4, 'the last step, within a step of the end, at the floor');
    assert.ok(t.lrs[Math.floor(t.lrs.length / 2)] > 4e-3, 'half way it is still half way down');
  });

  it('a resumed run with a new budget gets a new schedule, from the weights', async () => {
    const first = tiny(train);
    const t1 = recording(first.trainer);
    const saves: Saved[] = [];
    const r1 = await run({ model: first.model, trainer: t1, train, budget: { steps: 20 }, saves });
    close(t1.lrs[19], 1e-3, 1e-12, 'the first run ends at its floor');

    // resume: the saved weights and trainer state, a budget of 30 more steps (50 in all)
    const second = tiny(train);
    second.model.params.set(saves[saves.length - 1].params);
    second.trainer.importState(saves[saves.length - 1].state);
    const t2 = recording(second.trainer);
    await run({ model: second.model, trainer: t2, train, budget: { steps: 50 }, progress: r1.progress });
    assert.equal(t2.lrs.length, 30);
    close(t2.lrs[0], 1e-2 / 5, 1e-5, 'warms up again');
    assert.ok(Math.max(...t2.lrs) > 9e-3, 'climbs back near the peak');
    close(t2.lrs[29], 1e-3, 1e-12, 'and reaches the floor at the new budget\'s end');
  });

  it('a run stopped and resumed with the same step budget goes on with its schedule', async () => {
    const whole = tiny(train);
    const tw = recording(whole.trainer);
    await run({ model: whole.model, trainer: tw, train, budget: { steps: 30 } });
    const first = tiny(train);
    const saves: Saved[] = [];
    const r1 = await run({ model: first.model, trainer: first.trainer, train, budget: { steps: 30 }, saves, stopAfter: 12 });
    assert.equal(r1.reason, 'stopped');
    const second = tiny(train);
    second.model.params.set(saves[saves.length - 1].params);
    second.trainer.importState(saves[saves.length - 1].state);
    const t2 = recording(second.trainer);
    await run({ model: second.model, trainer: t2, train, budget: { steps: 30 }, progress: r1.progress });
    assert.deepEqual(t2.lrs, tw.lrs.slice(12), 'the same rates as the run that was not stopped');
    assert.deepEqual(second.model.params, whole.model.params);
  });
});

describe('recipe: initialisation', () => {
  it('a new LSTM\'s forget gates start with bias 1 (b_ih + b_hh), the rest as PyTorch', async () => {
    const s = await prepareSession({
      trainText: TEXT, valTexts: [], kernels: createRefKernels(),
      settings: { cell: 'lstm', layers: 2, hidden: 16, dropout: 0, seqLength: 8, batchSize: 2, optimizer: 'adam', learningRate: 1e-3, seed: 3, threads: 1 },
    });
    const H = 16, k = 1 / Math.sqrt(H);
    assert.equal(DEFAULTS.model.forgetBias, 1);
    for (const slot of s.model.layout.layers) {
      const bih = view(s.model.params, slot.bih), bhh = view(s.model.params, slot.bhh);
      for (let j = 0; j < 4 * H; j++) {
        const sum = bih[j] + bhh[j];
        if (j >= H && j < 2 * H) assert.equal(sum, 1, `forget row ${j}`);   // gates i,f,g,o: f is [H, 2H)
        else assert.ok(Math.abs(bih[j]) <= k && Math.abs(bhh[j]) <= k, `row ${j} as PyTorch`);
      }
    }
    await s.close();
  });

  it('a new model\'s decoder bias is the training text\'s log character frequencies', async () => {
    const text = 'aaaaaaab'.repeat(50);
    const s = await prepareSession({
      trainText: text, valTexts: [], kernels: createRefKernels(),
      settings: { cell: 'lstm', layers: 1, hidden: 8, dropout: 0, seqLength: 8, batchSize: 2, optimizer: 'adam', learningRate: 1e-3, seed: 3, threads: 1 },
    });
    assert.equal(DEFAULTS.model.unigramOutputBias, true);
    const bias = view(s.model.params, s.model.layout.decoderBias);
    const a = s.vocab.encode('a')[0], b = s.vocab.encode('b')[0];
    close(bias[a] - bias[b], Math.log(350.5 / 50.5), 1e-5, 'log(count a / count b), add-½ smoothed');
    assert.ok(bias[s.vocab.unkId] < bias[b], 'UNK, never seen, least likely');
    assert.ok(Math.abs(bias.reduce((x, y) => x + y, 0)) < 1e-4, 'centred');
    await s.close();
  });

  it('a step decay asked for (--lr-decay-every) keeps the old constant-with-steps schedule', async () => {
    const s = await prepareSession({
      trainText: TEXT, valTexts: [], kernels: createRefKernels(),
      settings: { cell: 'lstm', layers: 1, hidden: 8, dropout: 0, seqLength: 8, batchSize: 2, optimizer: 'adam', learningRate: 1e-3, seed: 3, threads: 1,
        extra: { lrDecay: 0.5, lrDecayEvery: 10 } },
    });
    assert.equal(s.train.schedule, 'constant');
    await s.close();
  });

  it('GRU and RNN keep PyTorch\'s initialisation', () => {
    const config: ModelConfig = { cell: 'gru', layers: 1, hidden: 8, vocabSize: 5, dropout: 0 };
    const m = new CharRNN(config, createRefKernels(), 1, 1);
    m.initParams(new Rng(2), { forgetBias: 1 });
    const k = 1 / Math.sqrt(8);
    assert.ok(m.params.every((p) => Math.abs(p) <= k));
  });
});

describe('recipe: validation decides the kept model', () => {
  const train: TrainConfig = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 2, learningRate: 1e-2, schedule: 'constant', warmupSteps: 0 };
  const val = [IDS.subarray(0, 200)];
  /** After step `from`, every step spoils the weights: validation only gets worse from there. */
  const spoilAfter = (model: CharRNN, from: number) => {
    const rng = new Rng(9);
    return (r: StepResult) => {
      if (r.step > from) for (let i = 0; i < model.params.length; i++) model.params[i] += rng.uniform(-0.5, 0.5);
    };
  };

  it('a run that gets worse keeps its best model on disk, and says which', async () => {
    const { model, trainer } = tiny(train);
    const saves: Saved[] = [];
    const r = await run({ model, trainer: recording(trainer, spoilAfter(model, 30)), train, budget: { steps: 45 }, val, saves, evalEveryMs: 0, saveEveryMs: 0 });
    assert.equal(r.progress.steps, 45, 'the run itself went to the end');
    const onDisk = saves[saves.length - 1];
    assert.ok(r.kept && r.kept.step <= 30 && onDisk.steps === r.kept.step, `kept step ${r.kept?.step}, on disk ${onDisk.steps}`);
    // the kept weights score what the run says, better than the final ones
    const final = model.params.slice();
    model.params.set(onDisk.params);
    const { evaluateStreams } = await import('../../src/engine/eval');
    const kept = evaluateStreams(model, val, { unkId: -1 });
    close(kept.bits / kept.chars, r.kept!.valBpc, 1e-9, 'kept score');
    model.params.set(final);
    const last = evaluateStreams(model, val, { unkId: -1 });
    assert.ok(last.bits / last.chars > r.kept!.valBpc + 0.1, 'the end was worse');
    assert.ok(saves.every((s) => s.steps <= 30), 'no worse model was ever written');
  });

  it('a resumed run that only gets worse never overwrites the stored model', async () => {
    const { model, trainer } = tiny(train);
    const saves: Saved[] = [];
    await run({ model, trainer: recording(trainer), train, budget: { steps: 30 }, val, saves });
    const stored = saves[saves.length - 1];
    const again = tiny(train);
    again.model.params.set(stored.params);
    again.trainer.importState(stored.state);
    const more: Saved[] = [];
    const r = await run({
      model: again.model, trainer: recording(again.trainer, spoilAfter(again.model, 0)), train, budget: { steps: 40 },
      progress: { ...FRESH, steps: 30 }, val, saves: more, evalEveryMs: 0, saveEveryMs: 0,
    });
    assert.equal(more.length, 0, 'nothing written');
    assert.equal(r.kept?.step, 30, 'the stored model is the one kept');
  });

  it('without validation text the latest model is saved', async () => {
    const { model, trainer } = tiny(train);
    const saves: Saved[] = [];
    await run({ model, trainer, train, budget: { steps: 12 }, saves });
    assert.equal(saves[saves.length - 1].steps, 12);
  });
});
