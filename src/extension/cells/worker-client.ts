// The extension host's handle on the cells worker (dist/cells-worker.js), through the one worker
// host (runtime/worker-host.ts): started on first use, restarted after it dies, requests answered
// by id, everything else handed to a listener. All numeric work for the cell-activation panel
// happens in the worker, never on the extension host's thread.
import { DEFAULTS } from '../../defaults';
import { WorkerHost } from '../../runtime/worker-host';
import type { InferReply, InferRequest } from '../../cells/protocol';

export class CellsWorkerClient {
  private readonly host: WorkerHost<InferRequest, InferReply>;

  constructor(workerPath: string, private readonly onReply: (m: InferReply) => void) {
    // The worker reads the model and the workspace's files; the heap cap keeps a runaway from
    // taking the editor down with it.
    this.host = new WorkerHost({ script: workerPath, heapMb: DEFAULTS.workerHeapMb.cells, restart: true, unref: true });
    this.host.onMessage(onReply);
    this.host.onEnd((end) => {
      if (end.kind === 'crashed') onReply({ type: 'error', message: `The cells worker failed: ${end.message}` });
    });
  }

  get started(): boolean {
    return this.host.running;
  }

  /** Sends a request; a worker that cannot start is reported to the listener as an error. */
  send(m: InferRequest): void {
    if (!this.host.post(m)) this.onReply({ type: 'error', message: 'The cells worker could not start.' });
  }

  /** A request answered by a reply with the same id ('guesses', 'discover'); an error reply when
   *  the worker ended first. */
  async request<T extends InferReply>(make: (id: number) => InferRequest): Promise<T> {
    let sent = 0;
    const reply = await this.host.request<T>((id) => { sent = id; return make(id); });
    return reply ?? ({ type: 'error', id: sent, message: 'The cells worker ended.' } as T);
  }

  dispose(): void {
    void this.host.stop();
  }
}
