// The training loop: truncated backpropagation through time over B parallel streams.
//
//   data (N)            the training text as character ids
//   B streams           stream b reads segment [b·S, (b+1)·S), S = ⌊N/B⌋ (the last N − B·S < B
//                       characters are not read)
//   inputs, targets     (T,B) time-major, index t·B + b: stream b's next T characters and the
//                       characters one further on
//   hidden h, c         (L,B,H), carried from chunk to chunk and zeroed when an epoch ends
//
// A segment's last chunk is usually short: its missing targets are masked (−1), so every
// character of a segment but the first is a target once per epoch. The epoch ends when the
// streams reach the end of their segments; they start over from the segment starts with
// zero state.
//
// One step: zero grads, forward+backward over the chunk (loss = mean nats over the scored
// characters, so gradScale = 1/count), clip, optimizer step, learning-rate decay.
// Everything random comes from generators seeded by cfg.seed, and exportState() captures all
// that changes, so an exported and re-imported run continues bit-identically.
import { OptimizerName, TrainConfig } from './config';
import type { CharRNN, RecurrentState } from './model';
import { Optimizer, createOptimizer } from './optim';
import { clipGradNorm, clipGradValue, gradNorm } from './clip';
import { Rng } from './rng';

export interface TrainerState {
  step: number;         // optimizer steps taken
  epoch: number;        // epochs completed
  charsSeen: number;    // target characters trained on
  lr: number;           // learning rate of the next step
  positions: number[];  // per stream: index into data of its next input character
  rng: number[];        // the trainer's own generator (reserved; seeded from cfg.seed)
  dropoutRng: number[]; // the generator the model draws dropout masks from
}

export interface StepResult {
  step: number;        // steps taken, this one included
  epoch: number;       // epochs completed after this step
  epochEnded: boolean; // this step finished an epoch (hidden state was zeroed after it)
  lossBits: number;    // mean bits/char of this chunk (NaN/Infinity when it diverged)
  charsSeen: number;   // target characters trained on so far
  lr: number;          // the learning rate this step used
  gradNorm: number;    // global L2 norm of the gradient before clipping by norm
}

export interface TrainerExport {
  tensors: Record<string, Float32Array>;
  meta: object;
}

const EXPORT_FORMAT = 'lstm-lens-trainer/1';
const LN2 = Math.LN2;

export class Trainer {
  readonly optimizer: Optimizer;
  readonly hidden: RecurrentState;
  /** Streams actually used: cfg.batchSize, fewer when the text is too short for that many. */
  readonly batchSize: number;
  readonly seqLength: number;
  /** S: characters per stream segment. */
  readonly segmentLength: number;
  readonly stepsPerEpoch: number;

  private stepCount = 0;
  private epochCount = 0;
  private chars = 0;
  private lr: number;
  private positions: number[];
  private readonly rng: Rng;
  private readonly dropoutRng: Rng | null;
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;

  constructor(private readonly model: CharRNN, private readonly cfg: TrainConfig, private readonly data: Int32Array) {
    validateTrainConfig(cfg);
    const N = data.length, T = cfg.seqLength, V = model.config.vocabSize;
    for (let i = 0; i < N; i++) {
      const id = data[i];
      if (!(id >= 0 && id < V)) throw new Error(`The training text has character id ${id} at position ${i}, outside the vocabulary of ${V}.`);
    }
    // Each stream needs at least one full chunk: T inputs and the target after the last one.
    if (N < T + 1) {
      throw new Error(`The training text has ${N} characters, too few for one chunk of ${T} characters plus its target; use a shorter sequence length or more text.`);
    }
    this.batchSize = Math.min(cfg.batchSize, Math.floor(N / (T + 1)));
    this.seqLength = T;
    this.segmentLength = Math.floor(N / this.batchSize);
    this.stepsPerEpoch = Math.ceil((this.segmentLength - 1) / T);

    // Adam's moments live in the model's backend and its step runs there, on params and grads
    this.optimizer = createOptimizer(cfg, model.params.length, model.kernels);
    this.hidden = model.newState(this.batchSize);
    this.lr = cfg.learningRate;
    this.positions = this.segmentStarts();
    // Two independent generators from one seed: the trainer's own and dropout's.
    this.rng = new Rng(cfg.seed);
    this.dropoutRng = model.config.dropout > 0 ? new Rng((cfg.seed ^ 0x5bd1e995) >>> 0) : null;
    this.inputs = model.kernels.allocInt(T * this.batchSize);
    this.targets = model.kernels.allocInt(T * this.batchSize);
  }

