// Inline ghost completions from the workspace model: the InlineCompletionItemProvider, the
// toggle (command and status bar), and keeping the completion worker's model current (loaded
// when the stored model appears or changes, reloaded when training saves, dropped when it is
// reset). Everything numeric runs in the worker (client.ts); here only a short
// debounce, a file stat now and then, and messages.
//
// Nothing is offered while there is no model (with a one-time hint to train), for languages the
// model was not trained on, for a language whose lstmLens.completions.enabled is false, or when
// the model file is unreadable (one message per file).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

import type { LoadedInfo } from '../../complete/protocol';
import type { CompletionItem } from '../../complete/completer';
import { RecentAnswers } from './recent-answers';
import { DEFAULTS } from '../../defaults';
import { fileHeader } from '../../corpus/build';
import { CompletionClient, LoadOutcome } from './client';
import { readCompletionSettings } from '../settings';
import { CompletionStatus } from './status';
import type { ModelStore } from '../../model-files/model-store';
import type { Notifier } from '../notify';
import type { TrainingController } from '../training/controller';
import { ngramPathFor } from '../../model-files/paths';

const ON_KEY = 'lstmLens.completions.on';
const HINT_KEY = 'lstmLens.completions.trainHintShown';
/** How often (at most) a request looks whether the model files changed on disk. */
const STAT_EVERY_MS = 1000;

export interface CompletionsDeps {
  context: vscode.ExtensionContext;
  store: ModelStore;
  controller: TrainingController;
  notify: Notifier;
  workerPath: string;
}

export class Completions implements vscode.Disposable, vscode.InlineCompletionItemProvider {
  readonly client: CompletionClient;
  readonly status = new CompletionStatus();
  private readonly disposables: vscode.Disposable[] = [];
  private signature: string | undefined;      // model + n-gram files as last loaded ('' = none)
  private checkedAt = 0;
  private loading: Promise<void> | undefined;
  private failedSignature: string | undefined;
  private problem: string | undefined;
  private slowSignature: string | undefined;   // the model whose slowness was reported
  private timeouts = 0;                        // requests in a row the worker did not answer in time
  private readonly answers = new RecentAnswers();
  private readonly deletedAt = new Map<string, number>();   // uri -> version that a deletion made

  constructor(private readonly deps: CompletionsDeps) {
    this.client = new CompletionClient({ workerPath: deps.workerPath });
    this.client.on('crashed', (m: string) => { deps.notify.trace(`the completion worker stopped: ${m}`); this.signature = undefined; });
    this.disposables.push(
      vscode.languages.registerInlineCompletionItemProvider([{ scheme: 'file' }, { scheme: 'untitled' }], this),
      vscode.commands.registerCommand('lstmLens.toggleCompletions', () => this.toggle()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        const uri = e.document.uri.toString();
        const changes = e.contentChanges.map((c) => ({ start: c.rangeOffset, end: c.rangeOffset + c.rangeLength, text: c.text }));
        this.client.change(uri, e.document.version, changes);
        this.answers.changed(uri, changes);
        // Backspace, Delete, a cut: the user is taking text out, not asking for more
        if (changes.every((c) => c.text === '' && c.end > c.start)) this.deletedAt.set(uri, e.document.version);
        else this.deletedAt.delete(uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        const uri = d.uri.toString();
        this.client.close(uri);
        this.answers.forget(uri);
        this.deletedAt.delete(uri);
      }),
      this.status,
    );
    // training saved a checkpoint: take it if it is better than the one in use
    const onSaved = () => void this.refresh(false);
    deps.controller.on('saved', onSaved);
    this.disposables.push({ dispose: () => deps.controller.off('saved', onSaved) });
    // the model was reset or imported: drop (or replace) the one in the worker now, not at the next stat
    const onStoreChanged = () => void this.refresh(true);
    deps.store.on('changed', onStoreChanged);
    this.disposables.push({ dispose: () => deps.store.off('changed', onStoreChanged) });
    this.updateStatus();
    void this.refresh(true);
  }

  get enabled(): boolean {
    return this.deps.context.globalState.get<boolean>(ON_KEY, true);
  }

  /** Whether the one-time hint to train (no model yet) was shown in this workspace. */
  get hintShown(): boolean {
    return this.deps.context.workspaceState.get<boolean>(HINT_KEY, false);
  }

  get model(): LoadedInfo | undefined {
    return this.client.info;
  }

