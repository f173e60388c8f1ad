// The shape of a model and of a training run. Plain data: stored as JSON in checkpoints.
import type { ScheduleName } from './schedule';

export type CellType = 'lstm' | 'gru' | 'rnn';
export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam';

/** The network: a stack of recurrent layers over one-hot characters, then a linear decoder. */
export interface ModelConfig {
  cell: CellType;
  layers: number;     // 1..4
  hidden: number;     // H
  vocabSize: number;  // V (index V-1 may be UNK)
  dropout: number;    // between recurrent layers, as torch.nn.LSTM(dropout=)
}

/** How to train it. */
export interface TrainConfig {
  seqLength: number;      // T: truncated-BPTT chunk length
  batchSize: number;      // B: parallel streams through the corpus
  optimizer: OptimizerName;
  learningRate: number;   // the peak rate of the schedule
  schedule: ScheduleName; // over a run's budget: 'cosine' | 'linear' to a floor, or 'constant' (schedule.ts)
  warmupSteps: number;    // linear warm-up at the start of each run (0: none)
  lrFloor: number;        // the rate at the budget's end, as a share of the peak
  lrDecay: number;        // 'constant' only: multiply the learning rate by this ...
  lrDecayEvery: number;   // ... every this many steps (0: never)
  clipNorm: number;       // clip gradients to this global L2 norm (0: off)
  clipValue: number;      // clip each gradient element to [-v, v], as min-char-rnn (0: off)
  momentum: number;       // for 'momentum'
  beta1: number;          // Adam
  beta2: number;          // Adam
  rmsDecay: number;       // RMSprop
  eps: number;
  weightDecay: number;
  seed: number;
}

/** Gate rows per hidden unit, as PyTorch stacks them: LSTM i,f,g,o; GRU r,z,n; RNN one. */
export function gatesPerUnit(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** The engine's part of the one table of defaults (src/defaults.ts shows it to the rest). */
export const DEFAULT_TRAIN: TrainConfig = {
  seqLength: 64, batchSize: 32, optimizer: 'adam', learningRate: 1e-2,
  schedule: 'cosine', warmupSteps: 20, lrFloor: 0.1, lrDecay: 1, lrDecayEvery: 0,
  clipNorm: 5, clipValue: 0, momentum: 0.9, beta1: 0.9, beta2: 0.999, rmsDecay: 0.99, eps: 1e-8,
  weightDecay: 0, seed: 1,
};

/** Throws one clear sentence when a config cannot be built. */
export function validateModelConfig(c: ModelConfig): void {
  if (!['lstm', 'gru', 'rnn'].includes(c.cell)) throw new Error(`Unknown cell type "${c.cell}"; use lstm, gru or rnn.`);
  if (!Number.isInteger(c.layers) || c.layers < 1 || c.layers > 4) throw new Error(`Layers must be an integer from 1 to 4, not ${c.layers}.`);
  if (!Number.isInteger(c.hidden) || c.hidden < 1 || c.hidden > 4096) throw new Error(`Hidden size must be an integer from 1 to 4096, not ${c.hidden}.`);
  if (!Number.isInteger(c.vocabSize) || c.vocabSize < 2) throw new Error(`Vocabulary size must be an integer of at least 2, not ${c.vocabSize}.`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`Dropout must be in [0, 1), not ${c.dropout}.`);
}
