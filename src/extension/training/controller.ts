// Owns the training worker: starts it with a job, relays its messages as events, stops it,
// and turns every way a worker can end (done, failed, crashed, out of memory) into one
// RunOutcome. No vscode import: the UI (status bar, notification, panel, messages) listens.
//
// The extension host's thread never runs training math: everything numeric happens in the
// worker (dist/training-worker.js), including sampling from a stored model.
import { EventEmitter } from 'node:events';
import { DEFAULTS } from '../../defaults';
import { WorkerHost } from '../../runtime/worker-host';
import type { LensErrorData } from '../../errors';
import type { FailureCode, HostMessage, SampleJob, TrainJob, WorkerMessage } from '../../training/protocol';

export type Phase = 'idle' | 'collecting' | 'training' | 'stopping';

export type ProgressMessage = Extract<WorkerMessage, { type: 'progress' }>;
export type CorpusMessage = Extract<WorkerMessage, { type: 'corpus' }>;
export type StartedMessage = Extract<WorkerMessage, { type: 'started' }>;

export type RunOutcome =
  | { kind: 'done'; reason: 'budget' | 'stopped'; step: number; charsSeen: number; valBpc?: number; remainingMs: number; lastStep?: number }
  | { kind: 'failed'; code: FailureCode; message: string; detail?: string; data?: LensErrorData }
  | { kind: 'crashed'; message: string; outOfMemory: boolean };

export interface LiveRun {
  phase: Phase;
  budgetMs: number;
  startedAt: number;
  corpus?: CorpusMessage;
  started?: StartedMessage;
  progress?: ProgressMessage;
  /** The threads taking part now (fewer while the user types), as the worker last reported. */
  threads?: { active: number; threads: number };
  lastSave?: { step: number; charsSeen: number; time: number };
}

export interface ControllerOptions {
  workerPath: string;
  /** e.g. ['--import', 'tsx'] to run the TypeScript worker in tests */
  execArgv?: string[];
  /** V8 heap cap of the worker: past it the worker dies with ERR_WORKER_OUT_OF_MEMORY, not the editor
   *  (default DEFAULTS.workerHeapMb.training). */
  heapMb?: number;
  /** How long stop() waits for the worker's final save before terminating it. */
  stopTimeoutMs?: number;
}

export class AlreadyTrainingError extends Error {
  constructor() {
    super('Training is already running in this window. Stop it first (LSTM Lens: Stop Training), or open the Training panel to watch it.');
  }
}

/**
 * Events: 'phase' (Phase), 'corpus' (CorpusMessage), 'started' (StartedMessage),
 * 'progress' (ProgressMessage), 'sample' ({ text, charsSeen }), 'notice' (string),
 * 'saved' ({ path, step }), 'threads' ({ active, threads }), 'end' (RunOutcome).
 */
export class TrainingController extends EventEmitter {
  private worker: WorkerHost<HostMessage, WorkerMessage> | undefined;
  private live: LiveRun | undefined;
  /** Budget left by the last run that was stopped, for Resume. */
  remainingMs = 0;
  private lastTypingSent = 0;

