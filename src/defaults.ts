// Every default of LSTM Lens in one table (as nanoGPT's GPTConfig): the model a new run builds,
// how it trains, what it reads, how often it reports, how completions decode, how much memory
// each worker may take. The CLI's flags, the editor's settings and the engine all fall back to
// these. package.json's `contributes.configuration` repeats the editor's defaults (VS Code reads
// them from there); test/unit/defaults.test.ts checks that the two agree.
import { DEFAULT_TRAIN, type CellType, type OptimizerName } from './engine/config';

export const DEFAULTS = {
  /** A new model: torch.nn.LSTM(num_layers, hidden_size) + Linear, initialised as PyTorch does
   *  but for the forget gates' bias (b_ih + b_hh = forgetBias: a new cell remembers) and, with
   *  unigramOutputBias, the decoder's bias (the training text's log character frequencies).
   *  layers and hidden 0: chosen from the corpus size and the time budget (training/model-size.ts);
   *  a run budgeted in steps or epochs gets fixedLayers × fixedHidden. */
  model: { cell: 'lstm' as CellType, layers: 0, hidden: 0, fixedLayers: 2, fixedHidden: 256, dropout: 0, forgetBias: 1, unigramOutputBias: true },
  /** How it trains (the optimizer's own constants are DEFAULT_TRAIN's, engine/config.ts): the
   *  learning rate warms up, then falls to lrFloor × its peak exactly when the budget ends. */
  training: {
    seqLength: DEFAULT_TRAIN.seqLength, batchSize: DEFAULT_TRAIN.batchSize, optimizer: DEFAULT_TRAIN.optimizer as OptimizerName,
    learningRate: DEFAULT_TRAIN.learningRate, clipNorm: DEFAULT_TRAIN.clipNorm, seed: DEFAULT_TRAIN.seed,
    schedule: DEFAULT_TRAIN.schedule, warmupSteps: DEFAULT_TRAIN.warmupSteps, lrFloor: DEFAULT_TRAIN.lrFloor,
    beta1: DEFAULT_TRAIN.beta1, beta2: DEFAULT_TRAIN.beta2,
    /** One run's time budget when nothing else is given. */
    minutes: 15,
    /** Compute threads in the editor (lstmLens.threads): 0 is every core while the user is idle,
     *  one fewer while they type (the CLI takes all cores but one). */
    editorThreads: 0,
    /** How long after the last keystroke an editor run takes all its threads again. */
    typingIdleMs: 3000,
    /** The scheduling priority of an editor run's threads (Linux nice: 0 normal, 19 lowest), so
     *  that the extension host gets a core first on a busy machine. */
    editorNice: 10,
  },
  /** What a run reads. */
  corpus: {
    maxFileBytes: 1 << 20,
    /** The editor's cap on the training text (lstmLens.maxCorpusMB). */
    editorMaxMB: 8,
    /** The share of files held out for validation, and the seed of that split. */
    valFraction: 0.1,
    splitSeed: 1,
  },
  /** How often a run reports, evaluates, samples and saves. */
  intervals: {
    progressEveryMs: 500, evalEveryMs: 15_000, sampleEveryMs: 20_000, saveEveryMs: 60_000, maxValChars: 40_000,
    /** lstmLens.saveIntervalSeconds: 0 takes intervalsFor(budget)'s; other values are at least minSaveSeconds. */
    editorSaveSeconds: 0, minSaveSeconds: 0.1,
  },
  /** Completions (lstmLens.completions.*). */
  completions: {
    enabled: true,
    component: 'mixture' as const, strategy: 'greedy' as const, beamWidth: 4, scope: 'line' as const,
    /** threshold: bits of a whole completion (3: shown when at least 1 in 8 sure), chosen on the
     *  held-out completion benchmark (bench/completions/README.md). */
    maxChars: 100, maxLines: 12, threshold: 3,
    /** Offered when the user asks explicitly (Alt+\); one otherwise. */
    explicitAlternatives: 3,
    debounceMs: 40,
    /** A request the worker has not answered by then gets no suggestion. */
    timeoutMs: 1500,
  },
  /** V8 heap caps: past them only the worker dies, never the editor. */
  workerHeapMb: { training: 2048, completion: 1024, cells: 2048 },
} as const;

/** How often a run of this budget reports, evaluates, samples and saves: the intervals above for
 *  runs of ten minutes or more; shorter runs scale them down (so that a run of seconds still
 *  saves, scores and samples a few times), to floors that keep the overhead small. */
export function intervalsFor(budgetMs: number): { progressEveryMs: number; evalEveryMs: number; sampleEveryMs: number; saveEveryMs: number } {
  const i = DEFAULTS.intervals;
  const scaled = (full: number, share: number, floor: number) => Math.round(Math.min(full, Math.max(floor, budgetMs * share)));
  return {
    progressEveryMs: scaled(i.progressEveryMs, 1 / 30, 200),
    evalEveryMs: scaled(i.evalEveryMs, 1 / 20, 1_000),
    sampleEveryMs: scaled(i.sampleEveryMs, 1 / 10, 1_500),
    saveEveryMs: scaled(i.saveEveryMs, 1 / 10, 1_500),
  };
}

/** How often a run of this budget saves, given lstmLens.saveIntervalSeconds (0: as intervalsFor). */
export function saveEveryMsFor(budgetMs: number, seconds: number): number {
  if (!(seconds > 0)) return intervalsFor(budgetMs).saveEveryMs;
  return Math.round(Math.max(DEFAULTS.intervals.minSaveSeconds, seconds) * 1000);
}
