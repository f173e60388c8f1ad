// One training run, told once. The CLI's `lstm-lens train` and the extension's training worker
// both call trainModel(job, events); each only turns its own input (flags, settings) into a
// TrainingJob and the events into its own words. Read it top to bottom:
//
//   1. the corpus     files -> train and validation streams (corpus rules, headers, split by file)
//   2. the kernels    the fastest numeric backend this runtime runs
//   3. the model      resumed from the checkpoint when there is one, else new (session.ts)
//   4. the n-gram     counts of the training ids for completions, written beside the checkpoint
//   5. the loop       train until the budget ends or a stop is asked for, saving atomically
//                     (run-loop.ts: validation, samples, periodic saves, NaN rollbacks)
//   6. the end        the extra threads closed, how the run ended returned
import * as fs from 'node:fs';
import { buildCorpus, collectCorpus } from '../corpus';
import { readTexts } from '../corpus/streams';
import { hasMoreCharsThan } from '../corpus/vocab';
import { LensError } from '../errors';
import { MAX_VOCAB_SIZE } from '../model-files/limits';
import { describeSkips } from '../corpus/skips';
import { includeFilter } from '../corpus/include-filter';
import { CorpusNGramWriter, streamsAsFiles } from '../complete/load';
import { saveCheckpoint } from '../model-files/checkpoint-file';
import { BackendChoice, pickKernels } from '../runtime/kernels';
import { sample } from '../engine/sample';
import type { CorpusSettings, SkipTally } from './protocol';
import { Budget, ProgressEvent, RunResult, runTraining } from './run-loop';
import { PreparedSession, prepareSession, SessionSettings } from './session';

/** Where the text comes from. */
export type CorpusSource =
  /** The CLI's <path...>: the corpus rules (or --raw: each file verbatim), split by file unless
   *  --val names the validation files. */
  | { kind: 'paths'; paths: string[]; raw: boolean; valPaths?: string[] }
  /** The editor's workspace folders, with its include, files.exclude and size settings. */
  | { kind: 'workspace' } & CorpusSettings;

export interface TrainingJob {
  corpus: CorpusSource;
  /** The checkpoint: resumed from when `resume` and it exists, saved to in any case. */
  checkpointPath: string;
  resume: boolean;
  settings: SessionSettings;
  budget: Budget;
  backend?: BackendChoice;
  /** How often the loop reports, evaluates, samples and saves (run-loop.ts has the defaults). */
  intervals?: { progressEveryMs?: number; evalEveryMs?: number; sampleEveryMs?: number; saveEveryMs?: number };
}

/** What the corpus turned out to be. */
export interface CorpusReport {
  files: number;
  chars: number;
  trainFiles: number;
  valFiles: number;
  skipped: SkipTally;
  /** "3 binary files and 2 ignored files or folders", or '' */
  skippedSummary: string;
  /** The corpus rules' own summary line ("Read 16 files (35,468 characters); skipped ..."), or '' */
  summary: string;
}

/** The model about to train. */
export interface StartedReport {
  session: PreparedSession;
  backend: string;
  /** A sample of `length` characters from the model as it is now (never UNK). */
  sample(length: number, temperature: number): string;
}

export interface TrainingEvents {
  corpus?(c: CorpusReport): void;
  started?(s: StartedReport): void;
  progress?(e: ProgressEvent): void;
  saved?(s: { path: string; step: number; charsSeen: number }): void;
  /** Anything worth telling the user once. */
  notice?(message: string): void;
  /** Polled between steps (and after the corpus is read): true saves and ends the run. */
  shouldStop?(): boolean;
}

/** How a run ended; no progress when it was stopped before the model was set up. */
export type TrainingOutcome = RunResult | { reason: 'stopped'; progress?: undefined; valBpc?: undefined };

