// "LSTM Lens: Show Cell Activations": a webview that shows the followed editor's text coloured by
// one cell's value after each character, with a picker of the discovered cells, the model's
// guesses on hover, a gate-saturation view, and an option to paint the same heatmap in the editor.
//
// The panel follows the active text editor: its text (again after each edit, debounced), its
// scroll position (the range in view is computed first) and its language. All numbers come from
// the cells worker (worker-client.ts); this file is wiring and states only.
//
// Security: a strict Content-Security-Policy (nothing remote; scripts only with this page's
// nonce; styles from the extension's media folder), local resources limited to media and
// dist/media; the webview script puts all text in with textContent (media/cells-panel.ts).
import * as path from 'node:path';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { fileHeader } from '../../corpus/build';
import { EXACT_LIMIT, WARMUP } from '../../cells/doc-analysis';
import type { DiscoveredCell } from '../../cells/discover';
import { describeEntry, groupCells } from '../../cells/cell-list';
import type { CellRef } from '../../cells/trace';
import type { InferReply, ModelInfo } from '../../cells/protocol';
import { HeatmapDecorations } from './decorations';
import { codePointLength, codePointLineStarts, commonPrefixCodePoints } from './text';
import type { CellOption, FromCellsPanel, PanelModel, PanelState, ToCellsPanel } from './panel-messages';
import { cellsPanelHtml } from './html';
import { panelStylesheets } from '../webview-page';
import { CellsWorkerClient } from './worker-client';
import type { ModelStore } from '../../model-files/model-store';
import { readTrainingSettings } from '../settings';

/** Above this many UTF-16 units a document is not shown at all (VS Code itself stops syncing at 50 MB). */
const HARD_LIMIT = 20 * 1024 * 1024;
const EDIT_DEBOUNCE_MS = 300;
const SCROLL_DEBOUNCE_MS = 120;
const SELECT_DEBOUNCE_MS = 300;
/** Characters the workspace discovery looks at. */
const DISCOVER_MAX_CHARS = 100_000;

/** What the panel needs from the training side: whether a run is on, and when one ends. */
export interface TrainingEvents {
  readonly running: boolean;
  on(event: 'end', listener: (...args: unknown[]) => void): unknown;
}

interface Followed {
  doc: string;
  version: number;
  editor: vscode.TextEditor;
  text: string;
  lineStarts: Uint32Array;
  length: number;
  /** cells the worker computes for this version ("L:i") */
  tracked: string[];
  /** values of the selected cell (only), NaN where not computed */
  values: Map<string, Float32Array>;
  exactUpTo: number;
  done: boolean;
}

export class CellsPanel implements vscode.Disposable {
  static readonly viewType = 'lstmLens.cells';
  private panel: vscode.WebviewPanel | undefined;
  private readonly client: CellsWorkerClient;
  private readonly disposables: vscode.Disposable[] = [];
  private panelDisposables: vscode.Disposable[] = [];
  private model: ModelInfo | undefined;
  private modelLoading = false;
  /** The model was replaced or deleted while the worker was loading: what it loads is stale. */
  private loadIsStale = false;
  private selected = '';
  private userPicked = false;
  /** The sign each listed cell is painted with (its best label's side warm). */
  private signs = new Map<string, 1 | -1>();
  private selectTimer: ReturnType<typeof setTimeout> | undefined;
  private followed: Followed | undefined;
  private lastEditor: vscode.TextEditor | undefined;
  private nextVersion = 1;
  private view: 'heatmap' | 'gates' = 'heatmap';
  private decorations: HeatmapDecorations | undefined;
  private editTimer: ReturnType<typeof setTimeout> | undefined;
  private scrollTimer: ReturnType<typeof setTimeout> | undefined;
  private discovering = false;
  private discoveryTriedFor: number | undefined;

