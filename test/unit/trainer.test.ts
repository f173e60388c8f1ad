import { strict as assert } from 'node:assert';
import { CellType, DEFAULT_TRAIN, ModelConfig, OptimizerName, TrainConfig } from '../../src/engine/config';
import { CharRNN, RecurrentState } from '../../src/engine/model';
import { createRefKernels } from '../../src/engine/kernels-ref';
import type { Kernels } from '../../src/engine/kernels';
import { loadWasmKernelsSync } from '../../src/runtime/wasm-kernels';

/** The WebAssembly kernels when dist/ has them (`npm run build`; they are tested against the
 *  reference in kernels-wasm.test.ts), else the reference: the long training test below takes
 *  ~40 s of CPU on the reference kernels and a few on WebAssembly. */
function fastKernels(): Kernels {
  try {
    return loadWasmKernelsSync();
  } catch {
    return createRefKernels();
  }
}
import { Rng } from '../../src/engine/rng';
import { Trainer, TrainerExport, validateTrainConfig } from '../../src/engine/trainer';

function vocabOf(text: string): { ids: Int32Array; V: number } {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((ch, i) => [ch, i]));
  return { ids: Int32Array.from(text, (ch) => index.get(ch)!), V: chars.length };
}

function makeModel(cell: CellType, layers: number, hidden: number, V: number, B: number, T: number,
  seed: number, dropout = 0, kernels: Kernels = createRefKernels()): CharRNN {
  const config: ModelConfig = { cell, layers, hidden, vocabSize: V, dropout };
  const model = new CharRNN(config, kernels, B, T);
  model.initParams(new Rng(seed));
  return model;
}

/** Mean bits/char of the text scored from the zero state, characters 2..N (as `eval` does),
 *  fed in chunks of T with the state carried. */
function textBits(model: CharRNN, ids: Int32Array, T: number): number {
  const state = model.newState(1);
  const inputs = model.kernels.allocInt(T), targets = model.kernels.allocInt(T);
  let nats = 0;
  for (let p = 0; p + 1 < ids.length; p += T) {
    const n = Math.min(T, ids.length - 1 - p);
    for (let t = 0; t < T; t++) {
      inputs[t] = t < n ? ids[p + t] : 0;
      targets[t] = t < n ? ids[p + t + 1] : -1;
    }
    nats += model.lossChunk(inputs, targets, T, 1, state);
  }
  return nats / (ids.length - 1) / Math.LN2;
}

/** A stand-in for CharRNN that records what the trainer feeds it, so the stream layout can be
 *  checked exactly: it adds 1 to the hidden state each chunk and reports 1 bit per target. */
class RecordingModel {
  readonly config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 2, vocabSize: 100, dropout: 0 };
  readonly kernels = createRefKernels();
  readonly params = new Float32Array(3);
  readonly grads = new Float32Array(3);
  calls: { inputs: number[]; targets: number[]; hAtEntry: number[]; gradScale: number }[] = [];
  nats = Math.LN2;
  newState(B: number): RecurrentState { return { h: new Float32Array(2 * B), c: new Float32Array(2 * B) }; }
  trainChunk(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState,
    _rng: Rng | null, gradScale: number): number {
    this.calls.push({ inputs: Array.from(inputs.subarray(0, T * B)), targets: Array.from(targets.subarray(0, T * B)),
      hAtEntry: Array.from(state.h), gradScale });
    for (let i = 0; i < state.h.length; i++) state.h[i] += 1;
    this.grads.fill(0.5);
    let n = 0;
    for (let i = 0; i < T * B; i++) if (targets[i] >= 0) n++;
    return n * this.nats;
  }
}

const recordingTrainer = (N: number, cfg: Partial<TrainConfig>) => {
  const model = new RecordingModel();
  const data = Int32Array.from({ length: N }, (_, i) => i % 100);
  const trainer = new Trainer(model as unknown as CharRNN, { ...DEFAULT_TRAIN, ...cfg }, data);
  return { model, trainer };
};