  /** One chunk of T steps for all streams: forward, backward, clip, update, lr decay. */
  step(): StepResult {
    const { model, cfg, data, inputs, targets } = this;
    const B = this.batchSize, T = this.seqLength, S = this.segmentLength;

    // inputs/targets (T,B); targets past the end of a segment are masked with −1
    let count = 0;
    for (let b = 0; b < B; b++) {
      const start = b * S, end = start + S, p = this.positions[b];
      for (let t = 0; t < T; t++) {
        const i = p + t;
        inputs[t * B + b] = i < end ? data[i] : 0;
        if (i + 1 < end) { targets[t * B + b] = data[i + 1]; count++; } else targets[t * B + b] = -1;
      }
    }

    model.grads.fill(0);
    const nats = model.trainChunk(inputs, targets, T, B, this.hidden, this.dropoutRng, 1 / count);

    const grads = model.grads;
    const norm = cfg.clipNorm > 0 ? clipGradNorm(grads, cfg.clipNorm, model.kernels) : gradNorm(grads, model.kernels);
    const lr = this.lr;
    // A diverged step (non-finite loss or gradient) is reported, not applied: params and the
    // optimizer state stay as they were, and the caller decides whether to stop.
    if (Number.isFinite(norm) && Number.isFinite(nats)) {
      if (cfg.clipValue > 0) clipGradValue(grads, cfg.clipValue);
      this.optimizer.step(model.params, grads, lr);
    }

    this.stepCount++;
    this.chars += count;
    if (cfg.lrDecayEvery > 0 && this.stepCount % cfg.lrDecayEvery === 0) this.lr *= cfg.lrDecay;

    // advance the streams; at the end of their segments an epoch ends
    let epochEnded = false;
    for (let b = 0; b < B; b++) this.positions[b] += T;
    if (this.positions[0] + 1 >= S) {   // stream 0's next chunk would have no target
      this.positions = this.segmentStarts();
      this.hidden.h.fill(0);
      this.hidden.c.fill(0);
      this.epochCount++;
      epochEnded = true;
    }

    return {
      step: this.stepCount, epoch: this.epochCount, epochEnded, lossBits: nats / count / LN2,
      charsSeen: this.chars, lr, gradNorm: norm,
    };
  }

  /** The learning rate of the next step (a schedule sets it before each step; lrDecay still applies after). */
  setLearningRate(lr: number): void {
    if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`Learning rate must be a positive number, not ${lr}.`);
    this.lr = lr;
  }

  /** A model resumed without its optimizer state (imported, or the sidecar unusable) goes on
   *  counting from its checkpoint's progress: steps, epochs and characters seen are the model's,
   *  not this optimizer's (the streams still start at their segment starts). */
  continueFrom(p: { steps: number; charsSeen: number; epochs?: number }): void {
    this.stepCount = p.steps;
    this.chars = p.charsSeen;
    this.epochCount = p.epochs ?? 0;
  }

  state(): TrainerState {
    return {
      step: this.stepCount, epoch: this.epochCount, charsSeen: this.chars, lr: this.lr,
      positions: this.positions.slice(), rng: this.rng.getState(),
      dropoutRng: this.dropoutRng ? this.dropoutRng.getState() : [],
    };
  }

  /** Everything a resumed run needs besides the params: optimizer state (tensors `optim.<name>`,
   *  scalars in meta), hidden state (`hidden.h`, `hidden.c`) and the TrainerState. Copies. */
  exportState(): TrainerExport {
    const tensors: Record<string, Float32Array> = {};
    const scalars: Record<string, number> = {};
    for (const [key, value] of Object.entries(this.optimizer.state())) {
      if (value instanceof Float32Array) tensors[`optim.${key}`] = value;
      else scalars[key] = value;
    }
    tensors['hidden.h'] = this.hidden.h.slice();
    tensors['hidden.c'] = this.hidden.c.slice();
    const meta = {
      format: EXPORT_FORMAT,
      optimizer: this.optimizer.name,
      optimizerScalars: scalars,
      batchSize: this.batchSize,
      seqLength: this.seqLength,
      dataLength: this.data.length,
      trainer: this.state(),
    };
    return { tensors, meta };
  }

  /** Restores an exportState() result. Throws one clear sentence when it does not fit this
   *  model and config. If the text's length or the stream layout changed since the export,
   *  the streams start over at their segment starts with zero state (counters, lr and the
   *  optimizer state are kept). */
  importState(x: TrainerExport): void {
    const meta = x.meta as Partial<ExportMeta>;
    if (meta.format !== EXPORT_FORMAT) throw new Error(`The saved training state has format "${String(meta.format)}", not ${EXPORT_FORMAT}.`);
    if (meta.optimizer !== this.optimizer.name) {
      throw new Error(`The saved training state is for the ${String(meta.optimizer)} optimizer, but this run uses ${this.optimizer.name}.`);
    }
    const tr = meta.trainer;
    if (!tr || !isCount(tr.step) || !isCount(tr.epoch) || !isCount(tr.charsSeen) || !(tr.lr > 0 && Number.isFinite(tr.lr)) ||
      !Array.isArray(tr.positions) || !isRngState(tr.rng) || !(isRngState(tr.dropoutRng) || (Array.isArray(tr.dropoutRng) && tr.dropoutRng.length === 0))) {
      throw new Error('The saved training state has missing or invalid counters.');
    }
    const optState: Record<string, Float32Array | number> = { ...(meta.optimizerScalars ?? {}) };
    for (const [name, t] of Object.entries(x.tensors)) {
      if (name.startsWith('optim.')) optState[name.slice('optim.'.length)] = t;
    }
    this.optimizer.loadState(optState);   // validates names and sizes

    this.stepCount = tr.step;
    this.epochCount = tr.epoch;
    this.chars = tr.charsSeen;
    this.lr = tr.lr;
    this.rng.setState(tr.rng);
    if (this.dropoutRng && tr.dropoutRng.length === 4) this.dropoutRng.setState(tr.dropoutRng);

    const h = x.tensors['hidden.h'], c = x.tensors['hidden.c'];
    const sameLayout = meta.batchSize === this.batchSize && meta.seqLength === this.seqLength &&
      meta.dataLength === this.data.length && tr.positions.length === this.batchSize &&
      h instanceof Float32Array && h.length === this.hidden.h.length &&
      c instanceof Float32Array && c.length === this.hidden.c.length &&
      tr.positions.every((p, b) => Number.isInteger(p) && p >= b * this.segmentLength && p + 1 < (b + 1) * this.segmentLength);
    if (sameLayout) {
      this.positions = tr.positions.slice();
      this.hidden.h.set(h);
      this.hidden.c.set(c);
    } else {
      this.positions = this.segmentStarts();
      this.hidden.h.fill(0);
      this.hidden.c.fill(0);
    }
  }

  private segmentStarts(): number[] {
    return Array.from({ length: this.batchSize }, (_, b) => b * this.segmentLength);
  }
}

