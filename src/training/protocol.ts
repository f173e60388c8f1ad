// The typed messages between the extension host and the training worker (dist/training-worker.js).
//
//   host --workerData--> worker   a WorkerJob: what to do (train, or sample from a stored model)
//   host --postMessage-> worker   HostMessage: stop, or a sample from the model being trained
//   worker --postMessage-> host   WorkerMessage: what happened, as it happens
//
// Everything here is plain structured-clone data, and nothing imports vscode: the worker and
// the extension both compile against this file.
import type { CellType, OptimizerName } from '../engine/config';
import type { LensErrorCode, LensErrorData } from '../errors';

/** The model and training settings of a run (the lstmLens.* settings, resolved). */
export interface RunSettings {
  cell: CellType;
  layers: number;
  hidden: number;
  dropout: number;
  seqLength: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Compute threads; 0: every core while the user is idle, one fewer while they type. */
  threads: number;
  seed: number;
}

/** Which files make the corpus (the corpus rules of src/corpus, plus VS Code's files.exclude). */
export interface CorpusSettings {
  roots: string[];          // workspace folders, file-system paths
  include: string[];        // globs or language ids; empty: every text source file
  extraIgnore: string[];    // gitignore-style patterns (from files.exclude)
  maxFileBytes: number;
  maxTotalBytes: number;
  valFraction: number;
  seed: number;
}

export interface TrainJob {
  kind: 'train';
  corpus: CorpusSettings;
  settings: RunSettings;
  /** The stored model: training continues from it when it exists, and it is saved there. */
  checkpointPath: string;
  /** Wall-clock budget of this run. */
  budgetMs: number;
  saveEveryMs: number;
  evalEveryMs: number;
  sampleEveryMs: number;
  progressEveryMs: number;
}

export interface SampleJob {
  kind: 'sample';
  checkpointPath: string;
  length: number;
  temperature: number;
  seed: number;
  prime: string;
}

export type WorkerJob = TrainJob | SampleJob;

export type HostMessage =
  | { type: 'stop' }                                  // save and end the run
  | { type: 'typing' }                                // the user typed: give a core back for a while
  | { type: 'sample'; id: number; length: number; temperature: number };

/** Why files were left out, with how many of each (reasons as src/corpus/skips.ts names them). */
export type SkipTally = Record<string, number>;

/** Which files a run reads, for the Training panel: each part's files (the first MAX_LISTED_FILES,
 *  with their characters), and the skipped ones by reason (a few examples each). */
export interface CorpusFileLists {
  train: { path: string; chars: number }[];
  val: { path: string; chars: number }[];
  /** files of each part past the listed ones */
  trainMore: number;
  valMore: number;
  /** in the order sentences name them; `label` says the reason of `count` files ("binary files") */
  skipped: { reason: string; label: string; count: number; examples: string[] }[];
}

export const MAX_LISTED_FILES = 1000;

/** How a run failed: a LensError's code (src/errors.ts), or 'internal' for a bug. */
export type FailureCode = LensErrorCode | 'internal';

export type WorkerMessage =
  | { type: 'corpus'; files: number; chars: number; trainFiles: number; valFiles: number;
      /** characters of training text (headers included), what the model learns from */ trainChars: number;
      skipped: SkipTally; /** "3 binary files and 2 ignored files or folders", or '' */ skippedSummary: string;
      /** the files themselves (a workspace's; none for the CLI's streams) */ lists?: CorpusFileLists }
  | { type: 'started'; resumed: boolean; step: number; charsSeen: number; params: number;
      /** numeric backend ("WebAssembly (simd)", ...) and compute threads */
      backend: string; threads: number;
      config: { cell: CellType; layers: number; hidden: number; vocabSize: number };
      /** [charsSeen, val bpc] from earlier runs of this model, oldest first */
      valHistory: [number, number][];
      /** set when the stored model was used instead of settings that differ from it */
      settingsIgnored?: string;
      /** set when the model resumed was scored on other held-out files: figures before this run are not comparable */
      heldOutChanged?: string }
  | { type: 'progress'; step: number; epoch: number; charsSeen: number; charsPerSecond: number;
      trainBpc: number; valBpc?: number; elapsedMs: number; etaMs?: number; lr: number; sample?: string }
  | { type: 'notice'; message: string }               // e.g. a NaN rollback
  /** the threads taking part in the steps now (fewer while the user types), of those started */
  | { type: 'threads'; active: number; threads: number }
  | { type: 'saved'; path: string; step: number; charsSeen: number }
  | { type: 'sample'; id: number; text: string }      // answer to a HostMessage 'sample' / a SampleJob
  | { type: 'done'; reason: 'budget' | 'stopped'; /** of the model on disk */ step: number; charsSeen: number; valBpc?: number;
      /** the run's last step, when validation kept an earlier model (which `step` names) */ lastStep?: number }
  | { type: 'failed'; code: FailureCode; data?: LensErrorData; message: string; /** a stack trace, for the output channel */ detail?: string };
