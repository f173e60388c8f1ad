// The extension host's side of the completion worker: starts it, mirrors the open documents into
// it (whole once, then as edits), asks for completions and gives up on them when the editor
// cancels or the worker is slow. No vscode import (the provider adapts VS Code's types), so the
// unit tests drive it in plain Node.
//
// Nothing here waits on the worker beyond a request's deadline: a stuck or crashed worker costs
// at most `timeoutMs` of no suggestions, and a crashed one is started again at the next request.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { CompletionItem } from '../../complete/completer';
import type { CompletionHostMessage, CompletionWorkerMessage, LoadedInfo, TextChange } from '../../complete/protocol';
import type { DecodeSettings } from '../../complete/settings';

export interface CompletionClientOptions {
  workerPath: string;
  /** e.g. ['--import', 'tsx'] to run the TypeScript worker in tests */
  execArgv?: string[];
  /** A request the worker has not answered by then gets no suggestion (default 1,500 ms). */
  timeoutMs?: number;
  /** V8 heap cap of the worker (default 1,024 MB): past it only the worker dies. */
  maxOldGenerationSizeMb?: number;
}

export type LoadOutcome =
  | { kind: 'loaded'; info: LoadedInfo; notice?: string }
  | { kind: 'kept'; info: LoadedInfo; reason: string }
  | { kind: 'failed'; message: string };

export interface CompletionReply {
  items: CompletionItem[];
  reason?: string;
  message?: string;
  fed: number;
  steps: number;
  /** Time in the worker. */
  ms: number;
}

/** What the client needs of a document. */
export interface DocumentSnapshot { uri: string; version: number; getText(): string; header: string }

/** What the client needs of a cancellation token (VS Code's fits). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * Events: 'crashed' (message: string) when the worker died; it starts again on the next call.
 */
export class CompletionClient extends EventEmitter {
  private worker: Worker | undefined;
  private readonly synced = new Map<string, number>();     // uri -> version the worker has
  private readonly pending = new Map<number, (m: Extract<CompletionWorkerMessage, { type: 'result' }> | undefined) => void>();
  private loads: ((m: CompletionWorkerMessage) => void)[] = [];
  private nextId = 1;
  /** The model the worker has, as it last said. */
  info: LoadedInfo | undefined;

  constructor(private readonly opts: CompletionClientOptions) {
    super();
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Loads (or reloads) a checkpoint in the worker. */
  load(checkpointPath: string, force: boolean): Promise<LoadOutcome> {
    const w = this.ensureWorker();
    return new Promise((resolve) => {
      this.loads.push((m) => {
        if (m.type === 'loaded') { this.info = m.info; resolve({ kind: 'loaded', info: m.info, notice: m.notice }); }
        else if (m.type === 'kept') { this.info = m.info; resolve({ kind: 'kept', info: m.info, reason: m.reason }); }
        else if (m.type === 'load-failed') { this.info = undefined; resolve({ kind: 'failed', message: m.message }); }
        else resolve({ kind: 'failed', message: 'The completion worker stopped while loading the model.' });
      });
      this.post(w, { type: 'load', checkpointPath, force });
    });
  }

  unload(): void {
    this.info = undefined;
    if (this.worker) this.post(this.worker, { type: 'unload' });
  }

  /** Sends the document's text unless the worker already has this version. */
  sync(doc: DocumentSnapshot): void {
    const w = this.ensureWorker();
    if (this.synced.get(doc.uri) === doc.version) return;
    this.synced.set(doc.uri, doc.version);
    this.post(w, { type: 'open', uri: doc.uri, version: doc.version, text: doc.getText(), header: doc.header });
  }

  /** A document changed (VS Code's contentChanges, as offsets); ignored unless it is mirrored. */
  change(uri: string, version: number, changes: TextChange[]): void {
    const had = this.synced.get(uri);
    if (had === undefined || !this.worker) return;
    if (version <= had) return;   // already in the text the worker has
    this.synced.set(uri, version);
    this.post(this.worker, { type: 'change', uri, version, changes });
  }

  close(uri: string): void {
    if (!this.synced.delete(uri) || !this.worker) return;
    this.post(this.worker, { type: 'close', uri });
  }

  /** A completion at offset of a synced document; undefined when cancelled or too slow. */
  complete(uri: string, version: number, length: number | undefined, offset: number, settings: DecodeSettings, token?: CancelToken): Promise<CompletionReply | undefined> {
    if (token?.isCancellationRequested) return Promise.resolve(undefined);
    const w = this.ensureWorker();
    const id = this.nextId++;
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let sub: { dispose(): void } | undefined;
      const finish = (r: CompletionReply | undefined) => {
        if (settled) return;
        settled = true;
        Atomics.store(flag, 0, 1);   // whatever the worker still does for it is wasted
        clearTimeout(timer);
        sub?.dispose();
        resolve(r);
      };
      timer = setTimeout(() => finish(undefined), this.opts.timeoutMs ?? 1500);
      sub = token?.onCancellationRequested(() => finish(undefined));
      this.pending.set(id, (m) => {
        this.pending.delete(id);
        if (!m) return finish(undefined);
        if (m.reason === 'unsynced') this.synced.delete(uri);   // resent at the next request
        finish({ items: m.items, reason: m.reason, message: m.message, fed: m.fed, steps: m.steps, ms: m.ms });
      });
      this.post(w, { type: 'complete', id, uri, version, length, offset, settings, cancel });
    });
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.removeAllListeners();
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.opts.workerPath, {
      execArgv: this.opts.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxOldGenerationSizeMb ?? 1024 },
      stdout: false, stderr: false,
    });
    w.on('message', (m: CompletionWorkerMessage) => {
      if (m.type === 'result') this.pending.get(m.id)?.(m);
      else if (m.type === 'loaded' || m.type === 'kept' || m.type === 'load-failed') this.loads.shift()?.(m);
    });
    w.on('error', (e) => this.emit('crashed', e.message));
    w.on('exit', () => {
      if (this.worker !== w) return;
      // everything the worker had is gone: documents are resent, the model reloaded by the caller
      this.worker = undefined;
      this.info = undefined;
      this.synced.clear();
      for (const resolve of [...this.pending.values()]) resolve(undefined);
      this.pending.clear();
      for (const resolve of this.loads.splice(0)) resolve({ type: 'unloaded' });
    });
    this.worker = w;
    return w;
  }

  private post(w: Worker, m: CompletionHostMessage): void {
    w.postMessage(m);
  }
}