interface ExportMeta {
  format: string;
  optimizer: OptimizerName;
  optimizerScalars: Record<string, number>;
  batchSize: number;
  seqLength: number;
  dataLength: number;
  trainer: TrainerState;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

function isRngState(s: unknown): boolean {
  return Array.isArray(s) && s.length === 4 && s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
}

/** Throws one clear sentence when a training config has a value it cannot run with. */
export function validateTrainConfig(cfg: TrainConfig): void {
  const int = (v: number, lo: number) => Number.isInteger(v) && v >= lo;
  const unit = (v: number) => Number.isFinite(v) && v >= 0 && v < 1;
  const nonNeg = (v: number) => Number.isFinite(v) && v >= 0;
  if (!int(cfg.seqLength, 1) || cfg.seqLength > 100000) throw new Error(`Sequence length must be an integer from 1 to 100000, not ${cfg.seqLength}.`);
  if (!int(cfg.batchSize, 1) || cfg.batchSize > 4096) throw new Error(`Batch size must be an integer from 1 to 4096, not ${cfg.batchSize}.`);
  if (!['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'].includes(cfg.optimizer)) {
    throw new Error(`Unknown optimizer "${cfg.optimizer}"; use sgd, momentum, adagrad, rmsprop or adam.`);
  }
  if (!(Number.isFinite(cfg.learningRate) && cfg.learningRate > 0)) throw new Error(`Learning rate must be a positive number, not ${cfg.learningRate}.`);
  if (!['constant', 'cosine', 'linear'].includes(cfg.schedule)) throw new Error(`Unknown learning-rate schedule "${cfg.schedule}"; use cosine, linear or constant.`);
  if (!int(cfg.warmupSteps, 0)) throw new Error(`Warm-up must be a whole number of steps (0: none), not ${cfg.warmupSteps}.`);
  if (!(Number.isFinite(cfg.lrFloor) && cfg.lrFloor > 0 && cfg.lrFloor <= 1)) throw new Error(`The learning-rate floor must be a share of the peak in (0, 1], not ${cfg.lrFloor}.`);
  if (!(Number.isFinite(cfg.lrDecay) && cfg.lrDecay > 0 && cfg.lrDecay <= 1)) throw new Error(`Learning-rate decay must be in (0, 1], not ${cfg.lrDecay}.`);
  if (!int(cfg.lrDecayEvery, 0)) throw new Error(`Learning-rate decay interval must be a whole number of steps (0: never), not ${cfg.lrDecayEvery}.`);
  if (!nonNeg(cfg.clipNorm)) throw new Error(`Gradient clipping norm must be a non-negative number (0: off), not ${cfg.clipNorm}.`);
  if (!nonNeg(cfg.clipValue)) throw new Error(`Gradient clipping value must be a non-negative number (0: off), not ${cfg.clipValue}.`);
  if (!unit(cfg.momentum)) throw new Error(`Momentum must be in [0, 1), not ${cfg.momentum}.`);
  if (!unit(cfg.beta1)) throw new Error(`Adam beta1 must be in [0, 1), not ${cfg.beta1}.`);
  if (!unit(cfg.beta2)) throw new Error(`Adam beta2 must be in [0, 1), not ${cfg.beta2}.`);
  if (!unit(cfg.rmsDecay)) throw new Error(`RMSprop decay must be in [0, 1), not ${cfg.rmsDecay}.`);
  if (!(Number.isFinite(cfg.eps) && cfg.eps > 0)) throw new Error(`Epsilon must be a positive number, not ${cfg.eps}.`);
  if (!nonNeg(cfg.weightDecay)) throw new Error(`Weight decay must be a non-negative number, not ${cfg.weightDecay}.`);
  if (!Number.isInteger(cfg.seed)) throw new Error(`Seed must be an integer, not ${cfg.seed}.`);
}