  /** The last state and model sent to the webview. */
  private lastState: PanelState | undefined;
  private lastModel: PanelModel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ModelStore,
    private readonly training?: TrainingEvents,
    private readonly runCommand: (command: string) => void = (c) => void vscode.commands.executeCommand(c),
  ) {
    this.client = new CellsWorkerClient(path.join(extensionUri.fsPath, 'dist', 'cells-worker.js'), (m) => this.onWorker(m));
    // A training run that ends replaces the model (and drops its cells): look again.
    training?.on('end', () => { if (this.panel) void this.refreshModel(); });
    // Reset or Import replaced or deleted the model: drop the one shown at once.
    const onStoreChanged = () => this.onModelReplaced();
    store.on('changed', onStoreChanged);
    this.disposables.push({ dispose: () => store.off('changed', onStoreChanged) });
  }

  get visible(): boolean { return !!this.panel; }

  show(): void {
    if (this.panel) { this.panel.reveal(undefined, true); return; }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const distMedia = vscode.Uri.joinPath(this.extensionUri, 'dist', 'media');
    const panel = vscode.window.createWebviewPanel(CellsPanel.viewType, 'LSTM Lens: Cell Activations',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media, distMedia], retainContextWhenHidden: true });
    panel.webview.html = this.html(panel.webview, media, distMedia);
    this.panel = panel;
    const d = this.panelDisposables;
    panel.webview.onDidReceiveMessage((m: FromCellsPanel) => this.onPanel(m), undefined, d);
    panel.onDidDispose(() => this.onPanelClosed(), undefined, d);
    vscode.window.onDidChangeActiveTextEditor((e) => this.onActiveEditor(e), undefined, d);
    vscode.window.onDidChangeVisibleTextEditors(() => this.onActiveEditor(vscode.window.activeTextEditor), undefined, d);
    vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e), undefined, d);
    vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.onScroll(e), undefined, d);
    vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e), undefined, d);
    this.lastEditor = vscode.window.activeTextEditor ?? this.lastEditor;
  }

  /** Closes the panel (the command opens it again). */
  close(): void {
    this.panel?.dispose();
  }

  dispose(): void {
    this.panel?.dispose();
    this.client.dispose();
    this.decorations?.dispose();
    for (const x of [...this.disposables, ...this.panelDisposables]) x.dispose();
  }

  private onPanelClosed(): void {
    this.panel = undefined;
    for (const x of this.panelDisposables) x.dispose();
    this.panelDisposables = [];
    this.decorations?.dispose();
    this.decorations = undefined;
    this.followed = undefined;
    if (this.selectTimer) { clearTimeout(this.selectTimer); this.selectTimer = undefined; }
    this.lastModel = undefined;
    this.lastState = undefined;
    // The worker holds the model and the document's states: free them, unless it is finding cells.
    // (A load in flight dies with it: the next panel loads again.)
    if (!this.discovering) { this.client.dispose(); this.model = undefined; this.modelLoading = false; this.loadIsStale = false; }
  }

  private post(m: ToCellsPanel): void {
    void this.panel?.webview.postMessage(m);
  }

  private setState(kind: PanelState['kind'], message: string): void {
    this.lastState = { kind, message };
    this.post({ type: 'state', state: this.lastState });
  }

  // ---- the model ------------------------------------------------------------------------------

  /** Forgets the model shown and what was computed with it (its values, the editor's heatmap, the
   *  user's pick of a cell), then shows the stored model anew: the "no model" state after a reset,
   *  the imported model after an import. */
  private onModelReplaced(): void {
    this.model = undefined;
    this.lastModel = undefined;
    this.userPicked = false;
    this.followed = undefined;
    this.decorations?.clear();
    if (this.modelLoading) this.loadIsStale = true;
    if (this.panel) void this.refreshModel();
  }

  /** Loads the stored model into the worker when it is new or changed on disk. */
  private async refreshModel(): Promise<void> {
    const file = this.store.modelPath;
    if (!file || !fs.existsSync(file)) {
      this.model = undefined;
      this.setState('no-model', vscode.workspace.workspaceFolders?.length
        ? 'No trained model in this workspace yet. Train one first (LSTM Lens: Train on Workspace).'
        : 'Open a folder first: LSTM Lens trains one model per workspace.');
      return;
    }
    const mtime = fs.statSync(file).mtimeMs;
    if (this.model && this.model.mtimeMs === mtime) { this.sendModel(); this.follow(); return; }
    if (this.modelLoading) return;
    this.modelLoading = true;
    this.setState('loading', 'Loading the model…');
    this.client.send({ type: 'load', checkpointPath: file });
  }

  private sendModel(): void {
    const m = this.model!;
    // one entry per cell with all of its labels, the best cell first
    const entries = groupCells(m.cells);
    const options: CellOption[] = entries.map((e) => ({
      key: `${e.layer}:${e.index}`, label: describeEntry(e), detail: e.labels.map(cellDetail).join('\n'), sign: e.sign,
    }));
    this.signs = new Map(options.map((o) => [o.key, o.sign ?? 1]));
    // the best discovered cell, unless the user picked one this model has
    if (!this.userPicked || !validKey(this.selected, m)) {
      this.selected = options.length ? options[0].key : '0:0';
      this.userPicked = false;
    }
    this.lastModel = {
      cell: m.cell, layers: m.layers, hidden: m.hidden, steps: m.steps, paint: m.cell === 'lstm' ? 'tanh' : 'identity',
      options, selected: this.selected, noDiscovered: m.cells.length === 0,
    };
    this.post({ type: 'model', model: this.lastModel });
    this.post({ type: 'options', decorations: !!this.decorations });
    if (m.cells.length === 0) this.maybeDiscover(false);
  }

  /** Cells the worker computes for every document: the best discovered cell of each label and
   *  the selected one (other discovered cells are computed when picked). */
  private trackedCells(): CellRef[] {
    const keys: string[] = [];
    const labels = new Set<string>();
    for (const c of this.model?.cells ?? []) {
      if (labels.has(c.label)) continue;
      labels.add(c.label);
      keys.push(`${c.layer}:${c.index}`);
    }
    if (this.selected) keys.push(this.selected);
    return [...new Set(keys)].map((k) => { const [layer, index] = k.split(':').map(Number); return { layer, index }; });
  }

  // ---- following the editor -------------------------------------------------------------------

  private onActiveEditor(e: vscode.TextEditor | undefined): void {
    if (!this.panel) return;
    // Focus moving into the panel leaves no active text editor: keep following the last one.
    if (e && isFollowable(e.document)) this.lastEditor = e;
    else if (this.lastEditor && !vscode.window.visibleTextEditors.includes(this.lastEditor)) {
      const other = vscode.window.visibleTextEditors.find((x) => isFollowable(x.document));
      this.lastEditor = other;
    }
    if (this.lastEditor?.document.uri.toString() !== this.followed?.doc || this.lastEditor !== this.followed?.editor) this.follow();
  }

  /** Sends the followed editor's document to the webview and the worker. */
  private follow(): void {
    if (!this.panel || !this.model) return;
    const editor = this.lastEditor && vscode.window.visibleTextEditors.includes(this.lastEditor) ? this.lastEditor
      : vscode.window.visibleTextEditors.find((x) => isFollowable(x.document));
    this.lastEditor = editor;
    if (!editor) {
      this.followed = undefined;
      this.decorations?.clear();
      this.setState('no-editor', 'Open a file in an editor: the panel follows the active editor.');
      return;
    }
    const document = editor.document;
    const text = document.getText();
    const name = document.isUntitled ? path.basename(document.fileName) : vscode.workspace.asRelativePath(document.uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
    if (text.length > HARD_LIMIT) {
      this.followed = undefined;
      this.setState('too-large', `${name} is ${(text.length / 1024 / 1024).toFixed(1)} MB, too large to show.`);
      return;
    }
    if (text.includes('\u0000')) {
      this.followed = undefined;
      this.setState('binary', `${name} looks like a binary file (it has NUL characters): there is no text to paint.`);
      return;
    }
    if (text.length === 0) {
      this.followed = undefined;
      this.setState('empty', `${name} is empty: type something to see the cells respond.`);
      return;
    }
    const length = codePointLength(text);
    const notes: string[] = [];
    if (document.isUntitled) notes.push(`${name} is untitled: the model reads it without a file name (it was trained with each file's path first), as ${document.languageId}.`);
    if (length > EXACT_LIMIT) {
      notes.push(`This file has ${length.toLocaleString('en-US')} characters: only the part in view is painted, each time from ${WARMUP.toLocaleString('en-US')} characters before it rather than from the start of the file.`);
    }
    const prev = this.followed?.doc === document.uri.toString() ? this.followed : undefined;
    const cells = this.trackedCells();
    const f: Followed = {
      doc: document.uri.toString(), version: this.nextVersion++, editor, text, lineStarts: codePointLineStarts(text), length,
      tracked: cells.map((c) => `${c.layer}:${c.index}`), values: new Map([[this.selected, new Float32Array(length).fill(NaN)]]),
      exactUpTo: 0, done: false,
    };
    // Keep what is still right after an edit: the values before the first changed character.
    const old = prev?.values.get(this.selected);
    const kept = prev && old ? Math.min(commonPrefixCodePoints(prev.text, text), length, old.length) : 0;
    if (kept > 0) f.values.get(this.selected)!.set(old!.subarray(0, kept));
    this.followed = f;
    this.setState('ready', '');
    const topLine = editor.visibleRanges[0]?.start.line ?? 0;
    this.post({ type: 'document', document: { doc: f.doc, version: f.version, name, languageId: document.languageId, text, notes, topLine } });
    if (kept > 0) this.post({ type: 'values', doc: f.doc, version: f.version, key: this.selected, start: 0, values: f.values.get(this.selected)!.slice(0, kept) });
    this.client.send({
      type: 'analyze', doc: f.doc, version: f.version, header: document.isUntitled ? '' : fileHeader(name), text,
      cells, focus: this.focusRange(f),
    });
  }

  private focusRange(f: Followed): [number, number] {
    const r = f.editor.visibleRanges;
    if (!r.length) return [0, Math.min(f.length, 4000)];
    const first = r[0].start.line, last = r[r.length - 1].end.line + 1;
    return [f.lineStarts[Math.min(first, f.lineStarts.length - 1)], last < f.lineStarts.length ? f.lineStarts[last] : f.length];
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (!this.followed || e.document.uri.toString() !== this.followed.doc || e.contentChanges.length === 0) return;
    if (this.editTimer) clearTimeout(this.editTimer);
    this.editTimer = setTimeout(() => { this.editTimer = undefined; this.follow(); }, EDIT_DEBOUNCE_MS);
  }

  private onScroll(e: vscode.TextEditorVisibleRangesChangeEvent): void {
    const f = this.followed;
    if (!f || e.textEditor !== f.editor) return;
    this.post({ type: 'reveal', doc: f.doc, line: e.visibleRanges[0]?.start.line ?? 0 });
    if (this.scrollTimer) clearTimeout(this.scrollTimer);
    this.scrollTimer = setTimeout(() => {
      this.scrollTimer = undefined;
      if (this.followed !== f) return;
      if (!f.done) this.client.send({ type: 'focus', doc: f.doc, version: f.version, focus: this.focusRange(f) });
      this.paintEditor();
    }, SCROLL_DEBOUNCE_MS);
  }

  // ---- messages -------------------------------------------------------------------------------

  /** A message from the webview: the user's clicks, and the page's own reports. */
  private onPanel(m: FromCellsPanel): void {
    switch (m.type) {
      case 'ready': void this.refreshModel(); break;
      case 'select':
        if (!this.model || !validKey(m.key, this.model)) return;
        this.selected = m.key;
        this.userPicked = true;
        if (this.lastModel) this.lastModel.selected = m.key;
        // a cell the worker tracks: its values again at once; else analyze again with it
        if (this.followed?.tracked.includes(m.key)) {
          const f = this.followed;
          f.values = new Map([[m.key, new Float32Array(f.length).fill(NaN)]]);
          this.client.send({ type: 'resend', doc: f.doc, version: f.version, key: m.key, focus: this.focusRange(f) });
        } else {
          this.follow();
        }
        break;
      case 'hover': void this.hover(m.at); break;
      case 'goto': void this.goto(m.at); break;
      case 'decorations':
        if (m.on) { this.decorations ??= new HeatmapDecorations(); this.paintEditor(); }
        else { this.decorations?.dispose(); this.decorations = undefined; }
        break;
      case 'discover': this.maybeDiscover(true); break;
      case 'view':
        this.view = m.view;
        if (m.view === 'gates' && this.followed) this.client.send({ type: 'gates', doc: this.followed.doc });
        break;
      case 'train': this.runCommand('lstmLens.train'); break;
      // 'painted' and 'csp-violation' are the page's reports (paint times, a blocked resource): nothing to do
      default: break;
    }
  }

  /** Moves the followed editor to code point `at` and lists the cells most active there. */
  private async goto(at: number): Promise<void> {
    const f = this.followed;
    if (!f || !(at >= 0 && at < f.length)) return;
    const pos = positionOf(f, at);
    f.editor.selection = new vscode.Selection(pos, pos);
    f.editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    await this.listActive(f, at, at + 1, 'click');
  }

  /** A selection in the followed editor: the cells most selectively active in it ("select to find"). */
  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const f = this.followed;
    if (!f || e.textEditor !== f.editor) return;
    const sel = e.selections[0];
    if (!sel || sel.isEmpty) return;   // a cursor (also where a click in the panel put it) is no span
    if (this.selectTimer) clearTimeout(this.selectTimer);
    this.selectTimer = setTimeout(() => {
      this.selectTimer = undefined;
      if (this.followed !== f) return;
      void this.listActive(f, codePointOf(f, sel.start), codePointOf(f, sel.end), 'selection');
    }, SELECT_DEBOUNCE_MS);
  }

  private async listActive(f: Followed, start: number, end: number, from: 'click' | 'selection'): Promise<void> {
    if (end <= start) return;
    const r = await this.client.request<InferReply>((id) => ({ type: 'most-active', id, doc: f.doc, start, end }));
    if (r.type !== 'most-active' || this.followed !== f) return;
    const labels = new Map<string, string>();
    for (const e of groupCells(this.model?.cells ?? [])) labels.set(`${e.layer}:${e.index}`, describeEntry(e).replace(/^layer \d+, #\d+: /, ''));
    this.post({
      type: 'active', doc: f.doc, start, end, from,
      cells: r.cells.map((c) => {
        const key = `${c.layer}:${c.index}`;
        return { key, score: c.score, inside: c.inside, around: c.around, ...(labels.has(key) ? { label: labels.get(key) } : {}) };
      }),
    });
  }

  private async hover(at: number): Promise<void> {
    const f = this.followed;
    if (!f) return;
    const r = await this.client.request<InferReply>((id) => ({ type: 'guesses', id, doc: f.doc, at }));
    if (r.type === 'guesses') this.post({ type: 'guesses', at: r.at, top: r.top });
  }

  private onWorker(m: InferReply): void {
    switch (m.type) {
      case 'loaded':
        this.modelLoading = false;
        if (this.loadIsStale) { this.loadIsStale = false; if (this.panel) void this.refreshModel(); break; }
        this.model = m.model;
        if (this.panel) { this.sendModel(); this.follow(); }
        break;
      case 'load-failed':
        this.modelLoading = false;
        this.model = undefined;
        if (this.loadIsStale) { this.loadIsStale = false; if (this.panel) void this.refreshModel(); break; }
        this.setState('model-error', `The model could not be loaded: ${m.message}`);
        break;
      case 'values': {
        const f = this.followed;
        if (!f || m.doc !== f.doc || m.version !== f.version) return;
        const k = m.cells.indexOf(this.selected), v = f.values.get(this.selected);
        if (k < 0 || !v || m.values[k].length === 0) return;
        const got = m.values[k].subarray(0, Math.max(0, f.length - m.start));
        v.set(got, m.start);
        this.post({ type: 'values', doc: m.doc, version: m.version, key: this.selected, start: m.start, values: got.slice() });
        this.paintEditor();
        break;
      }
      case 'progress': {
        const f = this.followed;
        if (!f || m.doc !== f.doc || m.version !== f.version) return;
        f.exactUpTo = m.exactUpTo;
        f.done = m.exactUpTo >= m.length;
        this.post({ type: 'progress', doc: m.doc, version: m.version, exactUpTo: m.exactUpTo, length: m.length, ms: m.ms });
        if (f.done && this.view === 'gates') this.client.send({ type: 'gates', doc: f.doc });
        break;
      }
      case 'gates':
        if (this.model) {
          this.post({ type: 'gates', steps: m.steps, cell: this.model.cell, layers: m.layers.map((l) => ({ layer: l.layer, gates: l.gates.map((g) => ({ name: g.name, low: Array.from(g.low), high: Array.from(g.high) })) })) });
        }
        break;
      case 'error':
        if (m.doc === undefined && m.id === undefined) {
          // the worker itself failed (or could not start): what it held is gone
          this.model = undefined;
          this.modelLoading = false;
          this.loadIsStale = false;
          this.followed = undefined;
          this.setState('model-error', `${m.message} Close and reopen the panel to try again.`);
        } else {
          this.post({ type: 'discovery', running: this.discovering, message: m.message });
        }
        break;
      default:
        break;
    }
  }

  // ---- the heatmap in the editor --------------------------------------------------------------

  private paintEditor(): void {
    const f = this.followed, deco = this.decorations, model = this.model;
    if (!f || !deco || !model) return;
    const v = f.values.get(this.selected);
    if (!v) return;
    // sign-normalised as in the panel: the selected cell's feature is the warm colour
    const sign = this.signs.get(this.selected) ?? 1;
    deco.paint(f.editor, v, f.lineStarts, model.cell === 'lstm' ? (x) => sign * Math.tanh(x) : (x) => sign * x);
  }

  // ---- discovery ------------------------------------------------------------------------------

  /** Finds the cells on the workspace's held-out files (in the worker) and stores them in the model. */
  private maybeDiscover(asked: boolean): void {
    const model = this.model, file = this.store.modelPath, folders = vscode.workspace.workspaceFolders ?? [];
    if (!model || !file || this.discovering) return;
    // Unasked, try once per model (a workspace where discovery fails should not loop).
    if (!asked && this.discoveryTriedFor === model.mtimeMs) return;
    const refuse = (message: string) => this.post({ type: 'discovery', running: false, message });
    if (this.training?.running) return refuse('Training is running: cells are found on the model once it is saved and the run ends.');
    if (!vscode.workspace.isTrusted) return refuse('This workspace is not trusted, so LSTM Lens does not read its files to find cells; any cell can still be shown by number.');
    if (folders.length === 0) return refuse('Open a folder to find cells on its files.');
    this.discoveryTriedFor = model.mtimeMs;
    this.discovering = true;
    this.post({ type: 'discovery', running: true, message: 'Finding the cells that track strings, comments, if-conditions, indentation and the column, on the workspace\'s held-out files…' });
    const settings = readTrainingSettings(folders[0].uri).corpus;
    void this.client.request<InferReply>((id) => ({
      type: 'discover', id, checkpointPath: file,
      corpus: { ...settings, roots: folders.map((w) => w.uri.fsPath), maxChars: DISCOVER_MAX_CHARS },
    })).then((r) => {
      this.discovering = false;
      if (r.type === 'discovered') {
        const missing = r.missing.length ? ` Not found: ${r.missing.join('; ')}.` : '';
        this.post({ type: 'discovery', running: false, message: `${r.note ? r.note + ' ' : ''}Found ${r.cells.length} cells on ${r.chars.toLocaleString('en-US')} characters.${missing}` });
        if (r.stored) { this.model = undefined; void this.refreshModel(); }
      } else if (r.type === 'error') {
        this.post({ type: 'discovery', running: false, message: `Could not find cells: ${r.message}` });
      }
      if (!this.panel) { this.client.dispose(); this.model = undefined; }
    });
  }

  // ---- html -----------------------------------------------------------------------------------

  private html(webview: vscode.Webview, media: vscode.Uri, distMedia: vscode.Uri): string {
    return cellsPanelHtml({
      nonce: randomBytes(16).toString('base64'),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distMedia, 'cells-panel.js')).toString(),
      styleUris: panelStylesheets('cells-panel.css').map((f) => webview.asWebviewUri(vscode.Uri.joinPath(media, f)).toString()),
    });
  }
}