export async function trainModel(job: TrainingJob, on: TrainingEvents = {}): Promise<TrainingOutcome> {
  // 1. The corpus.
  const text = await readCorpus(job.corpus);
  on.corpus?.(text.report);
  if (text.report.summary) on.notice?.(text.report.summary);
  if (on.shouldStop?.()) return { reason: 'stopped', progress: undefined };

  // A new model's vocabulary is the text's characters (and UNK): refuse one the tools could not
  // load back (model-files/limits.ts) before building a model of that size.
  const resumes = job.resume && fs.existsSync(job.checkpointPath);
  if (!resumes && hasMoreCharsThan(text.train, MAX_VOCAB_SIZE - 1)) {
    throw new LensError({ code: 'bad-settings' },
      `The training text has more than ${(MAX_VOCAB_SIZE - 1).toLocaleString('en-US')} different characters, more than a model's vocabulary can hold.`);
  }

  // 2. The kernels.
  const picked = pickKernels(job.backend ?? 'auto');
  if (picked.fallbackReason) on.notice?.(picked.fallbackReason);

  // 3. The model, and the trainer with its optimizer (restored when resuming).
  const session = await prepareSession({
    trainText: text.train, valTexts: text.val, checkpointPath: job.resume ? job.checkpointPath : undefined,
    kernels: picked.kernels, settings: job.settings,
  });
  try {
    if (session.stateNotice) on.notice?.(session.stateNotice);
    on.started?.({ session, backend: picked.description, sample: (length, temperature) => sampleText(session, length, temperature) });

    // 4. The corpus n-gram that completions mix with the LSTM, written at the first save.
    const ngram = new CorpusNGramWriter(job.checkpointPath, session.data, session.vocab.chars, text.trainFiles, text.heldOutFiles);

    // 5. Train until the budget ends or a stop is asked for; every save is atomic.
    const { model, trainer, train, vocab } = session;
    return await runTraining({
      model, trainer, train, vocab: [...vocab.chars], val: session.val,
      unkId: vocab.unkId, outOfVocabCodePoints: vocab.outOfVocabCodePoints,
      budget: job.budget, progress: session.progress,
      save: (ck, state) => {
        const failed = ngram.save();
        if (failed) on.notice?.(failed);
        saveCheckpoint(job.checkpointPath, ck, state);
        on.saved?.({ path: job.checkpointPath, step: ck.training.steps, charsSeen: ck.training.charsSeen });
      },
      onProgress: on.progress, onNotice: on.notice, shouldStop: on.shouldStop,
      ...job.intervals,
    });
  } finally {
    // 6. The end: the parallel trainer's threads go with the run.
    await session.close();
  }
}

/** The training text of a source: streams with their headers (or raw), and what completions'
 *  n-gram file records of it (the training files' names, a few held-out files). */
export interface TrainingText {
  train: string;
  val: string[];
  trainFiles: string[];
  heldOutFiles: { relPath: string; text: string }[];
  report: CorpusReport;
}

/** The text a run trains on; `lstm-lens corpus` writes the same for other trainers. */
export async function readCorpus(source: CorpusSource): Promise<TrainingText> {
  if (source.kind === 'workspace') {
    const collected = await collectCorpus(source.roots, {
      maxFileBytes: source.maxFileBytes, maxTotalBytes: source.maxTotalBytes, extraIgnore: source.extraIgnore,
      include: includeFilter(source.include, source.roots.length > 1),
    });
    const split = buildCorpus(collected.files, { valFraction: source.valFraction, seed: source.seed });
    const skipped: SkipTally = {};
    for (const [reason, s] of Object.entries(collected.skipped)) if (s) skipped[reason] = s.count;
    return {
      train: split.train, val: split.val ? [split.val] : [], trainFiles: split.trainFiles,
      heldOutFiles: collected.files.filter((f) => split.valFiles.includes(f.relPath)),
      report: {
        files: collected.files.length, chars: collected.totalChars, trainFiles: split.trainFiles.length, valFiles: split.valFiles.length,
        skipped, skippedSummary: describeSkips(collected.skipped), summary: '',
      },
    };
  }
  // The CLI's paths: split by file unless --val names the validation files (or --raw: no split).
  let summary = '';
  const read = { raw: source.raw, split: !source.raw && !source.valPaths, onNotice: (m: string) => { summary = m; } };
  const texts = await readTexts(source.paths, read);
  const val = source.valPaths ? (await readTexts(source.valPaths, { raw: source.raw, split: false })).train : texts.val;
  const train = texts.train.join('');
  return {
    // the n-gram file names the training files (a raw stream names none)
    train, val, trainFiles: source.raw ? [] : texts.train, heldOutFiles: source.raw ? [] : streamsAsFiles(val),
    report: { ...streamsReport(texts.train.length, train.length, val.length), summary },
  };
}

function streamsReport(trainFiles: number, chars: number, valFiles: number): CorpusReport {
  return { files: trainFiles + valFiles, chars, trainFiles, valFiles, skipped: {}, skippedSummary: '', summary: '' };
}

function sampleText(s: PreparedSession, length: number, temperature: number): string {
  const ids = sample(s.model, { length, temperature, seed: (Date.now() >>> 0) });
  return s.vocab.textOf(ids);
}
