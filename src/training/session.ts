// Setting up one training run from a corpus and (maybe) a stored model: the vocabulary, the
// text as ids, the model, the trainer, and where a resumed run picks up. What runs it is
// runTraining (run-loop.ts); this file only builds what it needs. No vscode import: the
// extension's worker uses it, and so can the CLI.
//
// A stored model keeps its own shape (cell, layers, hidden, vocabulary) and optimizer: a run
// that resumes it ignores settings that differ and says so (Reset Model applies new settings).
import * as fs from 'node:fs';
import type { Checkpoint, TrainingProgress } from '../engine/checkpoint';
import { DEFAULT_TRAIN, ModelConfig, TrainConfig } from '../engine/config';
import type { Kernels } from '../engine/kernels';
import { CharRNN, unigramLogits } from '../engine/model';
import { Rng } from '../engine/rng';
import { DEFAULTS } from '../defaults';
import { LensError } from '../errors';
import { Trainer, TrainerExport, validateTrainConfig } from '../engine/trainer';
import { Vocab, buildVocab, vocabFromChars } from '../corpus/vocab';
import { loadCheckpoint, loadTrainingState } from '../model-files/checkpoint-file';
import { ParallelTrainer } from './parallel-trainer';
import type { StepTrainer } from './run-loop';

export interface SessionSettings {
  cell: ModelConfig['cell'];
  /** A new model's size (trainModel replaces a 0 by the size chosen for the corpus and budget). */
  layers: number;
  hidden: number;
  dropout: number;
  seqLength: number;
  batchSize: number;
  optimizer: TrainConfig['optimizer'];
  learningRate: number;
  seed: number;
  /** A new LSTM's forget-gate bias (default DEFAULTS.model.forgetBias). */
  forgetBias?: number;
  /** A new model's decoder bias from the training text's character counts (default DEFAULTS.model.unigramOutputBias). */
  unigramOutputBias?: boolean;
  /** Compute threads: 1 trains on this thread; more split each batch over worker threads. */
  threads: number;
  /** Further training options for a new model (clipping, learning-rate decay, ...). */
  extra?: Partial<TrainConfig>;
}

export interface SessionInput {
  trainText: string;
  valTexts: string[];
  settings: SessionSettings;
  /** Stored model to continue from when the file exists. */
  checkpointPath?: string;
  kernels: Kernels;
}

export interface PreparedSession {
  model: CharRNN;
  trainer: StepTrainer;
  /** Compute threads started. */
  threads: number;
  /** Lets n of them (1..threads) take part in the next steps; the result does not change. */
  setActiveThreads(n: number): void;
  /** Ends the extra threads of a parallel trainer (a no-op for one thread). */
  close(): Promise<void>;
  train: TrainConfig;
  vocab: Vocab;
  data: Int32Array;
  val: Int32Array[];
  progress: TrainingProgress;
  resumed: boolean;
  /** One sentence when the stored model's settings were kept over different current ones. */
  settingsIgnored?: string;
  /** One sentence when the optimizer state could not be restored (training goes on without it). */
  stateNotice?: string;
}


