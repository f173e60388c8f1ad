// The training worker (dist/training-worker.js): a worker_threads entry that does everything
// numeric for the extension, so the extension host's thread stays free for the editor.
//
//   workerData  a WorkerJob (protocol.ts): 'train' collects the corpus, builds or resumes the
//               model, trains until the budget ends or 'stop' arrives, saving atomically;
//               'sample' loads the stored model and generates text.
//   messages    HostMessage in, WorkerMessage out.
//
// The worker reports failures as a 'failed' message with a code and one clear sentence and then
// exits on its own; anything it does not catch (or running out of heap) reaches the host as the
// Worker's 'error' event.
import { parentPort, workerData } from 'node:worker_threads';
import { buildCorpus, collectCorpus } from '../corpus';
import { describeSkips, NoUsableTextError } from '../corpus/skips';
import { CorpusNGramWriter } from '../complete/load';
import { sample } from '../engine/sample';
import { saveCheckpoint } from '../model-files/checkpoint-file';
import { pickKernels } from '../runtime/kernels';
import { loadModel } from '../model-files/load-model';
import { runTraining } from './run-loop';
import { CorruptCheckpointError, NotEnoughTextError, PreparedSession, prepareSession } from './session';
import { includeFilter } from '../corpus/include-filter';
import type { FailureCode, HostMessage, SampleJob, SkipTally, TrainJob, WorkerMessage } from './protocol';

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const fail = (code: FailureCode, message: string, detail?: string) => post({ type: 'failed', code, message, detail });

async function train(job: TrainJob): Promise<void> {
  let stopRequested = false;
  let session: PreparedSession | undefined;
  port.on('message', (m: HostMessage) => {
    if (m.type === 'stop') stopRequested = true;
    else if (m.type === 'sample') post({ type: 'sample', id: m.id, text: session ? sampleText(session, m.length, m.temperature) : '' });
  });

  // 1. The corpus: every workspace folder, the corpus rules, files.exclude, lstmLens.include.
  const { corpus } = job;
  const collected = await collectCorpus(corpus.roots, {
    maxFileBytes: corpus.maxFileBytes, maxTotalBytes: corpus.maxTotalBytes, extraIgnore: corpus.extraIgnore,
    include: includeFilter(corpus.include, corpus.roots.length > 1),
  });
  const split = buildCorpus(collected.files, { valFraction: corpus.valFraction, seed: corpus.seed });
  const skipped: SkipTally = {};
  for (const [reason, s] of Object.entries(collected.skipped)) if (s) skipped[reason] = s.count;
  post({
    type: 'corpus', files: collected.files.length, chars: collected.totalChars, trainFiles: split.trainFiles.length,
    valFiles: split.valFiles.length, skipped, skippedSummary: describeSkips(collected.skipped),
  });
  if (stopRequested) return post({ type: 'done', reason: 'stopped', step: 0, charsSeen: 0 });

  // 2. The model: resumed from the stored checkpoint when there is one, else new.
  const picked = pickKernels('auto');
  session = await prepareSession({
    trainText: split.train, valTexts: split.val ? [split.val] : [], checkpointPath: job.checkpointPath,
    kernels: picked.kernels, settings: job.settings,
  });
  if (picked.fallbackReason) post({ type: 'notice', message: picked.fallbackReason });
  if (session.stateNotice) post({ type: 'notice', message: session.stateNotice });
  const cfg = session.model.config;
  post({
    type: 'started', resumed: session.resumed, step: session.progress.steps, charsSeen: session.progress.charsSeen,
    params: session.model.params.length, backend: picked.description, threads: session.threads, config: { cell: cfg.cell, layers: cfg.layers, hidden: cfg.hidden, vocabSize: cfg.vocabSize },
    valHistory: session.progress.valBpcHistory.slice(), settingsIgnored: session.settingsIgnored,
  });

  // 3. Train until the budget ends or the host says stop; every save is atomic.
  const s = session;
  // the corpus n-gram that completions mix with the LSTM, written beside the checkpoint at its first save
  const ngram = new CorpusNGramWriter(job.checkpointPath, s.data, s.vocab.chars, split.trainFiles,
    collected.files.filter((f) => split.valFiles.includes(f.relPath)));
  let result;
  try {
    result = await runTraining({
      model: s.model, trainer: s.trainer, train: s.train, vocab: [...s.vocab.chars], val: s.val,
      unkId: s.vocab.unkId, outOfVocabCodePoints: s.vocab.outOfVocabCodePoints,
      budget: { minutes: job.budgetMs / 60_000 }, progress: s.progress,
      save: (ck, state) => {
        const failed = ngram.save();
        if (failed) post({ type: 'notice', message: failed });
        saveCheckpoint(job.checkpointPath, ck, state);
        post({ type: 'saved', path: job.checkpointPath, step: ck.training.steps, charsSeen: ck.training.charsSeen });
      },
      onProgress: (e) => post({
        type: 'progress', step: e.step, epoch: e.epoch, charsSeen: e.charsSeen, charsPerSecond: e.charsPerSecond,
        trainBpc: e.trainBpc, valBpc: e.valBpc, elapsedMs: e.elapsedMs, etaMs: e.etaMs, lr: e.lr, sample: e.sample,
      }),
      onNotice: (message) => post({ type: 'notice', message }),
      shouldStop: () => stopRequested,
      progressEveryMs: job.progressEveryMs, evalEveryMs: job.evalEveryMs, sampleEveryMs: job.sampleEveryMs, saveEveryMs: job.saveEveryMs,
    });
  } finally {
    await s.close();
  }
  post({ type: 'done', reason: result.reason, step: result.progress.steps, charsSeen: result.progress.charsSeen, valBpc: result.valBpc });
}

function sampleText(s: PreparedSession, length: number, temperature: number): string {
  const ids = sample(s.model, { length, temperature, seed: (Date.now() >>> 0) });
  return s.vocab.decode(ids.filter((id) => id !== s.vocab.unkId));
}

function sampleStored(job: SampleJob): void {
  let loaded;
  try {
    loaded = loadModel(job.checkpointPath, pickKernels('auto').kernels, 1, 1);
  } catch (e) {
    return fail('corrupt-checkpoint', (e as Error).message);
  }
  const { model, vocab } = loaded;
  const prime = job.prime ? vocab.encode(job.prime) : undefined;
  const ids = sample(model, { prime, length: job.length, temperature: job.temperature, seed: job.seed });
  post({ type: 'sample', id: 0, text: vocab.decode(ids.filter((id) => id !== vocab.unkId)) });
}

/** One failure code per way a run can fail before or while training. */
function classify(e: unknown): { code: FailureCode; message: string; detail?: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof CorruptCheckpointError) return { code: 'corrupt-checkpoint', message };
  if (e instanceof NoUsableTextError || e instanceof NotEnoughTextError) return { code: 'empty-corpus', message };
  if (/diverged/i.test(message)) return { code: 'diverged', message };
  if (/must be|Unknown (cell|optimizer)|too few/i.test(message)) return { code: 'bad-settings', message };
  return { code: 'internal', message, detail: e instanceof Error ? e.stack : undefined };
}

(async () => {
  const job = workerData as TrainJob | SampleJob;
  try {
    if (job.kind === 'train') await train(job);
    else sampleStored(job);
  } catch (e) {
    const { code, message, detail } = classify(e);
    fail(code, message, detail);
  }
  // Let the thread end (the 'message' listener would keep it alive); posted messages still arrive.
  port.removeAllListeners('message');
  port.unref();
})();