/** The editor position of code point `at` of the followed text. */
function positionOf(f: Followed, at: number): vscode.Position {
  let lo = 0, hi = f.lineStarts.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (f.lineStarts[mid] <= at) lo = mid; else hi = mid - 1; }
  const line = f.editor.document.lineAt(Math.min(lo, f.editor.document.lineCount - 1)).text;
  let units = 0, cps = 0;
  for (const ch of line) { if (cps >= at - f.lineStarts[lo]) break; units += ch.length; cps++; }
  return new vscode.Position(lo, units);
}

/** The code point index of an editor position in the followed text. */
function codePointOf(f: Followed, p: vscode.Position): number {
  const line = Math.min(p.line, f.lineStarts.length - 1);
  return f.lineStarts[line] + codePointLength(f.editor.document.lineAt(line).text.slice(0, p.character));
}

function isFollowable(d: vscode.TextDocument): boolean {
  return d.uri.scheme !== 'output' && d.uri.scheme !== 'debug' && d.uri.scheme !== 'vscode-scm';
}

function validKey(key: string, m: Pick<ModelInfo, 'layers' | 'hidden'>): boolean {
  const r = /^(\d+):(\d+)$/.exec(key);
  return !!r && Number(r[1]) < m.layers && Number(r[2]) < m.hidden;
}

function cellDetail(c: DiscoveredCell): string {
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
  const metric = `${c.label}: ${c.metric === 'auc' ? 'AUC' : '|r|'}`;
  const inner = c.scoreInner !== undefined ? `, ${f(c.scoreInner)} away from the delimiters` : c.scoreLevel !== undefined ? `, ${f(c.scoreLevel)} against the indentation level` : '';
  return `${metric} ${f(c.score)} on held-out text${inner}; all cells together (linear probe) ${f(c.probe)}; the last 8 characters alone ${f(c.floor)}`;
}