  /** The toggle command: flips completions on or off (everywhere); returns the new state. */
  async toggle(): Promise<boolean> {
    const on = !this.enabled;
    await this.deps.context.globalState.update(ON_KEY, on);
    this.updateStatus();
    return on;
  }

  /** Loads the stored model into the worker when its files changed since the last load (force:
   *  even when it scores worse than the one in use). Resolves when done. */
  async refresh(force = true): Promise<void> {
    while (this.loading) await this.loading;
    this.loading = this.reload(force).finally(() => { this.loading = undefined; });
    await this.loading;
  }

  async provideInlineCompletionItems(doc: vscode.TextDocument, position: vscode.Position,
    context: vscode.InlineCompletionContext, token: vscode.CancellationToken): Promise<vscode.InlineCompletionList | undefined> {
    try {
      if (!this.enabled || token.isCancellationRequested) return undefined;
      const settings = readCompletionSettings(doc);
      if (!settings.enabled) return undefined;
      if (this.loading) await this.loading;
      else if (Date.now() - this.checkedAt >= STAT_EVERY_MS) await this.refresh(!this.deps.controller.running);
      const model = this.client.info;
      if (!model) { this.hintToTrain(); return undefined; }
      if (!this.trainedOn(doc, model)) return undefined;
      const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
      const uri = doc.uri.toString();
      // nothing after a deletion (unless asked for)
      if (!explicit && this.deletedAt.get(uri) === doc.version) return undefined;
      const offset = doc.offsetAt(position);
      const decode = { ...settings.decode, alternatives: explicit ? settings.explicitAlternatives : 1 };
      // with the suggest widget open, the completion continues its selected item
      const selected = context.selectedCompletionInfo;
      const preview = selected ? { start: doc.offsetAt(selected.range.start), end: doc.offsetAt(selected.range.end), text: selected.text } : undefined;
      // what else an answer depends on: the model, the settings, the suggest widget's item
      const key = `${this.signature}|${JSON.stringify(decode)}|${preview ? `${preview.start}:${preview.end}:${preview.text}` : ''}`;
      const toList = (items: CompletionItem[]) => ({ items: items.map((i) => this.itemFor(doc, position, i, selected)) });
      const same = this.answers.same(uri, doc.version, offset, key);
      if (same) return same.length ? toList(same) : undefined;
      const cached = !preview && this.answers.typedThrough(uri, offset, key, (from) => doc.getText(new vscode.Range(doc.positionAt(from), position)));
      if (!explicit && !cached && settings.debounceMs > 0) {
        await new Promise((r) => setTimeout(r, settings.debounceMs));
        if (token.isCancellationRequested) return undefined;
      }
      this.client.sync({ uri, version: doc.version, header: this.headerFor(doc), getText: () => doc.getText() });
      const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
      const reply = await this.client.complete(uri, doc.version, length, offset, decode, token, preview);
      if (reply) this.timeouts = 0;
      else if (!token.isCancellationRequested && this.client.running) this.reportTooSlow(model);
      if (!reply || token.isCancellationRequested) return undefined;
      if (reply.reason === 'error') this.deps.notify.trace(`completion failed: ${reply.message}`);
      else this.answers.remember(uri, doc.version, offset, key, reply.items);
      if (reply.items.length === 0) return undefined;
      return toList(reply.items);
    } catch (e) {
      // never an exception into the editor: at worst no suggestion
      this.deps.notify.trace(`completion failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The editor's item for a completion: it replaces the closers after the cursor that it writes
   *  itself (an auto-closed `)`), and with the suggest widget open it is the selected item's text
   *  and then the completion, over the item's range. */
  private itemFor(doc: vscode.TextDocument, position: vscode.Position, item: CompletionItem,
    selected: vscode.SelectedCompletionInfo | undefined): vscode.InlineCompletionItem {
    if (!selected) return new vscode.InlineCompletionItem(item.text, new vscode.Range(position, position.translate(0, item.replace)));
    const end = selected.range.end.translate(0, item.replace);
    return new vscode.InlineCompletionItem(selected.text + item.text, new vscode.Range(selected.range.start, doc.validatePosition(end)));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    void this.client.dispose();
  }

  // ---- the model -------------------------------------------------------------------------

  private async reload(force: boolean): Promise<void> {
    this.checkedAt = Date.now();
    const file = this.deps.store.modelPath;
    const sig = file ? await signatureOf(file) : '';
    if (sig === this.signature && (sig === '' || this.client.running)) return;
    this.signature = sig;
    if (!file || sig === '') {
      this.problem = undefined;
      this.client.unload();
      this.updateStatus();
      return;
    }
    const outcome: LoadOutcome = await this.client.load(file, force);
    if (outcome.kind === 'failed') {
      this.problem = 'the stored model cannot be read';
      if (this.failedSignature !== sig) {
        this.failedSignature = sig;
        void this.deps.notify.error(`LSTM Lens cannot offer completions: ${outcome.message} Train on Workspace makes a new model.`);
      }
    } else {
      this.problem = undefined;
      if (outcome.kind === 'loaded') {
        this.deps.notify.trace(`completions use the model at step ${outcome.info.steps}${outcome.notice ? ` (${outcome.notice})` : ''}`);
      } else {
        this.deps.notify.trace(`completions keep the model in use: ${outcome.reason}`);
      }
    }
    this.updateStatus();
  }

  private updateStatus(): void {
    this.status.update(this.enabled, this.client.info, this.problem);
  }

  /** Once per model loaded: completions the worker did not answer in time (DEFAULTS.completions.timeoutMs)
   *  are dropped, and the user is told why instead of seeing nothing. */
  private reportTooSlow(model: LoadedInfo): void {
    // the first requests on a document read its text (each goes on from where the last was cut
    // off): three in a row mean the model is too slow for this machine
    if (++this.timeouts < 3 || this.slowSignature === this.signature) return;
    this.slowSignature = this.signature;
    const limit = (DEFAULTS.completions.timeoutMs / 1000).toFixed(1);
    void this.deps.notify.warn(`LSTM Lens completions from the ${model.layers}×${model.hidden} ${model.cell.toUpperCase()} model did not come within ` +
      `${limit} s three times in a row on this machine, so none were shown: a smaller model (lstmLens.hiddenSize, lstmLens.layers) answers in time.`);
  }

  /** Once per workspace: completions need a model, and there is none yet. */
  private hintToTrain(): void {
    const state = this.deps.context.workspaceState;
    if (this.problem || state.get<boolean>(HINT_KEY, false) || this.deps.controller.running) return;
    void state.update(HINT_KEY, true);
    void this.deps.notify.info('LSTM Lens can offer ghost completions once it has trained a model of this workspace.', 'Train on Workspace')
      .then((c) => { if (c) void vscode.commands.executeCommand('lstmLens.train'); });
  }

  // ---- documents -------------------------------------------------------------------------

  /** Whether the model was trained on files of this document's kind (any, when unknown). */
  private trainedOn(doc: vscode.TextDocument, model: LoadedInfo): boolean {
    if (model.extensions.length === 0) return true;
    if (doc.uri.scheme === 'untitled') return languageExtensions(doc.languageId).some((e) => model.extensions.includes(e));
    const base = path.basename(doc.fileName);
    const ext = path.extname(base).toLowerCase();
    return model.extensions.includes(ext || base);
  }

  /** The corpus header of the file, as training wrote it (it tells the model the language). */
  private headerFor(doc: vscode.TextDocument): string {
    if (doc.uri.scheme === 'untitled') return fileHeader(`untitled${languageExtensions(doc.languageId)[0] ?? ''}`);
    // as training names it (src/corpus/walk.ts): relative to its folder, and in a multi-root
    // workspace prefixed by the folder's directory name (not the name a .code-workspace may give it)
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    const rel = vscode.workspace.asRelativePath(doc.uri, false);
    if (!folder || (vscode.workspace.workspaceFolders?.length ?? 0) <= 1) return fileHeader(rel);
    return fileHeader(`${path.basename(folder.uri.fsPath)}/${rel}`);
  }
}

/** model file and n-gram file: size and time, '' when the model is missing. */
async function signatureOf(file: string): Promise<string> {
  const st = async (f: string) => { try { const s = await fs.promises.stat(f); return `${s.size}:${s.mtimeMs}`; } catch { return ''; } };
  const model = await st(file);
  return model ? `${model}|${await st(ngramPathFor(file))}` : '';
}

/** File extensions that installed extensions declare for a language ('.ts', ...). */
function languageExtensions(languageId: string): string[] {
  const out: string[] = [];
  for (const ext of vscode.extensions.all) {
    const langs = (ext.packageJSON?.contributes?.languages ?? []) as { id?: string; extensions?: string[] }[];
    for (const l of langs) if (l.id === languageId) for (const x of l.extensions ?? []) out.push(x.toLowerCase());
  }
  return out;
}
