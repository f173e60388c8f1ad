// One way to run a worker_threads worker from the extension host (or any Node thread): a heap
// cap, console output kept out of the host's stdout, every way it can end turned into one
// WorkerEnd, requests answered by id with a deadline and cancellation, and a stop that asks
// first and terminates after a grace period. The training, completion and cells clients are
// built on it; none of them handles a Worker's events by hand.
//
//   const host = new WorkerHost<In, Out>({ script, heapMb, restart: true });
//   host.onMessage((m) => ...);              // every message that is not a reply
//   host.post(m);                            // starts the worker first when it is not running
//   const r = await host.request((id) => ({ type: 'x', id }), { timeoutMs });   // undefined: no answer
//   host.onEnd((end) => ...);                // exited / crashed / out of memory
//
// A worker that ends (crashes, or exits) fails its pending requests; with `restart` the next
// post starts a new one, else the host stays ended.
import { Worker } from 'node:worker_threads';

export type WorkerEnd =
  | { kind: 'exited'; code: number }
  | { kind: 'crashed'; message: string; outOfMemory: boolean };

export interface WorkerHostOptions {
  /** The bundled worker script (dist/*-worker.js). */
  script: string;
  /** V8 heap cap of the worker: past it the worker dies with ERR_WORKER_OUT_OF_MEMORY, not the host. */
  heapMb: number;
  /** Start a new worker on the next post after one ended (long-lived services); default false. */
  restart?: boolean;
  /** Passed to the worker as workerData (one-shot jobs). */
  workerData?: unknown;
  execArgv?: string[];
  /** Let the host process exit while the worker is idle (default false). */
  unref?: boolean;
}

/** What a request waits for: its reply, or nothing (ended, timed out, cancelled). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export class WorkerHost<In, Out> {
  private worker: Worker | undefined;
  private ended = false;
  private nextId = 1;
  private readonly pending = new Map<number, (m: Out | undefined) => void>();
  private readonly messageListeners: ((m: Out) => void)[] = [];
  private readonly endListeners: ((end: WorkerEnd) => void)[] = [];

  constructor(private readonly opts: WorkerHostOptions, private readonly replyId: (m: Out) => number | undefined = defaultReplyId) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  onMessage(listener: (m: Out) => void): void {
    this.messageListeners.push(listener);
  }

  onEnd(listener: (end: WorkerEnd) => void): void {
    this.endListeners.push(listener);
  }

  /** Starts the worker unless it runs (a one-shot host that ended throws). */
  start(): Worker {
    if (this.worker) return this.worker;
    if (this.ended && !this.opts.restart) throw new Error('The worker has ended.');
    const w = new Worker(this.opts.script, {
      workerData: this.opts.workerData,
      execArgv: this.opts.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb },
      // the worker's console output would go to the host's stdout: keep it
      stdout: false, stderr: false,
    });
    let end: WorkerEnd | undefined;
    w.on('message', (m: Out) => {
      const id = this.replyId(m);
      const waiter = id !== undefined ? this.pending.get(id) : undefined;
      if (waiter) { this.pending.delete(id!); waiter(m); return; }
      for (const l of this.messageListeners) l(m);
    });
    // An uncaught exception in the worker, or V8 running out of the heap we allowed it.
    w.on('error', (e: Error & { code?: string }) => {
      end ??= { kind: 'crashed', message: e.message, outOfMemory: e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap/i.test(e.message) };
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.ended = true;
      for (const waiter of [...this.pending.values()]) waiter(undefined);
      this.pending.clear();
      const how = end ?? { kind: 'exited', code };
      for (const l of this.endListeners) l(how);
    });
    if (this.opts.unref) w.unref();
    this.worker = w;
    return w;
  }

  /** Sends a message, starting the worker first; false when it could not start. */
  post(m: In): boolean {
    let w: Worker;
    try {
      w = this.start();
    } catch {
      return false;
    }
    w.postMessage(m);
    return true;
  }

  /** Sends the message `make(id)` and resolves with the reply carrying that id, or undefined when
   *  the worker ended, could not start, or the deadline or the token came first. */
  request<R extends Out>(make: (id: number) => In, o: { timeoutMs?: number; token?: CancelToken; onGiveUp?: () => void } = {}): Promise<R | undefined> {
    if (o.token?.isCancellationRequested) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let sub: { dispose(): void } | undefined;
      const finish = (m: Out | undefined) => {
        if (settled) return;
        settled = true;
        this.pending.delete(id);
        clearTimeout(timer);
        sub?.dispose();
        if (m === undefined) o.onGiveUp?.();
        resolve(m as R | undefined);
      };
      this.pending.set(id, finish);
      if (o.timeoutMs !== undefined) timer = setTimeout(() => finish(undefined), o.timeoutMs);
      sub = o.token?.onCancellationRequested(() => finish(undefined));
      if (!this.post(make(id))) finish(undefined);
    });
  }

  /** Asks the worker to end (`ask`, e.g. posting 'stop'), then terminates it after graceMs. */
  async stop(graceMs = 0, ask?: () => void): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    if (ask && graceMs > 0) {
      ask();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), graceMs); timer.unref?.(); });
      const how = await Promise.race([exited.then(() => 'exited' as const), late]);
      clearTimeout(timer);
      if (how === 'exited') return;
    }
    await w.terminate();
    await exited;
  }
}

function defaultReplyId(m: unknown): number | undefined {
  const id = (m as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? id : undefined;
}