describe('Trainer: streams, epochs, config', () => {
  it('reads B evenly spaced streams, time-major, masking the short last chunk', () => {
    // N = 23, B = 2, T = 4: S = 11, segments [0,11) and [11,22); character 22 is not read.
    const { model, trainer } = recordingTrainer(23, { batchSize: 2, seqLength: 4, optimizer: 'sgd', clipNorm: 0 });
    assert.equal(trainer.segmentLength, 11);
    assert.equal(trainer.stepsPerEpoch, 3);   // targets 1..10 of each segment: 4 + 4 + 2
    for (let s = 0; s < 3; s++) trainer.step();
    const [c0, c1, c2] = model.calls;
    // (T,B) index t·B + b: stream 0 at 0.., stream 1 at 11..
    assert.deepEqual(c0.inputs, [0, 11, 1, 12, 2, 13, 3, 14]);
    assert.deepEqual(c0.targets, [1, 12, 2, 13, 3, 14, 4, 15]);
    assert.deepEqual(c1.inputs, [4, 15, 5, 16, 6, 17, 7, 18]);
    assert.deepEqual(c2.inputs, [8, 19, 9, 20, 10, 21, 0, 0]);
    assert.deepEqual(c2.targets, [9, 20, 10, 21, -1, -1, -1, -1]);
    assert.equal(c0.gradScale, 1 / 8);
    assert.equal(c2.gradScale, 1 / 4);
    assert.equal(trainer.state().charsSeen, 20);
  });

  it('carries the hidden state between chunks and zeroes it when an epoch ends', () => {
    const { model, trainer } = recordingTrainer(23, { batchSize: 2, seqLength: 4, optimizer: 'sgd', clipNorm: 0 });
    const results = Array.from({ length: 4 }, () => trainer.step());
    assert.deepEqual(results.map((r) => r.epochEnded), [false, false, true, false]);
    assert.deepEqual(results.map((r) => r.epoch), [0, 0, 1, 1]);
    assert.deepEqual(model.calls.map((c) => c.hAtEntry[0]), [0, 1, 2, 0]);   // carried, carried, reset
    assert.deepEqual(model.calls[3].inputs.slice(0, 2), [0, 11]);             // back at the segment starts
    assert.equal(results[0].lossBits, 1);
  });

  it('uses fewer streams when the text is short, and refuses a text shorter than one chunk', () => {
    // N = 20, T = 4: at most ⌊20/5⌋ = 4 streams of 5 characters each
    const { trainer } = recordingTrainer(20, { batchSize: 32, seqLength: 4 });
    assert.equal(trainer.batchSize, 4);
    assert.equal(trainer.hidden.h.length, 2 * 4);
    assert.throws(() => recordingTrainer(4, { batchSize: 1, seqLength: 4 }),
      /^Error: The training text has 4 characters, too few for one chunk of 4 characters plus its target; use a shorter sequence length or more text\.$/);
  });

  it('refuses character ids outside the vocabulary', () => {
    const model = new RecordingModel();
    assert.throws(() => new Trainer(model as unknown as CharRNN, DEFAULT_TRAIN, Int32Array.from({ length: 200 }, (_, i) => i)),
      /character id 100 at position 100, outside the vocabulary of 100/);
  });

  it('decays the learning rate every lrDecayEvery steps', () => {
    const { trainer } = recordingTrainer(200, { batchSize: 2, seqLength: 4, learningRate: 1, lrDecay: 0.5, lrDecayEvery: 2 });
    const lrs = Array.from({ length: 5 }, () => trainer.step().lr);
    assert.deepEqual(lrs, [1, 1, 0.5, 0.5, 0.25]);
    assert.equal(trainer.state().lr, 0.25);
  });

  it('clips, reports the norm before clipping, and steps the optimizer', () => {
    // grads are 0.5 × 3: norm √0.75; clipped to 0.1 then an sgd step of lr 1
    const { model, trainer } = recordingTrainer(200, { batchSize: 2, seqLength: 4, optimizer: 'sgd', learningRate: 1, clipNorm: 0.1 });
    const r = trainer.step();
    assert.ok(Math.abs(r.gradNorm - Math.sqrt(0.75)) < 1e-12);
    const expected = -0.5 * 0.1 / (Math.sqrt(0.75) + 1e-6);
    for (const p of model.params) assert.ok(Math.abs(p - expected) < 1e-7, `${p} vs ${expected}`);
  });

  it('reports a diverged step without applying it', () => {
    const { model, trainer } = recordingTrainer(200, { batchSize: 2, seqLength: 4, optimizer: 'adam' });
    model.nats = NaN;
    const r = trainer.step();
    assert.ok(Number.isNaN(r.lossBits));
    assert.deepEqual(Array.from(model.params), [0, 0, 0]);
    assert.equal((trainer.optimizer.state().step as number), 0);
  });

  it('validateTrainConfig names the bad value in one sentence', () => {
    assert.doesNotThrow(() => validateTrainConfig(DEFAULT_TRAIN));
    const bad: [Partial<TrainConfig>, RegExp][] = [
      [{ seqLength: 0 }, /^Sequence length must be an integer from 1 to 100000, not 0\.$/],
      [{ batchSize: 2.5 }, /^Batch size must be/],
      [{ optimizer: 'lbfgs' as OptimizerName }, /^Unknown optimizer "lbfgs"/],
      [{ learningRate: -1 }, /^Learning rate must be a positive number, not -1\.$/],
      [{ learningRate: NaN }, /^Learning rate must be/],
      [{ lrDecay: 0 }, /^Learning-rate decay must be in \(0, 1\]/],
      [{ lrDecayEvery: -1 }, /^Learning-rate decay interval/],
      [{ clipNorm: -5 }, /^Gradient clipping norm/],
      [{ clipValue: Infinity }, /^Gradient clipping value/],
      [{ momentum: 1 }, /^Momentum must be in \[0, 1\)/],
      [{ beta1: 1 }, /^Adam beta1/],
      [{ beta2: -0.1 }, /^Adam beta2/],
      [{ rmsDecay: 1.5 }, /^RMSprop decay/],
      [{ eps: 0 }, /^Epsilon must be a positive number/],
      [{ weightDecay: -1 }, /^Weight decay/],
      [{ seed: 0.5 }, /^Seed must be an integer/],
    ];
    for (const [patch, re] of bad) {
      assert.throws(() => validateTrainConfig({ ...DEFAULT_TRAIN, ...patch }), (e: Error) => re.test(e.message), JSON.stringify(patch));
    }
  });
});

