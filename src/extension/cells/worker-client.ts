// The extension host's handle on the inference worker (dist/cells-worker.js): starts it on first
// use, sends requests, hands replies to a listener, and restarts it when it dies. All numeric work
// for the cell-activation panel happens in the worker, never on the extension host's thread.
import { Worker } from 'node:worker_threads';
import type { InferReply, InferRequest } from '../../cells/protocol';

export class InferWorkerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (m: InferReply) => void>();

  constructor(private readonly workerPath: string, private readonly onReply: (m: InferReply) => void) {}

  get started(): boolean {
    return this.worker !== undefined;
  }

  /** Sends a request; a worker that cannot start is reported to the listener as an error. */
  send(m: InferRequest): void {
    let w: Worker;
    try {
      w = this.ensure();
    } catch (e) {
      const message = `The inference worker could not start: ${(e as Error).message}`;
      if ('id' in m) this.pending.get(m.id)?.({ type: 'error', id: m.id, message });
      else this.onReply({ type: 'error', message });
      return;
    }
    w.postMessage(m);
  }

  /** A request answered by a reply with the same id ('guesses', 'discover'). */
  request<T extends InferReply>(make: (id: number) => InferRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, (m) => { this.pending.delete(id); resolve(m as T); });
      this.send(make(id));
    });
  }

  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    this.failPending('The inference worker was stopped.');
    void w?.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    // The worker reads the model and the workspace's files; a heap cap keeps a runaway from
    // taking the editor down with it.
    const w = new Worker(this.workerPath, { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    w.on('message', (m: InferReply) => {
      const id = 'id' in m ? m.id : undefined;
      const waiter = id !== undefined ? this.pending.get(id) : undefined;
      if (waiter) { this.pending.delete(id!); waiter(m); return; }
      this.onReply(m);
    });
    w.on('error', (e) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failPending(`The inference worker failed: ${e.message}`);
      this.onReply({ type: 'error', message: `The inference worker failed: ${e.message}` });
    });
    w.on('exit', () => { if (this.worker === w) { this.worker = undefined; this.failPending('The inference worker ended.'); } });
    w.unref();
    this.worker = w;
    return w;
  }

  private failPending(message: string): void {
    for (const [id, waiter] of this.pending) waiter({ type: 'error', id, message });
    this.pending.clear();
  }
}
