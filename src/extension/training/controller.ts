// Owns the training worker: starts it with a job, relays its messages as events, stops it,
// and turns every way a worker can end (done, failed, crashed, out of memory) into one
// RunOutcome. No vscode import: the UI (status bar, notification, panel, messages) listens.
//
// The extension host's thread never runs training math: everything numeric happens in the
// worker (dist/training-worker.js), including sampling from a stored model.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { FailureCode, HostMessage, SampleJob, TrainJob, WorkerMessage } from '../../training/protocol';

export type Phase = 'idle' | 'collecting' | 'training' | 'stopping';

export type ProgressMessage = Extract<WorkerMessage, { type: 'progress' }>;
export type CorpusMessage = Extract<WorkerMessage, { type: 'corpus' }>;
export type StartedMessage = Extract<WorkerMessage, { type: 'started' }>;

export type RunOutcome =
  | { kind: 'done'; reason: 'budget' | 'stopped'; step: number; charsSeen: number; valBpc?: number; remainingMs: number }
  | { kind: 'failed'; code: FailureCode; message: string; detail?: string }
  | { kind: 'crashed'; message: string; outOfMemory: boolean };

export interface LiveRun {
  phase: Phase;
  budgetMs: number;
  startedAt: number;
  corpus?: CorpusMessage;
  started?: StartedMessage;
  progress?: ProgressMessage;
  lastSave?: { step: number; charsSeen: number; time: number };
}

export interface ControllerOptions {
  workerPath: string;
  /** e.g. ['--import', 'tsx'] to run the TypeScript worker in tests */
  execArgv?: string[];
  /** V8 heap cap of the worker: past it the worker dies with ERR_WORKER_OUT_OF_MEMORY, not the editor. */
  maxOldGenerationSizeMb?: number;
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
 * 'saved' ({ path, step }), 'end' (RunOutcome).
 */
export class TrainingController extends EventEmitter {
  private worker: Worker | undefined;
  private live: LiveRun | undefined;
  private nextSampleId = 1;
  private readonly pendingSamples = new Map<number, (text: string) => void>();
  /** Budget left by the last run that was stopped, for Resume. */
  remainingMs = 0;

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
    const worker = this.spawn(job);
    this.worker = worker;
    let outcome: RunOutcome | undefined;

    return new Promise<RunOutcome>((resolve) => {
      worker.on('message', (m: WorkerMessage) => {
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
          case 'saved': live.lastSave = { step: m.step, charsSeen: m.charsSeen, time: Date.now() }; this.emit('saved', m); break;
          case 'sample': this.pendingSamples.get(m.id)?.(m.text); this.pendingSamples.delete(m.id); break;
          case 'done': {
            const used = live.progress?.elapsedMs ?? Date.now() - live.startedAt;
            outcome = { kind: 'done', reason: m.reason, step: m.step, charsSeen: m.charsSeen, valBpc: m.valBpc,
              remainingMs: m.reason === 'stopped' ? Math.max(0, job.budgetMs - used) : 0 };
            break;
          }
          case 'failed': outcome = { kind: 'failed', code: m.code, message: m.message, detail: m.detail }; break;
        }
      });
      // An uncaught exception in the worker, or V8 running out of the heap we allowed it.
      worker.on('error', (e: Error & { code?: string }) => {
        const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap/i.test(e.message);
        outcome ??= { kind: 'crashed', outOfMemory: oom, message: e.message };
      });
      worker.on('exit', (code) => {
        outcome ??= { kind: 'crashed', outOfMemory: false, message: `the training worker exited with code ${code} before it finished` };
        this.worker = undefined;
        this.live = undefined;
        for (const resolveSample of this.pendingSamples.values()) resolveSample('');
        this.pendingSamples.clear();
        this.remainingMs = outcome.kind === 'done' ? outcome.remainingMs : 0;
        this.emit('phase', 'idle');
        this.emit('end', outcome);
        resolve(outcome);
      });
    });
  }

  /** Asks the run to save and end; terminates the worker if it does not within the timeout. */
  async stop(): Promise<boolean> {
    const worker = this.worker;
    if (!worker || !this.live) return false;
    this.live.phase = 'stopping';
    this.emit('phase', 'stopping');
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    this.post({ type: 'stop' });
    const timeout = this.opts.stopTimeoutMs ?? 15_000;
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout).unref?.());
    if (await Promise.race([exited.then(() => 'exited' as const), timer]) === 'timeout') {
      await worker.terminate();   // the last periodic save on disk stays valid (writes are atomic)
      await exited;
    }
    return true;
  }

  /** A sample from the model being trained ('' when it ended first). */
  sampleRunning(length: number, temperature: number): Promise<string> {
    if (!this.worker) return Promise.resolve('');
    const id = this.nextSampleId++;
    return new Promise((resolve) => {
      this.pendingSamples.set(id, resolve);
      this.post({ type: 'sample', id, length, temperature });
    });
  }

  /** A sample from a stored model, in a short-lived worker of its own. */
  sampleStored(job: SampleJob): Promise<string> {
    return new Promise((resolve, reject) => {
      const worker = this.spawn(job);
      let text: string | undefined, failure: string | undefined;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'sample') text = m.text;
        else if (m.type === 'failed') failure = m.message;
      });
      worker.on('error', (e) => { failure ??= e.message; });
      worker.on('exit', () => (text !== undefined ? resolve(text) : reject(new Error(failure ?? 'The sampling worker ended without a sample.'))));
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  private spawn(job: TrainJob | SampleJob): Worker {
    return new Worker(this.opts.workerPath, {
      workerData: job,
      execArgv: this.opts.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxOldGenerationSizeMb ?? 2048 },
      // the worker's console output would go to the extension host's stdout: keep it
      stdout: false, stderr: false,
    });
  }

  private post(m: HostMessage): void {
    this.worker?.postMessage(m);
  }
}
