// One training run, told once. The CLI's `lstm-lens train` and the extension's training worker
// both call trainModel(job, events); each only turns its own input (flags, settings) into a
// TrainingJob and the events into its own words. Read it top to bottom:
//
//   1. the corpus     files -> train and validation streams (corpus rules, headers, split by file)
//   2. the kernels    the fastest numeric backend this runtime runs
//   3. the model      resumed from the checkpoint when there is one, else new (session.ts), of the
//                     size the settings ask or the corpus and time budget call for (model-size.ts)
//   4. the n-gram     counts of the training ids for completions, written beside the checkpoint
//   5. the loop       train until the budget ends or a stop is asked for, saving atomically
//                     (run-loop.ts: validation, samples, periodic saves, NaN rollbacks)
//   6. the end        the extra threads closed, how the run ended returned
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { buildCorpus, collectCorpus } from '../corpus';
import { readTexts } from '../corpus/streams';
import { hasMoreCharsThan } from '../corpus/vocab';
import { LensError } from '../errors';
import { MAX_VOCAB_SIZE } from '../model-files/limits';
import { describeSkips, skipLabel, skipsInOrder } from '../corpus/skips';
import { includeFilter } from '../corpus/include-filter';
import { CorpusNGramWriter, streamsAsFiles } from '../complete/load';
import { saveCheckpoint } from '../model-files/checkpoint-file';
import { BackendChoice, pickKernels } from '../runtime/kernels';
import { sample } from '../engine/sample';
import { MAX_LISTED_FILES, type CorpusFileLists, type CorpusSettings, type SkipTally } from './protocol';
import type { TrainingProgress } from '../engine/checkpoint';
import { DEFAULTS } from '../defaults';
import { resolveModelSize } from './model-size';
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
  /** characters of training text (UTF-16 units, headers included) */
  trainChars: number;
  skipped: SkipTally;
  /** "3 binary files and 2 ignored files or folders", or '' */
  skippedSummary: string;
  /** The corpus rules' own summary line ("Read 16 files (35,468 characters); skipped ..."), or '' */
  summary: string;
  /** The files of a workspace corpus, listed (none for streams) */
  lists?: CorpusFileLists;
}

/** The model about to train. */
export interface StartedReport {
  session: PreparedSession;
  backend: string;
  /** A sample of `length` characters from the model as it is now (never UNK). */
  sample(length: number, temperature: number): string;
  /** One sentence when the model resumed was scored on other held-out files than this run's. */
  heldOutChanged?: string;
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

  // 3. The model, and the trainer with its optimizer (restored when resuming). A new model's size
  //    is the settings', or chosen from the corpus and the time budget (model-size.ts).
  const { model: m } = DEFAULTS;
  const size = resolveModelSize(job.settings, text.train.length, job.budget, job.settings.cell, { layers: m.fixedLayers, hidden: m.fixedHidden });
  const session = await prepareSession({
    trainText: text.train, valTexts: text.val, checkpointPath: job.resume ? job.checkpointPath : undefined,
    kernels: picked.kernels, settings: resumes ? job.settings : { ...job.settings, layers: size.layers, hidden: size.hidden },
  });
  try {
    if (session.stateNotice) on.notice?.(session.stateNotice);
    // The held-out files this run scores on, recorded with the model: a later run on other ones
    // (files added, removed or changed, another workspace) says its figures are not comparable.
    const heldOut = heldOutRecord(text.val, text.report.valFiles, session.progress.charsSeen);
    const heldOutChanged = session.resumed ? heldOutChange(session.progress, heldOut) : undefined;
    session.progress.heldOut = heldOutChanged || !session.progress.heldOut ? heldOut : session.progress.heldOut;
    on.started?.({ session, backend: picked.description, sample: (length, temperature) => sampleText(session, length, temperature), heldOutChanged });

    // 4. The corpus n-gram that completions mix with the LSTM, written at the first save.
    const ngram = new CorpusNGramWriter(job.checkpointPath, session.data, session.vocab.chars, text.trainFiles, text.heldOutFiles);

    // 5. Train until the budget ends or a stop is asked for; every save is atomic.
    const { model, trainer, train, vocab } = session;
    return await runTraining({
      model, trainer, train, vocab: [...vocab.chars], val: session.val,
      unkId: vocab.unkId, outOfVocabCodePoints: vocab.outOfVocabCodePoints,
      budget: job.budget, progress: session.progress, valChanged: heldOutChanged !== undefined,
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
    const listed = (spans: typeof split.trainSpans) => spans.slice(0, MAX_LISTED_FILES).map((f) => ({ path: f.relPath, chars: f.end - f.start }));
    const lists: CorpusFileLists = {
      train: listed(split.trainSpans), val: listed(split.valSpans),
      trainMore: Math.max(0, split.trainSpans.length - MAX_LISTED_FILES), valMore: Math.max(0, split.valSpans.length - MAX_LISTED_FILES),
      skipped: skipsInOrder(collected.skipped).map((k) => ({ ...k, label: skipLabel(k.reason, k.count) })),
    };
    return {
      train: split.train, val: split.val ? [split.val] : [], trainFiles: split.trainFiles,
      heldOutFiles: collected.files.filter((f) => split.valFiles.includes(f.relPath)),
      report: {
        files: collected.files.length, chars: collected.totalChars, trainFiles: split.trainFiles.length, valFiles: split.valFiles.length,
        trainChars: split.train.length, skipped, skippedSummary: describeSkips(collected.skipped), summary: '', lists,
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
  return { files: trainFiles + valFiles, chars, trainFiles, valFiles, trainChars: chars, skipped: {}, skippedSummary: '', summary: '' };
}

/** What a checkpoint records of the held-out text it was scored on (training.heldOut): a digest
 *  of the text, its files and characters, and from how many characters seen on it was used. */
export interface HeldOutRecord { sha256: string; files: number; chars: number; sinceChars: number }

export function heldOutRecord(val: string[], files: number, charsSeen: number): HeldOutRecord {
  const h = createHash('sha256');
  for (const v of val) h.update(v).update('\u001c');
  return { sha256: h.digest('hex').slice(0, 32), files, chars: val.reduce((a, v) => a + v.length, 0), sinceChars: charsSeen };
}

/** The sentence when a resumed model's validation figures were measured on other held-out text
 *  than `now` (or on text it did not record), or undefined when they are comparable. */
export function heldOutChange(progress: TrainingProgress, now: HeldOutRecord): string | undefined {
  if (progress.valBpcHistory.length === 0) return undefined;   // no earlier figures to compare with
  const was = progress.heldOut as Partial<HeldOutRecord> | undefined;
  const files = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'file' : 'files'}`;
  if (!was || typeof was.sha256 !== 'string') {
    return 'The model\'s earlier validation figures were measured on held-out files it did not record (it was trained elsewhere or by an older version): ' +
      'they are not comparable with the ones of this run.';
  }
  if (was.sha256 === now.sha256) return undefined;
  const counts = typeof was.files === 'number' && typeof was.chars === 'number'
    ? ` (${files(was.files)}, ${was.chars.toLocaleString('en-US')} characters then; ${files(now.files)}, ${now.chars.toLocaleString('en-US')} now)` : '';
  return `The held-out files differ from the ones the model was scored on before${counts}: validation figures from before this run are not comparable with the new ones.`;
}

function sampleText(s: PreparedSession, length: number, temperature: number): string {
  const ids = sample(s.model, { length, temperature, seed: (Date.now() >>> 0) });
  return s.vocab.textOf(ids);
}
