// The "Training" webview panel: live curves of train and validation bits per char against
// characters seen, the run's numbers, and samples, newest first. One panel per window.
//
// Security: a strict Content-Security-Policy (no remote anything; scripts only with this
// page's nonce; styles from the extension's media folder), local resources restricted to
// dist/media and media, and the webview script sets every text with textContent.
import { panelStylesheets, webviewPage } from '../webview-page';
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { FromPanel, PanelFileGroup, PanelSample, PanelStatus, ToPanel } from './panel-messages';
import type { TrainingHistory } from './history';

export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = 'lstmLens.training';
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly history: TrainingHistory,
    private readonly runCommand: (command: string) => void,
  ) {}

  get visible(): boolean {
    return !!this.panel;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const distMedia = vscode.Uri.joinPath(this.extensionUri, 'dist', 'media');
    const panel = vscode.window.createWebviewPanel(TrainingPanel.viewType, 'LSTM Lens: Training',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media, distMedia] });
    panel.webview.html = this.html(panel.webview, media, distMedia);
    panel.webview.onDidReceiveMessage((m: FromPanel) => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => { this.panel = undefined; }, undefined, this.disposables);
    this.panel = panel;
  }

  /** Sends the whole history again (after it was reset). */
  reinit(): void {
    this.post({ type: 'init', snapshot: this.history.snapshot() });
  }

  points(train: [number, number][], val: [number, number][]): void {
    if (train.length || val.length) this.post({ type: 'points', train, val });
  }

  sample(sample: PanelSample): void {
    this.post({ type: 'sample', sample });
  }

  status(status: PanelStatus): void {
    this.post({ type: 'status', status });
  }

  files(files: PanelFileGroup[]): void {
    this.post({ type: 'files', files });
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private post(m: ToPanel): void {
    void this.panel?.webview.postMessage(m);
  }

  private onMessage(m: FromPanel): void {
    if (m.type === 'ready') this.post({ type: 'init', snapshot: this.history.snapshot() });
    else if (m.type === 'command') this.runCommand(m.command);
    // 'csp-violation': the page's report of a resource its policy blocked; nothing to do here
  }

  private html(webview: vscode.Webview, media: vscode.Uri, distMedia: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(distMedia, 'training-panel.js'));
    const styles = panelStylesheets('training-panel.css').map((f) => String(webview.asWebviewUri(vscode.Uri.joinPath(media, f))));
    return webviewPage({
      nonce, cspSource: webview.cspSource, scriptUri: String(script), styleUris: styles, title: 'LSTM Lens: Training', body: TRAINING_BODY,
    });
  }
}

const TRAINING_BODY = `<header>
  <h1>Training</h1>
  <span id="state" class="state">…</span>
  <span class="spacer"></span>
  <button id="btn-train" type="button">Train</button>
  <button id="btn-stop" type="button" class="secondary">Stop</button>
  <button id="btn-sample" type="button" class="secondary">Generate Sample</button>
</header>
<section class="chart-box">
  <canvas id="chart" aria-label="Train and validation bits per character against characters seen" role="img"></canvas>
  <div class="legend"><span class="key train"></span>train <span class="key val"></span>validation</div>
</section>
<ul id="status-lines" class="status-lines"></ul>
<h2>Files <small>of the last run</small></h2>
<div id="files" class="files"><p class="empty">The files appear here when a run reads the workspace.</p></div>
<h2>Samples <small>newest first</small></h2>
<div id="samples" class="samples"><p class="empty">Samples appear here as the model learns.</p></div>`;