// ---------------------------------------------------------------------------------------------

const PHRASE = 'the cat sat on the mat. the dog sat on the log. ';

describe('Trainer with CharRNN and the reference kernels', () => {
  it('loss decreases on a small repetitive text', () => {
    const { ids, V } = vocabOf(PHRASE.repeat(20));
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: 16, batchSize: 4, learningRate: 1e-2, seed: 3 };
    const model = makeModel('lstm', 1, 32, V, cfg.batchSize, cfg.seqLength, 3);
    const trainer = new Trainer(model, cfg, ids);
    const bits = Array.from({ length: 80 }, () => trainer.step().lossBits);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(bits.slice(0, 5)), last = mean(bits.slice(-5));
    assert.ok(first > 3, `initial loss ${first} should be near log2(${V})`);
    assert.ok(last < 0.5 * first, `loss went from ${first} to ${last}`);
  });

  const optimizers: OptimizerName[] = ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'];
  for (const optimizer of optimizers) {
    it(`resumes bit-identically (${optimizer}, dropout, lr decay, across an epoch end)`, () => {
      const { ids, V } = vocabOf(PHRASE.repeat(3));   // 144 chars, 3 streams of 48: 6 steps an epoch
      const cfg: TrainConfig = {
        ...DEFAULT_TRAIN, optimizer, seqLength: 8, batchSize: 3, learningRate: 0.05, lrDecay: 0.7, lrDecayEvery: 3,
        clipNorm: 1, weightDecay: 1e-4, seed: 11,
      };
      const build = () => makeModel('lstm', 2, 12, V, cfg.batchSize, cfg.seqLength, 5, 0.25);

      const straight = build();
      const a = new Trainer(straight, cfg, ids);
      for (let s = 0; s < 14; s++) a.step();

      const first = build();
      const b1 = new Trainer(first, cfg, ids);
      for (let s = 0; s < 5; s++) b1.step();
      // as through a checkpoint: tensors copied, meta through JSON
      const saved = b1.exportState();
      const copied: TrainerExport = {
        tensors: Object.fromEntries(Object.entries(saved.tensors).map(([k, t]) => [k, t.slice()])),
        meta: JSON.parse(JSON.stringify(saved.meta)),
      };
      const savedParams = first.params.slice();

      const second = build();
      second.initParams(new Rng(999));            // a different init, overwritten by the saved params
      second.params.set(savedParams);
      const b2 = new Trainer(second, cfg, ids);
      b2.importState(copied);
      let ended = false;
      for (let s = 5; s < 14; s++) ended = b2.step().epochEnded || ended;

      assert.ok(ended, 'the continued run should cross an epoch end');
      assert.deepEqual(b2.state(), a.state());
      assert.ok(second.params.every((x, i) => Object.is(x, straight.params[i])), 'params differ');
      assert.deepEqual(b2.hidden.h, a.hidden.h);
      assert.deepEqual(b2.exportState().tensors, a.exportState().tensors);
      // and it must have trained at all
      assert.ok(straight.params.some((x, i) => x !== savedParams[i]));
    });
  }

  it('zeroes the real model\'s hidden state exactly at each epoch end', () => {
    const { ids, V } = vocabOf(PHRASE.repeat(3));   // 144 chars, 3 streams of 48, T = 8: 6 steps an epoch
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 3 };
    const trainer = new Trainer(makeModel('lstm', 2, 8, V, 3, 8, 2), cfg, ids);
    assert.equal(trainer.stepsPerEpoch, 6);
    for (let s = 1; s <= 12; s++) {
      const r = trainer.step();
      const zero = trainer.hidden.h.every((x) => x === 0) && trainer.hidden.c.every((x) => x === 0);
      assert.equal(r.epochEnded, s % 6 === 0, `step ${s}`);
      assert.equal(zero, r.epochEnded, `step ${s}: hidden state ${zero ? 'zero' : 'non-zero'}`);
    }
    assert.equal(trainer.state().epoch, 2);
  });

  it('refuses a saved state for another optimizer or of the wrong size', () => {
    const { ids, V } = vocabOf(PHRASE.repeat(3));
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 3 };
    const t = new Trainer(makeModel('gru', 1, 8, V, 3, 8, 1), cfg, ids);
    const other = new Trainer(makeModel('gru', 1, 8, V, 3, 8, 1), { ...cfg, optimizer: 'rmsprop' }, ids);
    assert.throws(() => t.importState(other.exportState()), /for the rmsprop optimizer, but this run uses adam/);
    const bigger = new Trainer(makeModel('gru', 1, 9, V, 3, 8, 1), cfg, ids);
    assert.throws(() => t.importState(bigger.exportState()), /optimizer state "exp_avg" has \d+ values but the model has \d+ parameters/);
  });

  it('a 2-layer LSTM memorises a 1 kB text to under 0.05 bits/char', function () {
    this.timeout(180000);
    const { ids, V } = vocabOf(MEMO_TEXT);
    // One stream, so that training sees the text exactly as the evaluation does: from the zero
    // state at its start, state carried to its end. Adam with a decaying rate (0.9 every 50 steps).
    const cfg: TrainConfig = {
      ...DEFAULT_TRAIN, seqLength: 50, batchSize: 1, learningRate: 2e-2, lrDecay: 0.9, lrDecayEvery: 50,
      beta2: 0.99, clipNorm: 5, seed: 7,
    };
    const model = makeModel('lstm', 2, 64, V, cfg.batchSize, cfg.seqLength, 7, 0, fastKernels());
    const trainer = new Trainer(model, cfg, ids);
    const t0 = Date.now(), cpu0 = process.cpuUsage();
    let bits = Infinity, epochBits = 0, epochChars = 0, prevChars = 0, steps = 0;
    while (steps < MEMO_MAX_STEPS) {
      const r = trainer.step();
      steps++;
      epochBits += r.lossBits * (r.charsSeen - prevChars);
      epochChars += r.charsSeen - prevChars;
      prevChars = r.charsSeen;
      if (!r.epochEnded) continue;
      // the whole text from the zero state, once the last epoch's training loss says it may pass
      if (epochBits / epochChars < 0.1) {
        bits = textBits(model, ids, cfg.seqLength);
        if (bits < 0.05) break;
      }
      epochBits = 0; epochChars = 0;
    }
    if (!(bits < 0.05)) bits = textBits(model, ids, cfg.seqLength);
    const seconds = (Date.now() - t0) / 1000, cpu = process.cpuUsage(cpu0).user / 1e6;
    console.log(`      ${ids.length} chars: ${bits.toFixed(4)} bits/char after ${steps} steps, ${seconds.toFixed(1)} s (${cpu.toFixed(1)} s CPU, ${model.kernels.name} kernels)`);
    assert.ok(bits < 0.05, `${bits} bits/char after ${steps} steps`);
  });
});

const MEMO_MAX_STEPS = 1600;

const MEMO_TEXT =
  'A recurrent network reads a text one character at a time and keeps a summary of what it has\n' +
  'seen in its hidden state. At every step it guesses the next character, and the training signal\n' +
  'is simply how surprised it was. Long short-term memory adds a cell that is carried forward by\n' +
  'addition rather than by repeated multiplication, with gates that decide what to forget, what\n' +
  'to write and what to show. That is why gradients can travel back across many steps without\n' +
  'fading away, and why some cells end up counting quotes, brackets or the length of a line.\n' +
  'Truncated backpropagation cuts the text into chunks of a fixed length: the state flows on\n' +
  'from chunk to chunk, but the gradient stops at the edge of each one. Several streams read\n' +
  'different parts of the corpus side by side, so that every matrix product works on a batch.\n' +
  'Clipping keeps a rare huge gradient from undoing hours of progress, and a small learning\n' +
  'rate decay near the end lets the weights settle into a good valley of the loss surface.\n';
