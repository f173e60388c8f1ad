// The extension host's side of the completion worker: starts it, mirrors the open documents into
// it (whole once, then as edits), asks for completions and gives up on them when the editor
// cancels or the worker is slow. No vscode import (the provider adapts VS Code's types), so the
// unit tests drive it in plain Node.
//
// Nothing here waits on the worker beyond a request's deadline: a stuck or crashed worker costs
// at most `timeoutMs` of no suggestions, and a crashed one is started again at the next request.
import { EventEmitter } from 'node:events';
import { DEFAULTS } from '../../defaults';
import { CancelToken, WorkerHost } from '../../runtime/worker-host';
import type { CompletionItem } from '../../complete/completer';
import type { CompletionHostMessage, CompletionWorkerMessage, LoadedInfo, SuggestPreview, TextChange } from '../../complete/protocol';
import type { DecodeSettings } from '../../complete/decode-settings';

export interface CompletionClientOptions {
  workerPath: string;
  /** e.g. ['--import', 'tsx'] to run the TypeScript worker in tests */
  execArgv?: string[];
  /** A request the worker has not answered by then gets no suggestion (default DEFAULTS.completions.timeoutMs). */
  timeoutMs?: number;
  /** V8 heap cap of the worker: past it only the worker dies (default DEFAULTS.workerHeapMb.completion). */
  heapMb?: number;
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

export type { CancelToken };

/**
 * Events: 'crashed' (message: string) when the worker died; it starts again on the next call.
 */
export class CompletionClient extends EventEmitter {
  private readonly worker: WorkerHost<CompletionHostMessage, CompletionWorkerMessage>;
  private readonly synced = new Map<string, number>();     // uri -> version the worker has
  private loads: ((m: CompletionWorkerMessage) => void)[] = [];
  /** The model the worker has, as it last said. */
  info: LoadedInfo | undefined;

  constructor(private readonly opts: CompletionClientOptions) {
    super();
    this.worker = new WorkerHost({ script: opts.workerPath, heapMb: opts.heapMb ?? DEFAULTS.workerHeapMb.completion, execArgv: opts.execArgv, restart: true });
    this.worker.onMessage((m) => {
      if (m.type === 'loaded' || m.type === 'kept' || m.type === 'load-failed') this.loads.shift()?.(m);
    });
    this.worker.onEnd((end) => {
      if (end.kind === 'crashed') this.emit('crashed', end.message);
      // everything the worker had is gone: documents are resent, the model reloaded by the caller
      this.info = undefined;
      this.synced.clear();
      for (const resolve of this.loads.splice(0)) resolve({ type: 'unloaded' });
    });
  }

  get running(): boolean {
    return this.worker.running;
  }

  /** Loads (or reloads) a checkpoint in the worker. */
  load(checkpointPath: string, force: boolean): Promise<LoadOutcome> {
    return new Promise((resolve) => {
      this.loads.push((m) => {
        if (m.type === 'loaded') { this.info = m.info; resolve({ kind: 'loaded', info: m.info, notice: m.notice }); }
        else if (m.type === 'kept') { this.info = m.info; resolve({ kind: 'kept', info: m.info, reason: m.reason }); }
        else if (m.type === 'load-failed') { this.info = undefined; resolve({ kind: 'failed', message: m.message }); }
        else resolve({ kind: 'failed', message: 'The completion worker stopped while loading the model.' });
      });
      if (!this.worker.post({ type: 'load', checkpointPath, force })) this.loads.pop()?.({ type: 'unloaded' });
    });
  }

  unload(): void {
    this.info = undefined;
    if (this.worker.running) this.worker.post({ type: 'unload' });
  }

  /** Sends the document's text unless the worker already has this version. */
  sync(doc: DocumentSnapshot): void {
    if (this.worker.running && this.synced.get(doc.uri) === doc.version) return;
    if (this.worker.post({ type: 'open', uri: doc.uri, version: doc.version, text: doc.getText(), header: doc.header })) this.synced.set(doc.uri, doc.version);
  }

  /** A document changed (VS Code's contentChanges, as offsets); ignored unless it is mirrored. */
  change(uri: string, version: number, changes: TextChange[]): void {
    const had = this.synced.get(uri);
    if (had === undefined || !this.worker.running) return;
    if (version <= had) return;   // already in the text the worker has
    this.synced.set(uri, version);
    this.worker.post({ type: 'change', uri, version, changes });
  }

  close(uri: string): void {
    if (!this.synced.delete(uri) || !this.worker.running) return;
    this.worker.post({ type: 'close', uri });
  }

  /** A completion at offset of a synced document (with preview: after the suggest widget's item
   *  put in); undefined when cancelled or too slow. */
  async complete(uri: string, version: number, length: number | undefined, offset: number, settings: DecodeSettings, token?: CancelToken,
    preview?: SuggestPreview): Promise<CompletionReply | undefined> {
    const cancel = new SharedArrayBuffer(4);
    const m = await this.worker.request((id) => ({ type: 'complete', id, uri, version, length, offset, settings, cancel, preview }), {
      timeoutMs: this.opts.timeoutMs ?? DEFAULTS.completions.timeoutMs, token,
      onGiveUp: () => Atomics.store(new Int32Array(cancel), 0, 1),   // whatever the worker still does for it is wasted
    });
    if (m?.type !== 'result') return undefined;
    if (m.reason === 'unsynced') this.synced.delete(uri);   // resent at the next request
    return { items: m.items, reason: m.reason, message: m.message, fed: m.fed, steps: m.steps, ms: m.ms };
  }

  async dispose(): Promise<void> {
    this.removeAllListeners();
    await this.worker.stop();
  }
}
