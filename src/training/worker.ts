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
import { availableParallelism } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULTS } from '../defaults';
import { sample } from '../engine/sample';
import { pickKernels } from '../runtime/kernels';
import { lowerThisThreadPriority } from '../runtime/thread-priority';
import { loadModel } from '../model-files/load-model';
import { asLensError } from '../errors';
import { trainModel } from './train';
import { TypingBackoff } from './typing-backoff';
import type { HostMessage, SampleJob, TrainJob, WorkerMessage } from './protocol';

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

async function train(job: TrainJob): Promise<void> {
  // the editor first: this thread and the gradient threads it starts yield to the extension host
  lowerThisThreadPriority(DEFAULTS.training.editorNice);
  let stopRequested = false;
  let sampleNow: ((length: number, temperature: number) => string) | undefined;
  // every core while the user is idle, one given back while they type
  const backoff = new TypingBackoff({ idleMs: DEFAULTS.training.typingIdleMs, onChange: (active, threads) => post({ type: 'threads', active, threads }) });
  port.on('message', (m: HostMessage) => {
    if (m.type === 'stop') stopRequested = true;
    else if (m.type === 'typing') backoff.typing();
    else if (m.type === 'sample') post({ type: 'sample', id: m.id, text: sampleNow ? sampleNow(m.length, m.temperature) : '' });
  });

  // The corpus of every workspace folder, the model stored in the workspace (resumed when it
  // exists), the settings' budget: trainModel tells the run; this relays it to the host.
  const threads = job.settings.threads > 0 ? job.settings.threads : availableParallelism();
  const result = await trainModel({
    corpus: { kind: 'workspace', ...job.corpus }, checkpointPath: job.checkpointPath, resume: true,
    settings: { ...job.settings, threads }, budget: { minutes: job.budgetMs / 60_000 },
    intervals: { progressEveryMs: job.progressEveryMs, evalEveryMs: job.evalEveryMs, sampleEveryMs: job.sampleEveryMs, saveEveryMs: job.saveEveryMs },
  }, {
    corpus: (c) => post({
      type: 'corpus', files: c.files, chars: c.chars, trainFiles: c.trainFiles, valFiles: c.valFiles, trainChars: c.trainChars,
      skipped: c.skipped, skippedSummary: c.skippedSummary, lists: c.lists,
    }),
    started: ({ session: s, backend, sample: sampler, heldOutChanged }) => {
      sampleNow = sampler;
      const cfg = s.model.config;
      post({
        type: 'started', resumed: s.resumed, step: s.progress.steps, charsSeen: s.progress.charsSeen, params: s.model.params.length,
        backend, threads: s.threads, config: { cell: cfg.cell, layers: cfg.layers, hidden: cfg.hidden, vocabSize: cfg.vocabSize },
        valHistory: s.progress.valBpcHistory.slice(), settingsIgnored: s.settingsIgnored, heldOutChanged,
      });
      backoff.attach(s);
    },
    progress: (e) => post({
      type: 'progress', step: e.step, epoch: e.epoch, charsSeen: e.charsSeen, charsPerSecond: e.charsPerSecond,
      trainBpc: e.trainBpc, valBpc: e.valBpc, elapsedMs: e.elapsedMs, etaMs: e.etaMs, lr: e.lr, sample: e.sample,
    }),
    saved: (m) => post({ type: 'saved', ...m }),
    notice: (message) => post({ type: 'notice', message }),
    shouldStop: () => stopRequested,
  }).finally(() => backoff.dispose());
  if (!result.progress) return post({ type: 'done', reason: 'stopped', step: 0, charsSeen: 0 });
  // the step of the model on disk: validation may have kept an earlier one than the last
  const earlier = result.kept && result.kept.step !== result.progress.steps;
  post({ type: 'done', reason: result.reason, step: result.kept?.step ?? result.progress.steps, charsSeen: result.progress.charsSeen,
    valBpc: result.valBpc, ...(earlier ? { lastStep: result.progress.steps } : {}) });
}

function sampleStored(job: SampleJob): void {
  let loaded;
  try {
    loaded = loadModel(job.checkpointPath, pickKernels('auto').kernels, 1, 1);
  } catch (e) {
    return post({ type: 'failed', code: 'corrupt-checkpoint', data: { code: 'corrupt-checkpoint', path: job.checkpointPath }, message: (e as Error).message });
  }
  const { model, vocab } = loaded;
  const prime = job.prime ? vocab.encode(job.prime) : undefined;
  const ids = sample(model, { prime, length: job.length, temperature: job.temperature, seed: job.seed });
  post({ type: 'sample', id: 0, text: vocab.textOf(ids) });
}

/** A LensError travels as its code and data; anything else is a bug, with its stack. */
function classify(e: unknown): Extract<WorkerMessage, { type: 'failed' }> {
  const message = e instanceof Error ? e.message : String(e);
  const known = asLensError(e);
  if (known) return { type: 'failed', code: known.code, data: known.data, message };
  return { type: 'failed', code: 'internal', message, detail: e instanceof Error ? e.stack : undefined };
}

(async () => {
  const job = workerData as TrainJob | SampleJob;
  try {
    if (job.kind === 'train') await train(job);
    else sampleStored(job);
  } catch (e) {
    post(classify(e));
  }
  // Let the thread end (the 'message' listener would keep it alive); posted messages still arrive.
  port.removeAllListeners('message');
  port.unref();
})();