export async function prepareSession(input: SessionInput): Promise<PreparedSession> {
  const { settings, kernels } = input;
  let ck: Checkpoint | undefined;
  if (input.checkpointPath && fs.existsSync(input.checkpointPath)) {
    try {
      ck = loadCheckpoint(input.checkpointPath);
    } catch (e) {
      throw new LensError({ code: 'corrupt-checkpoint', path: input.checkpointPath }, (e as Error).message);
    }
  }

  // A new model's vocabulary is the training text's characters + UNK; a stored model keeps its own.
  const vocab = ck ? vocabFromChars(ck.vocab) : buildVocab(input.trainText);
  const config: ModelConfig = ck ? ck.config : {
    cell: settings.cell, layers: settings.layers, hidden: settings.hidden, vocabSize: vocab.size, dropout: settings.dropout,
  };
  const wanted: TrainConfig = {
    ...DEFAULT_TRAIN, seqLength: settings.seqLength, batchSize: settings.batchSize, optimizer: settings.optimizer,
    learningRate: settings.learningRate, seed: settings.seed,
    // a step decay asked for (--lr-decay-every) is a schedule of its own: the budget's one steps aside
    ...(settings.extra?.lrDecayEvery ? { schedule: 'constant' as const } : {}), ...settings.extra,
  };
  // (a model stored before schedules existed keeps its step decay, if it had one)
  const train: TrainConfig = ck ? { ...DEFAULT_TRAIN, ...(ck.train?.lrDecayEvery ? { schedule: 'constant' as const } : {}), ...ck.train } : wanted;
  const settingsIgnored = ck ? describeIgnored(ck, settings, train) : undefined;

  const data = vocab.encode(input.trainText);
  const val = input.valTexts.map((t) => vocab.encode(t)).filter((s) => s.length >= 2);
  if (data.length < train.seqLength + 1) {
    throw new LensError({ code: 'too-little-text', chars: data.length, seqLength: train.seqLength },
      `There are ${data.length} characters of training text, too few for one sequence of ${train.seqLength}.`);
  }

  // A setting the engine refuses (a cell type, a size, an optimizer) is the user's to change.
  const refused = (e: unknown) => new LensError({ code: 'bad-settings' }, (e as Error).message);
  let model: CharRNN;
  try {
    model = new CharRNN(config, kernels, Math.min(train.batchSize, Math.max(1, Math.floor(data.length / (train.seqLength + 1)))), train.seqLength);
    validateTrainConfig(train);
  } catch (e) {
    throw refused(e);
  }
  // Data-parallel over several threads when asked (and when there are streams to share).
  const parallel = settings.threads > 1 ? await ParallelTrainer.create(model, train, data, { threads: settings.threads }) : undefined;
  const trainer: StepTrainer = parallel ?? new Trainer(model, train, data);
  let stateNotice: string | undefined;
  if (ck) {
    model.params.set(ck.params);
    let restored = false;
    try {
      const state = loadTrainingState(input.checkpointPath!, ck.training.steps);
      if (state) { trainer.importState(state as unknown as TrainerExport); restored = true; }
    } catch (e) {
      // The model itself is fine; only Adam's moments (etc.) are lost. Go on without them.
      stateNotice = `The optimizer state beside the stored model could not be used (${(e as Error).message}); training continues with a fresh optimizer.`;
    }
    // without it (an imported model, a lost sidecar) the counters go on from the model's own
    if (!restored) trainer.continueFrom({ steps: ck.training.steps, charsSeen: ck.training.charsSeen, epochs: ck.training.epochs as number | undefined });
  } else {
    model.initParams(new Rng(train.seed), {
      forgetBias: settings.forgetBias ?? DEFAULTS.model.forgetBias,
      outputBias: (settings.unigramOutputBias ?? DEFAULTS.model.unigramOutputBias) ? unigramLogits(data, config.vocabSize) : undefined,
    });
  }

  const progress: TrainingProgress = ck ? { ...ck.training, valBpcHistory: ck.training.valBpcHistory.slice() }
    : { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] };
  return {
    model, trainer, train, vocab, data, val, progress, resumed: !!ck, settingsIgnored, stateNotice,
    threads: parallel?.threads ?? 1, setActiveThreads: (n) => parallel?.setActiveThreads(n),
    close: async () => { await parallel?.close(); },
  };
}

function describeIgnored(ck: Checkpoint, s: SessionSettings, train: TrainConfig): string | undefined {
  const diffs: string[] = [];
  const c = ck.config;
  if (c.cell !== s.cell) diffs.push(`cell ${c.cell} (settings: ${s.cell})`);
  // (0: no size asked for, the stored model's is as good as any)
  if (s.layers > 0 && c.layers !== s.layers) diffs.push(`${c.layers} layers (settings: ${s.layers})`);
  if (s.hidden > 0 && c.hidden !== s.hidden) diffs.push(`hidden size ${c.hidden} (settings: ${s.hidden})`);
  if (c.dropout !== s.dropout) diffs.push(`dropout ${c.dropout} (settings: ${s.dropout})`);
  if (train.optimizer !== s.optimizer) diffs.push(`optimizer ${train.optimizer} (settings: ${s.optimizer})`);
  if (train.seqLength !== s.seqLength) diffs.push(`sequence length ${train.seqLength} (settings: ${s.seqLength})`);
  if (train.batchSize !== s.batchSize) diffs.push(`batch size ${train.batchSize} (settings: ${s.batchSize})`);
  if (train.learningRate !== s.learningRate) diffs.push(`learning rate ${train.learningRate} (settings: ${s.learningRate})`);
  return diffs.length ? `The stored model keeps its own settings: ${diffs.join(', ')}. Reset Model to train with the new settings.` : undefined;
}