  constructor(private readonly opts: ControllerOptions) {
    super();
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  get current(): LiveRun | undefined {
    return this.live;
  }

  /** Starts a run; resolves with how it ended (never rejects, except when one is running). */
  start(job: TrainJob): Promise<RunOutcome> {
    if (this.worker) return Promise.reject(new AlreadyTrainingError());
    const live: LiveRun = { phase: 'collecting', budgetMs: job.budgetMs, startedAt: Date.now() };
    this.live = live;
    this.emit('phase', live.phase);
    const worker = this.host(job);
    this.worker = worker;
    let outcome: RunOutcome | undefined;

    return new Promise<RunOutcome>((resolve) => {
      worker.onMessage((m) => {
        switch (m.type) {
          case 'corpus': live.corpus = m; this.emit('corpus', m); break;
          case 'started':
            live.started = m; live.phase = live.phase === 'stopping' ? 'stopping' : 'training';
            this.emit('started', m); this.emit('phase', live.phase);
            break;
          case 'progress':
            live.progress = m; this.emit('progress', m);
            if (m.sample) this.emit('sample', { text: m.sample, charsSeen: m.charsSeen });
            break;
          case 'notice': this.emit('notice', m.message); break;
          case 'threads': live.threads = { active: m.active, threads: m.threads }; this.emit('threads', live.threads); break;
          case 'saved': live.lastSave = { step: m.step, charsSeen: m.charsSeen, time: Date.now() }; this.emit('saved', m); break;
          case 'done': {
            const used = live.progress?.elapsedMs ?? Date.now() - live.startedAt;
            outcome = { kind: 'done', reason: m.reason, step: m.step, charsSeen: m.charsSeen, valBpc: m.valBpc, lastStep: m.lastStep,
              remainingMs: m.reason === 'stopped' ? Math.max(0, job.budgetMs - used) : 0 };
            break;
          }
          case 'failed': outcome = { kind: 'failed', code: m.code, message: m.message, detail: m.detail, data: m.data }; break;
        }
      });
      worker.onEnd((end) => {
        outcome ??= end.kind === 'crashed' ? { kind: 'crashed', outOfMemory: end.outOfMemory, message: end.message }
          : { kind: 'crashed', outOfMemory: false, message: `the training worker exited with code ${end.code} before it finished` };
        this.worker = undefined;
        this.live = undefined;
        this.remainingMs = outcome.kind === 'done' ? outcome.remainingMs : 0;
        this.emit('phase', 'idle');
        this.emit('end', outcome);
        resolve(outcome);
      });
      try {
        worker.start();
      } catch (e) {
        this.worker = undefined;
        this.live = undefined;
        const failed: RunOutcome = { kind: 'crashed', outOfMemory: false, message: `the training worker could not start (${(e as Error).message})` };
        this.emit('phase', 'idle');
        this.emit('end', failed);
        resolve(failed);
      }
    });
  }

  /** Asks the run to save and end; terminates the worker if it does not within the timeout. */
  async stop(): Promise<boolean> {
    const worker = this.worker;
    if (!worker || !this.live) return false;
    this.live.phase = 'stopping';
    this.emit('phase', 'stopping');
    // the last periodic save on disk stays valid if it has to be terminated (writes are atomic)
    await worker.stop(this.opts.stopTimeoutMs ?? 15_000, () => worker.post({ type: 'stop' }));
    return true;
  }

  /** The user typed or moved the cursor: the run gives a core back until they pause
   *  (typing-backoff.ts). Told to the worker at most every 250 ms. */
  userTyping(): void {
    const now = Date.now();
    if (!this.worker || now - this.lastTypingSent < 250) return;
    this.lastTypingSent = now;
    this.worker.post({ type: 'typing' });
  }

  /** A sample from the model being trained ('' when it ended first). */
  async sampleRunning(length: number, temperature: number): Promise<string> {
    const reply = await this.worker?.request((id) => ({ type: 'sample', id, length, temperature }));
    return reply?.type === 'sample' ? reply.text : '';
  }

  /** A sample from a stored model, in a short-lived worker of its own. */
  sampleStored(job: SampleJob): Promise<string> {
    return new Promise((resolve, reject) => {
      const worker = this.host(job);
      let text: string | undefined, failure: string | undefined;
      worker.onMessage((m) => {
        if (m.type === 'sample') text = m.text;
        else if (m.type === 'failed') failure = m.message;
      });
      worker.onEnd((end) => {
        if (text !== undefined) return resolve(text);
        reject(new Error(failure ?? (end.kind === 'crashed' ? end.message : 'The sampling worker ended without a sample.')));
      });
      try {
        worker.start();
      } catch (e) {
        reject(new Error(`The sampling worker could not start (${(e as Error).message}).`));
      }
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  /** A one-shot worker for one job (the job is its workerData). */
  private host(job: TrainJob | SampleJob): WorkerHost<HostMessage, WorkerMessage> {
    return new WorkerHost({ script: this.opts.workerPath, heapMb: this.opts.heapMb ?? DEFAULTS.workerHeapMb.training, execArgv: this.opts.execArgv, workerData: job });
  }
}
